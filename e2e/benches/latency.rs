//! Event latency: from a real socket operation to its event on the screen
//! of headless Chromium, p50 and p99.
//!
//! Run it with `cargo xtask bench` (which builds the release relay and the
//! page), or `cargo bench -p sockscope-e2e --bench latency` with
//! `SOCKSCOPE_BIN` and `SOCKSCOPE_DIST` set as for the browser tests.
//!
//! Method. The page is opened with `&bench`, so it records, for every render
//! that brings new live events to the screen, the events' `t_us` and two
//! times on the same machine's realtime clock (`web/src/bench.rs`): when the
//! DOM held them, and when the frame showing them had been painted. An
//! event's `t_us` is CLOCK_REALTIME when its system call returned (send():
//! when it was called) or, for a segment, the kernel's capture timestamp.
//! So `dom - t_us` covers the relay reporting the call or capturing the
//! packet, the event queue, JSON, the WebSocket, parsing in wasm, the
//! reducer, the model and Yew's render; `paint - t_us` adds waiting for the
//! next frame and painting it. The page also stamps each WebSocket frame
//! as it arrives, so for the newest event (a burst's last) the part after
//! its frame reached the page is reported too: the page's own work and
//! its waiting for a render, what the burst's one-frame target is about.
//!
//! Through the page's own forms, as a learner would: a listener that
//! accepts by itself, a client, auto-read on the accepted socket, then
//! `send("hello")` 20 times, one every 100 ms (a fresh session, a few
//! hundred elements on the page), 200 times, one every 20 ms (a steady
//! trickle into a growing session), 500 times at once (a burst), and, once
//! the session has grown past 10,000 events, 20 times, one every 100 ms
//! again (a learner's sends into a long session).
//! Last, a bulk transfer: a pasted quarter megabyte sent 40 times at once,
//! 10 MiB, timed from the click until the page's byte stream holds every
//! byte read (its throughput through the page, not a latency).
//! Then the page left open: five seconds with nothing arriving, and five
//! more with a recv() on the client waiting, nothing to answer it (the
//! main thread's time a second, from DevTools' metrics).
//! Before measuring, the page's clock is checked against this process's:
//! the difference is printed. With `SOCKSCOPE_PROFILE` naming a file, a
//! CPU profile of one case is written there: the fresh case's, or the
//! one `SOCKSCOPE_PROFILE_CASE` names (`burst` or `grown`).

#![allow(clippy::print_stdout)] // A benchmark's figures are its output.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use sockscope_e2e::devtools::{MainThread, start_profile, stop_profile};
use sockscope_e2e::{Browser, Result, Session, forms, transfer};

/// Sends 20 ms apart that grow the session past 10,000 events (each
/// makes about nine: the call, its segment and ACK, the recv() that read
/// it, the queues and the counters).
const GROWTH_SENDS: u32 = 850;

fn main() -> Result<()> {
    sockscope_e2e::bench::main("latency", run())
}

