//! The tutorials' experiments, driven over a real WebSocket against real
//! kernel sockets, with real peers where the lesson has one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Test code: a failure should stop the test.

mod common;

use std::{
    io::{Read, Write},
    process::{Command, Stdio},
};

use common::{Relay, data_of, errno_of};
use serde_json::json;
use sockscope_shared::{CallResult, ErrorCode, EventKind, TcpState};

#[tokio::test]
async fn three_quick_sends_come_out_of_one_recv() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (_, client, server) = page.pair().await;

    page.send(json!({"cmd": "send", "socket": client, "payload": {"text": "hello"}, "repeat": 3}))
        .await;
    for expected_offset in [0u64, 5, 10] {
        let send = page.call_on(client, "send").await;
        assert!(
            matches!(send.result, CallResult::Sent { bytes: 5 }),
            "{send:?}"
        );
        match send.call {
            sockscope_shared::Call::Send { offset, .. } => assert_eq!(offset, expected_offset),
            other => panic!("{other:?}"),
        }
    }
    // The bytes wait in the server's receive buffer until recv() is called.
    page.queued(server, 15).await;
    let id = page
        .send(json!({"cmd": "recv", "socket": server, "bufsize": 1024}))
        .await;
    let recv = page.call_result(id).await;
    assert_eq!(data_of(&recv.result), b"hellohellohello");
    assert_eq!(recv.state, Some(TcpState::Established));
}

#[tokio::test]
async fn a_small_buffer_splits_one_message_over_recvs() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (_, client, server) = page.pair().await;
    page.send(json!({"cmd": "send", "socket": client, "payload": {"text": "hello world!"}}))
        .await;
    page.queued(server, 12).await;
    let first = page
        .send(json!({"cmd": "recv", "socket": server, "bufsize": 5}))
        .await;
    let second = page
        .send(json!({"cmd": "recv", "socket": server, "bufsize": 5}))
        .await;
    let third = page
        .send(json!({"cmd": "recv", "socket": server, "bufsize": 5}))
        .await;
    let first = page.call_result(first).await;
    let second = page.call_result(second).await;
    let third = page.call_result(third).await;
    assert_eq!(data_of(&first.result), b"hello");
    assert_eq!(data_of(&second.result), b" worl");
    assert_eq!(data_of(&third.result), b"d!");
    assert!(matches!(second.result, CallResult::Data { offset: 5, .. }));
}

#[tokio::test]
async fn framing_puts_the_header_in_front_of_each_message() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (_, client, server) = page.pair().await;
    page.send(
        json!({"cmd": "send", "socket": client, "payload": {"text": "hi"}, "framing": "ascii4"}),
    )
    .await;
    page.send(
        json!({"cmd": "send", "socket": client, "payload": {"text": "hey"}, "framing": "u32_be"}),
    )
    .await;
    page.queued(server, 13).await;
    let id = page
        .send(json!({"cmd": "recv", "socket": server, "bufsize": 100}))
        .await;
    let recv = page.call_result(id).await;
    assert_eq!(data_of(&recv.result), b"0002hi\0\0\0\x03hey");
}

#[tokio::test]
async fn udp_truncation_reports_the_lost_bytes() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let id = page
        .send(json!({"cmd": "udp_bind", "host": "127.0.0.1", "port": 0}))
        .await;
    let bind = page.call_result(id).await;
    let port: std::net::SocketAddr = bind.local.unwrap().parse().unwrap();
    let receiver = bind.socket;

    // A real peer outside the relay sends the datagram.
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"0123456789", port).unwrap();
    let id = page
        .send(json!({"cmd": "recv_from", "socket": receiver, "bufsize": 4}))
        .await;
    let recv = page.call_result(id).await;
    assert_eq!(data_of(&recv.result), b"0123");
    assert!(
        matches!(
            recv.result,
            CallResult::Datagram {
                datagram_len: 10,
                ..
            }
        ),
        "{recv:?}"
    );
    assert_eq!(recv.result.truncated_bytes(), 6);
}

