//! Bulk bytes through a fresh page: 100 MiB sent at once from one socket
//! to another, timed from the click until the page's byte stream holds
//! every byte the receiver read, with the page's main-thread time over the
//! transfer (DevTools' `TaskDuration` and `ScriptDuration`) and the memory
//! Chromium's renderers hold at the end.
//!
//! Run it with `cargo xtask bench bulk`, or `cargo bench -p sockscope-e2e
//! --bench bulk` with `SOCKSCOPE_BIN` and `SOCKSCOPE_DIST` set as for the
//! browser tests.
//!
//! Through the page's own forms: a listener that accepts by itself, a
//! client, auto-read on the accepted socket with a 64 KiB buffer, then a
//! pasted mebibyte sent 100 times at once (`max_payload` is 1 MiB). The
//! relay goes at the page's pace (its event queue is bounded and a socket
//! waits for room), so the time is how fast the page takes bytes in, not
//! how fast loopback carries them.

#![allow(clippy::print_stdout)] // A benchmark's figures are its output.

use std::time::Duration;

use serde_json::json;
use sockscope_e2e::devtools::MainThread;
use sockscope_e2e::memory::{Renderers, megabytes};
use sockscope_e2e::{Result, Session, forms, transfer};

/// One send's message: the largest payload the relay takes.
const MESSAGE: u64 = 1 << 20;
/// Sends, one after another: 100 MiB in all.
const REPEAT: u64 = 100;

fn main() -> Result<()> {
    sockscope_e2e::bench::main("bulk", run())
}

async fn run() -> Result<()> {
    let session = Session::start("bench-bulk").await?;
    let b = &session.browser;
    b.goto(&session.relay.url).await?;
    b.wait_connected().await?;
    forms::auto_read_pair(b, 65536).await?;
    MainThread::enable(b).await?;
    let before = MainThread::read(b).await?;
    let renderers_before = Renderers::now();
    let transfer =
        transfer::send_and_read_all(b, MESSAGE, REPEAT, Duration::from_secs(600)).await?;
    let after = MainThread::read(b).await?;
    let (busy_s, script_s) = (
        after.task_s - before.task_s,
        after.script_s - before.script_s,
    );
    let dropped = transfer::dropped_note(b).await?;
    let renderers = Renderers::now();
    let (seconds, mb_per_second) = (transfer.seconds, transfer.mb_per_second());
    println!(
        "bulk             100 sends of 1 MiB at once into a fresh page: every byte read on \
         the page after {seconds:.1} s ({mb_per_second:.1} MB/s), its main thread busy \
         {busy_s:.1} s (script {script_s:.1} s); renderers {} before, {} after{}",
        renderers_before.describe(),
        renderers.describe(),
        dropped.map(|d| format!("; {d}")).unwrap_or_default()
    );
    println!(
        "{}",
        json!({"bench": "bulk", "bytes": transfer.bytes,
               "seconds": (seconds * 100.0).round() / 100.0,
               "mb_per_second": (mb_per_second * 10.0).round() / 10.0,
               "main_thread_s": (busy_s * 100.0).round() / 100.0,
               "script_s": (script_s * 100.0).round() / 100.0,
               "renderers_before_mb": megabytes(renderers_before.resident_bytes),
               "renderers_mb": megabytes(renderers.resident_bytes),
               "renderers_before_pss_mb": megabytes(renderers_before.proportional_bytes),
               "renderers_pss_mb": megabytes(renderers.proportional_bytes)})
    );
    session.finish().await
}
