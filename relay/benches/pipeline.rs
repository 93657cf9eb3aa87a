//! Event pipeline throughput: how many events a second the relay's writer
//! ([`sockscope::ws::write_events`]) batches, serialises to JSON and
//! delivers to a WebSocket client.
//!
//! Run it with `cargo bench -p sockscope --bench pipeline`, or with every
//! other benchmark through `cargo xtask bench`. The event queue is filled
//! before the clock starts, so what is timed is the writer and the delivery,
//! not the socket tasks that make events in the relay. The events are the
//! ones a busy TCP connection produces, in turn: a send() of 32 bytes, the
//! segment carrying them, its ACK, the recv() that read them.
//!
//! Cases:
//! - `serialise`: the writer into a sink that only counts bytes: batching
//!   and JSON, nothing else.
//! - `websocket`: the writer into axum's WebSocket (the relay's own sink)
//!   over loopback TCP, to a tokio-tungstenite client that reads every frame
//!   and counts its events by parsing the JSON array (skipping the values).
//! - `websocket_paced`: the same at the relay's default pace limit
//!   (`--events-per-second`, 1,000,000), which is what a page gets.
//!
//! Each case runs five times and the median is reported: one line for
//! people, then one line of JSON for `cargo xtask bench`.

#![allow(clippy::print_stdout)] // A benchmark's figures are its output.

use std::{
    convert::Infallible,
    error::Error,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{WebSocketUpgrade, ws::Message},
    routing::get,
};
use futures_util::StreamExt;
use serde::de::IgnoredAny;
use sockscope::events::{self, EventRx};
use sockscope_shared::{
    Bytes, Call, CallEvent, CallResult, Direction, EventKind, Framing, Segment, SegmentEvent,
    TcpAnalyses, TcpFlags, TcpOptions, TcpState, Timestamps, Transport,
};
use tokio::sync::oneshot;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Events per run: enough for a run to last a good fraction of a second.
const EVENTS: usize = 400_000;
const RUNS: usize = 5;
/// The relay's default `--events-per-second`.
const DEFAULT_PACE: u32 = 1_000_000;

fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let sample = sample_events();
        report("serialise", &sample, |rx| Box::pin(serialise(rx))).await?;
        report("websocket", &sample, |rx| {
            Box::pin(over_websocket(rx, u32::MAX))
        })
        .await?;
        report("websocket_paced", &sample, |rx| {
            Box::pin(over_websocket(rx, DEFAULT_PACE))
        })
        .await
    })
}

/// What one run measured.
struct Run {
    elapsed: Duration,
    events: usize,
    bytes: usize,
}

type RunFuture = std::pin::Pin<Box<dyn Future<Output = Result<Run>> + Send>>;

async fn report(
    name: &str,
    sample: &[EventKind],
    run: impl Fn(EventRx) -> RunFuture,
) -> Result<()> {
    let mut runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let (tx, rx) = events::queue(EVENTS, events::ROOM_BYTES);
        for (n, kind) in sample.iter().cycle().take(EVENTS).enumerate() {
            tx.emit_at(1_795_431_092_000_000 + n as u64, kind.clone());
        }
        // With every sender gone the writer ends once the queue is empty.
        drop(tx);
        let measured = run(rx).await?;
        if measured.events != EVENTS {
            return Err(format!("{name}: {} of {EVENTS} events arrived", measured.events).into());
        }
        runs.push(measured);
    }
    runs.sort_by_key(|r| r.elapsed);
    let median = &runs[RUNS / 2];
    let seconds = median.elapsed.as_secs_f64();
    let per_second = median.events as f64 / seconds;
    let mb_per_second = median.bytes as f64 / seconds / 1e6;
    println!(
        "pipeline {name:<16} {:>9.0} events/s  ({} events in {:.3} s, {:.0} MB/s of JSON, median of {RUNS})",
        per_second, median.events, seconds, mb_per_second
    );
    println!(
        "{}",
        serde_json::json!({
            "bench": "pipeline",
            "case": name,
            "events": median.events,
            "seconds": seconds,
            "events_per_second": per_second.round(),
            "json_mb_per_second": (mb_per_second * 10.0).round() / 10.0,
        })
    );
    Ok(())
}

/// The writer into a sink that keeps nothing but the byte count.
async fn serialise(rx: EventRx) -> Result<Run> {
    let bytes = Arc::new(AtomicUsize::new(0));
    let counted = bytes.clone();
    let sink = Box::pin(futures_util::sink::unfold(
        (),
        move |(), message: Message| {
            if let Message::Text(text) = &message {
                counted.fetch_add(text.len(), Ordering::Relaxed);
            }
            async { Ok::<_, Infallible>(()) }
        },
    ));
    let started = Instant::now();
    sockscope::ws::write_events(sink, rx, u32::MAX, sockscope::ws::Encoding::Text).await;
    Ok(Run {
        elapsed: started.elapsed(),
        events: EVENTS,
        bytes: bytes.load(Ordering::Relaxed),
    })
}

