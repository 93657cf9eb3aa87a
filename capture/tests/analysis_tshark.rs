//! The TCP analysis (`Analyzer`) against tshark's own, frame by frame, on
//! every capture the repository holds: the fourteen lesson recordings
//! (testdata/captures), where nothing goes wrong, and the lab's lossy
//! captures (capture/tests/data, made by the lab crate's
//! `analysis_capture` example), with loss, retransmissions, duplicate
//! ACKs, SACK, a zero window and window probes, captured on each side of
//! the path.
//!
//! Each `tcp.analysis.*` field tshark prints for a frame must be exactly
//! one of the flags the analyzer gives that frame, and the other way
//! round. tshark is the judge, so it must be installed: `cargo xtask test`
//! installs it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{all_recordings, recording, tshark_fields};
use sockscope_capture::{Analyzer, read_file};
use sockscope_shared::TcpAnalysis;

/// The lab's captures, committed with the tests.
fn lab_captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "pcap" || ext == "pcapng")
        })
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        2,
        "the lab's two captures in {}",
        dir.display()
    );
    files
}

/// Fails, saying what to run, when tshark is missing.
fn require_tshark() {
    let found = Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "tshark is not installed: run `cargo xtask test`, which installs it \
         (or `sudo apt-get install tshark`)"
    );
}

/// Flag names, sorted, for one frame.
type Names = Vec<&'static str>;

/// The analyzer's flags for each packet of `path`, in file order (none for
/// UDP and ICMP).
fn ours(path: &Path) -> Vec<Names> {
    let mut analyzer = Analyzer::new();
    read_file(path)
        .unwrap()
        .iter()
        .map(|packet| {
            let mut names: Names = analyzer
                .observe(packet)
                .iter()
                .map(|flag| flag.field())
                .collect();
            names.sort_unstable();
            names.dedup();
            names
        })
        .collect()
}

/// tshark's frame number and flags for each packet of `path` that this
/// crate reads (TCP, UDP, and ICMP quoting a datagram).
fn theirs(path: &Path) -> Vec<(String, Names)> {
    let mut fields = vec!["frame.number".to_owned()];
    fields.extend(
        TcpAnalysis::ALL
            .iter()
            .map(|flag| format!("tcp.analysis.{}", flag.field())),
    );
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    tshark_fields(path, &["-Y", "tcp or udp or icmp or icmpv6"], &fields)
        .into_iter()
        .map(|row| {
            let mut names: Names = TcpAnalysis::ALL
                .iter()
                .zip(&row[1..])
                .filter(|(_, value)| !value.is_empty())
                .map(|(flag, _)| flag.field())
                .collect();
            names.sort_unstable();
            (row[0].clone(), names)
        })
        .collect()
}

/// Compares one file; returns how many frames carried each flag.
fn check(path: &Path) -> BTreeMap<&'static str, usize> {
    let ours = ours(path);
    let theirs = theirs(path);
    let name = path.display();
    assert_eq!(ours.len(), theirs.len(), "{name}: packets");
    let mut counts = BTreeMap::new();
    let mut wrong = Vec::new();
    for (our, (frame, their)) in ours.iter().zip(&theirs) {
        if our != their {
            wrong.push(format!("frame {frame}: ours {our:?}, tshark {their:?}"));
        }
        for name in their {
            *counts.entry(*name).or_default() += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "{name}: {} of {} frames disagree:\n{}",
        wrong.len(),
        theirs.len(),
        wrong.join("\n")
    );
    counts
}

#[test]
fn lesson_recordings_have_no_analysis_flags_like_tshark() {
    require_tshark();
    for name in all_recordings() {
        let counts = check(&recording(&name));
        assert!(counts.is_empty(), "{name}: {counts:?}");
    }
}

#[test]
fn lossy_lab_captures_get_the_flags_tshark_gives() {
    require_tshark();
    let mut total: BTreeMap<&'static str, usize> = BTreeMap::new();
    for path in lab_captures() {
        let counts = check(&path);
        eprintln!("{}: {counts:?}", path.display());
        for (name, count) in counts {
            *total.entry(name).or_default() += count;
        }
    }
    // The captures show what a learner should meet on a lossy path.
    for flag in [
        TcpAnalysis::Retransmission,
        TcpAnalysis::FastRetransmission,
        TcpAnalysis::DuplicateAck,
        TcpAnalysis::LostSegment,
        TcpAnalysis::ZeroWindow,
        TcpAnalysis::WindowUpdate,
        TcpAnalysis::WindowFull,
        TcpAnalysis::KeepAlive,
    ] {
        assert!(
            total.get(flag.field()).is_some_and(|&count| count > 0),
            "no frame with {}: {total:?}",
            flag.field()
        );
    }
}

