//! UI scale: 100,000 segments loaded in the page in headless Chromium; how
//! long until they are drawn, and whether stepping and scrolling keep to
//! one frame (16.7 ms at 60 Hz).
//!
//! Run it with `cargo xtask bench`, or `cargo bench -p sockscope-e2e --bench
//! ui_scale` with `SOCKSCOPE_BIN` and `SOCKSCOPE_DIST` set as for the
//! browser tests; `SOCKSCOPE_UI_CASES=1m` (or any of `100k,graph,1m,motion`)
//! runs only the cases named.
//!
//! The same traffic is written twice, as a JSON event log and as a classic
//! pcap: ten loopback connections one after another, each a handshake,
//! 4,997 ten-byte requests each ACKed, and a close. Each file is opened
//! through the page's "Open capture…" input in a freshly loaded page.
//! Timing happens in the page, with its own clock (`performance.now()`):
//! - first render: from the input's `change` event to the end of the first
//!   frame painted with the ladder holding every row (a task queued from
//!   `requestAnimationFrame` runs after that frame's paint);
//! - stepping: ← or → dispatched at the start of a frame (inside a
//!   `requestAnimationFrame` callback), 40 times each way. `work` is the
//!   script and DOM time until the page is idle again (a MessageChannel task
//!   runs after Yew's render), and `frame` the gap to the next frame's
//!   callback: 16.7 ms when the step fit in one frame;
//! - scrolling: the ladder's scroll box moved by four rows (184 px) every
//!   frame for 120 frames; `frame` is the gap between successive frames.
//!
//! Then the time-sequence graph of one connection of 100,000 segments:
//! how long it takes to work out and draw, and the frames while it is
//! zoomed and panned (see [`measure_graph`]).
//!
//! Then a million packets (the same traffic, ten connections of 100,000), as a
//! pcap only (its JSON log would be 300 MB): the same timings, and the
//! memory of Chromium's renderer processes, read from `/proc` with the page
//! blank and with the million open (the page's wasm memory and its file
//! worker included; `sockscope_e2e::memory` says why the proportional
//! figure is the one to compare).
//!
//! The page's own share of that memory is read too: its WebAssembly
//! memory (found by DevTools among the page's objects) and its
//! JavaScript heap.
//!
//! Then motion: the gaps between frames while the player plays, with every
//! new row travelling in: a lesson's recording (lesson 03) at 1× for eight
//! seconds, and a 10,000-event session (the same traffic, cut to 10,000
//! packets) at 4× for eight seconds, from its first step.

#![allow(clippy::print_stdout)] // A benchmark's figures are its output.

use std::path::Path;
use std::time::Duration;

use fantoccini::Locator;
use serde_json::{Value, json};
use sockscope_e2e::memory::{Renderers, megabytes};
use sockscope_e2e::paths::TempDir;
use sockscope_e2e::{Browser, HarnessError, Result, Session};
use sockscope_shared::{
    Bytes, Direction, Event, EventKind, Segment, SegmentEvent, TcpAnalyses, TcpFlags, TcpOptions,
};

const PACKETS: u32 = 100_000;
/// The million-packet case.
const MILLION: u32 = 1_000_000;
/// The session played with motion.
const PLAYED: u32 = 10_000;
const CONNECTIONS: u32 = 10;
/// How long each play is watched.
const PLAY_MS: u32 = 8_000;

fn main() -> Result<()> {
    sockscope_e2e::bench::main("ui", run())
}

/// The cases, in the order run; `SOCKSCOPE_UI_CASES` (a comma-separated
/// list of them) runs only those named, for measuring one change quickly.
const CASES: [&str; 4] = ["100k", "graph", "1m", "motion"];

