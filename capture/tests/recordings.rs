//! The fourteen reference recordings (testdata/captures), read with
//! `read_file` and followed with a `Tracker`.
//!
//! Two kinds of check. The lesson tests assert what a learner should see
//! in each experiment, with the numbers tshark shows for the same file.
//! The cross-check compares every field of every packet of every recording
//! with tshark's own dissection, run on the spot, so a disagreement with
//! Wireshark anywhere is caught, not only where a lesson test looks.

// Helpers outside #[test] functions panic on purpose too: here a panic is
// a failed test, which is what clippy allows inside the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;

use common::{all_recordings, epoch_us, flag_bits, recording, tshark_fields};

use sockscope_capture::{Packet, PacketKind, TcpFlags, Tracked, Tracker, read_file};

/// Every packet of a recording with what the tracker made of it.
fn follow(name: &str) -> Vec<(Packet, Tracked)> {
    let mut tracker = Tracker::new();
    read_file(recording(name))
        .unwrap()
        .into_iter()
        .map(|packet| {
            let tracked = tracker.observe(&packet);
            (packet, tracked)
        })
        .collect()
}

fn flags(labels: &str) -> TcpFlags {
    let mut flags = TcpFlags::default();
    for label in labels.split('+') {
        match label {
            "SYN" => flags.syn = true,
            "ACK" => flags.ack = true,
            "FIN" => flags.fin = true,
            "RST" => flags.rst = true,
            "PSH" => flags.psh = true,
            other => panic!("unknown flag {other}"),
        }
    }
    flags
}

