//! Saving sessions: tshark must read the pcapng sockscope writes (the same
//! packets, the socket calls in the comments), and the page must read both
//! the pcapng and the event log back into the same model.

// Helpers outside #[test] functions panic on purpose too: here a panic is
// a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{all_recordings, event_log, first, scratch, tshark, tshark_allowing_none};
use sockscope_shared::{Bytes, Event, EventKind, Segment, SegmentEvent};
use sockscope_web::capture_file::export::{self, Scope};
use sockscope_web::capture_file::{self, FileKind};
use sockscope_web::model::Model;

/// Writes the session's pcapng to a scratch file and returns its path.
fn save(name: &str, events: &[Event]) -> std::path::PathBuf {
    let path = scratch(&format!("{name}.pcapng"));
    std::fs::write(&path, export::pcapng(events).unwrap()).unwrap();
    path
}

fn segments_in_time_order(events: &[Event]) -> Vec<(u64, &SegmentEvent)> {
    let mut out: Vec<(u64, u64, &SegmentEvent)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Segment(s) => Some((e.t_us, e.index, s)),
            _ => None,
        })
        .collect();
    out.sort_by_key(|(t, i, _)| (*t, *i));
    out.into_iter().map(|(t, _, s)| (t, s)).collect()
}

const FIELDS: [&str; 13] = [
    "frame.time_epoch",
    "ip.src",
    "ip.dst",
    "tcp.srcport",
    "udp.srcport",
    "tcp.flags",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.len",
    "tcp.options.mss_val",
    "udp.length",
    "icmp.type",
    "frame.comment",
];

#[test]
fn tshark_reads_every_exported_recording_with_its_calls_in_comments() {
    for name in all_recordings() {
        let events = event_log(&name);
        let path = save(&name, &events);
        let theirs = tshark(&path, &FIELDS);
        let ours = segments_in_time_order(&events);
        assert_eq!(theirs.len(), ours.len(), "{name}: packet count");
        for (i, ((t_us, seg), t)) in ours.iter().zip(&theirs).enumerate() {
            let what = format!("{name} packet {}", i + 1);
            let seconds: f64 = first(t, "frame.time_epoch").parse().unwrap();
            assert!((*t_us as f64 / 1e6 - seconds).abs() < 2e-6, "{what}: time");
            if let Segment::IcmpPortUnreachable = seg.segment {
                assert_eq!(first(t, "icmp.type"), "3", "{what}");
                continue;
            }
            assert_eq!(
                seg.src.split(':').next(),
                Some(first(t, "ip.src")),
                "{what}"
            );
            assert_eq!(
                seg.dst.split(':').next(),
                Some(first(t, "ip.dst")),
                "{what}"
            );
            match &seg.segment {
                Segment::Tcp {
                    seq,
                    ack,
                    payload_len,
                    options,
                    ..
                } => {
                    assert_eq!(seg.src.rsplit(':').next(), Some(first(t, "tcp.srcport")));
                    assert_eq!(seq.to_string(), first(t, "tcp.seq_raw"), "{what}: seq");
                    assert_eq!(ack.to_string(), first(t, "tcp.ack_raw"), "{what}: ack");
                    assert_eq!(payload_len.to_string(), first(t, "tcp.len"), "{what}");
                    let mss = options.mss.map(|m| m.to_string()).unwrap_or_default();
                    assert_eq!(mss, first(t, "tcp.options.mss_val"), "{what}: mss");
                }
                Segment::Udp(datagram) => {
                    assert_eq!(seg.src.rsplit(':').next(), Some(first(t, "udp.srcport")));
                    let length: u32 = first(t, "udp.length").parse().unwrap();
                    assert_eq!(length, datagram.payload_len + 8, "{what}");
                }
                Segment::IcmpPortUnreachable => {}
            }
        }
        // Every event that is not a packet is in exactly one comment.
        let comments: Vec<&String> = theirs
            .iter()
            .flat_map(|t| t.get("frame.comment").into_iter().flatten())
            .collect();
        let carried = comments
            .iter()
            .filter(|c| c.contains("sockscope-event "))
            .count();
        let others = events
            .iter()
            .filter(|e| !matches!(e.kind, EventKind::Segment(_)))
            .count();
        assert_eq!(carried, others, "{name}: one comment per call or state");
    }
}

#[test]
fn the_sticky_recv_reads_as_a_sentence_in_wireshark() {
    let path = save("03-comments", &event_log("03-sticky-small-sends"));
    let comments: Vec<String> = tshark(&path, &["frame.comment"])
        .into_iter()
        .flat_map(|t| t.get("frame.comment").cloned().unwrap_or_default())
        .collect();
    assert!(
        comments
            .iter()
            .any(|c| c.contains("socket #3: recv(1024) → 16 bytes \"helloworldsticky\"")),
        "{comments:#?}"
    );
    assert!(
        comments
            .iter()
            .any(|c| c.starts_with("socket #2 → socket #3 · sockscope-segment")),
        "{comments:#?}"
    );
}