#[tokio::test]
async fn an_empty_udp_datagram_still_arrives() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let id = page
        .send(json!({"cmd": "udp_bind", "host": "127.0.0.1", "port": 0}))
        .await;
    let a = page.call_result(id).await;
    let a_port: std::net::SocketAddr = a.local.unwrap().parse().unwrap();
    let id = page
        .send(json!({"cmd": "udp_bind", "host": "127.0.0.1", "port": 0}))
        .await;
    let b = page.call_result(id).await.socket;

    let id = page
        .send(json!({"cmd": "send_to", "socket": b, "host": "127.0.0.1", "port": a_port.port(), "payload": {"text": ""}}))
        .await;
    let sent = page.call_result(id).await;
    assert!(
        matches!(sent.result, CallResult::Sent { bytes: 0 }),
        "{sent:?}"
    );
    let id = page
        .send(json!({"cmd": "recv_from", "socket": a.socket, "bufsize": 1024}))
        .await;
    let recv = page.call_result(id).await;
    assert!(
        matches!(&recv.result, CallResult::Datagram { data, datagram_len: 0, .. } if data.is_empty()),
        "{recv:?}"
    );
}

#[tokio::test]
async fn connect_to_a_closed_port_is_refused() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    // Bind then drop to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let id = page
        .send(json!({"cmd": "tcp_connect", "host": "127.0.0.1", "port": port}))
        .await;
    let connect = page.call_result(id).await;
    assert_eq!(errno_of(&connect.result), "ECONNREFUSED");
    match connect.result {
        CallResult::Error(err) => assert!(err.message.contains(&port.to_string()), "{err:?}"),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn listen_on_a_port_in_use_is_eaddrinuse() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let id = page
        .send(json!({"cmd": "tcp_listen", "host": "127.0.0.1", "port": port}))
        .await;
    let bind = page.call_result(id).await;
    assert_eq!(errno_of(&bind.result), "EADDRINUSE");
    // The session goes on: the next command works.
    let (_, other) = page.listen(false).await;
    assert_ne!(other, port);
}

#[tokio::test]
async fn a_peer_that_closes_gives_end_of_stream_and_one_that_aborts_gives_reset() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (_, client, server) = page.pair().await;
    page.send(json!({"cmd": "close", "socket": client})).await;
    let id = page
        .send(json!({"cmd": "recv", "socket": server, "bufsize": 1024}))
        .await;
    let recv = page.call_result(id).await;
    assert!(
        matches!(recv.result, CallResult::EndOfStream { offset: 0 }),
        "{recv:?}"
    );
    assert_eq!(recv.state, Some(TcpState::CloseWait));

    let (_, client, server) = page.pair().await;
    page.send(json!({"cmd": "set_option", "socket": client, "option": {"name": "linger_zero"}}))
        .await;
    page.send(json!({"cmd": "close", "socket": client})).await;
    page.call_on(client, "close").await;
    let id = page
        .send(json!({"cmd": "recv", "socket": server, "bufsize": 1024}))
        .await;
    let recv = page.call_result(id).await;
    assert_eq!(errno_of(&recv.result), "ECONNRESET");
}

#[tokio::test]
async fn half_close_then_time_wait_is_reported() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (_, client, server) = page.pair().await;
    let id = page
        .send(json!({"cmd": "shutdown", "socket": client, "how": "write"}))
        .await;
    let shutdown = page.call_result(id).await;
    assert!(matches!(shutdown.result, CallResult::Ok));
    // The peer's FIN has not come: the client waits in FIN_WAIT_2. The
    // call says so itself when the FIN's ACK came before it returned; a
    // `state` event says so when it came after.
    if shutdown.state != Some(TcpState::FinWait2) {
        page.wait_for(|e| matches!(e.kind, EventKind::State { socket, state: TcpState::FinWait2 } if socket == client))
            .await;
    }
    let id = page
        .send(json!({"cmd": "recv", "socket": server, "bufsize": 64}))
        .await;
    assert!(matches!(
        page.call_result(id).await.result,
        CallResult::EndOfStream { .. }
    ));
    // The server can still talk on its half.
    page.send(json!({"cmd": "send", "socket": server, "payload": {"text": "bye"}}))
        .await;
    let id = page
        .send(json!({"cmd": "recv", "socket": client, "bufsize": 64}))
        .await;
    assert_eq!(data_of(&page.call_result(id).await.result), b"bye");
    page.send(json!({"cmd": "close", "socket": server})).await;
    page.send(json!({"cmd": "close", "socket": client})).await;
    // The side that closed last after receiving the peer's FIN... the
    // client sent FIN first, so it is the one left in TIME_WAIT.
    page.wait_for(|e| matches!(e.kind, EventKind::State { socket, state: TcpState::TimeWait } if socket == client))
        .await;
}

