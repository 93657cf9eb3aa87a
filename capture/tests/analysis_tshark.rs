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