async fn run() -> Result<()> {
    let session = Session::start("bench-latency").await?;
    let b = &session.browser;
    b.goto(&format!("{}&bench", session.relay.url)).await?;
    b.wait_connected().await?;
    let capture = b.capture_state().await?;
    if capture != "on" {
        println!("latency: capture is off here (run as root): segments will be missing");
    }
    let skew = clock_skew_ms(b).await?;

    // A listener that accepts by itself, a client, and auto-read with the
    // form's own buffer size.
    forms::auto_read_pair(b, 1024).await?;
    b.fill("#send-form input[name=message]", "hello").await?;

    let profile = Profile::asked();
    profile.start(b, "fresh").await?;
    let fresh = measure(b, 20, 100).await?;
    profile.stop(b, "fresh").await?;
    report("fresh", "20 sends, one every 100 ms", &fresh, skew);
    let trickle = measure(b, 200, 20).await?;
    report("trickle", "200 sends, one every 20 ms", &trickle, skew);
    profile.start(b, "burst").await?;
    let burst = measure(b, 500, 0).await?;
    profile.stop(b, "burst").await?;
    report("burst", "500 sends at once", &burst, skew);
    // A learner's sends into a session grown past 10,000 events.
    let growth = measure(b, GROWTH_SENDS, 20).await?;
    let events = [&fresh, &trickle, &burst, &growth]
        .iter()
        .map(|l| l.dom.len())
        .sum::<usize>();
    profile.start(b, "grown").await?;
    let grown = measure(b, 20, 100).await?;
    profile.stop(b, "grown").await?;
    report(
        "grown",
        &format!("20 sends, one every 100 ms, after at least {events} events"),
        &grown,
        skew,
    );
    bulk(b).await?;
    // Left open: nothing arriving, then a recv() on the client, which
    // nothing will answer, waiting.
    at_rest(b, "nothing arriving").await?;
    b.fill("#recv-form input[name=bufsize]", "1024").await?;
    b.click_in_page("#recv-form button[type=submit]").await?;
    b.wait(
        "the client's recv() waiting on the ladder",
        "document.querySelectorAll('#ladder .wait-bar.open').length > 0",
    )
    .await?;
    at_rest(b, "a recv() waiting").await?;
    session.finish().await
}

/// The page's main-thread time over five seconds in which nothing
/// arrives: what a page left open costs the machine.
async fn at_rest(b: &Browser, what: &str) -> Result<()> {
    const REST: Duration = Duration::from_secs(5);
    // Motion ends within a second at 1×.
    tokio::time::sleep(Duration::from_secs(1)).await;
    MainThread::enable(b).await?;
    let before = MainThread::read(b).await?;
    tokio::time::sleep(REST).await;
    let after = MainThread::read(b).await?;
    // Seconds of work over seconds of rest, as milliseconds a second.
    let busy = (after.task_s - before.task_s) / REST.as_secs_f64() * 1000.0;
    let layouts = (after.layouts - before.layouts) / REST.as_secs_f64();
    println!(
        "latency rest     {what}: {busy:.1} ms of main thread a second, {layouts:.1} layouts \
         a second"
    );
    println!(
        "{}",
        json!({"bench": "latency", "case": "rest", "what": what,
               "main_thread_ms_per_s": (busy * 10.0).round() / 10.0,
               "layouts_per_s": (layouts * 10.0).round() / 10.0})
    );
    Ok(())
}

/// Sends 10 MiB at once and prints how long the page took to show it read.
async fn bulk(b: &Browser) -> Result<()> {
    const MESSAGE: u64 = 1 << 18;
    const REPEAT: u64 = 40;
    let transfer =
        transfer::send_and_read_all(b, MESSAGE, REPEAT, Duration::from_secs(300)).await?;
    let dropped = transfer::dropped_note(b).await?;
    let (seconds, mb_per_second) = (transfer.seconds, transfer.mb_per_second());
    println!(
        "latency bulk     40 sends of 256 KiB at once: every byte read on the page after \
         {seconds:.1} s ({mb_per_second:.1} MB/s){}",
        dropped.map(|d| format!("; {d}")).unwrap_or_default()
    );
    println!(
        "{}",
        json!({"bench": "latency", "case": "bulk", "bytes": transfer.bytes,
               "seconds": (seconds * 100.0).round() / 100.0,
               "mb_per_second": (mb_per_second * 10.0).round() / 10.0})
    );
    Ok(())
}

/// Latencies in microseconds, by what was measured.
struct Latencies {
    dom: Vec<f64>,
    paint: Vec<f64>,
    renders: usize,
    /// The newest event's latency to the DOM: for a burst, how long after
    /// its last event the screen holds all of it.
    last_dom: f64,
    /// Of that, the part from its frame reaching the page to the DOM
    /// holding it: the page's own work (and its waiting for a render).
    last_page: f64,
    /// Each event's part before its frame reached the page (the relay,
    /// the link, the browser's queue), and after (the page's own work).
    before_page: Vec<f64>,
    page: Vec<f64>,
}

