//! A session on a network lab path, end to end: `set_path` builds the lab,
//! sockets open inside its namespaces, every packet is seen where it was
//! sent and where it arrived with one crossing number, the path's drops
//! are reported against those numbers, and the lab is gone with the
//! session.
//!
//! Needs root (namespaces, TUN devices, capture): without it each test
//! says so and returns.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{collections::HashMap, time::Duration};

use common::{Client, Relay, data_of};
use serde_json::json;
use sockscope_shared::{
    CallResult, ErrorCode, EventKind, PathFate, PathPreset, Segment, SegmentEvent, Tap,
    TcpAnalysis, TcpState,
};

/// One lab test at a time: they count this process's namespaces.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Whether this process may build labs; says why not.
fn may_build_labs() -> bool {
    match sockscope_lab::check_capabilities() {
        Ok(()) => true,
        Err(missing) => {
            eprintln!("skipped: {missing}");
            false
        }
    }
}

/// Moves the session to `path` and waits for the relay's answer.
async fn set_path(page: &mut Client, path: serde_json::Value) -> sockscope_shared::PathState {
    let id = page.send(path).await;
    let event = page
        .wait_for(|e| match &e.kind {
            EventKind::Path(state) => state.request == Some(id),
            EventKind::CommandError(error) => error.request == Some(id),
            _ => false,
        })
        .await;
    match event.kind {
        EventKind::Path(state) => *state,
        other => panic!("set_path was refused: {other:?}"),
    }
}

/// Listens on the lab's server, connects from its client, accepts:
/// (listener, client, server side).
async fn lab_pair(page: &mut Client, port: u16) -> (u32, u32, u32) {
    let id = page
        .send(json!({"cmd": "tcp_listen", "host": "10.77.0.2", "port": port, "auto_accept": true}))
        .await;
    let bind = page.call_result(id).await;
    assert!(matches!(bind.result, CallResult::Ok), "{bind:?}");
    let listen = page.call_result(id).await;
    assert!(matches!(listen.result, CallResult::Ok), "{listen:?}");
    let client = page.connect_to("10.77.0.2", port).await;
    let server = page.accepted(listen.socket).await;
    (listen.socket, client, server)
}

/// Reads from `socket` until `want` bytes came.
async fn read_all(page: &mut Client, socket: u32, want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < want {
        let recv = page.recv(socket, 65_536).await;
        let data = data_of(&recv.result);
        assert!(
            !data.is_empty(),
            "the stream ended after {} bytes",
            got.len()
        );
        got.extend(data);
    }
    got
}

/// Every segment event seen so far, taking them out of the backlog.
async fn segments_until_quiet(page: &mut Client) -> Vec<SegmentEvent> {
    // Let the last copies and reports arrive.
    while page
        .try_wait_for(&|_| false, Duration::from_millis(400))
        .await
        .is_some()
    {}
    page.seen
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Segment(segment) => Some(segment.clone()),
            _ => None,
        })
        .collect()
}

