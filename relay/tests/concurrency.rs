//! One slow step never holds up another socket: a name lookup that takes
//! its time, or a capture filter the capture thread is slow to apply, and
//! meanwhile a recv on another socket returns as soon as its data is
//! there.
//!
//! The slow steps are made slow on purpose, and deterministically: the
//! relay takes its resolver and its packet source from its `Config`, and
//! the stand-ins here answer only when the test opens a gate. No name is
//! looked up for real and every packet stays on loopback. The tests assert
//! order (the recv's event comes before the slow step's result, which the
//! test lets finish only after it has the recv) and, generously, that the
//! recv returned soon after its data was sent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Test code: a failure should stop the test.

mod common;

use std::{
    io,
    net::{IpAddr, Ipv4Addr},
    sync::Arc,
    time::Duration,
};

use common::{Client, Relay, data_of};
use futures_util::future::BoxFuture;
use serde_json::json;
use sockscope::{
    Config,
    segments::{PacketSource, Tap},
    session::Resolve,
};
use sockscope_capture::{CaptureEvent, Unavailable};
use sockscope_shared::{CallResult, Event, EventKind};
use tokio::sync::{mpsc, watch};

/// How long the recv may take, from its data's send to its return, while
/// the other socket's step is stuck: generous, as the point is "not held
/// up", which would mean forever.
const PROMPT_US: u64 = 2_000_000;

/// How long to wait for the session to start the slow step.
const STEP_STARTS: Duration = Duration::from_secs(5);

/// A gate a stand-in waits on until the test opens it, and a channel on
/// which the stand-in says it has started waiting.
struct Gate {
    open: watch::Sender<bool>,
    started: mpsc::UnboundedReceiver<String>,
}

#[derive(Clone, Debug)]
struct GateSide {
    open: watch::Receiver<bool>,
    started: mpsc::UnboundedSender<String>,
}

fn gate() -> (Gate, GateSide) {
    let (open_tx, open_rx) = watch::channel(false);
    let (started_tx, started_rx) = mpsc::unbounded_channel();
    let gate = Gate {
        open: open_tx,
        started: started_rx,
    };
    let side = GateSide {
        open: open_rx,
        started: started_tx,
    };
    (gate, side)
}

impl Gate {
    /// Waits until the stand-in is held at the gate, and says for what.
    async fn held(&mut self) -> String {
        tokio::time::timeout(STEP_STARTS, self.started.recv())
            .await
            .expect("the session never started the slow step")
            .expect("the stand-in is gone")
    }

    fn open(&self) {
        self.open.send_replace(true);
    }
}

impl GateSide {
    /// Says what is held, then waits for the gate to open.
    fn hold(&self, what: String) -> impl Future<Output = ()> + Send + 'static {
        let _ = self.started.send(what);
        let mut open = self.open.clone();
        async move {
            let _ = open.wait_for(|open| *open).await;
        }
    }
}

/// A resolver that knows one name, `slow.test`, for 127.0.0.1, and answers
/// only when the gate opens.
#[derive(Debug)]
struct GatedResolver(GateSide);

impl Resolve for GatedResolver {
    fn lookup(&self, name: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>> {
        let known = name == "slow.test";
        let held = self.0.hold(name.to_owned());
        Box::pin(async move {
            held.await;
            if known {
                Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)])
            } else {
                Err(io::Error::new(io::ErrorKind::NotFound, "unknown name"))
            }
        })
    }
}

/// A capture that sees no packets and applies every filter at once, except
/// a filter with `slow_port` in it, which it applies when the gate opens.
#[derive(Debug)]
struct GatedCapture {
    slow_port: u16,
    gate: GateSide,
}

struct GatedTap {
    slow_port: u16,
    gate: GateSide,
    /// Held so that the session's packet channel stays open.
    _events: mpsc::Sender<CaptureEvent>,
}

impl PacketSource for GatedCapture {
    fn probe(&self, _interface: &str) -> Result<(), Unavailable> {
        Ok(())
    }

    fn start(
        &self,
        _interface: &str,
        _payload_cap: usize,
        events: mpsc::Sender<CaptureEvent>,
    ) -> BoxFuture<'static, Result<Box<dyn Tap>, Unavailable>> {
        let tap = GatedTap {
            slow_port: self.slow_port,
            gate: self.gate.clone(),
            _events: events,
        };
        Box::pin(async move { Ok(Box::new(tap) as Box<dyn Tap>) })
    }
}

impl Tap for GatedTap {
    fn set_ports(&self, ports: &[u16]) -> BoxFuture<'static, Result<(), Unavailable>> {
        if !ports.contains(&self.slow_port) {
            return Box::pin(async { Ok(()) });
        }
        let held = self.gate.hold(format!("{ports:?}"));
        Box::pin(async move {
            held.await;
            Ok(())
        })
    }

    fn failure(&self) -> Option<Unavailable> {
        None
    }
}

