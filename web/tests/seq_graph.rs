//! The time-sequence graph's points are the capture's segments: each data
//! segment a bar at its time from its relative sequence number, each
//! segment of the other direction a point of the ACK line, as tshark reads
//! the same file; and over a lab path, a dropped segment and the
//! retransmission that repaired it.

// A panic in a test is the test failing, with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{capture, first, tshark};
use sockscope_shared::Transport;
use sockscope_web::capture_file;
use sockscope_web::model::Model;
use sockscope_web::model::seq_graph::{DataKind, SeqGraph};

/// `1795431092.150818000` → microseconds.
fn epoch_us(text: &str) -> u64 {
    let (seconds, fraction) = text.split_once('.').unwrap();
    let micros: String = fraction.chars().chain("000000".chars()).take(6).collect();
    seconds.parse::<u64>().unwrap() * 1_000_000 + micros.parse::<u64>().unwrap()
}

fn port(addr: &str) -> &str {
    addr.rsplit(':').next().unwrap()
}

#[test]
fn the_graphs_points_are_the_captures_segments_as_tshark_reads_them() {
    let mut checked = 0;
    for name in [
        "02-close-half",
        "03-sticky-small-sends",
        "04-sticky-small-buffer",
        "05-zfill-header",
        "06-struct-header",
        "07-upper-echo-clients",
        "08-disconnect-fin-vs-rst",
    ] {
        let path = capture(name);
        let opened = capture_file::open(&std::fs::read(&path).unwrap()).unwrap();
        let model = Model::from_events(opened.events);
        let theirs = tshark(
            &path,
            &[
                "tcp.srcport",
                "tcp.dstport",
                "tcp.seq",
                "tcp.len",
                "tcp.ack",
                "tcp.flags.ack",
                "frame.time_epoch",
            ],
        );
        for conv in &model.conversations.list {
            if conv.transport != Transport::Tcp {
                continue;
            }
            for direction in 0..2 {
                let graph = SeqGraph::of(&model, conv.id, Some(direction)).unwrap();
                let (from, to) = (
                    port(&conv.ends[direction].addr),
                    port(&conv.ends[1 - direction].addr),
                );
                let ours: Vec<(u64, u64, u64)> =
                    graph.data.iter().map(|d| (d.t_us, d.seq, d.len)).collect();
                let expected: Vec<(u64, u64, u64)> = theirs
                    .iter()
                    .filter(|p| first(p, "tcp.srcport") == from && first(p, "tcp.dstport") == to)
                    .filter(|p| first(p, "tcp.len") != "0")
                    .map(|p| {
                        (
                            epoch_us(first(p, "frame.time_epoch")),
                            first(p, "tcp.seq").parse().unwrap(),
                            first(p, "tcp.len").parse().unwrap(),
                        )
                    })
                    .collect();
                assert_eq!(
                    ours, expected,
                    "{name}: conversation {} direction {direction}",
                    conv.id
                );
                let acks: Vec<(u64, u64)> = graph.acks.iter().map(|a| (a.t_us, a.ack)).collect();
                let expected_acks: Vec<(u64, u64)> = theirs
                    .iter()
                    .filter(|p| first(p, "tcp.srcport") == to && first(p, "tcp.dstport") == from)
                    .filter(|p| matches!(first(p, "tcp.flags.ack"), "1" | "True"))
                    .map(|p| {
                        (
                            epoch_us(first(p, "frame.time_epoch")),
                            first(p, "tcp.ack").parse().unwrap(),
                        )
                    })
                    .collect();
                assert_eq!(
                    acks, expected_acks,
                    "{name}: conversation {} direction {direction}",
                    conv.id
                );
                checked += ours.len();
            }
        }
    }
    assert!(checked >= 10, "only {checked} data segments compared");
}

#[test]
fn a_dropped_segment_and_its_retransmission_over_a_lab_path() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/live/lab-internet.events.json");
    let model = Model::from_events(common::read_events(&path));
    let graphs: Vec<SeqGraph> = (0..2)
        .filter_map(|d| SeqGraph::of(&model, 0, Some(d)))
        .collect();
    let dropped: Vec<_> = graphs
        .iter()
        .flat_map(|g| g.data.iter())
        .filter(|d| d.kind == DataKind::Dropped)
        .collect();
    assert_eq!(dropped.len(), 1, "{graphs:?}");
    let lost = dropped[0];
    let again = graphs
        .iter()
        .flat_map(|g| g.data.iter())
        .find(|d| d.kind == DataKind::Retransmitted && d.seq == lost.seq)
        .unwrap_or_else(|| panic!("no retransmission of bytes {}.. after the drop", lost.seq));
    assert!(again.t_us > lost.t_us && again.len == lost.len);
    // Folded into 800 columns, every segment is still counted.
    let graph = graphs.iter().find(|g| g.data.contains(lost)).unwrap();
    let columns = graph.columns(graph.whole(), 800);
    assert_eq!(
        columns.iter().map(|c| c.segments).sum::<usize>(),
        graph.data.len()
    );
    assert!(columns.iter().any(|c| c.kind == DataKind::Dropped));
}
