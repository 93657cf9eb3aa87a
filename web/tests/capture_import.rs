//! Opening capture files in the page's model: the fourteen reference
//! recordings against tshark's own dissection, classic pcap as well as
//! pcapng, and broken files of every kind (including a fuzzer), which must
//! give a sentence, never a panic.

// Helpers outside #[test] functions panic on purpose too: here a panic is
// a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::{all_recordings, capture, event_log, first, scratch, tshark};
use proptest::prelude::*;
use sockscope_shared::{Event, EventKind, Segment, SegmentEvent, TcpAnalysis};
use sockscope_web::capture_file::{self, FileKind, Note, OpenError};
use sockscope_web::model::Model;
use sockscope_web::model::describe::Numbers;
use sockscope_web::model::ladder::{self, RowKind};

fn import(path: &std::path::Path) -> capture_file::Opened {
    capture_file::open(&std::fs::read(path).unwrap()).unwrap()
}

fn segments(events: &[Event]) -> Vec<&SegmentEvent> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Segment(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// The arrows a learner sees, in order.
fn arrows(events: Vec<Event>) -> Vec<String> {
    let model = Model::from_events(events);
    ladder::layout(&model)
        .rows
        .iter()
        .filter(|row| matches!(row.kind, RowKind::Packet { .. }))
        .map(|row| row.label(&model, Numbers::Relative))
        .collect()
}

const FIELDS: [&str; 16] = [
    "frame.time_epoch",
    "ip.src",
    "ip.dst",
    "tcp.srcport",
    "tcp.dstport",
    "udp.srcport",
    "udp.dstport",
    "tcp.stream",
    "udp.stream",
    "tcp.flags",
    "tcp.seq",
    "tcp.ack",
    "tcp.len",
    "tcp.window_size",
    "udp.length",
    "icmp.type",
];

#[test]
fn every_recording_imports_as_tshark_reads_it() {
    for name in all_recordings() {
        let path = capture(&name);
        let opened = import(&path);
        assert_eq!(opened.kind, FileKind::Pcapng);
        let ours: Vec<(u64, &SegmentEvent)> = opened
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Segment(s) => Some((e.t_us, s)),
                _ => None,
            })
            .collect();
        let theirs = tshark(&path, &FIELDS);
        assert_eq!(ours.len(), theirs.len(), "{name}: packet count");
        // tshark numbers TCP and UDP streams apart; sockscope numbers
        // conversations together. The grouping must be the same.
        let mut conn_of: HashMap<(String, String), u32> = HashMap::new();
        for (i, ((t_us, seg), t)) in ours.iter().zip(&theirs).enumerate() {
            let what = format!("{name} frame {}", i + 1);
            let (sport, dport, stream) = if first(t, "tcp.srcport").is_empty() {
                ("udp.srcport", "udp.dstport", "udp.stream")
            } else {
                ("tcp.srcport", "tcp.dstport", "tcp.stream")
            };
            let seconds: f64 = first(t, "frame.time_epoch").parse().unwrap();
            assert!((*t_us as f64 / 1e6 - seconds).abs() < 2e-6, "{what}: time");
            if first(t, "icmp.type") == "3" {
                // The report is filed under the datagram that bounced.
                assert_eq!(seg.segment, Segment::IcmpPortUnreachable, "{what}");
                continue;
            }
            assert_eq!(
                seg.src,
                format!("{}:{}", first(t, "ip.src"), first(t, sport)),
                "{what}"
            );
            assert_eq!(
                seg.dst,
                format!("{}:{}", first(t, "ip.dst"), first(t, dport)),
                "{what}"
            );
            let key = (stream.to_string(), first(t, stream).to_string());
            let conn = *conn_of.entry(key).or_insert(seg.conn);
            assert_eq!(
                seg.conn, conn,
                "{what}: same conversation as tshark's stream"
            );
            match &seg.segment {
                Segment::Tcp {
                    flags,
                    rel_seq,
                    rel_ack,
                    payload_len,
                    window_scaled,
                    ..
                } => {
                    let bits =
                        u16::from_str_radix(first(t, "tcp.flags").trim_start_matches("0x"), 16)
                            .unwrap();
                    let ours = u16::from(flags.fin)
                        | u16::from(flags.syn) << 1
                        | u16::from(flags.rst) << 2
                        | u16::from(flags.psh) << 3
                        | u16::from(flags.ack) << 4
                        | u16::from(flags.urg) << 5
                        | u16::from(flags.ece) << 6
                        | u16::from(flags.cwr) << 7;
                    assert_eq!(ours, bits & 0xff, "{what}: flags");
                    assert_eq!(rel_seq.to_string(), first(t, "tcp.seq"), "{what}: seq");
                    assert_eq!(rel_ack.to_string(), first(t, "tcp.ack"), "{what}: ack");
                    assert_eq!(payload_len.to_string(), first(t, "tcp.len"), "{what}: len");
                    assert_eq!(
                        window_scaled.to_string(),
                        first(t, "tcp.window_size"),
                        "{what}: window"
                    );
                }
                Segment::Udp(datagram) => {
                    let length: u32 = first(t, "udp.length").parse().unwrap();
                    assert_eq!(datagram.payload_len, length - 8, "{what}: udp length");
                }
                Segment::IcmpPortUnreachable => panic!("{what}: not an ICMP packet"),
            }
        }
        // tshark's streams and ours are one-to-one.
        let mut conns: Vec<u32> = conn_of.values().copied().collect();
        conns.sort_unstable();
        conns.dedup();
        assert_eq!(
            conns.len(),
            conn_of.len(),
            "{name}: one conversation per stream"
        );
    }
}

