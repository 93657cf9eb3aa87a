//! The model against a log recorded from the real relay: a listener that
//! auto-accepts, a client, `send("hello")` three times, one `recv(1024)`.
//!
//! The relay sends events in the order it learns of them, so the captured
//! handshake arrives after the `connect` and `accept` calls it belongs
//! before; `accept` reports the new connection's addresses and state; the
//! SYN names the listener as its receiver. The page must show the story in
//! the order it happened, with each socket where it belongs.

mod common;

use std::path::Path;

use common::read_events;
use sockscope_shared::TcpState;
use sockscope_web::model::Model;
use sockscope_web::model::describe::Numbers;
use sockscope_web::model::ladder;

fn model() -> Model {
    Model::from_events(read_events(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/three-hellos.events.json"),
    ))
}

#[test]
fn the_recv_chunk_holds_the_three_sends_of_the_client() {
    let model = model();
    assert_eq!(model.conversations.list.len(), 1);
    let conv = &model.conversations.list[0];
    assert_eq!(
        (conv.ends[0].socket, conv.ends[1].socket),
        (Some(2), Some(3))
    );
    let up = &conv.streams[0];
    let recv = &up.recvs[0];
    assert_eq!(recv.data, b"hellohellohello");
    assert_eq!(up.sends_in(recv.offset, 15), [0, 1, 2]);
    assert_eq!(up.wire.len(), 3);
}

#[test]
fn rows_follow_time_not_arrival() {
    let model = model();
    let diagram = ladder::layout(&model);
    let labels: Vec<String> = diagram
        .rows
        .iter()
        .map(|r| r.label(&model, Numbers::Relative))
        .collect();
    let syn = labels.iter().position(|l| l == "SYN seq=0").unwrap();
    let connect = labels
        .iter()
        .position(|l| l.starts_with("connect("))
        .unwrap();
    assert!(syn < connect, "{labels:#?}");
    let times: Vec<u64> = diagram
        .rows
        .iter()
        .map(|r| model.events[r.at].t_us)
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn accept_reports_belong_to_the_accepted_socket() {
    let model = model();
    let listener = model.sockets.get(1).unwrap();
    assert_eq!(listener.state(), Some(TcpState::Listen));
    assert_eq!(listener.peer, None);
    let accepted = model.sockets.get(3).unwrap();
    assert_eq!(accepted.state(), Some(TcpState::Established));
    assert_eq!(accepted.peer.as_deref(), Some("127.0.0.1:34121"));
}

#[test]
fn stepping_back_hides_what_happened_later() {
    let model = model();
    let recv_step = model.steps.len() - 1;
    let before = model.horizon(recv_step - 1);
    let recv_at = model.steps[recv_step];
    assert!(!model.shows(before, recv_at));
    assert!(model.shows(model.horizon(recv_step), recv_at));
    // At the first step (the bind) no packet has been seen yet.
    let first = model.horizon(0);
    let syn_at = model.conversations.list[0].segments[0];
    assert!(!model.shows(first, syn_at));
}
