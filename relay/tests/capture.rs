//! Segments the relay reports agree with tshark, watching the same port.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Test code: a failure should stop the test.

mod common;
#[path = "common/tshark.rs"]
mod tshark;

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

use common::{Client, Relay};
use serde_json::json;
use sockscope_shared::{
    CallResult, CaptureState, EventKind, LabAvailability, Segment, SegmentEvent,
};
use tshark::{Seen, Tshark};

/// The relay's TCP segments on `port`, in the order reported, as tshark
/// would print them.
fn relay_view(page: &Client, port: u16) -> Vec<(Seen, SegmentEvent)> {
    page.seen
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::Segment(segment) => Some(segment.clone()),
            _ => None,
        })
        .filter_map(|segment| {
            let Segment::Tcp {
                flags,
                rel_seq,
                rel_ack,
                payload_len,
                ..
            } = &segment.segment
            else {
                return None;
            };
            let src_port = segment.src.rsplit(':').next()?.parse().ok()?;
            let dst_port = segment.dst.rsplit(':').next()?.parse().ok()?;
            if src_port != port && dst_port != port {
                return None;
            }
            let bits = [
                flags.fin, flags.syn, flags.rst, flags.psh, flags.ack, flags.urg, flags.ece,
                flags.cwr,
            ];
            let flags = bits
                .iter()
                .enumerate()
                .fold(0u16, |acc, (bit, on)| acc | (u16::from(*on) << bit));
            let seen = Seen {
                src_port,
                dst_port,
                flags,
                rel_seq: *rel_seq,
                rel_ack: *rel_ack,
                len: *payload_len,
            };
            Some((seen, segment))
        })
        .collect()
}

/// Reads events until the relay has reported `count` segments on `port`.
async fn collect_segments(page: &mut Client, port: u16, count: usize) -> Vec<(Seen, SegmentEvent)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let view = relay_view(page, port);
        if view.len() >= count || tokio::time::Instant::now() > deadline {
            return view;
        }
        // Pull whatever arrives next (an impossible match just drains).
        let _ = page
            .try_wait_for(&|_| false, Duration::from_millis(50))
            .await;
    }
}

async fn assert_same_as_tshark(page: &mut Client, tshark: &Tshark, port: u16) -> Vec<SegmentEvent> {
    // Both witnesses trail the traffic a little, tshark by up to seconds on
    // a busy machine: wait until they agree on a count and it has stopped
    // growing. Every caller made traffic, so nothing seen yet is not an
    // answer (settling on two empty looks let a loaded run agree on zero).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut last = (usize::MAX, usize::MAX);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let witness = tshark.tcp().len();
        let ours = collect_segments(page, port, witness).await.len();
        let settled = (ours, witness) == last && ours == witness && ours > 0;
        if settled || tokio::time::Instant::now() > deadline {
            break;
        }
        last = (ours, witness);
    }
    let witness = tshark.tcp();
    let ours = relay_view(page, port);
    // Agreeing on nothing proves nothing: every caller made traffic.
    assert!(
        !witness.is_empty() && !ours.is_empty(),
        "no TCP packets on port {port} to compare: tshark saw {}, the relay reported {}",
        witness.len(),
        ours.len()
    );
    let ours_seen: Vec<Seen> = ours.iter().map(|(s, _)| s.clone()).collect();
    if let Some(at) =
        (0..ours_seen.len().max(witness.len())).find(|&i| ours_seen.get(i) != witness.get(i))
    {
        panic!(
            "relay and tshark disagree at packet {at} of {}/{}: relay {:?}, tshark {:?}",
            ours_seen.len(),
            witness.len(),
            ours_seen.get(at),
            witness.get(at)
        );
    }
    ours.into_iter().map(|(_, e)| e).collect()
}

/// A connected pair of the page's sockets, with tshark watching the
/// listener's port from before the connect.
struct Watched {
    tshark: Tshark,
    port: u16,
    listener: u32,
    client: u32,
    server: u32,
}

