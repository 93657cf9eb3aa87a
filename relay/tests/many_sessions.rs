//! A thousand sessions, opened and closed, leave the relay as they found it:
//! no socket and no memory kept. This process runs nothing else, so its
//! file descriptors and resident memory are the relay's alone; beside other
//! tests, their allocations would count against it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Test code.

mod common;

use std::time::Duration;

use common::Relay;
use serde_json::json;

/// Open file descriptors of this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sessions_leave_no_sockets_or_memory_behind() {
    let relay = Relay::start().await;
    // Warm up allocator pools and lazily started machinery first.
    for _ in 0..20 {
        let mut page = relay.client().await;
        page.pair().await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fds_before = open_fds();
    let rss_before = rss_kib();

    let sessions = 1000;
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let share = sessions / 8 + usize::from(worker < sessions % 8);
        let relay_addr = relay.addr;
        let token = relay.token.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..share {
                let mut page = common::Client::open(relay_addr, &token).await;
                let (_, client, _) = page.pair().await;
                page.send(json!({"cmd": "send", "socket": client, "payload": {"text": "bye"}}))
                    .await;
                page.call_on(client, "send").await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // Sessions end asynchronously once their WebSocket closes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while open_fds() > fds_before && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let fds_after = open_fds();
    let rss_after = rss_kib();
    assert!(
        fds_after <= fds_before,
        "fds: {fds_before} before, {fds_after} after"
    );
    // Allocators keep some pages; a leak of even 1 KiB per session would
    // exceed this.
    assert!(
        rss_after < rss_before + 16 * 1024,
        "rss: {rss_before} KiB before, {rss_after} KiB after"
    );
}