#[tokio::test]
async fn a_python_client_reaches_a_listener_opened_from_the_page() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (listener, port) = page.listen(true).await;
    let script = format!(
        "import socket\ns = socket.create_connection(('127.0.0.1', {port}))\n\
         s.sendall(b'from python')\nprint(s.recv(100).decode())\ns.close()"
    );
    let mut python = Command::new("python3")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let server = page.accepted(listener).await;
    page.queued(server, 11).await;
    let id = page
        .send(json!({"cmd": "recv", "socket": server, "bufsize": 1024}))
        .await;
    assert_eq!(data_of(&page.call_result(id).await.result), b"from python");
    page.send(json!({"cmd": "send", "socket": server, "payload": {"text": "FROM PYTHON"}}))
        .await;
    // Reading the child's output blocks: keep it off the relay's runtime.
    let (out, status) = tokio::task::spawn_blocking(move || {
        let mut out = String::new();
        python
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        (out, python.wait().unwrap())
    })
    .await
    .unwrap();
    assert!(status.success());
    assert_eq!(out.trim(), "FROM PYTHON");
}

#[tokio::test]
async fn connect_reaches_a_listener_another_program_opened() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let outside = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = outside.local_addr().unwrap().port();
    let client = page.connect(port).await;
    // The handshake is done by the kernel; accept() returns at once.
    let (mut peer, _) = outside.accept().unwrap();
    peer.write_all(b"welcome").unwrap();
    let id = page
        .send(json!({"cmd": "recv", "socket": client, "bufsize": 1024}))
        .await;
    assert_eq!(data_of(&page.call_result(id).await.result), b"welcome");
}

#[tokio::test]
async fn every_bad_command_is_refused_and_the_session_goes_on() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (listener, _, stream) = page.pair().await;

    let cases = [
        (json!({"cmd": "teleport"}), ErrorCode::UnknownCommand),
        (
            json!({"cmd": "recv", "socket": "x", "bufsize": 1}),
            ErrorCode::InvalidField,
        ),
        (
            json!({"cmd": "tcp_connect", "host": "127.0.0.1", "port": 70000}),
            ErrorCode::BadPort,
        ),
        (
            json!({"cmd": "tcp_connect", "host": "127.0.0.1", "port": 0}),
            ErrorCode::BadPort,
        ),
        (
            json!({"cmd": "send", "socket": stream, "payload": {"hex": "0g"}}),
            ErrorCode::InvalidHex,
        ),
        (
            json!({"cmd": "recv", "socket": 999, "bufsize": 10}),
            ErrorCode::UnknownSocket,
        ),
        (
            json!({"cmd": "recv", "socket": listener, "bufsize": 10}),
            ErrorCode::WrongSocketKind,
        ),
        (
            json!({"cmd": "recv", "socket": stream, "bufsize": 0}),
            ErrorCode::BufsizeOutOfRange,
        ),
        (
            json!({"cmd": "recv", "socket": stream, "bufsize": 2_000_000}),
            ErrorCode::BufsizeOutOfRange,
        ),
        (
            json!({"cmd": "send", "socket": stream, "payload": {"text": "x".repeat(1_048_577)}}),
            ErrorCode::PayloadTooLarge,
        ),
        (
            json!({"cmd": "tcp_connect", "host": "192.0.2.1", "port": 80}),
            ErrorCode::TargetNotAllowed,
        ),
        (
            json!({"cmd": "tcp_connect", "host": "no-such-host.invalid", "port": 80}),
            ErrorCode::BadHost,
        ),
    ];
    for (command, code) in cases {
        let id = page.send(command.clone()).await;
        let refusal = page.refusal(id).await;
        assert_eq!(refusal.code, code, "{command}: {}", refusal.message);
        assert!(!refusal.message.is_empty());
    }
    page.send_raw("this is not json").await;
    let event = page
        .wait_for(
            |e| matches!(&e.kind, EventKind::CommandError(c) if c.code == ErrorCode::MalformedJson),
        )
        .await;
    assert!(matches!(event.kind, EventKind::CommandError(_)));

    // Still alive: a real exchange works after all of that.
    page.send(json!({"cmd": "send", "socket": stream, "payload": {"text": "ok"}}))
        .await;
    page.call_on(stream, "send").await;
}

#[tokio::test]
async fn closing_the_page_closes_its_sockets() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (_, port) = page.listen(false).await;
    drop(page);
    // Once the session is gone the port is free again: a plain bind works.
    let deadline = std::time::Instant::now() + common::PATIENCE;
    loop {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "port {port} is still held"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