/// A CPU profile of one case, when asked for (names need the page built
/// as BENCHMARKS.md's "Profiling the page" says).
struct Profile {
    path: Option<std::path::PathBuf>,
    case: String,
}

impl Profile {
    fn asked() -> Profile {
        Profile {
            path: std::env::var_os("SOCKSCOPE_PROFILE").map(std::path::PathBuf::from),
            case: std::env::var("SOCKSCOPE_PROFILE_CASE").unwrap_or_else(|_| "fresh".into()),
        }
    }

    async fn start(&self, b: &Browser, case: &str) -> Result<()> {
        if self.path.is_some() && self.case == case {
            start_profile(b, 100).await?;
        }
        Ok(())
    }

    async fn stop(&self, b: &Browser, case: &str) -> Result<()> {
        if let Some(path) = self.path.as_ref().filter(|_| self.case == case) {
            stop_profile(b, path).await?;
            println!(
                "latency  profile of the {case} case written to {}",
                path.display()
            );
        }
        Ok(())
    }
}

/// Sends `repeat` messages `interval` ms apart and collects the latency of
/// every event they caused.
async fn measure(b: &Browser, repeat: u32, interval: u32) -> Result<Latencies> {
    b.eval("(window.sockscopeBench = [], window.sockscopeFrames = [], 0)")
        .await?;
    b.fill("#send-form input[name=repeat]", &repeat.to_string())
        .await?;
    b.fill("#send-form input[name=interval]", &interval.to_string())
        .await?;
    b.click_in_page("#send-form button[type=submit]").await?;
    // Every send shown, then until nothing new arrives for a second (the
    // recvs, which may take several sends at once, and the last ACKs).
    let count = "(window.sockscopeBench || []).reduce((n, r) => n + r.t_us.length, 0)";
    let calls = format!(
        "(window.sockscopeBench || []).flatMap(r => r.kinds).filter(k => k === 'call').length >= {repeat}"
    );
    let patience = Duration::from_secs(30 + u64::from(repeat * interval) / 1000);
    b.wait_for("every send on screen", &calls, patience).await?;
    let (mut last, mut quiet) = (0, 0);
    while quiet < 4 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = b.eval(count).await?.as_u64().unwrap_or(0);
        quiet = if now == last { quiet + 1 } else { 0 };
        last = now;
    }
    b.wait(
        "the last frame painted",
        "window.sockscopeBench.every(r => r.paint_ms !== undefined)",
    )
    .await?;
    let records = b.eval("window.sockscopeBench").await?;
    let mut latencies = Latencies {
        dom: Vec::new(),
        paint: Vec::new(),
        renders: 0,
        last_dom: f64::NAN,
        last_page: f64::NAN,
        before_page: Vec::new(),
        page: Vec::new(),
    };
    // When each event's frame reached the page, by the event's time.
    let frames = b.eval("window.sockscopeFrames").await?;
    let mut arrivals: HashMap<u64, f64> = HashMap::new();
    for frame in frames.as_array().into_iter().flatten() {
        let Some(arrived_ms) = frame["arrived_ms"].as_f64() else {
            continue;
        };
        for t_us in frame["t_us"].as_array().into_iter().flatten() {
            if let Some(t_us) = t_us.as_f64() {
                let first = arrivals.entry(t_us as u64).or_insert(arrived_ms);
                *first = first.min(arrived_ms);
            }
        }
    }
    let (mut newest, mut newest_dom_ms) = (f64::MIN, f64::NAN);
    for record in records.as_array().into_iter().flatten() {
        latencies.renders += 1;
        let dom_ms = record["dom_ms"].as_f64().unwrap_or(f64::NAN);
        let paint_ms = record["paint_ms"].as_f64().unwrap_or(f64::NAN);
        for t_us in record["t_us"].as_array().into_iter().flatten() {
            let Some(t_us) = t_us.as_f64() else { continue };
            latencies.dom.push(dom_ms * 1000.0 - t_us);
            latencies.paint.push(paint_ms * 1000.0 - t_us);
            if let Some(&arrived_ms) = arrivals.get(&(t_us as u64)) {
                latencies.before_page.push(arrived_ms * 1000.0 - t_us);
                latencies.page.push((dom_ms - arrived_ms) * 1000.0);
            }
            if t_us > newest {
                newest = t_us;
                newest_dom_ms = dom_ms;
                latencies.last_dom = dom_ms * 1000.0 - t_us;
            }
        }
    }
    // The frame that brought the newest event: both times on the page's
    // clock, so no skew between machines enters.
    if let Some(&arrived_ms) = arrivals.get(&(newest as u64)) {
        latencies.last_page = (newest_dom_ms - arrived_ms) * 1000.0;
    }
    Ok(latencies)
}