/// The writer into axum's WebSocket, read by a client over loopback TCP.
async fn over_websocket(rx: EventRx, pace: u32) -> Result<Run> {
    let waiting = Arc::new(Mutex::new(Some(rx)));
    let (started_tx, started_rx) = oneshot::channel::<Instant>();
    let started_tx = Arc::new(Mutex::new(Some(started_tx)));
    let app = Router::new().route(
        "/ws",
        get(move |upgrade: WebSocketUpgrade| {
            let rx = waiting.lock().ok().and_then(|mut rx| rx.take());
            let started = started_tx.lock().ok().and_then(|mut tx| tx.take());
            async move {
                upgrade.on_upgrade(move |socket| async move {
                    let (Some(rx), Some(started)) = (rx, started) else {
                        return;
                    };
                    // Split as the relay does: its reader task owns the
                    // other half.
                    let (sink, _stream) = socket.split();
                    let _ = started.send(Instant::now());
                    sockscope::ws::write_events(sink, rx, pace, sockscope::ws::Encoding::Text)
                        .await;
                })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let (mut client, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await?;
    let (mut events, mut bytes) = (0usize, 0usize);
    while let Some(message) = client.next().await {
        match message? {
            tokio_tungstenite::tungstenite::Message::Text(text) => {
                bytes += text.len();
                events += serde_json::from_str::<Vec<IgnoredAny>>(text.as_str())?.len();
                if events >= EVENTS {
                    break;
                }
            }
            tokio_tungstenite::tungstenite::Message::Close(_) => break,
            _ => {}
        }
    }
    let finished = Instant::now();
    let started = started_rx.await?;
    server.abort();
    Ok(Run {
        elapsed: finished.duration_since(started),
        events,
        bytes,
    })
}

/// One round of a busy connection's events: send, data segment, ACK, recv.
fn sample_events() -> Vec<EventKind> {
    let data = Bytes::from((0..32u8).map(|b| b'a' + b % 26).collect::<Vec<u8>>());
    let (client, server) = ("127.0.0.1:45396", "127.0.0.1:9527");
    let segment = |forward: bool, payload: &Bytes, flags: TcpFlags| {
        EventKind::Segment(SegmentEvent {
            conn: 1,
            src: if forward { client } else { server }.into(),
            dst: if forward { server } else { client }.into(),
            direction: if forward {
                Direction::Forward
            } else {
                Direction::Reverse
            },
            from_socket: sockscope_shared::NonZeroSocketId::new(if forward { 2 } else { 3 }),
            to_socket: sockscope_shared::NonZeroSocketId::new(if forward { 3 } else { 2 }),
            tap: None,
            crossing: None,
            analysis: TcpAnalyses::NONE,
            segment: Segment::Tcp {
                flags,
                seq: 3_141_592_653,
                ack: 2_718_281_828,
                rel_seq: 1_000_001,
                rel_ack: 1,
                window: 512,
                window_scaled: 65_536,
                options: TcpOptions {
                    timestamps: Some(Timestamps {
                        value: 1_234_567,
                        echo_reply: 1_234_560,
                    }),
                    ..TcpOptions::default()
                },
                payload_len: payload.len() as u32,
                payload: payload.clone(),
            },
        })
    };
    let call = |socket, call, result, local: &str, peer: &str| {
        EventKind::Call(CallEvent {
            socket,
            request: None,
            transport: Transport::Tcp,
            call,
            result,
            local: Some(local.into()),
            peer: Some(peer.into()),
            state: Some(TcpState::Established),
        })
    };
    vec![
        call(
            2,
            Call::Send {
                data: data.clone(),
                offset: 1_000_000,
                message: 7,
                framing: Framing::None,
            },
            CallResult::Sent { bytes: 32 },
            client,
            server,
        ),
        segment(
            true,
            &data,
            TcpFlags {
                ack: true,
                psh: true,
                ..TcpFlags::default()
            },
        ),
        segment(
            false,
            &Bytes::default(),
            TcpFlags {
                ack: true,
                ..TcpFlags::default()
            },
        ),
        call(
            3,
            Call::Recv { bufsize: 1024 },
            CallResult::Data {
                data: data.clone(),
                offset: 1_000_000,
            },
            server,
            client,
        ),
    ]
}
