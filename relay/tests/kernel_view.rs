//! What the kernel says beside the wire: `tcp_info` events held to `ss -ti`
//! for the same socket, and calls that wait reported before they return.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Test code: a failure should stop the test.

mod common;

use std::time::Duration;

use common::{Client, Relay, data_of};
use serde_json::json;
use sockscope_shared::{CaState, Call, EventKind, TcpInfo, TcpState, WaitReason, WaitingCall};

/// The counters `ss -tin` prints for the connection from local port
/// `port`: (cwnd, mss, rtt in µs, bytes_acked).
fn ss_counters(port: u16) -> (u32, u32, u32, u64) {
    let out = std::process::Command::new("ss")
        .args([
            "-tinH",
            "state",
            "established",
            "sport",
            "=",
            &format!(":{port}"),
        ])
        .output()
        .expect("ss runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |name: &str| {
        text.split_whitespace()
            .find_map(|word| word.strip_prefix(name))
            .unwrap_or_else(|| panic!("ss printed no {name} for :{port}: {text}"))
            .to_string()
    };
    let rtt_ms: f64 = field("rtt:").split('/').next().unwrap().parse().unwrap();
    (
        field("cwnd:").parse().unwrap(),
        field("mss:").parse().unwrap(),
        (rtt_ms * 1000.0).round() as u32,
        field("bytes_acked:").parse().unwrap(),
    )
}

/// The last `tcp_info` event of `socket` the page has seen, after waiting
/// until the socket has been quiet a while (no new event in 200 ms).
async fn settled_info(page: &mut Client, socket: u32) -> TcpInfo {
    let of_socket = |e: &sockscope_shared::Event| matches!(&e.kind, EventKind::TcpInfo { socket: s, .. } if *s == Some(socket));
    let mut last = None;
    while let Some(event) = page
        .try_wait_for(&of_socket, Duration::from_millis(200))
        .await
    {
        last = Some(event);
    }
    match last.map(|e| e.kind) {
        Some(EventKind::TcpInfo { info, .. }) => *info,
        other => panic!("no tcp_info event for socket {socket}: {other:?}"),
    }
}

#[tokio::test]
async fn tcp_info_agrees_with_ss_for_the_same_socket() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (_, client, server) = page.pair().await;
    page.send(json!({"cmd": "send", "socket": client, "payload": {"text": "z".repeat(20_000)}}))
        .await;
    page.call_on(client, "send").await;
    let info = settled_info(&mut page, client).await;
    // The SYN counts as one byte acknowledged.
    assert_eq!(info.bytes_acked, 20_001, "{info:?}");
    assert_eq!(info.state, TcpState::Established);
    assert_eq!(info.ca_state, CaState::Open);
    assert_eq!(info.snd_ssthresh, None, "no loss on loopback");
    assert!(info.rtt_us > 0 && info.snd_cwnd >= 10, "{info:?}");
    let local = page
        .recv(server, 1)
        .await
        .peer
        .expect("the server knows its peer");
    let port: std::net::SocketAddr = local.parse().unwrap();
    let (cwnd, mss, rtt_us, bytes_acked) = ss_counters(port.port());
    assert_eq!(
        (info.snd_cwnd, info.snd_mss, info.rtt_us, info.bytes_acked),
        (cwnd, mss, rtt_us, bytes_acked),
        "relay vs ss -ti, for the idle client socket"
    );
    // The receiver counts what it received.
    let received = settled_info(&mut page, server).await;
    assert_eq!(received.bytes_received, 20_000);
}

/// The `waiting` event of request `id`, and that no call event of it
/// came before.
async fn waiting_of(page: &mut Client, id: u64) -> WaitingCall {
    let event = page
        .wait_for(|e| match &e.kind {
            EventKind::Waiting(w) => w.request == Some(id),
            EventKind::Call(c) => c.request == Some(id),
            _ => false,
        })
        .await;
    match event.kind {
        EventKind::Waiting(waiting) => waiting,
        other => panic!("request {id} returned without waiting: {other:?}"),
    }
}

/// Whether a call event of request `id` arrives within `time`.
async fn returns_within(page: &mut Client, id: u64, time: Duration) -> bool {
    page.try_wait_for(
        &|e: &sockscope_shared::Event| matches!(&e.kind, EventKind::Call(c) if c.request == Some(id)),
        time,
    )
    .await
    .is_some()
}

#[tokio::test]
async fn a_recv_with_nothing_to_read_waits_until_data_comes() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (_, client, server) = page.pair().await;
    // On loopback the handshake is over inside connect(): it never waits.
    assert!(
        !page
            .seen
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Waiting(w) if w.socket == client)),
        "connect() on loopback waited"
    );
    let id = page
        .send(json!({"cmd": "recv", "socket": server, "bufsize": 1024}))
        .await;
    let waiting = waiting_of(&mut page, id).await;
    assert_eq!(waiting.socket, server);
    assert_eq!(waiting.call, Call::Recv { bufsize: 1024 });
    assert_eq!(waiting.why, WaitReason::NoData);
    assert!(!returns_within(&mut page, id, Duration::from_millis(300)).await);

    page.send(json!({"cmd": "send", "socket": client, "payload": {"text": "hi"}}))
        .await;
    let recv = page.call_result(id).await;
    assert_eq!(data_of(&recv.result), b"hi");

    // With bytes already there, recv() returns at once: no waiting event.
    page.send(json!({"cmd": "send", "socket": client, "payload": {"text": "again"}}))
        .await;
    page.queued(server, 5).await;
    let id = page
        .send(json!({"cmd": "recv", "socket": server, "bufsize": 1024}))
        .await;
    let recv = page.call_result(id).await;
    assert_eq!(data_of(&recv.result), b"again");
    assert!(
        !page
            .seen
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Waiting(w) if w.request == Some(id))),
        "a recv with data waiting does not wait"
    );
}