#[test]
fn export_then_import_gives_the_same_model() {
    for name in all_recordings() {
        let events = event_log(&name);
        let pcapng = export::pcapng(&events).unwrap();
        let opened = capture_file::open(&pcapng).unwrap();
        assert_eq!(opened.kind, FileKind::Pcapng);
        assert_eq!(opened.events, events, "{name}: events through pcapng");
        assert_eq!(
            Model::from_events(opened.events),
            Model::from_events(events.clone()),
            "{name}: model through pcapng"
        );
        let log = capture_file::open(export::event_log(&events).as_bytes()).unwrap();
        assert_eq!(log.kind, FileKind::EventLog);
        assert_eq!(log.events, events, "{name}: events through the JSON log");
    }
}

#[test]
fn a_real_relay_session_survives_the_round_trip() {
    // Recorded from the relay itself: hello with its limits, socket ids on
    // every segment, state changes, recv_queue reports.
    // The second has the kernel's counters (tcp_info) and a recv() that
    // waited: they ride in packet comments like every other event.
    for name in ["three-hellos", "recv-waits"] {
        let path = format!(
            "{}/tests/live/{name}.events.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let events: Vec<Event> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(events.len() > 20, "{name}: {} events", events.len());
        let back = capture_file::open(&export::pcapng(&events).unwrap()).unwrap();
        assert_eq!(back.events, events, "{name}");
        assert!(back.notes.is_empty(), "{name}: {:?}", back.notes);
    }
}

#[test]
fn a_payload_the_relay_capped_keeps_its_real_length_like_a_snaplen_cut() {
    let mut events = event_log("03-sticky-small-sends");
    let capped = events
        .iter_mut()
        .find_map(|e| match &mut e.kind {
            EventKind::Segment(SegmentEvent {
                segment:
                    Segment::Tcp {
                        payload_len,
                        payload,
                        ..
                    },
                ..
            }) if *payload_len > 0 => Some((payload_len, payload)),
            _ => None,
        })
        .unwrap();
    // As if the relay had carried 3 of 9000 bytes.
    *capped.0 = 9000;
    *capped.1 = Bytes::from(b"hel".to_vec());
    let path = save("03-capped", &events);
    let theirs = tshark(&path, &["tcp.len", "frame.len", "frame.cap_len"]);
    let cut = theirs
        .iter()
        .find(|t| first(t, "tcp.len") == "9000")
        .unwrap();
    assert_eq!(
        first(cut, "frame.cap_len"),
        "69",
        "14 + 20 + 32 header bytes + 3"
    );
    assert_eq!(first(cut, "frame.len"), "9066");
    let mut back = capture_file::open(&std::fs::read(&path).unwrap()).unwrap();
    // The made-up 9000 bytes never crossed, so the import's TCP analysis
    // (which the log had none of) calls what follows out of order, as
    // Wireshark would: everything else reads back as written.
    for event in &mut back.events {
        if let EventKind::Segment(segment) = &mut event.kind {
            segment.analysis = sockscope_shared::TcpAnalyses::NONE;
        }
    }
    assert_eq!(back.events, events);
}

#[test]
fn one_connection_exports_alone() {
    let model = Model::from_events(event_log("07-upper-echo-clients"));
    let tcp: Vec<_> = model.conversations.list.iter().collect();
    assert_eq!(tcp.len(), 2, "two clients");
    let second = export::events_of(&model, Scope::Conversation(tcp[1].id));
    let path = save("07-second-client", &second);
    let theirs = tshark(&path, &["tcp.srcport", "tcp.dstport", "frame.comment"]);
    assert_eq!(theirs.len(), tcp[1].segments.len());
    let client_port = tcp[1].ends[0].addr.rsplit(':').next().unwrap();
    assert!(
        theirs
            .iter()
            .all(|t| first(t, "tcp.srcport") == client_port
                || first(t, "tcp.dstport") == client_port)
    );
    // The first client's calls are not in it; the second's are.
    let first_client = tcp[0].ends[0].socket.unwrap();
    let second_client = tcp[1].ends[0].socket.unwrap();
    let comments: String = theirs
        .iter()
        .flat_map(|t| t.get("frame.comment").cloned().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(comments.contains(&format!("socket #{second_client}: ")));
    assert!(!comments.contains(&format!("socket #{first_client}: ")));
}

#[test]
fn a_session_without_packets_keeps_its_calls_in_the_file_comment() {
    let calls: Vec<Event> = event_log("03-sticky-small-sends")
        .into_iter()
        .filter(|e| !matches!(e.kind, EventKind::Segment(_)))
        .collect();
    let path = save("03-calls-only", &calls);
    assert!(
        tshark_allowing_none(&path, &["frame.number"]).is_empty(),
        "no packets"
    );
    let back = capture_file::open(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(back.events, calls);
}