async fn run() -> Result<()> {
    let chosen = chosen_cases()?;
    let runs = |case: &str| chosen.iter().any(|c| c == case);
    let dir = TempDir::new("sockscope-bench-ui")?;
    let session = Session::start("bench-ui").await?;
    let b = &session.browser;
    if runs("100k") {
        let packets = traffic(PACKETS);
        let log = dir.0.join("large-100k.json");
        write(&log, &encode_log(&packets)?)?;
        let pcap = dir.0.join("large-100k.pcap");
        write(&pcap, &pcap_file(&packets))?;
        for (case, file) in [("json", &log), ("pcap", &pcap)] {
            b.goto(&session.relay.url).await?;
            measure(b, case, file, PACKETS).await?;
        }
    }
    if runs("graph") {
        // One connection of 100,000 segments, for the time-sequence graph.
        let one = dir.0.join("one-connection-100k.pcap");
        write(&one, &pcap_file(&traffic_in(PACKETS, 1)))?;
        b.goto(&session.relay.url).await?;
        measure_graph(b, &one).await?;
    }
    if runs("1m") {
        let million = dir.0.join("large-1m.pcap");
        write(&million, &pcap_file(&traffic(MILLION)))?;
        measure_million(b, &session.relay.url, &million).await?;
    }
    if runs("motion") {
        let played = dir.0.join("played-10k.json");
        write(&played, &encode_log(&traffic(PLAYED))?)?;
        // A lesson's recording, played at 1×.
        b.goto(&format!("{}&log=03-sticky-small-sends", session.relay.url))
            .await?;
        b.wait(
            "the recording",
            "document.querySelectorAll('#ladder .row').length > 10",
        )
        .await?;
        measure_playing(b, "lesson 03", "1×").await?;
        // 10,000 events, played at 4×.
        b.goto(&session.relay.url).await?;
        b.wait("the open button", "document.querySelector('#open-file')")
            .await?;
        let input = b.client.find(Locator::Css("#open-file")).await?;
        input.send_keys(&played.display().to_string()).await?;
        b.wait_for(
            "10,000 rows",
            &format!("document.querySelector('#ladder')?.dataset.rows === '{PLAYED}'"),
            Duration::from_secs(60),
        )
        .await?;
        measure_playing(b, "10,000 events", "4×").await?;
    }
    session.finish().await
}

/// The cases `SOCKSCOPE_UI_CASES` names, or all of them.
fn chosen_cases() -> Result<Vec<String>> {
    let Ok(list) = std::env::var("SOCKSCOPE_UI_CASES") else {
        return Ok(CASES.iter().map(|c| (*c).to_owned()).collect());
    };
    let chosen: Vec<String> = list.split(',').map(|c| c.trim().to_owned()).collect();
    match chosen.iter().find(|c| !CASES.contains(&c.as_str())) {
        Some(unknown) => Err(HarnessError(format!(
            "SOCKSCOPE_UI_CASES names {unknown:?}; the cases are {}",
            CASES.join(", ")
        ))),
        None => Ok(chosen),
    }
}

fn encode_log(packets: &[Packet]) -> Result<Vec<u8>> {
    serde_json::to_vec(&event_log(packets))
        .map_err(|e| HarnessError(format!("cannot encode the log: {e}")))
}

/// A million packets from a pcap: the timings of [`measure`], then the
/// memory the renderers hold with the million open against the page
/// blank before it, and of that the page's own: its WebAssembly memory
/// (the high-water mark of its heap: wasm memory never shrinks) and the
/// JavaScript heap in use.
async fn measure_million(b: &Browser, url: &str, million: &Path) -> Result<()> {
    b.goto(url).await?;
    b.wait_connected().await?;
    let blank = Renderers::now();
    let blank_page = page_memory(b).await?;
    measure(b, "pcap 1M", million, MILLION).await?;
    // Read once, so the line for people and the figure agree.
    let opened = Renderers::now();
    let opened_page = page_memory(b).await?;
    println!(
        "ui pcap 1M: Chromium's renderers hold {} with the million open; {} with the page \
         blank before it; the page's wasm memory {} MB (blank {} MB), its JavaScript heap {} MB \
         (blank {} MB)",
        opened.describe(),
        blank.describe(),
        opened_page.wasm_mb,
        blank_page.wasm_mb,
        opened_page.js_heap_mb,
        blank_page.js_heap_mb,
    );
    println!(
        "{}",
        json!({"bench": "ui_scale", "case": "pcap 1M",
               "renderer_rss_mb": megabytes(opened.resident_bytes),
               "renderer_pss_mb": megabytes(opened.proportional_bytes),
               "blank_renderer_rss_mb": megabytes(blank.resident_bytes),
               "blank_renderer_pss_mb": megabytes(blank.proportional_bytes),
               "page_wasm_mb": opened_page.wasm_mb,
               "blank_page_wasm_mb": blank_page.wasm_mb,
               "page_js_heap_mb": opened_page.js_heap_mb,
               "blank_page_js_heap_mb": blank_page.js_heap_mb})
    );
    Ok(())
}