#[tokio::test]
async fn accept_waits_for_a_connection_and_recvfrom_for_a_datagram() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (listener, port) = page.listen(false).await;
    let id = page
        .send(json!({"cmd": "tcp_accept", "socket": listener}))
        .await;
    let waiting = waiting_of(&mut page, id).await;
    assert_eq!(
        (waiting.socket, waiting.call, waiting.why),
        (listener, Call::Accept, WaitReason::NoConnection)
    );
    assert!(!returns_within(&mut page, id, Duration::from_millis(300)).await);
    page.connect(port).await;
    page.call_result(id).await;

    let bind = page
        .send(json!({"cmd": "udp_bind", "host": "127.0.0.1", "port": 0}))
        .await;
    let bound = page.call_result(bind).await;
    let udp = bound.socket;
    let addr = bound.local.unwrap();
    let id = page
        .send(json!({"cmd": "recv_from", "socket": udp, "bufsize": 64}))
        .await;
    let waiting = waiting_of(&mut page, id).await;
    assert_eq!(
        (waiting.call, waiting.why),
        (Call::RecvFrom { bufsize: 64 }, WaitReason::NoData)
    );
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    page.send(json!({"cmd": "send_to", "socket": udp, "host": "127.0.0.1", "port": port, "payload": {"text": "dgram"}}))
        .await;
    let recv = page.call_result(id).await;
    assert_eq!(data_of(&recv.result), b"dgram");
}

#[tokio::test]
async fn a_watched_connection_of_another_program_reports_its_counters_as_ss_does() {
    use std::io::Write;
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    // Another program's connection, made here with plain std sockets.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let id = page.send(json!({"cmd": "watch", "ports": [port]})).await;
    let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (_server, _) = listener.accept().unwrap();
    client.write_all(&[b'w'; 30_000]).unwrap();
    let local = client.local_addr().unwrap().to_string();
    let peer = format!("127.0.0.1:{port}");
    // Its counters settle once all 30,000 bytes are acknowledged.
    let acked = |e: &sockscope_shared::Event| {
        matches!(&e.kind, EventKind::TcpInfo { socket: None, local: Some(l), info, .. }
            if *l == local && info.bytes_acked == 30_001)
    };
    let event = page.wait_for(acked).await;
    let EventKind::TcpInfo {
        peer: Some(seen_peer),
        info,
        ..
    } = event.kind
    else {
        unreachable!()
    };
    assert_eq!(seen_peer, peer);
    let (cwnd, mss, _, bytes_acked) = ss_counters(client.local_addr().unwrap().port());
    assert_eq!(
        (info.snd_cwnd, info.snd_mss, info.bytes_acked),
        (cwnd, mss, bytes_acked),
        "relay (sock_diag) vs ss -ti"
    );
    // The server's end is reported too, by its own addresses.
    page.wait_for(|e| {
        matches!(&e.kind, EventKind::TcpInfo { socket: None, local: Some(l), peer: Some(p), info }
            if *l == peer && *p == local && info.bytes_received == 30_000)
    })
    .await;
    // Nothing refused the watch.
    assert!(
        !page
            .seen
            .iter()
            .any(|e| matches!(&e.kind, EventKind::CommandError(c) if c.request == Some(id))),
        "{:?}",
        page.seen
    );
}

#[tokio::test]
async fn every_send_of_a_mebibyte_is_stamped_leaving_and_acknowledged() {
    use sockscope_shared::{CallResult, SendStage};
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (_, client, server) = page.pair().await;
    page.send(json!({"cmd": "auto_read", "socket": server, "on": true, "bufsize": 65536}))
        .await;
    const MIB: u64 = 1 << 20;
    page.send(
        json!({"cmd": "send", "socket": client, "payload": {"hex": "61".repeat(MIB as usize)}}),
    )
    .await;
    // The send() calls the relay made, until the whole mebibyte was taken.
    let mut ends = Vec::new();
    while ends.last() != Some(&MIB) {
        let send = page.call_on(client, "send").await;
        let (Call::Send { offset, .. }, CallResult::Sent { bytes }) = (&send.call, &send.result)
        else {
            panic!("{send:?}");
        };
        ends.push(offset + bytes);
    }
    assert!(!ends.is_empty());
    // Each one's last byte, stamped twice: handed to the device, then
    // covered by the peer's ACK.
    for stage in [SendStage::Sent, SendStage::Acked] {
        for &end in &ends {
            page.wait_for(|e| {
                matches!(e.kind, EventKind::SendTime { socket, end: e_end, stage: s }
                    if socket == client && e_end == end && s == stage)
            })
            .await;
        }
    }
    // And no stamp names a byte no send ended at.
    let strays: Vec<_> = page
        .seen
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::SendTime { end, .. } if !ends.contains(&end) => Some(end),
            _ => None,
        })
        .collect();
    assert!(
        strays.is_empty(),
        "stamps for {strays:?}, sends ended at {ends:?}"
    );
}