#[test]
fn a_recording_draws_the_same_arrows_as_its_event_log() {
    for name in all_recordings() {
        let imported = import(&capture(&name)).events;
        assert_eq!(
            arrows(imported),
            arrows(event_log(&name)),
            "{name}: the diagram from the pcapng alone"
        );
    }
}

#[test]
fn a_plain_capture_says_recv_boundaries_are_unknown() {
    let opened = import(&capture("03-sticky-small-sends"));
    assert!(
        opened.notes.contains(&Note::CallsUnknown),
        "{:?}",
        opened.notes
    );
    // The byte stream still shows the three segments on the wire.
    let model = Model::from_events(opened.events);
    let conv = &model.conversations.list[0];
    let wire: Vec<(u64, u32)> = conv.streams[0]
        .wire
        .iter()
        .map(|w| (w.offset, w.len))
        .collect();
    assert_eq!(wire, vec![(0, 5), (5, 5), (10, 6)]);
    assert!(conv.streams[1].recvs.is_empty());
}

#[test]
fn classic_pcap_gives_the_same_events_as_pcapng() {
    let pcap = scratch("03.pcap");
    let status = Command::new("editcap")
        .args(["-F", "pcap"])
        .arg(capture("03-sticky-small-sends"))
        .arg(&pcap)
        .status()
        .unwrap();
    assert!(status.success());
    let opened = import(&pcap);
    assert_eq!(opened.kind, FileKind::Pcap);
    assert_eq!(
        opened.events,
        import(&capture("03-sticky-small-sends")).events
    );

    // Nanosecond timestamps read the same.
    let ns = scratch("03-ns.pcap");
    let status = Command::new("editcap")
        .args(["-F", "nsecpcap"])
        .arg(capture("03-sticky-small-sends"))
        .arg(&ns)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(import(&ns).events, opened.events);
}

fn open_error(bytes: &[u8]) -> String {
    match capture_file::open(bytes) {
        Ok(opened) => panic!("opened {} events", opened.events.len()),
        Err(error) => error.to_string(),
    }
}