/// The page's own memory, in megabytes.
struct PageMemory {
    wasm_mb: u64,
    js_heap_mb: u64,
}

async fn page_memory(b: &Browser) -> Result<PageMemory> {
    let wasm = sockscope_e2e::devtools::wasm_memory_bytes(b).await?;
    let heap = b.eval("performance.memory.usedJSHeapSize").await?;
    let heap = heap
        .as_u64()
        .ok_or_else(|| HarnessError(format!("the page gave {heap} for its heap's size")))?;
    Ok(PageMemory {
        wasm_mb: megabytes(wasm),
        js_heap_mb: megabytes(heap),
    })
}

/// Plays the session shown from its first step at `speed`, and reports
/// the gaps between the frames painted meanwhile.
async fn measure_playing(b: &Browser, case: &str, speed: &str) -> Result<()> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.choose("#speed", speed).await?;
    // Playing from the live end replays from the first step.
    b.click("#play").await?;
    let watched = in_page(
        b,
        &format!(
            "const frame = [];
            let last = null;
            const end = performance.now() + {PLAY_MS};
            const tick = (t) => {{
                if (last !== null) frame.push(t - last);
                last = t;
                if (t < end) requestAnimationFrame(tick);
                else done({{ frame, flights: document.querySelectorAll('#ladder .flight').length,
                    step: Number(document.querySelector('#player').dataset.step) }});
            }};
            requestAnimationFrame(tick);"
        ),
    )
    .await?;
    b.click("#play").await?;
    let frames = stats(&watched["frame"]);
    let step = &watched["step"];
    let figures = json!({
        "bench": "ui_motion",
        "case": case,
        "speed": speed,
        "watched_ms": PLAY_MS,
        "reached_step": step,
        "frame": frames,
    });
    println!(
        "motion {case} playing at {speed}: {PLAY_MS} ms watched, reached step {step}; frame p50/p99/max {}/{}/{} ms, {} frames over 20 ms",
        figures["frame"]["p50_ms"],
        figures["frame"]["p99_ms"],
        figures["frame"]["max_ms"],
        figures["frame"]["frames_over_20_ms"],
    );
    println!("{figures}");
    Ok(())
}

/// Percentiles of a list of milliseconds, and how many were over 20 ms.
fn stats(values: &Value) -> Value {
    let mut v: Vec<f64> = values
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .collect();
    v.sort_by(f64::total_cmp);
    let at = |p: f64| {
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v.get(i).map_or(f64::NAN, |x| (x * 10.0).round() / 10.0)
    };
    let over = v.iter().filter(|&&x| x > 20.0).count();
    json!({"p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0), "frames_over_20_ms": over, "frames": v.len()})
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes)
        .map_err(|e| HarnessError(format!("cannot write {}: {e}", path.display())))
}

/// Arms the first-render timer, opens `file`, then steps and scrolls.
async fn measure(b: &Browser, case: &str, file: &Path, packets: u32) -> Result<()> {
    b.wait("the open button", "document.querySelector('#open-file')")
        .await?;
    b.eval(&format!(
        "(() => {{
            const bench = window.uiBench = {{}};
            document.querySelector('#open-file').addEventListener('change', () => {{
                bench.opened = performance.now();
                const check = () => {{
                    const ladder = document.querySelector('#ladder');
                    if (ladder && ladder.dataset.rows === '{packets}' && ladder.querySelector('.row')) {{
                        requestAnimationFrame(() => setTimeout(() => {{ bench.drawn = performance.now(); }}, 0));
                    }} else {{
                        requestAnimationFrame(check);
                    }}
                }};
                requestAnimationFrame(check);
            }}, {{ capture: true, once: true }});
            return 0;
        }})()"
    ))
    .await?;
    let input = b.client.find(Locator::Css("#open-file")).await?;
    input.send_keys(&file.display().to_string()).await?;
    let first = b
        .wait_for(
            "every row drawn",
            "window.uiBench.drawn && window.uiBench.drawn - window.uiBench.opened",
            Duration::from_secs(300),
        )
        .await?
        .as_f64()
        .unwrap_or(f64::NAN);
    let drawn = b
        .eval("document.querySelectorAll('#ladder .row').length")
        .await?;
    // Let the page settle (late layout, the first scroll event) first.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let back = in_page(b, &steps("ArrowLeft")).await?;
    let forward = in_page(b, &steps("ArrowRight")).await?;
    let scroll = in_page(b, SCROLL).await?;

    let figures = json!({
        "bench": "ui_scale",
        "case": case,
        "rows": packets,
        "rows_in_dom": drawn,
        "first_render_ms": first.round(),
        "step_back_work": stats(&back["work"]),
        "step_back_frame": stats(&back["frame"]),
        "step_forward_work": stats(&forward["work"]),
        "step_forward_frame": stats(&forward["frame"]),
        "scroll_frame": stats(&scroll["frame"]),
    });
    println!(
        "ui {case}: {packets} rows ({drawn} in the DOM) drawn {first:.0} ms after the file was chosen; \
         step ← work p50/p99 {}/{} ms, frame p99 {} ms; step → work p50/p99 {}/{} ms, frame p99 {} ms; \
         scroll frame p50/p99/max {}/{}/{} ms",
        figures["step_back_work"]["p50_ms"],
        figures["step_back_work"]["p99_ms"],
        figures["step_back_frame"]["p99_ms"],
        figures["step_forward_work"]["p50_ms"],
        figures["step_forward_work"]["p99_ms"],
        figures["step_forward_frame"]["p99_ms"],
        figures["scroll_frame"]["p50_ms"],
        figures["scroll_frame"]["p99_ms"],
        figures["scroll_frame"]["max_ms"],
    );
    println!("{figures}");
    Ok(())
}

