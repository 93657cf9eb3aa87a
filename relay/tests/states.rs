//! The capture crate's TCP state machine against the kernel.
//!
//! Each test drives a real connection through the relay with capture on,
//! then feeds the segments the relay reported to `sockscope_capture::
//! Connection` and holds the states it infers for each socket to the
//! states the relay read from the kernel for the same socket: the `state`
//! of its call events and its `state` events (TCP_INFO while the page
//! holds the socket, the kernel's table once it closed it).
//!
//! The kernel's reports are samples, taken every 10 ms (20 ms once
//! closed) and after each call, so they are compared as sequences of
//! distinct states, and the kernel's must be a subsequence of the
//! machine's. The machine may show more, but only the states a socket
//! holds while a segment is in flight, which a sample can miss:
//!
//! - SYN_SENT and SYN_RECV: connect() returns ESTABLISHED, and an accepted
//!   socket exists for the page only once established;
//! - FIN_WAIT_1, until the peer's ACK of the FIN (at once on loopback, or
//!   after Linux's delayed ACK of up to 40 ms: sometimes seen);
//! - LAST_ACK and CLOSING, until the last ACK.
//!
//! The states a socket keeps until the program or a timer acts
//! (ESTABLISHED, FIN_WAIT_2, CLOSE_WAIT, TIME_WAIT, CLOSED) each test
//! waits for the kernel to report before it goes on, so both witnesses
//! must show them, in the same order. A socket the page still holds when
//! its connection enters TIME_WAIT reads CLOSED through TCP_INFO (Linux
//! moves the connection to a time-wait socket and closes the one the
//! program holds); the relay then reads the connection's state from the
//! kernel's table, so the page sees TIME_WAIT, never a CLOSED before it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Test code: a failure should stop the test.

mod common;

use std::time::Duration;

use common::{Client, PATIENCE, Relay};
use serde_json::{Value, json};
use sockscope_capture::{Connection, End, to_header, to_tcp_state};
use sockscope_shared::{
    Call, CallEvent, CallResult, Direction, Event, EventKind, SegmentEvent, SocketId, TcpState,
};

/// Waits until an event matches, leaving every event in `page.seen` so the
/// whole log can be read at the end.
async fn until(page: &mut Client, what: &str, matches: impl Fn(&Event) -> bool) -> Event {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(found) = page.seen.iter().find(|e| matches(e)) {
            return found.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {what} within {PATIENCE:?}; saw:\n{}",
            page.seen
                .iter()
                .map(|e| serde_json::to_string(e).unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        );
        // An impossible match only pulls in what arrives next.
        let _ = page
            .try_wait_for(&|_| false, Duration::from_millis(20))
            .await;
    }
}

/// Sends `command` and waits for its last call event (`tcp_listen` reports
/// bind, then listen), checking it succeeded.
async fn run(page: &mut Client, command: Value, call: &str) -> CallEvent {
    let id = page.send(command).await;
    let event = until(page, call, |e| match &e.kind {
        EventKind::Call(c) => c.request == Some(id) && common::call_name(&c.call) == call,
        _ => false,
    })
    .await;
    let EventKind::Call(call) = event.kind else {
        unreachable!()
    };
    assert!(
        !matches!(call.result, CallResult::Error(_)),
        "{call:?} failed"
    );
    call
}

/// Waits until the relay reports `state` for `socket`: in a `state` event,
/// or as the state a shutdown() on that socket left it in. A call that
/// moved it there itself is followed by no `state` event
/// (docs/PROTOCOL.md): a shutdown() whose FIN the peer acknowledges before
/// it returns reports FIN_WAIT_2 at once, one that returns first reports
/// FIN_WAIT_1 and a `state` event follows.
async fn kernel_says(page: &mut Client, socket: SocketId, state: TcpState) {
    until(
        page,
        &format!("{} on socket {socket}", state.name()),
        |e| match &e.kind {
            EventKind::State {
                socket: s,
                state: t,
            } => *s == socket && *t == state,
            EventKind::Call(call) => {
                matches!(call.call, Call::Shutdown { .. })
                    && call.socket == socket
                    && call.state == Some(state)
            }
            _ => false,
        },
    )
    .await;
}