#[test]
fn files_that_are_not_captures_say_what_they_are_not() {
    assert_eq!(open_error(b""), "the file is empty");
    let png = open_error(b"\x89PNG\r\n\x1a\n....");
    assert!(
        png.starts_with("this is not a .pcap, .pcapng or JSON event log"),
        "{png}"
    );
    assert!(png.contains("89 50 4e 47"), "{png}");
    let json = open_error(br#"{"hello": "world"}"#);
    assert!(
        json.starts_with("this JSON is not a sockscope event log"),
        "{json}"
    );
    // A pcap header cut in the middle.
    let pcap = std::fs::read(capture("10-refused")).unwrap();
    assert!(open_error(&pcap[..10]).contains("cut short"));
}

#[test]
fn a_file_cut_after_some_packets_shows_them_and_says_so() {
    let bytes = std::fs::read(capture("07-upper-echo-clients")).unwrap();
    let cut = &bytes[..bytes.len() * 2 / 3];
    let path = scratch("07-cut.pcapng");
    std::fs::write(&path, cut).unwrap();
    // tshark reads the packets before the cut, and complains.
    let theirs = Command::new("tshark")
        .arg("-r")
        .arg(&path)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&theirs.stderr).contains("cut short"));
    let packets = String::from_utf8_lossy(&theirs.stdout).lines().count();
    assert!(packets > 5, "{packets}");

    let opened = capture_file::open(cut).unwrap();
    assert_eq!(segments(&opened.events).len(), packets);
    assert!(
        matches!(opened.notes.first(), Some(Note::CutShort { .. })),
        "{:?}",
        opened.notes
    );
}

#[test]
fn an_unsupported_link_type_is_named() {
    // A classic pcap header for 802.11 (LINKTYPE 105) and one packet.
    let mut bytes = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    bytes.extend([0; 8]);
    bytes.extend(65535u32.to_le_bytes());
    bytes.extend(105u32.to_le_bytes());
    bytes.extend([0; 8]);
    bytes.extend(4u32.to_le_bytes());
    bytes.extend(4u32.to_le_bytes());
    bytes.extend([1, 2, 3, 4]);
    assert_eq!(
        capture_file::open(&bytes),
        Err(OpenError::UnsupportedLink { linktype: 105 })
    );
    assert!(open_error(&bytes).contains("link type 105 is not supported"));
}

/// Whatever the bytes, opening them returns; it never panics or hangs.
fn survives(bytes: &[u8]) {
    match capture_file::open(bytes) {
        Ok(opened) => assert!(!opened.events.is_empty()),
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_after_a_capture_header_never_panic(
        magic in prop::sample::select(vec![
            vec![0x0a, 0x0d, 0x0d, 0x0a],
            vec![0xd4, 0xc3, 0xb2, 0xa1],
            vec![0xa1, 0xb2, 0x3c, 0x4d],
        ]),
        rest in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        survives(&[magic, rest].concat());
    }

    #[test]
    fn a_real_capture_with_bytes_changed_or_cut_never_panics(
        name in prop::sample::select(vec!["01-handshake", "06-struct-header", "10-refused", "11-udp-echo-and-time"]),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = std::fs::read(capture(name)).unwrap();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let end = cut.index(bytes.len() + 1);
        survives(&bytes[..end]);
    }
}

/// A lossy capture from the lab: each imported segment carries the
/// `tcp.analysis.*` flags tshark gives the same frame (retransmissions,
/// duplicate ACKs, segments never seen, a zero window...).
#[test]
fn a_lossy_capture_imports_with_the_analysis_tshark_gives() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../capture/tests/data/lab-lossy-server.pcap");
    let opened = import(&path);
    let ours: Vec<Vec<&str>> = segments(&opened.events)
        .iter()
        .map(|segment| {
            let mut names: Vec<&str> = segment.analysis.iter().map(|flag| flag.field()).collect();
            names.sort_unstable();
            names
        })
        .collect();
    let fields: Vec<String> = TcpAnalysis::ALL
        .iter()
        .map(|flag| format!("tcp.analysis.{}", flag.field()))
        .collect();
    let field_names: Vec<&str> = fields.iter().map(String::as_str).collect();
    let rows = tshark(&path, &field_names);
    assert_eq!(ours.len(), rows.len(), "segments");
    let mut flagged = 0;
    for (i, (our, row)) in ours.iter().zip(&rows).enumerate() {
        let mut theirs: Vec<&str> = TcpAnalysis::ALL
            .iter()
            .filter(|flag| !first(row, &format!("tcp.analysis.{}", flag.field())).is_empty())
            .map(|flag| flag.field())
            .collect();
        theirs.sort_unstable();
        assert_eq!(*our, theirs, "frame {}", i + 1);
        flagged += usize::from(!theirs.is_empty());
    }
    assert!(flagged > 50, "only {flagged} frames with analysis flags");
}