/// The time-sequence graph of one connection of 100,000 segments: how
/// long it takes to be worked out and drawn again (its direction flipped
/// away and back, the second flip timed from the click to the page idle),
/// and the frames while the wheel zooms in and out at one step a frame and
/// the arrow keys pan at one step a frame.
async fn measure_graph(b: &Browser, file: &Path) -> Result<()> {
    b.wait("the open button", "document.querySelector('#open-file')")
        .await?;
    let input = b.client.find(Locator::Css("#open-file")).await?;
    input.send_keys(&file.display().to_string()).await?;
    b.wait_for(
        "the graph of the connection",
        &format!(
            "document.querySelector('#seq-graph')?.dataset.segments > {}",
            PACKETS / 3
        ),
        Duration::from_secs(120),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let figures = in_page(b, GRAPH).await?;
    let segments = b
        .eval("document.querySelector('#seq-graph').dataset.segments")
        .await?;
    let columns = b
        .eval("document.querySelector('#seq-graph').dataset.columns")
        .await?;
    let out = json!({
        "bench": "ui_scale",
        "case": "graph 100k",
        "data_segments": segments,
        "bars_drawn": columns,
        "draw_ms": figures["draw"],
        "zoom_work": stats(&figures["zoom_work"]),
        "zoom_frame": stats(&figures["zoom_frame"]),
        "pan_work": stats(&figures["pan_work"]),
        "pan_frame": stats(&figures["pan_frame"]),
    });
    println!(
        "ui graph: one connection of {PACKETS} segments ({segments} data segments, {columns} bars) drawn again in {} ms; \
         zoom work p50/p99 {}/{} ms, frame p99 {} ms; pan work p50/p99 {}/{} ms, frame p99 {} ms",
        out["draw_ms"],
        out["zoom_work"]["p50_ms"],
        out["zoom_work"]["p99_ms"],
        out["zoom_frame"]["p99_ms"],
        out["pan_work"]["p50_ms"],
        out["pan_work"]["p99_ms"],
        out["pan_frame"]["p99_ms"],
    );
    println!("{out}");
    Ok(())
}

/// The graph's timings (see [`measure_graph`]).
const GRAPH: &str = "const idle = () => new Promise(r => { const c = new MessageChannel(); c.port1.onmessage = r; c.port2.postMessage(0); });
    const next = () => new Promise(r => requestAnimationFrame(r));
    (async () => {
        const flip = () => document.querySelector('#seq-graph-flip').click();
        flip(); await idle(); await next();
        const t0 = performance.now(); flip(); await idle();
        const draw = Math.round((performance.now() - t0) * 10) / 10;
        await next();
        const svg = () => document.querySelector('#seq-graph svg');
        const zoom_work = [], zoom_frame = [], pan_work = [], pan_frame = [];
        for (let i = 0; i < 60; i++) {
            const start = await next(); const t = performance.now();
            const r = svg().getBoundingClientRect();
            svg().dispatchEvent(new WheelEvent('wheel', { bubbles: true, cancelable: true, deltaY: i < 30 ? -100 : 100, clientX: r.x + r.width * 0.4, clientY: r.y + 50 }));
            await idle(); zoom_work.push(performance.now() - t); zoom_frame.push((await next()) - start);
        }
        for (let i = 0; i < 10; i++) { svg().dispatchEvent(new KeyboardEvent('keydown', { key: '+', bubbles: true })); await idle(); }
        for (let i = 0; i < 60; i++) {
            const start = await next(); const t = performance.now();
            svg().dispatchEvent(new KeyboardEvent('keydown', { key: i < 30 ? 'ArrowRight' : 'ArrowLeft', bubbles: true }));
            await idle(); pan_work.push(performance.now() - t); pan_frame.push((await next()) - start);
        }
        done({ draw, zoom_work, zoom_frame, pan_work, pan_frame });
    })();";

/// Runs an async script that ends by calling `done(result)`.
async fn in_page(b: &Browser, script: &str) -> Result<Value> {
    let wrapped = format!("const done = arguments[arguments.length - 1]; {script}");
    Ok(b.client.execute_async(&wrapped, Vec::new()).await?)
}

/// Forty presses of `key`, each at the start of a frame.
fn steps(key: &str) -> String {
    format!(
        "const work = [], frame = [];
        const idle = () => new Promise(r => {{ const c = new MessageChannel(); c.port1.onmessage = r; c.port2.postMessage(0); }});
        const next = () => new Promise(r => requestAnimationFrame(r));
        (async () => {{
            for (let i = 0; i < 40; i++) {{
                const start = await next();
                const t0 = performance.now();
                document.dispatchEvent(new KeyboardEvent('keydown', {{ key: '{key}', bubbles: true, cancelable: true }}));
                await idle();
                work.push(performance.now() - t0);
                frame.push((await next()) - start);
            }}
            done({{ work, frame }});
        }})();"
    )
}

/// 120 frames of scrolling the ladder's box by four rows a frame.
const SCROLL: &str = "const frame = [];
    const box = document.querySelector('#ladder .ladder-scroll');
    let last = null, n = 0;
    const tick = (t) => {
        if (last !== null) frame.push(t - last);
        last = t;
        if (n++ < 120) { box.scrollTop += 184; requestAnimationFrame(tick); } else done({ frame });
    };
    requestAnimationFrame(tick);";

/// One packet of the generated traffic.
struct Packet {
    conn: u32,
    forward: bool,
    flags: TcpFlags,
    seq: u32,
    ack: u32,
    len: u32,
}

/// Ten connections one after another: handshake, requests each ACKed,
/// close; `packets` in all.
fn traffic(packets: u32) -> Vec<Packet> {
    traffic_in(packets, CONNECTIONS)
}

/// [`traffic`] in `connections` connections.
fn traffic_in(packets: u32, connections: u32) -> Vec<Packet> {
    let flags = |syn, ack, psh, fin| TcpFlags {
        syn,
        ack,
        psh,
        fin,
        ..TcpFlags::default()
    };
    let syn = flags(true, false, false, false);
    let syn_ack = flags(true, true, false, false);
    let ack = flags(false, true, false, false);
    let psh_ack = flags(false, true, true, false);
    let fin_ack = flags(false, true, false, true);
    let mut out = Vec::with_capacity(packets as usize);
    let per_conn = packets / connections;
    for conn in 1..=connections {
        let (c, s) = (conn * 1_000_000, 7_000_000u32);
        let mut push = |forward, flags, seq, ack, len| {
            out.push(Packet {
                conn,
                forward,
                flags,
                seq,
                ack,
                len,
            });
        };
        push(true, syn, c, 0, 0);
        push(false, syn_ack, s, c + 1, 0);
        push(true, ack, c + 1, s + 1, 0);
        let requests = (per_conn - 6) / 2;
        for k in 0..requests {
            push(true, psh_ack, c + 1 + k * 10, s + 1, 10);
            push(false, ack, s + 1, c + 11 + k * 10, 0);
        }
        let end = c + 1 + requests * 10;
        push(true, fin_ack, end, s + 1, 0);
        push(false, fin_ack, s + 1, end + 1, 0);
        push(true, ack, end + 1, s + 2, 0);
    }
    out
}

fn ends(p: &Packet) -> (String, String) {
    let client = format!("127.0.0.1:{}", 40_000 + p.conn);
    let server = "127.0.0.1:9527".to_owned();
    if p.forward {
        (client, server)
    } else {
        (server, client)
    }
}

/// Microseconds: ten apart, from a fixed start.
fn t_us(n: usize) -> u64 {
    1_795_431_092_000_000 + n as u64 * 10
}

/// The traffic as the relay would report it.
fn event_log(packets: &[Packet]) -> Vec<Event> {
    packets
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let (src, dst) = ends(p);
            let (mine, theirs) = if p.forward {
                (p.conn * 1_000_000, 7_000_000)
            } else {
                (7_000_000, p.conn * 1_000_000)
            };
            Event {
                index: n as u64,
                t_us: t_us(n),
                kind: EventKind::Segment(SegmentEvent {
                    conn: p.conn,
                    src: src.into(),
                    dst: dst.into(),
                    direction: if p.forward {
                        Direction::Forward
                    } else {
                        Direction::Reverse
                    },
                    from_socket: None,
                    to_socket: None,
                    tap: None,
                    crossing: None,
                    analysis: TcpAnalyses::NONE,
                    segment: Segment::Tcp {
                        flags: p.flags,
                        seq: p.seq,
                        ack: p.ack,
                        rel_seq: p.seq.wrapping_sub(mine),
                        rel_ack: if p.flags.ack {
                            p.ack.wrapping_sub(theirs)
                        } else {
                            0
                        },
                        window: 512,
                        window_scaled: 65_536,
                        options: TcpOptions::default(),
                        payload_len: p.len,
                        payload: Bytes::from(vec![b'a' + (p.seq % 26) as u8; p.len as usize]),
                    },
                }),
            }
        })
        .collect()
}

