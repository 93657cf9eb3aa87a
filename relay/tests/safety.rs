//! Nothing a page sends can hurt the relay, and only the user's page may
//! drive it: floods, garbage, stalled readers, remote targets (many sessions
//! are `many_sessions.rs`, alone in their process).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Test code.

mod common;

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use common::{Relay, data_of};
use proptest::prelude::*;
use serde_json::json;
use sockscope::Config;
use sockscope_shared::{ErrorCode, EventKind};

#[tokio::test]
async fn a_flood_of_commands_is_throttled_with_a_clear_error() {
    let mut config = Config::for_tests();
    config.commands_per_second = 20;
    let relay = Relay::start_with(config).await;
    let mut page = relay.client().await;
    for _ in 0..100 {
        page.send(json!({"cmd": "recv", "socket": 999, "bufsize": 1}))
            .await;
    }
    let throttled = page
        .wait_for(
            |e| matches!(&e.kind, EventKind::CommandError(c) if c.code == ErrorCode::LimitReached),
        )
        .await;
    let EventKind::CommandError(error) = throttled.kind else {
        unreachable!()
    };
    assert!(
        error.message.contains("at most 20 a second"),
        "{}",
        error.message
    );
    // After a pause the page may go on.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, port) = page.listen(true).await;
    assert!(port > 0);
}

#[tokio::test]
async fn garbage_from_one_page_does_not_disturb_another() {
    let relay = Relay::start().await;
    let mut bad = relay.client().await;
    let mut good = relay.client().await;
    for garbage in [
        "",
        "{",
        "null",
        "[]",
        "{\"cmd\": 5}",
        "\u{0}\u{1}",
        "{\"cmd\":\"send\",\"socket\":1,\"payload\":{\"hex\":\"zz\"}}",
    ] {
        bad.send_raw(garbage).await;
    }
    let (_, client, server) = good.pair().await;
    good.send(json!({"cmd": "send", "socket": client, "payload": {"text": "fine"}}))
        .await;
    good.queued(server, 4).await;
    let id = good
        .send(json!({"cmd": "recv", "socket": server, "bufsize": 10}))
        .await;
    assert_eq!(data_of(&good.call_result(id).await.result), b"fine");
    // The bad page still has its session, and was told what was wrong.
    let refused = bad
        .wait_for(
            |e| matches!(&e.kind, EventKind::CommandError(c) if c.code == ErrorCode::InvalidHex),
        )
        .await;
    assert!(matches!(refused.kind, EventKind::CommandError(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_page_costs_dropped_events_not_memory() {
    let mut config = Config::for_tests();
    config.event_queue = 64;
    config.events_per_second = 2_000;
    let relay = Relay::start_with(config).await;
    let mut page = relay.client().await;
    let (_, client, server) = page.pair().await;
    // Many one-byte recvs make many events faster than they may be sent.
    page.send(json!({"cmd": "auto_read", "socket": server, "on": true, "bufsize": 1}))
        .await;
    page.send(json!({"cmd": "send", "socket": client, "payload": {"text": "x".repeat(20_000)}}))
        .await;
    let lagged = page
        .wait_for(|e| matches!(e.kind, EventKind::Lagged { dropped } if dropped > 0))
        .await;
    assert!(matches!(lagged.kind, EventKind::Lagged { .. }));
    // Indexes stay gap-free: drops are reported, not hidden.
    let indexes: Vec<u64> = page.seen.iter().map(|e| e.index).collect();
    assert!(indexes.windows(2).all(|w| w[0] < w[1]));
}

/// A network namespace with a veth pair, removed on drop.
struct Netns {
    name: String,
}

impl Netns {
    fn create(name: &str, host: &str, inside: &str) -> Netns {
        let ip = |args: &[&str]| {
            let status = Command::new("ip").args(args).status().unwrap();
            assert!(status.success(), "ip {args:?}");
        };
        let _ = Command::new("ip")
            .args(["netns", "del", name])
            .stderr(Stdio::null())
            .status();
        ip(&["netns", "add", name]);
        let netns = Netns { name: name.into() };
        let outer = format!("{name}o");
        let inner = format!("{name}i");
        ip(&[
            "link", "add", &outer, "type", "veth", "peer", "name", &inner,
        ]);
        ip(&["link", "set", &inner, "netns", name]);
        ip(&["addr", "add", &format!("{host}/24"), "dev", &outer]);
        ip(&["link", "set", &outer, "up"]);
        ip(&[
            "netns",
            "exec",
            name,
            "ip",
            "addr",
            "add",
            &format!("{inside}/24"),
            "dev",
            &inner,
        ]);
        ip(&["netns", "exec", name, "ip", "link", "set", &inner, "up"]);
        netns
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_target_needs_allow_remote() {
    let name = format!("ss{}", std::process::id() % 100_000);
    let _netns = Netns::create(&name, "10.213.7.1", "10.213.7.2");
    let script = "import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
                  s.bind(('10.213.7.2', 9555))\ns.listen()\nprint('ready', flush=True)\n\
                  c, _ = s.accept()\nc.sendall(b'from the namespace')\nc.close()";
    let mut server = Command::new("ip")
        .args(["netns", "exec", &name, "python3", "-c", script])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.as_mut().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert_eq!(ready.trim(), "ready");

    // By default the relay refuses.
    let relay = Relay::start().await;
    let mut page = relay.client().await;
    let id = page
        .send(json!({"cmd": "tcp_connect", "host": "10.213.7.2", "port": 9555}))
        .await;
    let refusal = page.refusal(id).await;
    assert_eq!(refusal.code, ErrorCode::TargetNotAllowed);
    assert!(
        refusal.message.contains("--allow-remote"),
        "{}",
        refusal.message
    );

    // Allowed, it reaches the program in the namespace.
    let mut config = Config::for_tests();
    config.allow_remote = vec!["10.213.7.0/24".parse().unwrap()];
    let relay = Relay::start_with(config).await;
    let mut page = relay.client().await;
    let client = page.connect_to("10.213.7.2", 9555).await;
    let id = page
        .send(json!({"cmd": "recv", "socket": client, "bufsize": 100}))
        .await;
    assert_eq!(
        data_of(&page.call_result(id).await.result),
        b"from the namespace"
    );
    let _ = server.kill();
    let _ = server.wait();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Whatever text arrives, decoding returns a request or an error.
    #[test]
    fn the_decoder_never_panics_on_text(text in ".{0,200}") {
        let _ = sockscope::ws::decode_request(&text);
    }

    /// Structured garbage close to real commands is refused, not a panic.
    #[test]
    fn the_decoder_never_panics_on_near_commands(
        cmd in prop::sample::select(vec!["tcp_listen", "send", "recv", "send_to", "watch", "close", "x"]),
        socket in prop::option::of(any::<i64>()),
        port in prop::option::of(any::<i64>()),
        bufsize in prop::option::of(any::<i64>()),
        payload in prop::option::of(".{0,20}"),
        hex in any::<bool>(),
    ) {
        let mut value = json!({"cmd": cmd, "host": "127.0.0.1"});
        if let Some(socket) = socket { value["socket"] = json!(socket); }
        if let Some(port) = port { value["port"] = json!(port); }
        if let Some(bufsize) = bufsize { value["bufsize"] = json!(bufsize); }
        if let Some(payload) = payload {
            value["payload"] = if hex { json!({"hex": payload}) } else { json!({"text": payload}) };
        }
        let _ = sockscope::ws::decode_request(&value.to_string());
    }
}
