//! A growing session's diagram: rows added to the last layout as events
//! arrive must be the rows a fresh layout of the whole session draws.
//!
//! Each reference recording is replayed one event at a time, as the live
//! page receives it; after each, the diagram kept from before is extended
//! when `ladder::extend` can, laid out afresh when it cannot, and compared
//! with `ladder::layout` of the whole model.

// A panic in a test is the test failing, with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{all_recordings, event_log};
use sockscope_web::model::Model;
use sockscope_web::model::ladder::{self, Ladder};

/// Replays `events` into a model, keeping a diagram as the page does; how
/// many times it was extended rather than laid out again.
fn replay(name: &str, events: Vec<sockscope_shared::Event>, batch: usize) -> usize {
    let mut model = Model::default();
    let mut kept = Ladder::default();
    let mut extended = 0;
    for (i, chunk) in events.chunks(batch).enumerate() {
        for event in chunk {
            model.apply(event.clone());
        }
        if ladder::extend(&mut kept, &model) {
            extended += 1;
        } else {
            kept = ladder::layout(&model);
        }
        let fresh = ladder::layout(&model);
        assert_eq!(
            kept.rows, fresh.rows,
            "{name}: after batch {i} of {batch}, the kept rows differ from a fresh layout"
        );
        assert_eq!(kept, fresh, "{name}: after batch {i} of {batch}");
    }
    extended
}

#[test]
fn every_recording_grown_event_by_event_draws_what_a_fresh_layout_draws() {
    let names = all_recordings();
    assert!(names.len() >= 14, "recordings missing: {names:?}");
    let mut extended = 0;
    for name in &names {
        let events = event_log(name);
        assert!(!events.is_empty(), "{name} is empty");
        extended += replay(name, events.clone(), 1);
        replay(name, events, 3);
    }
    // Most events of a lesson open, close or add sockets; the data in
    // between is what extends.
    eprintln!("extended {extended} times");
    assert!(
        extended >= 50,
        "the diagram was extended only {extended} times"
    );
}

#[test]
fn a_lab_session_grown_event_by_event_draws_what_a_fresh_layout_draws() {
    // Lab packets: each sent copy is a row and its arrival annotates it.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/live/lab-internet.events.json");
    let events = common::read_events(&path);
    replay("lab-internet", events.clone(), 1);
    replay("lab-internet", events, 7);
}

#[test]
fn a_call_that_waits_grown_event_by_event_draws_what_a_fresh_layout_draws() {
    // A recv() that waited 300 ms for data, with the kernel's counters.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/recv-waits.events.json");
    let events = common::read_events(&path);
    replay("recv-waits", events.clone(), 1);
    replay("recv-waits", events, 3);
}

#[test]
fn a_data_exchange_extends_rather_than_lays_out_again() {
    // Lesson 03: three small sends and one recv after the handshake.
    let events = event_log("03-sticky-small-sends");
    let mut model = Model::default();
    let mut kept = Ladder::default();
    let mut kinds = Vec::new();
    for event in events {
        model.apply(event);
        let grew = ladder::extend(&mut kept, &model);
        if !grew {
            kept = ladder::layout(&model);
        }
        kinds.push(grew);
    }
    let extended = kinds.iter().filter(|&&grew| grew).count();
    assert!(
        extended * 3 >= kinds.len(),
        "only {extended} of {} events extended the diagram",
        kinds.len()
    );
}
