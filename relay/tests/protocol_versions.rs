//! The two protocol versions as a script meets them: version 1 (JSON text
//! frames, payloads as hex) for a client that asks for nothing, version 2
//! (binary frames, payloads beside the JSON) for one that offers the
//! `sockscope.v2` subprotocol, with the same events either way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Test code.

mod common;

use std::time::Duration;

use common::{PATIENCE, Relay};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sockscope_shared::frame::{self, BINARY_SUBPROTOCOL};
use sockscope_shared::{Bytes, Call, CallResult, Event, EventKind, Segment};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One frame as it came, with its events read by the protocol crate and
/// its JSON as a tree, to look at the payloads' shape.
struct Frame {
    binary: bool,
    json: Value,
    events: Vec<Event>,
}

/// Opens a session offering `subprotocol`, and says which one the relay
/// chose.
async fn open(relay: &Relay, subprotocol: Option<&str>) -> (Ws, Option<String>) {
    let mut request = relay.ws_url().into_client_request().unwrap();
    if let Some(offer) = subprotocol {
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(offer).unwrap(),
        );
    }
    let (ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    let chosen = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .map(|v| v.to_str().unwrap().to_owned());
    (ws, chosen)
}

async fn next_frame(ws: &mut Ws) -> Frame {
    let message = tokio::time::timeout(PATIENCE, ws.next())
        .await
        .expect("a frame in time")
        .expect("the session open")
        .unwrap();
    match message {
        Message::Text(text) => Frame {
            binary: false,
            json: serde_json::from_str(&text).unwrap(),
            events: serde_json::from_str(&text).unwrap(),
        },
        Message::Binary(bytes) => {
            let (json, payloads) = frame::split_binary_frame(&bytes).unwrap();
            let events = frame::payloads_from(payloads.to_vec(), || {
                serde_json::from_slice::<Vec<Event>>(json)
            })
            .unwrap();
            Frame {
                binary: true,
                json: serde_json::from_slice(json).unwrap(),
                events,
            }
        }
        other => panic!("unexpected frame {other:?}"),
    }
}

async fn command(ws: &mut Ws, command: Value) {
    ws.send(Message::Text(command.to_string().into()))
        .await
        .unwrap();
}

/// Frames until `done` holds of the events seen so far.
async fn frames_until(ws: &mut Ws, done: impl Fn(&[Event]) -> bool) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(&events) {
        assert!(tokio::time::Instant::now() < deadline, "not done in 20 s");
        let frame = next_frame(ws).await;
        events.extend(frame.events.iter().cloned());
        frames.push(frame);
    }
    frames
}

fn hello_version(frame: &Frame) -> u32 {
    match &frame.events[0].kind {
        EventKind::Hello(hello) => hello.protocol_version,
        other => panic!("the first event is {other:?}"),
    }
}

/// A connected pair with auto-read on the server's end; returns the
/// client's socket id.
async fn pair(ws: &mut Ws) -> u32 {
    command(
        ws,
        json!({"id": 1, "cmd": "tcp_listen", "host": "127.0.0.1", "port": 0, "auto_accept": true}),
    )
    .await;
    let frames = frames_until(ws, |events| {
        events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Call(c) if matches!(c.call, Call::Listen { .. })))
    })
    .await;
    let listen = frames
        .iter()
        .flat_map(|f| &f.events)
        .find_map(|e| match &e.kind {
            EventKind::Call(c) if matches!(c.call, Call::Listen { .. }) => Some(c.clone()),
            _ => None,
        })
        .unwrap();
    let port: std::net::SocketAddr = listen.local.unwrap().parse().unwrap();
    command(
        ws,
        json!({"id": 2, "cmd": "tcp_connect", "host": "127.0.0.1", "port": port.port()}),
    )
    .await;
    let frames = frames_until(ws, |events| {
        events.iter().any(|e| matches!(&e.kind, EventKind::Call(c) if matches!(c.result, CallResult::Accepted { .. })))
            && events.iter().any(|e| matches!(&e.kind, EventKind::Call(c) if c.request == Some(2)))
    })
    .await;
    let events: Vec<&Event> = frames.iter().flat_map(|f| &f.events).collect();
    let server = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Call(c) => match c.result {
                CallResult::Accepted { new_socket, .. } => Some(new_socket),
                _ => None,
            },
            _ => None,
        })
        .unwrap();
    let client = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Call(c) if c.request == Some(2) => Some(c.socket),
            _ => None,
        })
        .unwrap();
    command(
        ws,
        json!({"id": 3, "cmd": "auto_read", "socket": server, "on": true, "bufsize": 65536}),
    )
    .await;
    client
}