/// The page's `performance.timeOrigin + performance.now()` against this
/// process's realtime clock, read around one WebDriver round trip: the
/// difference is within the printed bound.
async fn clock_skew_ms(b: &Browser) -> Result<(f64, f64)> {
    let mut best = (f64::NAN, f64::INFINITY);
    for _ in 0..20 {
        let before = now_ms();
        let page = b
            .eval("performance.timeOrigin + performance.now()")
            .await?
            .as_f64()
            .unwrap_or(f64::NAN);
        let after = now_ms();
        let (skew, bound) = (page - (before + after) / 2.0, (after - before) / 2.0);
        if bound < best.1 {
            best = (skew, bound);
        }
    }
    Ok(best)
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let at = ((values.len() as f64 - 1.0) * p).round() as usize;
    values.get(at).copied().unwrap_or(f64::NAN)
}

fn report(case: &str, what: &str, latencies: &Latencies, (skew, bound): (f64, f64)) {
    let (mut dom, mut paint) = (latencies.dom.clone(), latencies.paint.clone());
    let (mut before_page, mut page) = (latencies.before_page.clone(), latencies.page.clone());
    let ms = |us: f64| (us / 10.0).round() / 100.0;
    let figures = json!({
        "bench": "latency",
        "case": case,
        "events": dom.len(),
        "renders": latencies.renders,
        "dom_p50_ms": ms(percentile(&mut dom, 0.5)),
        "dom_p99_ms": ms(percentile(&mut dom, 0.99)),
        "dom_max_ms": ms(percentile(&mut dom, 1.0)),
        "last_dom_ms": ms(latencies.last_dom),
        "last_page_ms": ms(latencies.last_page),
        "before_page_p50_ms": ms(percentile(&mut before_page, 0.5)),
        "page_p50_ms": ms(percentile(&mut page, 0.5)),
        "page_p99_ms": ms(percentile(&mut page, 0.99)),
        "paint_p50_ms": ms(percentile(&mut paint, 0.5)),
        "paint_p99_ms": ms(percentile(&mut paint, 0.99)),
        "paint_max_ms": ms(percentile(&mut paint, 1.0)),
        "clock_skew_ms": (skew * 100.0).round() / 100.0,
        "clock_skew_bound_ms": (bound * 100.0).round() / 100.0,
    });
    println!(
        "latency {case:<8} {what}: {} events in {} renders; to the DOM p50 {} ms, p99 {} ms; \
         painted p50 {} ms, p99 {} ms; the last event to the DOM {} ms, {} ms of it after its \
         frame reached the page; before the page p50 {} ms, in it p50 {} ms, p99 {} ms \
         (page clock {:+.2} ± {:.2} ms)",
        figures["events"],
        figures["renders"],
        figures["dom_p50_ms"],
        figures["dom_p99_ms"],
        figures["paint_p50_ms"],
        figures["paint_p99_ms"],
        figures["last_dom_ms"],
        figures["last_page_ms"],
        figures["before_page_p50_ms"],
        figures["page_p50_ms"],
        figures["page_p99_ms"],
        skew,
        bound
    );
    println!("{figures}");
}
