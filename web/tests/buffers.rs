//! The kernel's buffers and states at each step, against the reference
//! recordings: what the page draws beside each lane while it plays.

// A panic in a test is the test failing, with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::event_log;
use sockscope_shared::TcpState;
use sockscope_web::model::Model;
use sockscope_web::model::buffers::{EndView, Receive, ends_at};

fn load(name: &str) -> Model {
    Model::from_events(event_log(name))
}

/// The step that shows the event at log position `at`.
fn step_of(model: &Model, at: usize) -> usize {
    model
        .step_of(at)
        .unwrap_or_else(|| panic!("event {at} belongs to no step"))
}

/// The view of socket `socket`'s end at `step`.
fn end(model: &Model, step: usize, socket: u32) -> EndView {
    let views = ends_at(model, step);
    views
        .iter()
        .find(|v| v.socket == Some(socket))
        .cloned()
        .unwrap_or_else(|| panic!("no end for socket {socket} at step {step}: {views:#?}"))
}

fn known(view: &EndView) -> &sockscope_web::model::buffers::ReceiveBuffer {
    match &view.receive {
        Receive::Known(buffer) => buffer,
        Receive::ArrivedOnly { .. } => panic!("reads should be known: {view:#?}"),
    }
}

/// How many bytes wait in socket `socket`'s receive buffer at each of the
/// events at `positions`.
fn waiting(model: &Model, socket: u32, positions: &[usize]) -> Vec<u64> {
    positions
        .iter()
        .map(|&at| end(model, step_of(model, at), socket).waiting())
        .collect()
}

#[test]
fn three_sends_fill_one_buffer_and_one_recv_empties_it() {
    // "hello", "world", "sticky": three segments, then recv(1024).
    let model = load("03-sticky-small-sends");
    assert_eq!(waiting(&model, 3, &[7, 8, 11, 14, 17]), [0, 5, 10, 16, 0]);
    // Each segment pours its own bytes, coloured by its send().
    let third = end(&model, step_of(&model, 14), 3);
    let buffer = known(&third);
    assert_eq!(buffer.poured, Some((10, 16)));
    let colours: Vec<_> = buffer.pieces.iter().map(|p| (p.len, p.send)).collect();
    assert_eq!(colours, [(5, Some(0)), (5, Some(1)), (6, Some(2))]);
    // The recv() takes all three sends' bytes in one chunk.
    let read = end(&model, step_of(&model, 17), 3);
    let taken = known(&read).taken.clone().expect("the recv() took a chunk");
    assert_eq!(taken.bufsize, 1024);
    let sends: Vec<_> = taken.pieces.iter().map(|p| p.send).collect();
    assert_eq!(sends, [Some(0), Some(1), Some(2)]);
    assert_eq!(known(&read).read, 16);
    // Nothing waits in the client's own buffer: the server sent nothing.
    assert_eq!(end(&model, step_of(&model, 14), 2).waiting(), 0);
}

#[test]
fn a_small_buffer_takes_the_bytes_in_bites() {
    // 41 + 4 bytes arrive in two segments; recv(10), recv(10) and a
    // larger recv() take them in bites that ignore the two sends.
    let model = load("04-sticky-small-buffer");
    assert_eq!(
        waiting(&model, 3, &[8, 11, 14, 15, 16]),
        [41, 45, 35, 25, 0]
    );
    let first = end(&model, step_of(&model, 14), 3);
    let taken = known(&first).taken.clone().expect("a chunk");
    assert_eq!(taken.len(), 10);
}

#[test]
fn nothing_waits_before_the_connection_exists() {
    let model = load("03-sticky-small-sends");
    // At the listen() step only the listener exists: no connection, no end.
    assert!(ends_at(&model, step_of(&model, 2)).is_empty());
}

#[test]
fn the_close_shows_each_kernel_state_when_it_changes() {
    let model = load("03-sticky-small-sends");
    let state = |socket: u32, at: usize| {
        end(&model, step_of(&model, at), socket)
            .state
            .map(|s| s.state)
    };
    assert_eq!(state(2, 17), Some(TcpState::Established));
    // The client's FIN: FIN_WAIT_1 and the server's CLOSE_WAIT.
    assert_eq!(state(2, 19), Some(TcpState::FinWait1));
    assert_eq!(state(3, 19), Some(TcpState::CloseWait));
    // The server's FIN: LAST_ACK and TIME_WAIT, since when it entered it.
    assert_eq!(state(3, 24), Some(TcpState::LastAck));
    let time_wait = end(&model, step_of(&model, 24), 2).state.expect("a state");
    assert_eq!(time_wait.state, TcpState::TimeWait);
    assert_eq!(time_wait.since_us, model.events[26].t_us);
    // The last ACK closes the server's end, shown at that step only.
    assert_eq!(state(3, 27), Some(TcpState::Closed));
    let after = ends_at(&model, step_of(&model, 29));
    assert!(
        after.iter().all(|v| v.socket != Some(3)),
        "a closed end leaves the picture: {after:#?}"
    );
    assert!(
        after
            .iter()
            .any(|v| v.socket == Some(2) && v.state.is_some_and(|s| s.state == TcpState::TimeWait)),
        "the client's end stays, in TIME_WAIT: {after:#?}"
    );
}

#[test]
fn a_capture_file_shows_arrivals_only() {
    let mut events = event_log("03-sticky-small-sends");
    // A plain capture knows the packets, not the calls.
    events.retain(|e| {
        matches!(
            e.kind,
            sockscope_shared::EventKind::Hello(_) | sockscope_shared::EventKind::Segment(_)
        )
    });
    let model = Model::from_events(events);
    let last = model.steps.len() - 1;
    let views = ends_at(&model, last);
    assert_eq!(
        views.len(),
        2,
        "both ends of the one connection: {views:#?}"
    );
    let server = views.iter().find(|v| v.end == 1).expect("the server's end");
    match &server.receive {
        Receive::ArrivedOnly { arrived, .. } => assert_eq!(*arrived, 16),
        Receive::Known(_) => panic!("a capture has no reads: {server:#?}"),
    }
}
