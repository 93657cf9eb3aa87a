//! A page that reads slowly holds the relay's sockets back: the relay does
//! not buffer a transfer for it, and drops nothing of it.
//!
//! A test binary of its own: it moves tens of megabytes, and the memory
//! test in `safety.rs` measures its whole process.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Test code.

mod common;

use std::time::Duration;

use common::{Relay, data_of};
use serde_json::json;
use sockscope::Config;
use sockscope_shared::EventKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_page_holds_a_bulk_transfer_back_and_then_gets_all_of_it() {
    let mut config = Config::for_tests();
    config.event_queue_bytes = 1 << 20;
    let relay = Relay::start_with(config).await;
    let mut page = relay.client().await;
    let (_, client, server) = page.pair().await;
    page.send(json!({"cmd": "auto_read", "socket": server, "on": true, "bufsize": 65536}))
        .await;
    // 62.5 MiB: on loopback a fraction of a second, if nothing held it back.
    let message: String = (0..65536)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let repeat = 1000;
    page.send(
        json!({"cmd": "send", "socket": client, "payload": {"text": message}, "repeat": repeat}),
    )
    .await;
    // The page stops reading. The relay may not buffer the transfer for it:
    // the sockets wait once the queued events carry a megabyte (plus what
    // the WebSocket's own buffers hold).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let resumed_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let total = 65536 * repeat;
    let mut received = 0usize;
    let mut last_recv_us = 0;
    while received < total {
        let event = page
            .wait_for(|e| matches!(&e.kind, EventKind::Call(c) if c.socket == server && matches!(c.result, sockscope_shared::CallResult::Data { .. })) || matches!(e.kind, EventKind::Lagged { .. }))
            .await;
        let EventKind::Call(call) = &event.kind else {
            panic!("the relay dropped events instead of holding the transfer back: {event:?}");
        };
        let data = data_of(&call.result);
        // Every byte arrives, in order: byte n of the stream is letter n % 26.
        for (i, byte) in data.iter().enumerate() {
            assert_eq!(*byte, b'a' + ((received + i) % 65536 % 26) as u8);
        }
        received += data.len();
        last_recv_us = event.t_us;
    }
    assert_eq!(received, total);
    assert!(
        last_recv_us > resumed_us,
        "the whole transfer was read while the page was not reading: the relay buffered it"
    );
}
