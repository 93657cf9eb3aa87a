//! The model of a session on a lab path, from a hand-written event log in
//! the relay's format (`tests/live/lab-internet.events.json`): the
//! Internet path (20 ms each way), a handshake, three sends of which the
//! second is lost and sent again, a duplicate ACK the path delivered twice.
//!
//! Every packet is in the log twice, as the lab captures it (where it was
//! sent, where it arrived); the ladder must show it once, at its sending,
//! with what the path did to it.

mod common;

use std::path::Path;

use common::read_events;
use sockscope_shared::{PathFate, PathPreset, TcpAnalysis};
use sockscope_web::model::Model;
use sockscope_web::model::describe::Numbers;
use sockscope_web::model::ladder::{self, RowKind};

fn model() -> Model {
    Model::from_events(read_events(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/lab-internet.events.json"),
    ))
}

/// Each packet row's label with what the path did to it.
fn packet_rows(model: &Model) -> Vec<(String, Option<u64>, Option<PathFate>, usize)> {
    ladder::layout(model)
        .rows
        .iter()
        .filter(|row| matches!(row.kind, RowKind::Packet { .. }))
        .map(|row| {
            let mark = model.crossing_mark(row.at);
            (
                row.label(model, Numbers::Relative),
                mark.and_then(|m| m.delay_us),
                mark.and_then(|m| m.dropped),
                mark.map_or(0, |m| m.copies),
            )
        })
        .collect()
}

#[test]
fn each_packet_is_one_row_with_its_one_way_delay() {
    let model = model();
    let rows = packet_rows(&model);
    assert_eq!(rows.len(), 10, "{rows:#?}");
    assert_eq!(rows[0], ("SYN seq=0".to_string(), Some(20_100), None, 1));
    assert_eq!(
        rows[1],
        ("SYN, ACK seq=0 ack=1".to_string(), Some(20_110), None, 1)
    );
    // The two lanes are the lab's two sides, client on the left.
    let diagram = ladder::layout(&model);
    let lanes: Vec<&str> = diagram.lanes.iter().map(|l| l.addr.as_str()).collect();
    assert_eq!(lanes, ["10.77.0.1:40312", "10.77.0.2:9527"]);
}

#[test]
fn a_lost_packet_has_no_delay_and_says_why() {
    let rows = packet_rows(&model());
    let lost: Vec<_> = rows.iter().filter(|r| r.2.is_some()).collect();
    assert_eq!(
        lost,
        [&(
            "PSH, ACK seq=6 ack=1 len=5".to_string(),
            None,
            Some(PathFate::Lost),
            0
        )]
    );
}

#[test]
fn a_duplicated_packet_counts_both_arrivals() {
    let model = model();
    let rows = packet_rows(&model);
    let twice: Vec<&str> = rows
        .iter()
        .filter(|r| r.3 == 2)
        .map(|r| r.0.as_str())
        .collect();
    assert_eq!(twice, ["ACK seq=1 ack=6"]);
}

#[test]
fn analysis_flags_come_from_both_copies() {
    let model = model();
    let diagram = ladder::layout(&model);
    let flagged: Vec<(String, Vec<TcpAnalysis>)> = diagram
        .rows
        .iter()
        .map(|row| {
            (
                row.label(&model, Numbers::Relative),
                model.analysis_of(row.at).iter().collect::<Vec<_>>(),
            )
        })
        .filter(|(_, flags)| !flags.is_empty())
        .collect();
    assert_eq!(
        flagged,
        [
            // Seen only where it arrived: the receiver noticed the gap.
            (
                "PSH, ACK seq=11 ack=1 len=5".to_string(),
                vec![TcpAnalysis::LostSegment]
            ),
            (
                "ACK seq=1 ack=6".to_string(),
                vec![TcpAnalysis::DuplicateAck]
            ),
            (
                "PSH, ACK seq=6 ack=1 len=5".to_string(),
                vec![TcpAnalysis::Retransmission]
            ),
        ]
    );
}

#[test]
fn the_byte_stream_holds_each_sent_segment_once() {
    let model = model();
    let conv = &model.conversations.list[0];
    // Three sends, one lost and sent again: four data segments left the
    // client; the arrived copies add none.
    let data = conv.streams[0].wire.iter().filter(|w| w.len > 0).count();
    assert_eq!(data, 4);
    assert_eq!(model.steps.len(), 10 + 8);
}

#[test]
fn the_path_in_force_and_its_counts_are_kept() {
    let model = model();
    let state = model.path.state.as_ref().expect("a path event");
    assert_eq!(state.path, PathPreset::Internet);
    assert!(model.path.in_lab());
    assert_eq!(model.path.server_host(), "10.77.0.2");
    let counts = model.path.counts.expect("a path_stats event");
    assert_eq!(counts.client_to_server.lost, 1);
    assert_eq!(counts.server_to_client.duplicated, 1);
}