/// One expected TCP segment: flags, relative seq and ack, payload length,
/// and whether it goes forward (from the client that sent the SYN).
type Expected = (&'static str, u32, u32, u32, bool);

fn check_tcp(name: &str, expected: &[Expected]) {
    let seen = follow(name);
    assert_eq!(seen.len(), expected.len(), "{name}: packet count");
    for (i, ((packet, tracked), &(labels, rel_seq, rel_ack, len, forward))) in
        seen.iter().zip(expected).enumerate()
    {
        let segment = packet.tcp().unwrap();
        let what = format!("{name} frame {}", i + 1);
        assert_eq!(segment.flags, flags(labels), "{what}: flags");
        assert_eq!(tracked.rel_seq, rel_seq, "{what}: rel_seq");
        assert_eq!(tracked.rel_ack, rel_ack, "{what}: rel_ack");
        assert_eq!(segment.payload_len, len, "{what}: payload_len");
        assert_eq!(segment.payload.len(), len as usize, "{what}: payload");
        assert_eq!(tracked.forward, forward, "{what}: forward");
    }
}

#[test]
fn handshake_then_close() {
    check_tcp(
        "01-handshake",
        &[
            ("SYN", 0, 0, 0, true),
            ("SYN+ACK", 0, 1, 0, false),
            ("ACK", 1, 1, 0, true),
            ("FIN+ACK", 1, 1, 0, true),
            ("FIN+ACK", 1, 2, 0, false),
            ("ACK", 2, 2, 0, true),
        ],
    );
    let seen = follow("01-handshake");
    for (packet, tracked) in &seen {
        assert_eq!(tracked.conn, 1);
        let segment = packet.tcp().unwrap();
        if segment.flags.syn {
            assert_eq!(segment.options.mss, Some(65495));
            assert_eq!(segment.options.window_scale, Some(10));
            assert!(segment.options.sack_permitted);
            assert!(segment.options.timestamps.is_some());
            // SYNs are never scaled.
            assert_eq!(tracked.window_scaled, u32::from(segment.window));
        } else {
            assert_eq!(segment.window, 64);
            assert_eq!(tracked.window_scaled, 64 << 10);
        }
    }
    assert_eq!(seen[0].0.tcp().unwrap().window, 65495);
    assert_eq!(seen[1].0.tcp().unwrap().window, 65483);
    // tshark: frame.time_epoch 1795431089.781323614 for the SYN.
    assert_eq!(seen[0].0.ts_us, 1_795_431_089_781_323);
    assert_eq!(seen[0].0.src, "127.0.0.1:32844".parse().unwrap());
    assert_eq!(seen[0].0.dst, "127.0.0.1:38413".parse().unwrap());
}

#[test]
fn half_close_and_the_last_reply() {
    check_tcp(
        "02-close-half",
        &[
            ("SYN", 0, 0, 0, true),
            ("SYN+ACK", 0, 1, 0, false),
            ("ACK", 1, 1, 0, true),
            ("PSH+ACK", 1, 1, 10, true),
            ("ACK", 1, 11, 0, false),
            ("FIN+ACK", 11, 1, 0, true),
            ("ACK", 1, 12, 0, false),
            ("PSH+ACK", 1, 12, 3, false),
            ("ACK", 12, 4, 0, true),
            ("FIN+ACK", 4, 12, 0, false),
            ("ACK", 12, 5, 0, true),
        ],
    );
}

#[test]
fn small_sends_leave_as_separate_segments() {
    check_tcp(
        "03-sticky-small-sends",
        &[
            ("SYN", 0, 0, 0, true),
            ("SYN+ACK", 0, 1, 0, false),
            ("ACK", 1, 1, 0, true),
            ("PSH+ACK", 1, 1, 5, true),
            ("ACK", 1, 6, 0, false),
            ("PSH+ACK", 6, 1, 5, true),
            ("ACK", 1, 11, 0, false),
            ("PSH+ACK", 11, 1, 6, true),
            ("ACK", 1, 17, 0, false),
            ("FIN+ACK", 17, 1, 0, true),
            ("FIN+ACK", 1, 18, 0, false),
            ("ACK", 18, 2, 0, true),
        ],
    );
    let payloads: Vec<Vec<u8>> = follow("03-sticky-small-sends")
        .into_iter()
        .filter_map(|(packet, _)| packet.tcp().map(|segment| segment.payload.clone()))
        .filter(|payload| !payload.is_empty())
        .collect();
    // The three send() calls of 03-sticky-small-sends.calls.json.
    assert_eq!(payloads, [&b"hello"[..], b"world", b"sticky"]);
}

#[test]
fn two_clients_are_two_conversations() {
    let seen = follow("07-upper-echo-clients");
    let conns: Vec<u32> = seen.iter().map(|(_, tracked)| tracked.conn).collect();
    assert_eq!(conns, [[1; 10], [2; 10]].concat());
    // Each conversation counts from its own ISNs.
    assert_eq!((seen[10].1.rel_seq, seen[10].1.rel_ack), (0, 0));
    assert_eq!((seen[15].1.rel_seq, seen[15].1.rel_ack), (1, 14));
    assert_eq!(seen[13].0.tcp().unwrap().payload, b"second client");
    assert_eq!(seen[15].0.tcp().unwrap().payload, b"SECOND CLIENT");
}

#[test]
fn fin_versus_rst() {
    let seen = follow("08-disconnect-fin-vs-rst");
    let conns: Vec<u32> = seen.iter().map(|(_, tracked)| tracked.conn).collect();
    assert_eq!(conns, [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
    let last = &seen[10];
    assert_eq!(last.0.tcp().unwrap().flags, flags("RST+ACK"));
    assert!(last.1.forward, "the client aborts");
    assert_eq!((last.1.rel_seq, last.1.rel_ack), (1, 1));
}

#[test]
fn the_server_closes_first() {
    check_tcp(
        "09-addr-in-use",
        &[
            ("SYN", 0, 0, 0, true),
            ("SYN+ACK", 0, 1, 0, false),
            ("ACK", 1, 1, 0, true),
            ("FIN+ACK", 1, 1, 0, false),
            ("ACK", 1, 2, 0, true),
            ("FIN+ACK", 1, 2, 0, true),
            ("ACK", 2, 2, 0, false),
        ],
    );
}

#[test]
fn refused_is_syn_then_rst() {
    check_tcp(
        "10-refused",
        &[("SYN", 0, 0, 0, true), ("RST+ACK", 1, 1, 0, false)],
    );
    let seen = follow("10-refused");
    // The RST carries window 0, and no handshake means no scaling.
    assert_eq!(seen[1].1.window_scaled, 0);
}

fn udp_lengths(name: &str) -> Vec<(u32, bool, u32)> {
    follow(name)
        .into_iter()
        .map(|(packet, tracked)| match packet.kind {
            PacketKind::Udp {
                payload_len,
                payload,
            } => {
                assert_eq!(payload.len(), payload_len as usize);
                assert_eq!(
                    (tracked.rel_seq, tracked.rel_ack, tracked.window_scaled),
                    (0, 0, 0)
                );
                (tracked.conn, tracked.forward, payload_len)
            }
            other => panic!("{name}: expected UDP, got {other:?}"),
        })
        .collect()
}

#[test]
fn udp_echo_is_one_conversation_both_ways() {
    assert_eq!(
        udp_lengths("11-udp-echo-and-time"),
        [(1, true, 9), (1, false, 9), (1, true, 17), (1, false, 19)]
    );
}

#[test]
fn udp_keeps_message_boundaries() {
    assert_eq!(
        udp_lengths("12-udp-boundaries"),
        [(1, true, 5), (1, true, 5), (1, true, 11)]
    );
}

#[test]
fn udp_truncation_starts_with_a_whole_20_byte_datagram() {
    assert_eq!(
        udp_lengths("13-udp-truncation"),
        [(1, true, 20), (1, true, 4)]
    );
    let seen = follow("13-udp-truncation");
    let PacketKind::Udp { payload, .. } = &seen[0].0.kind else {
        panic!("expected UDP");
    };
    assert_eq!(payload, b"twenty bytes of data");
}

#[test]
fn an_empty_datagram_is_still_a_datagram() {
    assert_eq!(udp_lengths("14-udp-empty"), [(1, true, 0), (1, true, 5)]);
}

#[test]
fn a_reused_port_after_the_close_is_a_new_conversation() {
    // The same recording twice in a row: the second SYN reuses the
    // 4-tuple (and even the ISN) after FINs both ways.
    let packets = read_file(recording("01-handshake")).unwrap();
    let mut tracker = Tracker::new();
    let first: Vec<Tracked> = packets.iter().map(|p| tracker.observe(p)).collect();
    let second: Vec<Tracked> = packets.iter().map(|p| tracker.observe(p)).collect();
    assert!(first.iter().all(|t| t.conn == 1));
    assert!(second.iter().all(|t| t.conn == 2));
    let renumbered: Vec<Tracked> = second.iter().map(|t| Tracked { conn: 1, ..*t }).collect();
    assert_eq!(renumbered, first);
}

#[test]
fn a_missing_file_is_an_error_that_names_it() {
    let error = read_file("/nonexistent/x.pcapng").unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/x.pcapng"),
        "{error}"
    );
}

/// What tshark says about one frame, and what this crate says, in the same
/// words.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    ts_us: u64,
    src: String,
    dst: String,
    /// "tcp" or "udp" plus tshark's stream number, mapped to our conn ids
    /// separately.
    transport: &'static str,
    flags: u16,
    seq: String,
    ack: String,
    rel_seq: String,
    rel_ack: String,
    window: String,
    window_scaled: String,
    payload_len: u32,
    payload_hex: String,
    mss: String,
    window_scale: String,
    sack_permitted: bool,
    timestamps: String,
}

const TSHARK_FIELDS: &[&str] = &[
    "frame.time_epoch",
    "ip.src",
    "ipv6.src",
    "tcp.srcport",
    "udp.srcport",
    "ip.dst",
    "ipv6.dst",
    "tcp.dstport",
    "udp.dstport",
    "tcp.stream",
    "udp.stream",
    "tcp.flags",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.seq",
    "tcp.ack",
    "tcp.window_size_value",
    "tcp.window_size",
    "tcp.len",
    "udp.length",
    "tcp.payload",
    "data.data",
    "tcp.options.mss_val",
    "tcp.options.wscale.shift",
    "tcp.options.sack_perm",
    "tcp.options.timestamp.tsval",
    "tcp.options.timestamp.tsecr",
];

/// tshark's rows, and each row's (transport, stream) for the conn check.
fn tshark_rows(name: &str) -> Vec<(Row, (String, String))> {
    let options = [
        "-o",
        "tcp.relative_sequence_numbers:TRUE",
        "-o",
        "tcp.analyze_sequence_numbers:TRUE",
    ];
    tshark_fields(&recording(name), &options, TSHARK_FIELDS)
        .into_iter()
        .map(|line| {
            let f: HashMap<&str, &str> = TSHARK_FIELDS
                .iter()
                .copied()
                .zip(line.iter().map(String::as_str))
                .collect();
            let get = |key: &str| f.get(key).copied().unwrap_or("").to_owned();
            let is_tcp = !get("tcp.srcport").is_empty();
            let ip = |v4: &str, v6: &str| {
                let v4 = get(v4);
                if v4.is_empty() {
                    format!("[{}]", get(v6))
                } else {
                    v4
                }
            };
            let port = |tcp: &str, udp: &str| if is_tcp { get(tcp) } else { get(udp) };
            let ts_us = epoch_us(&get("frame.time_epoch"));
            let payload_len = if is_tcp {
                get("tcp.len").parse().unwrap()
            } else {
                get("udp.length").parse::<u32>().unwrap() - 8
            };
            let payload_hex = if is_tcp {
                get("tcp.payload")
            } else {
                get("data.data")
            };
            let tsval = get("tcp.options.timestamp.tsval");
            let row = Row {
                ts_us,
                src: format!(
                    "{}:{}",
                    ip("ip.src", "ipv6.src"),
                    port("tcp.srcport", "udp.srcport")
                ),
                dst: format!(
                    "{}:{}",
                    ip("ip.dst", "ipv6.dst"),
                    port("tcp.dstport", "udp.dstport")
                ),
                transport: if is_tcp { "tcp" } else { "udp" },
                flags: if is_tcp {
                    u16::from_str_radix(get("tcp.flags").trim_start_matches("0x"), 16).unwrap()
                } else {
                    0
                },
                seq: get("tcp.seq_raw"),
                ack: get("tcp.ack_raw"),
                rel_seq: get("tcp.seq"),
                rel_ack: get("tcp.ack"),
                window: get("tcp.window_size_value"),
                window_scaled: get("tcp.window_size"),
                payload_len,
                payload_hex: payload_hex.replace(':', ""),
                mss: get("tcp.options.mss_val"),
                window_scale: get("tcp.options.wscale.shift"),
                sack_permitted: !get("tcp.options.sack_perm").is_empty(),
                timestamps: if tsval.is_empty() {
                    String::new()
                } else {
                    format!("{tsval}/{}", get("tcp.options.timestamp.tsecr"))
                },
            };
            let stream = if is_tcp {
                get("tcp.stream")
            } else {
                get("udp.stream")
            };
            (row, (row_transport(is_tcp), stream))
        })
        .collect()
}

fn row_transport(is_tcp: bool) -> String {
    if is_tcp { "tcp" } else { "udp" }.to_owned()
}

fn our_row(packet: &Packet, tracked: &Tracked) -> Row {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let text = |value: Option<String>| value.unwrap_or_default();
    match &packet.kind {
        PacketKind::Tcp(segment) => Row {
            ts_us: packet.ts_us,
            src: packet.src.to_string(),
            dst: packet.dst.to_string(),
            transport: "tcp",
            flags: flag_bits(segment.flags),
            seq: segment.seq.to_string(),
            ack: segment.ack.to_string(),
            rel_seq: tracked.rel_seq.to_string(),
            rel_ack: tracked.rel_ack.to_string(),
            window: segment.window.to_string(),
            window_scaled: tracked.window_scaled.to_string(),
            payload_len: segment.payload_len,
            payload_hex: hex(&segment.payload),
            mss: text(segment.options.mss.map(|v| v.to_string())),
            window_scale: text(segment.options.window_scale.map(|v| v.to_string())),
            sack_permitted: segment.options.sack_permitted,
            timestamps: text(
                segment
                    .options
                    .timestamps
                    .map(|t| format!("{}/{}", t.value, t.echo_reply)),
            ),
        },
        PacketKind::Udp {
            payload_len,
            payload,
        } => Row {
            ts_us: packet.ts_us,
            src: packet.src.to_string(),
            dst: packet.dst.to_string(),
            transport: "udp",
            flags: 0,
            seq: String::new(),
            ack: String::new(),
            rel_seq: String::new(),
            rel_ack: String::new(),
            window: String::new(),
            window_scaled: String::new(),
            payload_len: *payload_len,
            payload_hex: hex(payload),
            mss: String::new(),
            window_scale: String::new(),
            sack_permitted: false,
            timestamps: String::new(),
        },
        PacketKind::IcmpPortUnreachable => panic!("no ICMP in the recordings"),
    }
}

#[test]
fn every_field_of_every_recording_matches_tshark() {
    let names = all_recordings();
    assert_eq!(names.len(), 14);
    for name in names {
        let theirs = tshark_rows(&name);
        let ours = follow(&name);
        assert_eq!(ours.len(), theirs.len(), "{name}: packet count");
        // Our conn ids and tshark's stream numbers must pair one to one.
        let mut conn_to_stream = HashMap::new();
        let mut stream_to_conn = HashMap::new();
        for (i, ((packet, tracked), (row, stream))) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(&our_row(packet, tracked), row, "{name} frame {}", i + 1);
            assert_eq!(
                conn_to_stream.entry(tracked.conn).or_insert(stream.clone()),
                stream,
                "{name} frame {}: conn",
                i + 1
            );
            assert_eq!(
                stream_to_conn.entry(stream.clone()).or_insert(tracked.conn),
                &tracked.conn,
                "{name} frame {}: stream",
                i + 1
            );
        }
    }
}
