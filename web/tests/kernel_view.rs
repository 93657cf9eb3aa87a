//! What the kernel said beside the wire, as the page shows it: a recv()
//! that waited (a row where it began, a bar down its lane until it
//! returned) and each socket's counters (TCP_INFO) as of the player's step.
//! Read from a session the relay recorded (`tests/live/recv-waits`): a
//! server's recv(65536) waited 300 ms until the client sent 20,000 bytes.

// A panic in a test is the test failing, with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use sockscope_shared::{EventKind, WaitReason};
use sockscope_web::model::Model;
use sockscope_web::model::buffers::ends_at;
use sockscope_web::model::describe::Numbers;
use sockscope_web::model::ladder::{self, RowKind};

fn session() -> Vec<sockscope_shared::Event> {
    common::read_events(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/recv-waits.events.json"),
    )
}

/// The step of the first event that `is` picks.
fn step_of(model: &Model, is: impl Fn(&EventKind) -> bool) -> usize {
    let at = model.events.iter().position(|e| is(&e.kind)).unwrap();
    model.steps.iter().position(|&s| s == at).unwrap()
}

#[test]
fn a_recv_that_waited_is_a_row_and_a_bar_until_it_returned() {
    let model = Model::from_events(session());
    let diagram = ladder::layout(&model);
    let began = step_of(&model, |k| matches!(k, EventKind::Waiting(_)));
    let returned = step_of(
        &model,
        |k| matches!(k, EventKind::Call(c) if c.request == Some(3)),
    );
    assert!(began < returned);
    assert_eq!(diagram.waits.len(), 1, "{:?}", diagram.waits);
    let wait = &diagram.waits[0];
    assert_eq!((wait.socket, wait.why), (3, WaitReason::NoData));
    assert_eq!((wait.began, wait.returned), (began, Some(returned)));
    // On the server's lane, the lane its row sits on.
    let row = diagram.rows.iter().find(|r| r.step == began).unwrap();
    assert!(matches!(row.kind, RowKind::Waiting { socket: 3, .. }));
    assert_eq!(wait.lane, row.kind.lane());
    assert!(diagram.lanes[wait.lane.unwrap()].server);
    assert_eq!(row.label(&model, Numbers::Relative), "recv(65536) …");

    // While the session had not reached the return, the wait is open.
    let before: Vec<_> = session()
        .into_iter()
        .take_while(|e| !matches!(&e.kind, EventKind::Call(c) if c.request == Some(3)))
        .collect();
    let open = ladder::layout(&Model::from_events(before));
    assert_eq!(open.waits.len(), 1);
    assert_eq!(open.waits[0].returned, None);
}

#[test]
fn each_end_shows_its_kernels_counters_as_of_the_step() {
    let model = Model::from_events(session());
    let counters = |step: usize, socket: u32| {
        ends_at(&model, step)
            .into_iter()
            .find(|view| view.socket == Some(socket))
            .and_then(|view| view.counters)
    };
    // Before the send, the client had only its SYN acknowledged.
    let sent = step_of(
        &model,
        |k| matches!(k, EventKind::Call(c) if matches!(c.call, sockscope_shared::Call::Send { .. })),
    );
    let before = counters(sent - 1, 2).expect("the client's counters after connect()");
    assert_eq!(before.bytes_acked, 1);
    assert_eq!(before.snd_cwnd, 10);
    // At the end, all 20,000 bytes are acknowledged (and the SYN), and the
    // server's kernel received them by the time recv() returned.
    let last = model.steps.len() - 1;
    let client = counters(last, 2).unwrap();
    assert_eq!(client.bytes_acked, 20_001);
    assert_eq!(client.in_flight_bytes(), 0);
    let returned = step_of(
        &model,
        |k| matches!(k, EventKind::Call(c) if c.request == Some(3)),
    );
    assert_eq!(counters(returned, 3).unwrap().bytes_received, 20_000);
    // The client's FIN counts as one more.
    assert_eq!(counters(last, 3).unwrap().bytes_received, 20_001);
}

#[test]
fn the_send_is_stamped_leaving_and_acknowledged_after_its_call() {
    let model = Model::from_events(session());
    let (at, send) = model
        .events
        .iter()
        .enumerate()
        .find_map(|(at, e)| match &e.kind {
            EventKind::Call(c) => match &c.call {
                sockscope_shared::Call::Send { offset, data, .. } => {
                    Some((at, (c.socket, offset + data.len() as u64)))
                }
                _ => None,
            },
            _ => None,
        })
        .unwrap();
    assert_eq!(send, (2, 20_000));
    let timing = model
        .send_timings
        .get(&send)
        .expect("a send_time for the send");
    let called = model.events[at].t_us;
    let (sent, acked) = (timing.sent.unwrap().1, timing.acked.unwrap().1);
    assert!(called <= sent && sent <= acked, "{called} {sent} {acked}");
}

#[test]
fn a_call_still_waiting_when_its_socket_closes_ends_there() {
    // The same session, as if the recv() had never returned: the server's
    // close() ends its wait.
    let events: Vec<_> = session()
        .into_iter()
        .filter(|e| !matches!(&e.kind, EventKind::Call(c) if c.request == Some(3)))
        .collect();
    let model = Model::from_events(events);
    let diagram = ladder::layout(&model);
    let closed = step_of(
        &model,
        |k| matches!(k, EventKind::Call(c) if c.socket == 3 && matches!(c.call, sockscope_shared::Call::Close)),
    );
    assert_eq!(diagram.waits.len(), 1);
    assert_eq!(diagram.waits[0].returned, Some(closed));
}