async fn watched_pair(page: &mut Client) -> Watched {
    let (listener, port) = page.listen(true).await;
    let tshark = Tshark::start(port);
    let client = page.connect(port).await;
    let server = page.accepted(listener).await;
    Watched {
        tshark,
        port,
        listener,
        client,
        server,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_sends_and_half_close_match_tshark() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let Watched {
        tshark,
        port,
        listener,
        client,
        server,
    } = watched_pair(&mut page).await;
    page.send(json!({"cmd": "send", "socket": client, "payload": {"text": "hello"}, "repeat": 3}))
        .await;
    page.queued(server, 15).await;
    page.recv(server, 1024).await;
    page.half_close(client, server).await;
    page.send(json!({"cmd": "close", "socket": server})).await;
    page.send(json!({"cmd": "close", "socket": client})).await;

    let segments = assert_same_as_tshark(&mut page, &tshark, port).await;
    // The handshake comes first, each packet once, linked to both sockets.
    let first = &segments[0];
    assert_eq!(first.sender(), Some(client));
    assert_eq!(first.receiver(), Some(listener));
    let data: Vec<&SegmentEvent> = segments
        .iter()
        .filter(|s| s.segment.payload_len() == 5)
        .collect();
    assert_eq!(data.len(), 3, "three sends, three segments on loopback");
    assert!(
        data.iter()
            .all(|s| s.sender() == Some(client) && s.receiver() == Some(server))
    );
    match &first.segment {
        Segment::Tcp { options, .. } => assert!(options.mss.is_some()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connect_shows_syn_then_rst() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tshark = Tshark::start(port);
    let id = page
        .send(json!({"cmd": "tcp_connect", "host": "127.0.0.1", "port": port}))
        .await;
    let connect = page.call_result(id).await;
    let segments = assert_same_as_tshark(&mut page, &tshark, port).await;
    assert_eq!(segments.len(), 2);
    // The refused socket names the port its SYN left from.
    let local_port = connect
        .local
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    assert!(segments[0].src.ends_with(&format!(":{local_port}")));
    assert_eq!(segments[0].sender(), Some(connect.socket));
    match (&segments[0].segment, &segments[1].segment) {
        (Segment::Tcp { flags: syn, .. }, Segment::Tcp { flags: rst, .. }) => {
            assert!(syn.syn && !syn.ack);
            assert!(rst.rst && rst.ack);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_megabyte_transfer_is_seen_whole() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let Watched {
        tshark,
        port,
        client,
        server,
        ..
    } = watched_pair(&mut page).await;
    page.send(json!({"cmd": "auto_read", "socket": server, "on": true, "bufsize": 1_048_576}))
        .await;
    let megabyte = "x".repeat(1 << 20);
    page.send(json!({"cmd": "send", "socket": client, "payload": {"text": megabyte}}))
        .await;
    // Every byte reaches the reader.
    let mut read = 0u64;
    while read < 1 << 20 {
        let recv = page.call_on(server, "recv").await;
        if let CallResult::Data { data, .. } = recv.result {
            read += data.len() as u64;
        }
    }
    let segments = assert_same_as_tshark(&mut page, &tshark, port).await;
    // Every byte was carried (a retransmission may carry some twice): the
    // data segments reach exactly one past the last byte.
    let end = segments
        .iter()
        .filter(|s| s.sender() == Some(client))
        .filter_map(|s| match s.segment {
            Segment::Tcp {
                rel_seq,
                payload_len,
                ..
            } => Some(u64::from(rel_seq) + u64::from(payload_len)),
            _ => None,
        })
        .max();
    assert_eq!(end, Some((1 << 20) + 1));
    // No packet was lost by the kernel on the way to the relay.
    let drops = page.seen.iter().any(|e| {
        matches!(e.kind, EventKind::Capture(CaptureState::Stats { dropped_by_kernel, .. }) if dropped_by_kernel > 0)
    });
    assert!(!drops);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_to_a_closed_port_shows_icmp_unreachable() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let id = page
        .send(json!({"cmd": "udp_bind", "host": "127.0.0.1", "port": 0}))
        .await;
    let sender = page.call_result(id).await.socket;
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    page.send(json!({"cmd": "send_to", "socket": sender, "host": "127.0.0.1", "port": port, "payload": {"text": "anyone?"}}))
        .await;
    let datagram = page
        .wait_for(
            |e| matches!(&e.kind, EventKind::Segment(s) if matches!(s.segment, Segment::Udp(_))),
        )
        .await;
    let icmp = page
        .wait_for(|e| matches!(&e.kind, EventKind::Segment(s) if matches!(s.segment, Segment::IcmpPortUnreachable)))
        .await;
    match (datagram.kind, icmp.kind) {
        (EventKind::Segment(d), EventKind::Segment(i)) => {
            assert_eq!(d.sender(), Some(sender));
            assert_eq!(d.segment.payload_len(), 7);
            assert_eq!(i.sender(), Some(sender), "the bounced datagram was ours");
        }
        _ => unreachable!(),
    }
}

/// The relay without CAP_NET_RAW still serves socket calls and tells the
/// page how to turn capture on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_permission_capture_is_off_and_sockets_still_work() {
    let binary = env!("CARGO_BIN_EXE_sockscope");
    let mut child = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
            binary,
            "--listen",
            "127.0.0.1:0",
            "--token",
            "t0k",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("setpriv (util-linux) must be installed");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("sockscope listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    let host = url.split('/').next().unwrap();
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{host}/ws?token=t0k"))
        .await
        .unwrap();
    let mut page = Client::from_ws(ws);
    let hello = page
        .wait_for(|e| matches!(e.kind, EventKind::Hello(_)))
        .await;
    let EventKind::Hello(hello) = hello.kind else {
        unreachable!()
    };
    match hello.capabilities.capture {
        CaptureState::Off { reason, fix } => {
            assert!(reason.contains("CAP_NET_RAW"), "{reason}");
            assert!(fix.contains("setcap cap_net_raw"), "{fix}");
            assert!(fix.contains(binary), "{fix}");
        }
        other => panic!("capture should be off without permission: {other:?}"),
    }
    // Nor may it build network labs: the hello says why and how to allow
    // it, set_path is refused with the same words, loopback goes on.
    match hello.capabilities.lab {
        Some(LabAvailability::Off { reason, fix }) => {
            assert!(reason.contains("CAP_NET_ADMIN"), "{reason}");
            assert!(fix.contains("cap_sys_admin"), "{fix}");
            assert!(fix.contains(binary), "{fix}");
        }
        other => panic!("the lab should be off without permission: {other:?}"),
    }
    let id = page
        .send(serde_json::json!({"cmd": "set_path", "path": "lan"}))
        .await;
    let refusal = page.refusal(id).await;
    assert_eq!(refusal.code, sockscope_shared::ErrorCode::LabUnavailable);
    assert!(refusal.message.contains("setcap"), "{}", refusal.message);
    let (listener, port) = page.listen(true).await;
    let client = page.connect(port).await;
    page.accepted(listener).await;
    assert!(client > listener);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_comes_before_the_segment_it_made() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (_, client, _) = page.pair().await;
    page.send(json!({"cmd": "send", "socket": client, "payload": {"text": "ping"}}))
        .await;
    let segment = page
        .wait_for(|e| matches!(&e.kind, EventKind::Segment(s) if s.segment.payload_len() == 4))
        .await;
    let send = page
        .wait_for(|e| matches!(&e.kind, EventKind::Call(c) if c.socket == client && common::call_name(&c.call) == "send"))
        .await;
    assert!(
        send.t_us <= segment.t_us,
        "send() at {} but its segment at {}",
        send.t_us,
        segment.t_us
    );
}

/// A learner's own Python server and client, watched by port: their
/// segments arrive with no socket ids, since sockscope owns neither end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_a_port_shows_programs_sockscope_did_not_start() {
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let id = page.send(json!({"cmd": "watch", "ports": [port]})).await;
    // A refusal would arrive at once; silence means the watch is in force.
    assert!(
        page.try_wait_for(
            &|e| matches!(&e.kind, EventKind::CommandError(c) if c.request == Some(id)),
            Duration::from_millis(200)
        )
        .await
        .is_none()
    );
    let script = format!(
        "import socket, threading\n\
         srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
         srv.bind(('127.0.0.1', {port})); srv.listen(1)\n\
         def serve():\n    c, _ = srv.accept(); c.sendall(c.recv(100).upper()); c.close()\n\
         t = threading.Thread(target=serve); t.start()\n\
         cli = socket.create_connection(('127.0.0.1', {port})); cli.sendall(b'watch me')\n\
         print(cli.recv(100).decode()); cli.close(); t.join()"
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args(["-c", &script])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "WATCH ME");
    let segments = collect_segments(&mut page, port, 6).await;
    assert!(segments.len() >= 6, "{} segments", segments.len());
    let (first, event) = &segments[0];
    assert_eq!(first.flags, 0x002, "the first is the SYN");
    assert_eq!(event.from_socket, None);
    assert_eq!(event.to_socket, None);
    let payloads: Vec<u32> = segments
        .iter()
        .map(|(s, _)| s.len)
        .filter(|&len| len > 0)
        .collect();
    assert_eq!(payloads, vec![8, 8]);
}