/// A connection between two of the page's sockets.
struct Pair {
    client: SocketId,
    server: SocketId,
    /// The client's address, which tells which end of the conversation
    /// each socket is.
    client_addr: String,
}

async fn pair(page: &mut Client) -> Pair {
    let listen = run(
        page,
        json!({"cmd": "tcp_listen", "host": "127.0.0.1", "port": 0, "auto_accept": true}),
        "listen",
    )
    .await;
    let port: std::net::SocketAddr = listen.local.unwrap().parse().unwrap();
    let connect = run(
        page,
        json!({"cmd": "tcp_connect", "host": "127.0.0.1", "port": port.port()}),
        "connect",
    )
    .await;
    let accept = until(page, "accept", |e| {
        matches!(&e.kind, EventKind::Call(c) if c.socket == listen.socket
            && matches!(c.result, CallResult::Accepted { .. }))
    })
    .await;
    let EventKind::Call(CallEvent {
        result: CallResult::Accepted { new_socket, .. },
        ..
    }) = accept.kind
    else {
        unreachable!()
    };
    kernel_says(page, new_socket, TcpState::Established).await;
    Pair {
        client: connect.socket,
        server: new_socket,
        client_addr: connect.local.unwrap(),
    }
}

/// Gives the relay time to report what is still in flight (its own
/// samples and the capture's last segments), then reads everything.
async fn log(page: &mut Client) -> Vec<Event> {
    let _ = page
        .try_wait_for(&|_| false, Duration::from_millis(300))
        .await;
    let mut events = page.seen.clone();
    events.sort_by_key(|e| e.index);
    events
}

/// Distinct consecutive states.
fn distinct(states: impl IntoIterator<Item = TcpState>) -> Vec<TcpState> {
    let mut out: Vec<TcpState> = Vec::new();
    for state in states {
        if out.last() != Some(&state) {
            out.push(state);
        }
    }
    out
}

/// What the relay read from the kernel for `socket`, in the order read.
fn kernel_states(events: &[Event], socket: SocketId) -> Vec<TcpState> {
    distinct(events.iter().filter_map(|e| match &e.kind {
        EventKind::Call(call) if call.socket == socket => call.state,
        EventKind::State { socket: s, state } if *s == socket => Some(*state),
        _ => None,
    }))
}

/// What the state machine infers for the end at `addr` from the relay's
/// segments of its conversation.
fn machine_states(events: &[Event], addr: &str) -> Vec<TcpState> {
    let segments: Vec<&SegmentEvent> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Segment(s) if s.src == addr || s.dst == addr => Some(s),
            _ => None,
        })
        .collect();
    assert!(!segments.is_empty(), "no segment of {addr} was captured");
    let mut connection = Connection::new();
    let mut states = Vec::new();
    let mut end = None;
    for segment in segments {
        let header = to_header(&segment.segment).expect("a TCP segment");
        let from = End::sender(segment.direction == Direction::Forward);
        let mine = if segment.src == addr {
            from
        } else {
            from.peer()
        };
        assert!(end.is_none_or(|e| e == mine), "{addr} in two conversations");
        end = Some(mine);
        connection.observe(from, &header);
        states.extend(connection.state(mine).map(to_tcp_state));
    }
    distinct(states)
}

/// The states a sample may miss: those held only while a segment is in
/// flight.
fn fleeting(state: TcpState) -> bool {
    matches!(
        state,
        TcpState::SynSent
            | TcpState::SynRecv
            | TcpState::FinWait1
            | TcpState::LastAck
            | TcpState::Closing
    )
}

/// Checks one socket: the kernel's states are the machine's, in order, but
/// for fleeting ones the samples missed.
fn check_socket(events: &[Event], socket: SocketId, addr: &str) {
    let kernel = kernel_states(events, socket);
    let machine = machine_states(events, addr);
    assert!(
        !kernel.is_empty(),
        "the relay reported no state for socket {socket}"
    );
    let mut rest = kernel.iter().peekable();
    for state in &machine {
        if rest.peek() == Some(&state) {
            rest.next();
        } else {
            assert!(
                fleeting(*state),
                "socket {socket}: the machine says {state:?}, which the kernel would have shown; \
                 kernel {kernel:?}, machine {machine:?}"
            );
        }
    }
    assert!(
        rest.peek().is_none(),
        "socket {socket}: the kernel went through {kernel:?}, the machine {machine:?}"
    );
}

