//! A capture of 100,000 packets: it must open, fold into the model and lay
//! out the diagram in time linear in its size (a quadratic step at this
//! size takes minutes, which the time bound catches even in a debug build).
//!
//! The file is written to `target/.../tmp/capture-file/large-100k.pcapng`
//! too, for trying the page by hand.

// Helpers outside #[test] functions panic on purpose too: here a panic is
// a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::scratch;
use sockscope_shared::{
    Bytes, Direction, Event, EventKind, Segment, SegmentEvent, TcpFlags, TcpOptions,
};
use sockscope_web::capture_file::job::{self, Job, Opening, Step};
use sockscope_web::capture_file::{self, export};
use sockscope_web::i18n::capture::note_text;
use sockscope_web::model::Model;
use sockscope_web::model::describe::Numbers;
use sockscope_web::model::kept::Keeping;
use sockscope_web::model::ladder;

const CONNECTIONS: u32 = 10;
const PER_CONNECTION: u32 = 10_000;

/// Ten connections, one after another, each a handshake, 4,997 ten-byte
/// requests each ACKed, and a three-segment close.
fn large_session() -> Vec<Event> {
    let mut events = Vec::new();
    let mut t_us = 1_795_431_092_000_000u64;
    let mut push = |conn: u32, forward: bool, flags: &str, seq: u32, ack: u32, len: u32| {
        let client = format!("127.0.0.1:{}", 40_000 + conn);
        let server = "127.0.0.1:9527".to_string();
        let (src, dst) = if forward {
            (client, server)
        } else {
            (server, client)
        };
        let has = |f: &str| flags.split('+').any(|x| x == f);
        t_us += 10;
        events.push(Event {
            index: events.len() as u64,
            t_us,
            kind: EventKind::Segment(SegmentEvent {
                conn,
                src: src.into(),
                dst: dst.into(),
                direction: if forward {
                    Direction::Forward
                } else {
                    Direction::Reverse
                },
                from_socket: None,
                to_socket: None,
                tap: None,
                crossing: None,
                analysis: sockscope_shared::TcpAnalyses::NONE,
                segment: Segment::Tcp {
                    flags: TcpFlags {
                        syn: has("SYN"),
                        ack: has("ACK"),
                        fin: has("FIN"),
                        psh: has("PSH"),
                        ..TcpFlags::default()
                    },
                    seq,
                    ack,
                    rel_seq: 0,
                    rel_ack: 0,
                    window: 512,
                    window_scaled: 512,
                    options: TcpOptions::default(),
                    payload_len: len,
                    payload: Bytes::from(vec![b'a' + (seq % 26) as u8; len as usize]),
                },
            }),
        });
    };
    for conn in 1..=CONNECTIONS {
        let (c, s) = (conn * 1_000_000, 7_000_000u32);
        push(conn, true, "SYN", c, 0, 0);
        push(conn, false, "SYN+ACK", s, c + 1, 0);
        push(conn, true, "ACK", c + 1, s + 1, 0);
        let requests = (PER_CONNECTION - 6) / 2;
        for k in 0..requests {
            let at = c + 1 + k * 10;
            push(conn, true, "PSH+ACK", at, s + 1, 10);
            push(conn, false, "ACK", s + 1, at + 10, 0);
        }
        let end = c + 1 + requests * 10;
        push(conn, true, "FIN+ACK", end, s + 1, 0);
        push(conn, false, "FIN+ACK", s + 1, end + 1, 0);
        push(conn, true, "ACK", end + 1, s + 2, 0);
    }
    events
}

#[test]
fn a_hundred_thousand_packets_open_and_lay_out_in_linear_time() {
    let events = large_session();
    let packets = (CONNECTIONS * PER_CONNECTION) as usize;
    assert_eq!(events.len(), packets);
    let bytes = export::pcapng(&events).unwrap();
    std::fs::write(scratch("large-100k.pcapng"), &bytes).unwrap();

    let started = Instant::now();
    let opened = capture_file::open(&bytes).unwrap();
    let opening = started.elapsed();
    let model = Model::from_events(opened.events);
    let modelling = started.elapsed() - opening;
    let diagram = ladder::layout(&model);
    let total = started.elapsed();
    eprintln!("open {opening:?}, model {modelling:?}, total with layout {total:?}");

    assert_eq!(diagram.rows.len(), packets, "one row per packet");
    assert_eq!(diagram.lanes.len(), 11, "ten clients and the server");
    assert_eq!(model.conversations.list.len(), 10);
    let last = diagram.rows.last().unwrap();
    assert!(
        matches!(last.kind, ladder::RowKind::Packet { .. })
            && last.label(&model, Numbers::Relative) == "ACK seq=49972 ack=2",
        "{:?}",
        last.kind
    );
    // Generous for a debug build on a slow machine; a quadratic step takes
    // minutes here.
    assert!(total < Duration::from_secs(60), "took {total:?}");
}

#[test]
fn the_file_worker_answers_a_hundred_thousand_packets_in_parts_the_page_puts_together() {
    let bytes = export::pcapng(&large_session()).unwrap();
    let mut answers = Vec::new();
    job::run(Job::Open, &bytes, &mut |done, part| {
        answers.push((done, part))
    });

    let parts = 100_000 / job::EVENTS_PER_PART;
    assert_eq!(answers.len(), 1 + parts, "the header, then each part");
    let mut opening = Opening::new(Keeping::default());
    let mut steps: Vec<Step> = answers
        .iter()
        .map(|(done, part)| opening.take(done.clone(), part))
        .collect();
    let Some(Step::Opened(opened)) = steps.pop() else {
        panic!("the last answer did not finish the open: {steps:?}");
    };
    assert!(steps.iter().all(|s| *s == Step::More));
    let whole = capture_file::open(&bytes).unwrap();
    assert_eq!(opened.model.events, whole.events);
    assert_eq!(
        opened.notes,
        whole.notes.iter().map(note_text).collect::<Vec<_>>()
    );
}