/// The event that answers request `id`: its call, or its refusal.
async fn answer(page: &mut Client, id: u64) -> Event {
    page.wait_for(|e| match &e.kind {
        EventKind::Call(call) => call.request == Some(id),
        EventKind::CommandError(err) => err.request == Some(id),
        _ => false,
    })
    .await
}

/// Sends `text` from `from` and receives it on `to`, while a slow step is
/// held; returns the recv's event after checking it came promptly.
async fn recv_while_held(page: &mut Client, from: u32, to: u32, text: &str) -> Event {
    let send = page
        .send(json!({"cmd": "send", "socket": from, "payload": {"text": text}}))
        .await;
    let recv = page
        .send(json!({"cmd": "recv", "socket": to, "bufsize": 64}))
        .await;
    let sent = answer(page, send).await;
    let received = answer(page, recv).await;
    let EventKind::Call(call) = &received.kind else {
        panic!("recv was refused: {received:?}");
    };
    assert_eq!(data_of(&call.result), text.as_bytes());
    let took = received.t_us.saturating_sub(sent.t_us);
    assert!(
        took < PROMPT_US,
        "the recv returned {took} µs after its data was sent"
    );
    received
}

#[tokio::test]
async fn a_slow_name_lookup_holds_up_no_recv_on_another_socket() {
    let (mut gate, side) = gate();
    let config = Config {
        resolver: Arc::new(GatedResolver(side)),
        ..Config::for_tests()
    };
    let relay = Relay::start_with(config).await;
    let mut page = relay.client().await;
    let (listener, listener_port) = page.listen(true).await;
    let client = page.connect(listener_port).await;
    let server = page.accepted(listener).await;

    let slow = page
        .send(json!({"cmd": "tcp_connect", "host": "slow.test", "port": listener_port}))
        .await;
    assert_eq!(gate.held().await, "slow.test");

    let received = recv_while_held(&mut page, client, server, "while looking up").await;

    gate.open();
    let connected = answer(&mut page, slow).await;
    match &connected.kind {
        EventKind::Call(call) => assert!(matches!(call.result, CallResult::Ok), "{call:?}"),
        other => panic!("the slow connect was refused: {other:?}"),
    }
    assert!(received.index < connected.index);
}

/// A relay whose capture applies filters with `slow_port` only when the
/// gate opens.
async fn relay_with_gated_capture(slow_port: u16) -> (Relay, Gate) {
    let (gate, side) = gate();
    let config = Config {
        packet_source: Arc::new(GatedCapture {
            slow_port,
            gate: side,
        }),
        ..Config::for_tests()
    };
    (Relay::start_with(config).await, gate)
}

#[tokio::test]
async fn a_port_added_to_a_slow_capture_holds_up_no_recv_on_another_socket() {
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let slow_port = peer.local_addr().unwrap().port();
    let (relay, mut gate) = relay_with_gated_capture(slow_port).await;
    let mut page = relay.client().await;
    let (_, client, server) = page.pair().await;
    let bind = page
        .send(json!({"cmd": "udp_bind", "host": "127.0.0.1", "port": 0}))
        .await;
    let udp = answer(&mut page, bind).await;
    let EventKind::Call(udp) = udp.kind else {
        panic!("udp_bind was refused: {udp:?}");
    };

    // The datagram may not leave before the capture watches its port.
    let send_to = page
        .send(
            json!({"cmd": "send_to", "socket": udp.socket, "host": "127.0.0.1",
                     "port": slow_port, "payload": {"text": "later"}}),
        )
        .await;
    let held = gate.held().await;
    assert!(held.contains(&slow_port.to_string()), "{held}");

    let received = recv_while_held(&mut page, client, server, "while filtering").await;
    assert!(
        !page.seen.iter().any(|e| matches!(&e.kind,
            EventKind::Call(c) if c.request == Some(send_to))),
        "send_to ran before the capture watched its port"
    );

    gate.open();
    let sent = answer(&mut page, send_to).await;
    let EventKind::Call(call) = &sent.kind else {
        panic!("send_to was refused: {sent:?}");
    };
    assert!(
        matches!(call.result, CallResult::Sent { bytes: 5 }),
        "{call:?}"
    );
    assert!(received.index < sent.index);
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 16];
    let n = peer.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"later");
}

#[tokio::test]
async fn a_watch_on_a_slow_capture_holds_up_no_recv() {
    let (relay, mut gate) = relay_with_gated_capture(40_999).await;
    let mut page = relay.client().await;
    let (_, client, server) = page.pair().await;

    page.send(json!({"cmd": "watch", "ports": [40_999]})).await;
    let held = gate.held().await;
    assert!(held.contains("40999"), "{held}");

    recv_while_held(&mut page, client, server, "while watching").await;
    gate.open();

    // Commands after the watch still run, and the capture takes up its
    // next filter once the slow one is in force.
    let (_, client, server) = page.pair().await;
    recv_while_held(&mut page, client, server, "after").await;
}