/// What each recv() returned, in order.
fn recv_data<'a>(events: impl IntoIterator<Item = &'a Event>) -> impl Iterator<Item = &'a Bytes> {
    events.into_iter().filter_map(|e| match &e.kind {
        EventKind::Call(c) => match &c.result {
            CallResult::Data { data, .. } => Some(data),
            _ => None,
        },
        _ => None,
    })
}

/// What each send() passed, in order.
fn send_data<'a>(events: impl IntoIterator<Item = &'a Event>) -> impl Iterator<Item = &'a Bytes> {
    events.into_iter().filter_map(|e| match &e.kind {
        EventKind::Call(c) => match &c.call {
            Call::Send { data, .. } => Some(data),
            _ => None,
        },
        _ => None,
    })
}

/// The events of every frame, in order.
fn events_of(frames: &[Frame]) -> impl Iterator<Item = &Event> {
    frames.iter().flat_map(|f| &f.events)
}

/// The `data` of the send call events, as the JSON wrote them.
fn send_data_json(frames: &[Frame]) -> Vec<Value> {
    frames
        .iter()
        .flat_map(|f| f.json.as_array().unwrap())
        .filter(|e| e["event"] == "call" && e["call"] == "send")
        .map(|e| e["data"].clone())
        .collect()
}

#[tokio::test]
async fn a_script_that_asks_for_nothing_gets_version_1_text_with_hex() {
    let relay = Relay::start().await;
    let (mut ws, chosen) = open(&relay, None).await;
    assert_eq!(chosen, None);
    let hello = next_frame(&mut ws).await;
    assert!(!hello.binary);
    assert_eq!(hello_version(&hello), 1);

    let client = pair(&mut ws).await;
    command(
        &mut ws,
        json!({"id": 4, "cmd": "send", "socket": client, "payload": {"text": "hello"}}),
    )
    .await;
    let frames = frames_until(&mut ws, |events| {
        recv_data(events).any(|data| data == &b"hello"[..])
    })
    .await;
    assert!(frames.iter().all(|f| !f.binary), "every frame is text");
    assert_eq!(send_data_json(&frames), vec![json!("68656c6c6f")]);
}

#[tokio::test]
async fn a_client_offering_v2_gets_binary_frames_with_its_payloads_beside_the_json() {
    let relay = Relay::start().await;
    let (mut ws, chosen) = open(&relay, Some(BINARY_SUBPROTOCOL)).await;
    assert_eq!(chosen.as_deref(), Some(BINARY_SUBPROTOCOL));
    let hello = next_frame(&mut ws).await;
    assert!(hello.binary);
    assert_eq!(hello_version(&hello), 2);

    let client = pair(&mut ws).await;
    // A mebibyte of every byte value, which as hex would be two.
    let message: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7 + i / 256) as u8).collect();
    let hex: String = message.iter().map(|b| format!("{b:02x}")).collect();
    command(
        &mut ws,
        json!({"id": 5, "cmd": "send", "socket": client, "payload": {"hex": hex}}),
    )
    .await;
    let frames = frames_until(&mut ws, |events| {
        let read: usize = recv_data(events).map(Bytes::len).sum();
        // The capture hands its packets over a little after the calls.
        let carried = events.iter().any(|e| {
            matches!(&e.kind, EventKind::Segment(s)
                if matches!(&s.segment, Segment::Tcp { payload_len, .. } if *payload_len > 0))
        });
        read == message.len() && carried
    })
    .await;
    assert!(frames.iter().all(|f| f.binary), "every frame is binary");
    // Each send's payload is [start, length] in the JSON, the lengths
    // adding up to the mebibyte (however many send() calls it took).
    let lengths: Vec<u64> = send_data_json(&frames)
        .iter()
        .map(|data| {
            let pair = data
                .as_array()
                .unwrap_or_else(|| panic!("not [start, length]: {data}"));
            assert_eq!(pair.len(), 2, "{data}");
            pair[1].as_u64().unwrap()
        })
        .collect();
    assert_eq!(
        lengths.iter().sum::<u64>(),
        message.len() as u64,
        "{lengths:?}"
    );
    let sent: Vec<u8> = send_data(events_of(&frames))
        .flat_map(|d| d.iter().copied())
        .collect();
    let read: Vec<u8> = recv_data(events_of(&frames))
        .flat_map(|d| d.iter().copied())
        .collect();
    assert!(sent == message, "the send's payload is the bytes sent");
    assert!(read == message, "the recv()s read the bytes sent");
    // Segments carry their payloads the same way.
    let segment_payloads: usize = frames
        .iter()
        .flat_map(|f| f.json.as_array().unwrap())
        .filter(|e| e["event"] == "segment" && e["payload_len"].as_u64() > Some(0))
        .map(|e| {
            assert!(e["payload"].is_array(), "{e}");
            1
        })
        .sum();
    assert!(segment_payloads > 0, "data segments were captured");
}
