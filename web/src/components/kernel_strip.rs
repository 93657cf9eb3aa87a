//! What each socket's kernel holds, drawn above its lane: its TCP state
//! (TIME_WAIT counting down its 60 seconds), its congestion window, bytes
//! in flight and RTT (TCP_INFO), the bytes waiting in its receive buffer
//! coloured by the send() that wrote them, and the bytes its program wrote
//! that have not left yet.
//!
//! The numbers are [`crate::model::buffers`]'s, as of the player's step.
//! When the step moved forward, the bytes a segment brought drop into the
//! buffer as its packet lands, and the chunk a recv() took lifts out of it:
//! the sticky-packet story as motion. Stepping back shows the buffer as it
//! was, at once.

use std::rc::Rc;

use yew::prelude::*;

use sockscope_shared::{TcpInfo, TcpState};

use super::ladder_motion::Arrival;
use super::ladder_rows::Columns;
use super::length::px;
use super::send_class;
use super::stream_lanes::glyph;
use crate::i18n::{Lang, use_lang};
use crate::model::Model;
use crate::model::addr;
use crate::model::buffers::{EndView, Receive, Taken, ends_at};
use crate::model::describe::duration;
use crate::model::ladder::Lane;
use crate::model::stream::{ByteStream, Piece};
use crate::state::ModelRef;

/// Linux keeps a connection in TIME_WAIT this long (TCP_TIMEWAIT_LEN).
const TIME_WAIT_US: u64 = 60_000_000;
/// The width of a buffer's track, in pixels.
const TRACK: f64 = 300.0;
/// The widest a byte is drawn, wide enough for its character.
const BYTE: f64 = 20.0;
/// One end's height in the strip, and what its TCP_INFO line adds.
const END_HEIGHT: f64 = 70.0;
const COUNTERS_HEIGHT: f64 = 16.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    pub step: usize,
    /// The ladder's lanes, left to right.
    pub lanes: Rc<Vec<Lane>>,
    /// Where the lanes stand.
    pub columns: Columns,
    pub width: f64,
    /// The current step's motion, when it moved forward.
    #[prop_or_default]
    pub arrival: Option<Arrival>,
    /// Where the clock stands: the step's time when looking back, `None`
    /// at the live end (the TIME_WAIT clock then runs).
    #[prop_or_default]
    pub frozen_at_us: Option<u64>,
}

/// The strip above the lanes; nothing when no TCP connection is shown. A
/// component of its own, so that the ladder's other renders (a scroll, a
/// selection) do not work the buffers out again.
#[component]
pub fn KernelStrip(strip: &Props) -> Html {
    let lang = use_lang();
    let model = strip.model.get();
    let views = ends_at(&model, strip.step);
    let mut by_lane: Vec<Vec<&EndView>> = vec![Vec::new(); strip.lanes.len()];
    for view in &views {
        if let Some(lane) = strip
            .lanes
            .iter()
            .position(|l| addr::same_endpoint(&l.addr, &view.addr))
        {
            by_lane[lane].push(view);
        }
    }
    let tallest = by_lane.iter().map(Vec::len).max().unwrap_or(0);
    if tallest == 0 {
        return html! {};
    }
    let end_height = if views.iter().any(|v| v.counters.is_some()) {
        END_HEIGHT + COUNTERS_HEIGHT
    } else {
        END_HEIGHT
    };
    let height = tallest as f64 * end_height + 6.0;
    html! {
        <div class={classes!("kernel-strip", strip.arrival.is_some().then_some("moving"))} id="kernel-strip"
            style={format!("width:{}px;height:{}px;{}", px(strip.width), px(height), strip.arrival.map(Arrival::style).unwrap_or_default())}>
            { for by_lane.iter().enumerate().filter(|(_, ends)| !ends.is_empty()).map(|(lane, ends)| html! {
                <div class="kernel-lane" style={format!("left:{}px;--lane-room:{}px", px(strip.columns.x(lane)), px(strip.columns.gap() - 16.0))}>
                    { for ends.iter().map(|view| end(lang, &model, view, strip.frozen_at_us)) }
                </div>
            }) }
        </div>
    }
}