/// One hand-made TCP segment over IPv4, as a raw IP frame.
fn frame(forward: bool, flags: u8, seq: u32, ack: u32, window: u16, len: usize) -> Vec<u8> {
    let (src, dst, sport, dport) = if forward {
        ([10, 0, 0, 1], [10, 0, 0, 2], 40000u16, 80u16)
    } else {
        ([10, 0, 0, 2], [10, 0, 0, 1], 80, 40000)
    };
    let total = u16::try_from(40 + len).unwrap();
    let mut bytes = vec![0x45, 0];
    bytes.extend(total.to_be_bytes());
    bytes.extend([0, 0, 0x40, 0, 64, 6, 0, 0]);
    bytes.extend(src);
    bytes.extend(dst);
    bytes.extend(sport.to_be_bytes());
    bytes.extend(dport.to_be_bytes());
    bytes.extend(seq.to_be_bytes());
    bytes.extend(ack.to_be_bytes());
    bytes.extend([0x50, flags]);
    bytes.extend(window.to_be_bytes());
    bytes.extend([0, 0, 0, 0]);
    bytes.resize(bytes.len() + len, b'x');
    bytes
}

/// A classic pcap file of raw IP frames, 100 ms apart.
fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut file = Vec::new();
    file.extend(0xa1b2_c3d4u32.to_le_bytes());
    file.extend(2u16.to_le_bytes());
    file.extend(4u16.to_le_bytes());
    file.extend([0; 8]);
    file.extend(65535u32.to_le_bytes());
    file.extend(101u32.to_le_bytes()); // LINKTYPE_RAW
    for (n, frame) in frames.iter().enumerate() {
        let n = u32::try_from(n).unwrap();
        file.extend((1_700_000_000 + n / 10).to_le_bytes());
        file.extend((n % 10 * 100_000).to_le_bytes());
        let len = u32::try_from(frame.len()).unwrap();
        file.extend(len.to_le_bytes());
        file.extend(len.to_le_bytes());
        file.extend(frame);
    }
    file
}

/// What the lab's captures cannot show (a probe of one new byte, as
/// stacks other than Linux send, and an ACK for data the capture missed),
/// in a hand-made conversation, against tshark all the same.
#[test]
fn window_probes_keep_alives_and_unseen_data_like_tshark() {
    require_tshark();
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const PSH_ACK: u8 = 0x18;
    let frames = [
        frame(true, SYN, 100, 0, 1000, 0),
        frame(false, SYN | ACK, 500, 101, 1000, 0),
        frame(true, ACK, 101, 501, 1000, 0),
        frame(true, PSH_ACK, 101, 501, 1000, 1000), // fills the window
        frame(false, ACK, 501, 1101, 0, 0),         // zero window
        frame(true, PSH_ACK, 1101, 501, 1000, 1),   // probe
        frame(false, ACK, 501, 1101, 0, 0),         // probe ACK
        frame(false, ACK, 501, 1101, 2000, 0),      // window update
        frame(true, PSH_ACK, 1101, 501, 1000, 100),
        frame(false, ACK, 501, 1201, 2000, 0),
        frame(true, ACK, 1200, 501, 1000, 0),  // keep-alive
        frame(false, ACK, 501, 1201, 2000, 0), // its ACK
        frame(false, ACK, 501, 3001, 2000, 0), // data never seen
        frame(true, PSH_ACK, 3001, 501, 1000, 100),
    ];
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("analysis-made.pcap");
    std::fs::write(&path, pcap(&frames)).unwrap();
    let counts = check(&path);
    for flag in [
        TcpAnalysis::WindowFull,
        TcpAnalysis::ZeroWindow,
        TcpAnalysis::ZeroWindowProbe,
        TcpAnalysis::ZeroWindowProbeAck,
        TcpAnalysis::WindowUpdate,
        TcpAnalysis::KeepAlive,
        TcpAnalysis::KeepAliveAck,
        TcpAnalysis::AckLostSegment,
        TcpAnalysis::LostSegment,
    ] {
        assert!(
            counts.contains_key(flag.field()),
            "no {}: {counts:?}",
            flag.field()
        );
    }
}