fn tcp_payload_len(segment: &SegmentEvent) -> u32 {
    segment.segment.payload_len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lan_path_carries_mss_sized_segments_seen_on_both_sides() {
    if !may_build_labs() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    // The lab of the test before is removed off the workers, after its
    // session ended: each test starts with none.
    wait_until_gone().await;
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let state = set_path(
        &mut page,
        json!({"cmd": "set_path", "path": "lan", "seed": 1}),
    )
    .await;
    assert_eq!(state.path, PathPreset::Lan);
    let lab = state.lab.expect("a lab path names its addresses");
    assert_eq!(lab.settings.mtu, 1500);
    assert_eq!(lab.server.ipv4, "10.77.0.2");
    assert_eq!(lab.client.ipv6.as_deref(), Some("fd77::1"));

    let (_, client, server) = lab_pair(&mut page, 9100).await;
    let message = "x".repeat(5000);
    page.send(json!({"cmd": "send", "socket": client, "payload": {"text": message}}))
        .await;
    let got = read_all(&mut page, server, 5000).await;
    assert_eq!(got.len(), 5000);

    let segments = segments_until_quiet(&mut page).await;
    let syn = segments
        .iter()
        .find(|s| matches!(&s.segment, Segment::Tcp { flags, .. } if flags.syn && !flags.ack))
        .expect("the SYN was captured");
    match &syn.segment {
        Segment::Tcp { options, .. } => assert_eq!(options.mss, Some(1460)),
        other => panic!("{other:?}"),
    }
    // Each packet twice, once per side, with one crossing number.
    let mut copies: HashMap<sockscope_shared::CrossingNumber, Vec<&SegmentEvent>> = HashMap::new();
    for segment in &segments {
        let crossing = segment.crossing.expect("lab segments carry a crossing");
        copies.entry(crossing).or_default().push(segment);
    }
    assert!(copies.len() >= 8, "{} crossings", copies.len());
    for (crossing, both) in &copies {
        let taps: Vec<Option<Tap>> = both.iter().map(|s| s.tap).collect();
        assert_eq!(both.len(), 2, "crossing {crossing}: {taps:?}");
        assert!(taps.contains(&Some(Tap::Client)) && taps.contains(&Some(Tap::Server)));
        assert_eq!(both[0].segment, both[1].segment, "the path changes nothing");
    }
    // The client's data crossed as MSS-sized segments, 1448 bytes with
    // timestamps, not as one 5000-byte segment as on loopback.
    let sent: Vec<u32> = segments
        .iter()
        .filter(|s| s.tap == Some(Tap::Client) && s.sender() == Some(client))
        .map(tcp_payload_len)
        .filter(|&len| len > 0)
        .collect();
    assert_eq!(sent.iter().sum::<u32>(), 5000, "{sent:?}");
    assert!(sent.iter().all(|&len| len <= 1448), "{sent:?}");
    assert!(sent.len() >= 4, "{sent:?}");

    // The close, followed in the lab's own socket table: the side that
    // closed first waits in TIME_WAIT.
    page.send(json!({"cmd": "close", "socket": client})).await;
    page.send(json!({"cmd": "close", "socket": server})).await;
    page.wait_for(|e| {
        matches!(e.kind, EventKind::State { socket, state: TcpState::TimeWait } if socket == client)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lossy_path_reports_each_drop_against_its_crossing() {
    if !may_build_labs() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    // The lab of the test before is removed off the workers, after its
    // session ended: each test starts with none.
    wait_until_gone().await;
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let (_, client, server) = {
        set_path(
            &mut page,
            json!({"cmd": "set_path", "path": "custom", "seed": 7, "mtu": 1500,
                   "client_to_server": {"loss_percent": 20}}),
        )
        .await;
        lab_pair(&mut page, 9101).await
    };
    let message = "y".repeat(40_000);
    page.send(json!({"cmd": "send", "socket": client, "payload": {"text": message}}))
        .await;
    let got = read_all(&mut page, server, 40_000).await;
    assert_eq!(
        got.len(),
        40_000,
        "TCP delivers every byte despite the loss"
    );

    let segments = segments_until_quiet(&mut page).await;
    let drops: Vec<_> = page
        .seen
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::PathDrop(drop) => Some(drop.clone()),
            _ => None,
        })
        .collect();
    let lost: Vec<_> = drops.iter().filter(|d| d.fate == PathFate::Lost).collect();
    assert!(!lost.is_empty(), "20% loss dropped nothing: {drops:?}");
    for drop in &lost {
        assert_eq!(drop.tap, Tap::Client);
        let crossing = drop.crossing.expect("a drop names its crossing");
        let taps: Vec<Option<Tap>> = segments
            .iter()
            .filter(|s| s.crossing == Some(crossing))
            .map(|s| s.tap)
            .collect();
        assert_eq!(
            taps,
            vec![Some(Tap::Client)],
            "crossing {crossing} was sent and never arrived"
        );
    }
    // Each lost segment was sent again, as Wireshark would label it.
    let resent = segments
        .iter()
        .filter(|s| s.tap == Some(Tap::Client))
        .filter(|s| {
            s.analysis.iter().any(|flag| {
                matches!(
                    flag,
                    TcpAnalysis::Retransmission | TcpAnalysis::FastRetransmission
                )
            })
        })
        .count();
    assert!(resent >= 1, "no retransmission labelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lab_keeps_to_its_addresses_and_changes_world_only_when_empty() {
    if !may_build_labs() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    // The lab of the test before is removed off the workers, after its
    // session ended: each test starts with none.
    wait_until_gone().await;
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    set_path(
        &mut page,
        json!({"cmd": "set_path", "path": "internet", "seed": 2}),
    )
    .await;
    let names = lab_names();
    assert_eq!(names.len(), 2, "a client and a server namespace: {names:?}");

    // Loopback is not in the lab.
    let id = page
        .send(json!({"cmd": "tcp_connect", "host": "127.0.0.1", "port": 9}))
        .await;
    let refusal = page.refusal(id).await;
    assert_eq!(refusal.code, ErrorCode::TargetNotAllowed);
    assert!(refusal.message.contains("10.77.0.2"), "{}", refusal.message);

    // Settings out of range are refused with their name.
    let id = page
        .send(json!({"cmd": "set_path", "path": "custom", "mtu": 100}))
        .await;
    let refusal = page.refusal(id).await;
    assert_eq!(refusal.code, ErrorCode::BadPath);
    assert!(refusal.message.contains("mtu"), "{}", refusal.message);

    // With a socket open, the lab's settings change, its world does not.
    let id = page
        .send(json!({"cmd": "udp_bind", "host": "10.77.0.2", "port": 9102}))
        .await;
    let bound = page.call_result(id).await;
    assert!(matches!(bound.result, CallResult::Ok), "{bound:?}");
    let dark = set_path(
        &mut page,
        json!({"cmd": "set_path", "path": "custom", "mtu": 1500,
               "client_to_server": {"loss_percent": 100}}),
    )
    .await;
    assert_eq!(dark.path, PathPreset::Custom);
    let id = page
        .send(json!({"cmd": "set_path", "path": "loopback"}))
        .await;
    assert_eq!(page.refusal(id).await.code, ErrorCode::PathBusy);

    page.send(json!({"cmd": "close", "socket": bound.socket}))
        .await;
    let back = set_path(&mut page, json!({"cmd": "set_path", "path": "loopback"})).await;
    assert_eq!(back.path, PathPreset::Loopback);
    assert!(back.lab.is_none());
    wait_until_gone().await;
    // Loopback works as before.
    let (_, port) = page.listen(true).await;
    page.connect(port).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lab_goes_with_its_session() {
    if !may_build_labs() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    // The lab of the test before is removed off the workers, after its
    // session ended: each test starts with none.
    wait_until_gone().await;
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    set_path(&mut page, json!({"cmd": "set_path", "path": "lan"})).await;
    lab_pair(&mut page, 9103).await;
    assert_eq!(lab_names().len(), 2);
    drop(page);
    wait_until_gone().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_path_shows_connect_waiting_and_its_rtt_in_tcp_info() {
    if !may_build_labs() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    wait_until_gone().await;
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    set_path(
        &mut page,
        json!({"cmd": "set_path", "path": "custom", "seed": 3, "mtu": 1500,
               "client_to_server": {"delay_ms": 30}, "server_to_client": {"delay_ms": 30}}),
    )
    .await;
    let id = page
        .send(json!({"cmd": "tcp_listen", "host": "10.77.0.2", "port": 9104, "auto_accept": true}))
        .await;
    page.call_result(id).await;
    page.call_result(id).await;
    let id = page
        .send(json!({"cmd": "tcp_connect", "host": "10.77.0.2", "port": 9104}))
        .await;
    // The SYN takes 30 ms to reach the server and its answer 30 more:
    // connect() waits, and says so before it returns.
    let first = page
        .wait_for(|e| match &e.kind {
            EventKind::Waiting(w) => w.request == Some(id),
            EventKind::Call(c) => c.request == Some(id),
            _ => false,
        })
        .await;
    let EventKind::Waiting(waiting) = first.kind else {
        panic!("connect returned without waiting: {first:?}");
    };
    assert_eq!(waiting.why, sockscope_shared::WaitReason::NoAnswer);
    let returned = page
        .wait_for(|e| matches!(&e.kind, EventKind::Call(c) if c.request == Some(id)))
        .await;
    let EventKind::Call(connect) = returned.kind else {
        unreachable!()
    };
    assert!(matches!(connect.result, CallResult::Ok), "{connect:?}");
    let waited_us = returned.t_us - first.t_us;
    assert!(waited_us >= 50_000, "connect waited {waited_us} µs");
    // The kernel's smoothed RTT is the path's: 60 ms and a little more.
    let info = page
        .wait_for(
            |e| matches!(&e.kind, EventKind::TcpInfo { socket, .. } if *socket == Some(connect.socket)),
        )
        .await;
    let EventKind::TcpInfo { info, .. } = info.kind else {
        unreachable!()
    };
    assert!(
        (60_000..90_000).contains(&info.rtt_us),
        "rtt {} µs over a 60 ms round trip",
        info.rtt_us
    );
}

/// The names of this process's lab namespaces.
fn lab_names() -> Vec<String> {
    names_of(std::process::id())
}

/// Waits (at most five seconds) until this process has no lab left.
async fn wait_until_gone() {
    for _ in 0..50 {
        if lab_names().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the lab outlived its use: {:?}", lab_names());
}

/// A relay in a process of its own, as a person runs it.
struct RelayProcess {
    child: std::process::Child,
    host: String,
}

impl RelayProcess {
    fn start() -> RelayProcess {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sockscope"))
            .args(["--listen", "127.0.0.1:0", "--token", "t0k"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let host = line
            .trim()
            .strip_prefix("sockscope listening on http://")
            .and_then(|url| url.split('/').next())
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        RelayProcess { child, host }
    }

    async fn page(&self) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws?token=t0k", self.host))
            .await
            .unwrap();
        let mut page = Client::from_ws(ws);
        page.wait_for(|e| matches!(e.kind, EventKind::Hello(_)))
            .await;
        page
    }

    fn names(&self) -> Vec<String> {
        names_of(self.child.id())
    }

    fn signal(&mut self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let _ = self.child.wait();
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lab namespaces of process `pid`.
fn names_of(pid: u32) -> Vec<String> {
    let prefix = format!("sockscope-{pid}-");
    std::fs::read_dir("/run/netns")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_or_a_stop_removes_the_labs_and_a_crash_is_cleaned_at_the_next_start() {
    if !may_build_labs() {
        return;
    }
    // Ctrl-C, or a service manager's stop (SIGTERM): every session ends,
    // and its lab with it.
    for stop in ["-INT", "-TERM"] {
        let mut relay = RelayProcess::start();
        let mut page = relay.page().await;
        set_path(&mut page, json!({"cmd": "set_path", "path": "lan"})).await;
        assert_eq!(relay.names().len(), 2, "{:?}", relay.names());
        relay.signal(stop);
        assert_eq!(relay.names(), Vec::<String>::new(), "after {stop}");
    }

    // A crash leaves its lab's names behind...
    let mut crashed = RelayProcess::start();
    let mut page = crashed.page().await;
    set_path(&mut page, json!({"cmd": "set_path", "path": "lan"})).await;
    let pid = crashed.child.id();
    crashed.signal("-KILL");
    assert_eq!(names_of(pid).len(), 2, "a crash skips the removal");
    // ...which the next relay removes when it starts.
    let next = RelayProcess::start();
    let _page = next.page().await;
    assert_eq!(names_of(pid), Vec::<String>::new());
}