fn end(lang: Lang, model: &Model, view: &EndView, frozen_at_us: Option<u64>) -> Html {
    let stream = model
        .conversations
        .get(view.conversation)
        .map(|c| &c.streams[1 - view.end]);
    let who = view
        .socket
        .map_or_else(|| view.addr.clone(), |id| format!("#{id}"));
    let badge = view.state.map(|s| {
        html! {
            <span class={classes!("state-badge", s.changed_now.then_some("changed"))} key={format!("{}-{}", who, s.state.name())} data-state={s.state.name()}>
                { format!("{who} {}", s.state.name()) }
                if s.state == TcpState::TimeWait {
                    { time_wait_left(lang, s.since_us, frozen_at_us) }
                }
            </span>
        }
    });
    let buffer = match &view.receive {
        Receive::Known(buffer) => {
            let shown = buffer
                .waiting
                .max(buffer.taken.as_ref().map_or(0, Taken::len));
            let scale = (TRACK / shown.max(1) as f64).min(BYTE);
            let poured_from = buffer.poured.map(|(start, _)| start);
            let pieces = buffer.pieces.iter().map(|piece| {
                bytes(
                    stream,
                    piece,
                    scale,
                    poured_from.is_some_and(|s| piece.offset >= s),
                )
            });
            let taken = buffer.taken.as_ref().map(|taken| html! {
                <div class="taken" title={lang.pick("what this recv() took", "这次 recv() 取走的")}>
                    { for taken.pieces.iter().map(|p| bytes(stream, p, scale, false)) }
                    <span class="taken-label">{ match lang {
                        Lang::En => format!("recv({}) took {} B", taken.bufsize, taken.len()),
                        Lang::Zh => format!("recv({}) 取走 {} 字节", taken.bufsize, taken.len()),
                    } }</span>
                </div>
            });
            let kernel = buffer.kernel.map(|bytes| match lang {
                Lang::En => format!(" · kernel says {bytes}"),
                Lang::Zh => format!(" · 内核报告 {bytes}"),
            });
            let label = format!(
                "{}{}",
                match lang {
                    Lang::En =>
                        if buffer.waiting == 0 {
                            "recv buffer empty".to_string()
                        } else {
                            format!("recv buffer {} B", buffer.waiting)
                        },
                    Lang::Zh =>
                        if buffer.waiting == 0 {
                            "接收缓冲区为空".to_string()
                        } else {
                            format!("接收缓冲区 {} 字节", buffer.waiting)
                        },
                },
                kernel.unwrap_or_default()
            );
            html! {
                <div class="rbuf" data-waiting={buffer.waiting.to_string()} data-read={buffer.read.to_string()}
                    data-kernel={buffer.kernel.map(|k| k.to_string())}
                    title={lang.pick("receive buffer: bytes that arrived and no recv() has taken yet", "接收缓冲区：已到达、还没有被 recv() 取走的字节")}>
                    // Cut short where lanes stand close; whole on hover.
                    <span class="buf-label" title={label.clone()}>{ label }</span>
                    <div class="buf-track">{ for pieces }</div>
                    { for taken }
                </div>
            }
        }
        Receive::ArrivedOnly { arrived, poured } => {
            let scale = (TRACK / poured.iter().map(|p| p.len).sum::<u64>().max(1) as f64).min(BYTE);
            html! {
                <div class="rbuf arrived-only" data-arrived={arrived.to_string()}
                    title={lang.pick("a capture shows what arrived, not what recv() took", "抓包只能看到到达的数据，看不到 recv() 取走了什么")}>
                    <span class="buf-label">{ match lang {
                        Lang::En => format!("{arrived} B arrived (reads not recorded)"),
                        Lang::Zh => format!("已到达 {arrived} 字节（未记录读取）"),
                    } }</span>
                    <div class="buf-track">{ for poured.iter().map(|p| bytes(stream, p, scale, true)) }</div>
                </div>
            }
        }
    };
    let unsent = (view.unsent > 0).then(|| {
        html! {
            <div class="sbuf" data-unsent={view.unsent.to_string()}>{ match lang {
                Lang::En => format!("send buffer: {} B not sent yet", view.unsent),
                Lang::Zh => format!("发送缓冲区：{} 字节尚未发出", view.unsent),
            } }</div>
        }
    });
    let counters = view.counters.as_ref().map(|info| counters(lang, info));
    html! {
        <div class={classes!("kernel-end", view.counters.is_some().then_some("with-counters"))} data-socket={view.socket.map(|s| s.to_string())} data-conversation={view.conversation.to_string()} data-end={view.end.to_string()}>
            <div class="kernel-head">{ for badge }{ for unsent }</div>
            { for counters }
            { buffer }
        </div>
    }
}