fn check_pair(events: &[Event], pair: &Pair) {
    let server_addr = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Segment(s) if s.src == pair.client_addr => Some(s.dst.clone()),
            _ => None,
        })
        .expect("a segment from the client");
    check_socket(events, pair.client, &pair.client_addr);
    check_socket(events, pair.server, &server_addr);
}

fn close(socket: SocketId) -> Value {
    json!({"cmd": "close", "socket": socket})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_closes_first_and_waits() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let pair = pair(&mut page).await;
    run(&mut page, close(pair.client), "close").await;
    kernel_says(&mut page, pair.server, TcpState::CloseWait).await;
    kernel_says(&mut page, pair.client, TcpState::FinWait2).await;
    run(&mut page, close(pair.server), "close").await;
    kernel_says(&mut page, pair.client, TcpState::TimeWait).await;
    kernel_says(&mut page, pair.server, TcpState::Closed).await;
    check_pair(&log(&mut page).await, &pair);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_close_lets_the_server_answer_then_close() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let pair = pair(&mut page).await;
    run(
        &mut page,
        json!({"cmd": "shutdown", "socket": pair.client, "how": "write"}),
        "shutdown",
    )
    .await;
    kernel_says(&mut page, pair.client, TcpState::FinWait2).await;
    kernel_says(&mut page, pair.server, TcpState::CloseWait).await;
    let recv = json!({"cmd": "recv", "socket": pair.server, "bufsize": 64});
    let end = run(&mut page, recv, "recv").await;
    assert!(
        matches!(end.result, CallResult::EndOfStream { .. }),
        "{end:?}"
    );
    let bye = json!({"cmd": "send", "socket": pair.server, "payload": {"text": "bye"}});
    run(&mut page, bye, "send").await;
    let recv = json!({"cmd": "recv", "socket": pair.client, "bufsize": 64});
    assert_eq!(
        common::data_of(&run(&mut page, recv, "recv").await.result),
        b"bye"
    );
    run(&mut page, close(pair.server), "close").await;
    kernel_says(&mut page, pair.server, TcpState::Closed).await;
    // The client's socket is still open, yet its connection waits in
    // TIME_WAIT, and says so.
    kernel_says(&mut page, pair.client, TcpState::TimeWait).await;
    run(&mut page, close(pair.client), "close").await;
    let events = log(&mut page).await;
    assert!(
        !kernel_states(&events, pair.client).contains(&TcpState::Closed),
        "the client's connection is in TIME_WAIT, not closed: {:?}",
        kernel_states(&events, pair.client)
    );
    check_pair(&events, &pair);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_closes_first_and_waits() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let pair = pair(&mut page).await;
    run(&mut page, close(pair.server), "close").await;
    kernel_says(&mut page, pair.client, TcpState::CloseWait).await;
    kernel_says(&mut page, pair.server, TcpState::FinWait2).await;
    run(&mut page, close(pair.client), "close").await;
    kernel_says(&mut page, pair.server, TcpState::TimeWait).await;
    kernel_says(&mut page, pair.client, TcpState::Closed).await;
    check_pair(&log(&mut page).await, &pair);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_closes_both_sockets_at_once() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let pair = pair(&mut page).await;
    let linger =
        json!({"cmd": "set_option", "socket": pair.client, "option": {"name": "linger_zero"}});
    run(&mut page, linger, "set_option").await;
    run(&mut page, close(pair.client), "close").await;
    kernel_says(&mut page, pair.client, TcpState::Closed).await;
    kernel_says(&mut page, pair.server, TcpState::Closed).await;
    let events = log(&mut page).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Segment(s)
            if to_header(&s.segment).is_some_and(|h| h.flags.rst))),
        "the close sent no RST"
    );
    check_pair(&events, &pair);
}
