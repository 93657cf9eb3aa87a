//! A growing session: does the page's work per event stay the same as the
//! session grows?
//!
//! Run it with `cargo xtask bench growing` (which builds the release relay
//! and the page), or `cargo bench -p sockscope-e2e --bench growing` with
//! `SOCKSCOPE_BIN` and `SOCKSCOPE_DIST` set as for the browser tests.
//!
//! Method. The page watches a port (its watch form, as a user would) while
//! this process, a program sockscope did not start, sends 10,000 small
//! messages over one loopback connection, one every 10 ms, with Nagle off
//! so that each is one segment. After each thousand, it waits until the
//! page has shown every packet (its player's last step stops moving), and
//! reads DevTools' `Performance.getMetrics` (`e2e/src/devtools.rs`): the
//! main thread's busy time over that thousand, divided by 1,000, is the
//! page's cost per message, everything included (JSON, the model, Yew's
//! render, style, layout, paint, garbage collection), with the script,
//! style and layout parts and the count of layouts. Each message is a
//! data segment and the ACK that answers it, so two events.
//! Targets (the live-page issue): at most 0.5 ms a message, and the tenth
//! thousand within 1.2× of the first.

#![allow(clippy::print_stdout)] // A benchmark's figures are its output.

use std::time::Duration;

use serde_json::json;
use sockscope_e2e::devtools::{MainThread, start_profile, stop_profile};
use sockscope_e2e::{Browser, HarnessError, Result, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The player's step, which follows the newest packet while live.
const STEP: &str = "Number(document.querySelector('#player')?.dataset.step ?? -1)";
const THOUSANDS: u32 = 10;
const EVERY: Duration = Duration::from_millis(10);
/// Where to write a CPU profile of one thousand's page, when set: a
/// `.cpuprofile` that DevTools' Performance panel opens (function names
/// need the page built as "Profiling the page" in docs/BENCHMARKS.md says).
const PROFILE_TO: &str = "SOCKSCOPE_PROFILE";
/// The thousand profiled: the session already grown, not at its start.
const PROFILED: u32 = 3;

fn main() -> Result<()> {
    sockscope_e2e::bench::main("growing", run())
}

async fn run() -> Result<()> {
    let session = Session::start("bench-growing").await?;
    let b = &session.browser;
    b.wait_connected().await?;
    let capture = b.capture_state().await?;
    if capture != "on" {
        return Err(HarnessError(format!(
            "growing: capture is {capture} here, and watching a port needs it (run as root)"
        )));
    }

    // The watched program: a server that reads and discards, and a client.
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| HarnessError(format!("no listener: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| HarnessError(format!("no listener address: {e}")))?
        .port();
    b.fill("#watch-form input[name=ports]", &port.to_string())
        .await?;
    b.click_in_page("#watch-form button[type=submit]").await?;
    // The relay answers a watch by refiltering its capture; give it that
    // moment before the handshake it must see.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await?;
        let mut sink = vec![0u8; 4096];
        while socket.read(&mut sink).await? > 0 {}
        std::io::Result::Ok(())
    });
    let mut client = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| HarnessError(format!("cannot connect to the watched port: {e}")))?;
    client
        .set_nodelay(true)
        .map_err(|e| HarnessError(format!("no TCP_NODELAY: {e}")))?;
    b.wait("the watched handshake", &format!("{STEP} >= 2"))
        .await?;

    MainThread::enable(b).await?;
    let mut before = settled(b).await?;
    let mut first_ms = None;
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let profile = std::env::var_os(PROFILE_TO).map(std::path::PathBuf::from);
    for thousand in 1..=THOUSANDS {
        let profiling = profile.is_some() && thousand == PROFILED;
        if profiling {
            start_profile(b, 200).await?;
        }
        for i in 0..1000 {
            ticks.tick().await;
            let message = format!("message {:05}\n", (thousand - 1) * 1000 + i);
            client
                .write_all(message.as_bytes())
                .await
                .map_err(|e| HarnessError(format!("the watched send failed: {e}")))?;
        }
        let after = settled(b).await?;
        if let (true, Some(path)) = (profiling, &profile) {
            stop_profile(b, path).await?;
            println!(
                "growing  profile of thousand {PROFILED} written to {}",
                path.display()
            );
        }
        // Seconds over a thousand messages are milliseconds a message.
        let task_ms = after.thread.task_s - before.thread.task_s;
        let script_ms = after.thread.script_s - before.thread.script_s;
        let style_ms = after.thread.style_s - before.thread.style_s;
        let layout_ms = after.thread.layout_s - before.thread.layout_s;
        let layouts = after.thread.layouts - before.thread.layouts;
        let first = *first_ms.get_or_insert(task_ms);
        println!(
            "growing  {thousand:>2},000 messages ({steps:>5} steps): {task_ms:.3} ms of main \
             thread a message ({script_ms:.3} ms script, {style_ms:.3} style, {layout_ms:.3} \
             layout; {layouts:.0} layouts), {ratio:.2}× the first thousand, JS heap {heap:.1} MB{profiled}",
            steps = after.steps + 1,
            ratio = task_ms / first,
            heap = after.thread.js_heap_bytes / 1e6,
            profiled = if profiling {
                " (profiled: the sampling adds to it)"
            } else {
                ""
            },
        );
        println!(
            "{}",
            json!({"bench": "growing", "messages": thousand * 1000, "steps": after.steps + 1,
                   "task_ms_per_message": (task_ms * 1000.0).round() / 1000.0,
                   "script_ms_per_message": (script_ms * 1000.0).round() / 1000.0,
                   "style_ms_per_message": (style_ms * 1000.0).round() / 1000.0,
                   "layout_ms_per_message": (layout_ms * 1000.0).round() / 1000.0,
                   "layouts": layouts,
                   "js_heap_mb": (after.thread.js_heap_bytes / 1e5).round() / 10.0})
        );
        before = after;
    }
    drop(client);
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    session.finish().await
}

/// The page once it has caught up, and its main thread's totals then.
struct Settled {
    steps: u64,
    thread: MainThread,
}

/// Waits until the page's newest step has not moved for 600 ms (every
/// packet sent so far shown), then reads the main thread's totals.
async fn settled(b: &Browser) -> Result<Settled> {
    let (mut last, mut quiet) = (u64::MAX, 0);
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = b.eval(STEP).await?.as_u64().unwrap_or(0);
        quiet = if now == last { quiet + 1 } else { 0 };
        last = now;
        if quiet == 3 {
            return Ok(Settled {
                steps: now,
                thread: MainThread::read(b).await?,
            });
        }
    }
    Err(HarnessError(
        "the page never caught up with the watched connection in 2 minutes".into(),
    ))
}