/// The sender's side of TCP_INFO in one line: the congestion window, the
/// bytes in flight and the smoothed RTT; the rest on hover.
fn counters(lang: Lang, info: &TcpInfo) -> Html {
    let in_flight = info.in_flight_bytes();
    let rtt = duration(u64::from(info.rtt_us));
    let line = match lang {
        Lang::En => format!(
            "cwnd {} · {in_flight} B in flight · rtt {rtt}",
            info.snd_cwnd
        ),
        Lang::Zh => format!("cwnd {} · 在途 {in_flight} 字节 · rtt {rtt}", info.snd_cwnd),
    };
    let ssthresh = info
        .snd_ssthresh
        .map_or_else(|| "∞".to_string(), |s| s.to_string());
    let rto = duration(u64::from(info.rto_us));
    let detail = match lang {
        Lang::En => format!(
            "TCP_INFO: {} · ssthresh {ssthresh} · rto {rto} · mss {} · retransmitted {} · {} B acknowledged, {} B received",
            info.ca_state.name(),
            info.snd_mss,
            info.total_retrans,
            info.bytes_acked,
            info.bytes_received
        ),
        Lang::Zh => format!(
            "TCP_INFO：{} · ssthresh {ssthresh} · rto {rto} · mss {} · 重传 {} · 已确认 {} 字节，已接收 {} 字节",
            info.ca_state.name(),
            info.snd_mss,
            info.total_retrans,
            info.bytes_acked,
            info.bytes_received
        ),
    };
    html! {
        <div class="tcp-counters" data-cwnd={info.snd_cwnd.to_string()} data-rtt-us={info.rtt_us.to_string()}
            data-in-flight={in_flight.to_string()} title={detail}>{ line }</div>
    }
}

/// TIME_WAIT's remaining time. The browser counts it down (a CSS
/// animation of an integer property shown through a counter), started as
/// far into the minute as the connection already waited; at a step in
/// the past it stands still at that step's time.
fn time_wait_left(lang: Lang, since_us: u64, frozen_at_us: Option<u64>) -> Html {
    let now_us = frozen_at_us.unwrap_or_else(|| (js_sys::Date::now() * 1000.0) as u64);
    let waited_us = now_us.saturating_sub(since_us).min(TIME_WAIT_US);
    let left_s = (TIME_WAIT_US - waited_us).div_ceil(1_000_000);
    let (before, after) = match lang {
        Lang::En => (" · ", " s left"),
        Lang::Zh => (" · 还剩 ", " 秒"),
    };
    // A new element whenever the start changes: changing the delay of a
    // running animation would count the time already waited twice.
    let key = format!("{}-{}", waited_us / 1000, frozen_at_us.is_some());
    html! {
        <span {key} class={classes!("time-wait-left", frozen_at_us.is_some().then_some("frozen"))}
            data-left={left_s.to_string()} data-before={before} data-after={after}
            style={format!("--waited:-{}ms", waited_us / 1000)}></span>
    }
}

/// A run of bytes from one send(), in that send's colour, its characters
/// written in when they fit.
fn bytes(stream: Option<&ByteStream>, piece: &Piece, scale: f64, poured: bool) -> Html {
    let width = piece.len as f64 * scale;
    let text: String = if scale >= 9.0 {
        (piece.offset..piece.offset + piece.len)
            .map(|o| glyph(stream.and_then(|s| s.byte(o))))
            .collect()
    } else {
        String::new()
    };
    let colour = piece
        .send
        .map_or_else(|| "unknown-send".to_string(), send_class);
    html! {
        <span key={piece.offset.to_string()} class={classes!("buf-bytes", colour, poured.then_some("poured"))}
            style={format!("width:{}px;--cell:{}px", px(width), px(scale))} data-offset={piece.offset.to_string()} data-len={piece.len.to_string()}>
            { text }
        </span>
    }
}