/// The traffic as a classic pcap of Ethernet frames.
fn pcap_file(packets: &[Packet]) -> Vec<u8> {
    let mut out = Vec::with_capacity(packets.len() * 80);
    out.extend([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend(65_535u32.to_le_bytes());
    out.extend(1u32.to_le_bytes()); // Ethernet
    for (n, p) in packets.iter().enumerate() {
        let (src, dst) = ends(p);
        let port = |addr: &str| addr.rsplit(':').next().and_then(|p| p.parse::<u16>().ok());
        let (sport, dport) = (port(&src).unwrap_or(0), port(&dst).unwrap_or(0));
        let mut frame = vec![0u8; 12];
        frame.extend([0x08, 0x00]);
        let total = (40 + p.len) as u16;
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        let sum: u32 = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum();
        let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        frame.extend(ip);
        frame.extend(sport.to_be_bytes());
        frame.extend(dport.to_be_bytes());
        frame.extend(p.seq.to_be_bytes());
        frame.extend(p.ack.to_be_bytes());
        let bits = [
            p.flags.fin,
            p.flags.syn,
            p.flags.rst,
            p.flags.psh,
            p.flags.ack,
        ];
        let flags = bits
            .iter()
            .enumerate()
            .fold(0u8, |acc, (bit, on)| acc | (u8::from(*on) << bit));
        frame.extend([0x50, flags, 0x02, 0x00, 0, 0, 0, 0]);
        frame.extend(std::iter::repeat_n(
            b'a' + (p.seq % 26) as u8,
            p.len as usize,
        ));
        let t = t_us(n);
        out.extend(((t / 1_000_000) as u32).to_le_bytes());
        out.extend(((t % 1_000_000) as u32).to_le_bytes());
        out.extend((frame.len() as u32).to_le_bytes());
        out.extend((frame.len() as u32).to_le_bytes());
        out.extend(frame);
    }
    out
}
