//! The time-sequence graph under the ladder ([`crate::model::seq_graph`]):
//! one direction of one TCP connection, its data segments as bars, the
//! ACK and window lines, SACK blocks, retransmissions and drops, and the
//! sender's congestion window, bytes in flight and RTT beneath.
//!
//! It shows the connection shown alone in the ladder, else the one the
//! player's current step belongs to. A vertical line marks the current
//! step; a click selects the nearest segment, in the ladder and the detail
//! pane too. The wheel zooms around the pointer, a drag pans, and with the
//! graph focused `+` `-` `←` `→` and `0` do the same from the keyboard.
//! Only as many bars as the graph has pixel columns are drawn, whatever
//! the capture's size.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use yew::prelude::*;

use super::length::{push_px, px};
use crate::i18n::{Lang, use_lang};
use crate::model::Model;
use crate::model::describe::{duration, thousands};
use crate::model::seq_graph::{SeqGraph, Window};
use crate::state::ModelRef;

/// The plot's width in pixel columns, and where it starts.
const COLUMNS: usize = 800;
const LEFT: f64 = 80.0;
const WIDTH: f64 = LEFT + COLUMNS as f64 + 64.0;
/// The sequence plot's top and height, and the counters' strip below it.
const TOP: f64 = 12.0;
const PLOT: f64 = 240.0;
const STRIP_TOP: f64 = TOP + PLOT + 34.0;
const STRIP: f64 = 80.0;
/// The height with the counters' strip, and without (a capture file).
const HEIGHT: f64 = STRIP_TOP + STRIP + 26.0;
const HEIGHT_PLOT_ONLY: f64 = STRIP_TOP - 8.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    /// The player's step.
    pub current: Option<usize>,
    /// The connection shown alone, if any.
    #[prop_or_default]
    pub focus: Option<usize>,
    pub onselect: Callback<usize>,
    /// The player follows a live session: the graph is redrawn at most
    /// every [`LIVE_REDRAW_MS`].
    #[prop_or_default]
    pub live_end: bool,
}

/// How often a live session's graph is drawn again at most: once a
/// second, as Wireshark redraws its I/O graph during a live capture. It is
/// an overview of the whole connection, every column of which moves as the
/// session grows; drawn at each event it cost a live page about 5 ms of
/// script a message, and four times a second still about a quarter of a
/// growing session's main-thread time (docs/BENCHMARKS.md, "Growing
/// session"). A session at rest is drawn at once.
const LIVE_REDRAW_MS: f64 = 1000.0;

/// The graph as last drawn, for a live session's next events.
struct Drawn {
    at_ms: f64,
    conversation: usize,
    html: Html,
}

/// What the graph keeps: the connection and direction its window is of.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Shown {
    conversation: usize,
    direction: Option<usize>,
    window: Option<Window>,
}

#[component]
pub fn SeqGraphView(props: &Props) -> Html {
    let lang = use_lang();
    let model = props.model.get();
    let svg = use_node_ref();
    let shown = use_state(|| None::<Shown>);
    let drag = use_mut_ref(|| None::<(f64, Window, bool)>);
    let dragged = use_mut_ref(|| false);
    let kept = use_mut_ref(|| None::<Kept>);
    let drawn = use_mut_ref(|| None::<Drawn>);
    let redraw = use_mut_ref(|| None::<Timeout>);
    let force = use_force_update();
    // The connection: shown alone, else the current step's.
    let current_at = props
        .current
        .and_then(|step| model.steps.get(step).copied());
    let conversation = props
        .focus
        .or_else(|| current_at.and_then(|at| model.conversation_at(at)))
        // A step of no connection (a bind, a call that waits) keeps the
        // graph last shown.
        .or_else(|| kept.borrow().as_ref().map(|k| k.conversation))
        .filter(|&c| {
            model
                .conversations
                .get(c)
                .is_some_and(|c| c.transport == sockscope_shared::Transport::Tcp)
        });
    let shown_now = (*shown).filter(|s| Some(s.conversation) == conversation);
    let direction = shown_now.and_then(|s| s.direction);
    let Some(conversation) = conversation else {
        return html! {};
    };
    let Some(graph) = kept_graph(
        &mut kept.borrow_mut(),
        &props.model,
        &model,
        conversation,
        direction,
    ) else {
        return html! {};
    };
    if graph.data.is_empty() && graph.acks.is_empty() {
        return html! {};
    }
    let graph = &*graph;
    // Live, and not zoomed by the reader: the last drawing stands for a
    // moment, and a timer draws the graph again once it is up.
    let now_ms = js_sys::Date::now();
    if props.live_end && shown_now.and_then(|s| s.window).is_none() {
        let recent = drawn
            .borrow()
            .as_ref()
            .filter(|d| d.conversation == conversation && now_ms - d.at_ms < LIVE_REDRAW_MS)
            .map(|d| (d.at_ms, d.html.clone()));
        if let Some((at_ms, html)) = recent {
            if redraw.borrow().is_none() {
                let (pending, force) = (redraw.clone(), force.clone());
                let wait = (LIVE_REDRAW_MS - (now_ms - at_ms)).max(0.0) as u32 + 1;
                *redraw.borrow_mut() = Some(Timeout::new(wait, move || {
                    pending.borrow_mut().take();
                    force.force_update();
                }));
            }
            return html;
        }
    }
    let whole = graph.whole();
    let window = shown_now.and_then(|s| s.window).unwrap_or(whole);
    let set_window = {
        let shown = shown.clone();
        let direction = graph.direction;
        move |window: Window| {
            shown.set(Some(Shown {
                conversation,
                direction: Some(direction),
                window: Some(window),
            }));
        }
    };
    // The pointer's place across the plot, 0 to 1.
    let fraction = {
        let svg = svg.clone();
        move |client_x: i32| {
            let Some(element) = svg.cast::<web_sys::Element>() else {
                return 0.5;
            };
            let rect = element.get_bounding_client_rect();
            let scale = WIDTH / rect.width().max(1.0);
            ((f64::from(client_x) - rect.left()) * scale - LEFT) / COLUMNS as f64
        }
    };
    let onwheel = {
        let set_window = set_window.clone();
        let fraction = fraction.clone();
        Callback::from(move |e: WheelEvent| {
            e.prevent_default();
            let factor = if e.delta_y() < 0.0 { 0.8 } else { 1.25 };
            set_window(window.zoomed(factor, fraction(e.client_x()), whole));
        })
    };
    let onmousedown = {
        let drag = drag.clone();
        Callback::from(move |e: MouseEvent| {
            *drag.borrow_mut() = Some((f64::from(e.client_x()), window, false));
        })
    };
    let onmousemove = {
        let drag = drag.clone();
        let set_window = set_window.clone();
        let svg = svg.clone();
        Callback::from(move |e: MouseEvent| {
            let Some((from_x, start, _)) = *drag.borrow() else {
                return;
            };
            let width = svg
                .cast::<web_sys::Element>()
                .map_or(WIDTH, |el| el.get_bounding_client_rect().width().max(1.0));
            let moved = (f64::from(e.client_x()) - from_x) * WIDTH / width / COLUMNS as f64;
            if moved.abs() > 0.005 {
                *drag.borrow_mut() = Some((from_x, start, true));
                set_window(start.panned(-moved, whole));
            }
        })
    };
    // A drag ends at the button's release; the click that follows it is
    // not a choice of segment.
    let onmouseup = {
        let drag = drag.clone();
        let dragged = dragged.clone();
        Callback::from(move |_: MouseEvent| {
            *dragged.borrow_mut() = drag.borrow_mut().take().is_some_and(|(_, _, moved)| moved);
        })
    };
    let onclick = {
        let onselect = props.onselect.clone();
        Callback::from(move |e: MouseEvent| {
            if std::mem::take(&mut *dragged.borrow_mut()) {
                return;
            }
            let at_fraction = fraction(e.client_x()).clamp(0.0, 1.0);
            let t_us =
                window.from_us + ((window.to_us - window.from_us) as f64 * at_fraction) as u64;
            // The graph as kept, not a copy held by this callback: a copy
            // would keep the next render from extending it in place.
            let nearest = kept
                .borrow()
                .as_ref()
                .and_then(|k| k.graph.nearest(t_us).map(|mark| mark.at));
            if let Some(at) = nearest {
                onselect.emit(at);
            }
        })
    };
    let onkeydown = {
        let set_window = set_window.clone();
        Callback::from(move |e: KeyboardEvent| {
            let next = match e.key().as_str() {
                "+" | "=" => window.zoomed(0.8, 0.5, whole),
                "-" | "_" => window.zoomed(1.25, 0.5, whole),
                "ArrowLeft" => window.panned(-0.2, whole),
                "ArrowRight" => window.panned(0.2, whole),
                "0" => whole,
                _ => return,
            };
            e.prevent_default();
            set_window(next);
        })
    };
    let flip = {
        let shown = shown.clone();
        let direction = graph.direction;
        Callback::from(move |_: MouseEvent| {
            shown.set(Some(Shown {
                conversation,
                direction: Some(1 - direction),
                window: None,
            }));
        })
    };

    let (low, high) = graph.seq_range(window);
    // Above the top (a window's edge far off) is drawn at the top.
    let y = |seq: u64| {
        TOP + PLOT - (seq.min(high).saturating_sub(low)) as f64 / (high - low) as f64 * PLOT
    };
    let x = |column: usize| LEFT + column as f64 + 0.5;
    let columns = graph.columns(window, COLUMNS);
    // One path a kind of bar: a zoom or a pan changes three attributes,
    // not four for each of 800 lines (measured: a step of the wheel cost
    // 17 ms of page work with a line a column).
    let mut paths = [String::new(), String::new(), String::new()];
    let mut listed = String::new();
    for column in &columns {
        let (y_low, y_high) = (y(column.low), y(column.high));
        let path = &mut paths[column.kind as usize];
        path.push('M');
        push_px(path, x(column.x));
        path.push(' ');
        push_px(path, y_low);
        path.push('V');
        push_px(path, y_high.min(y_low - 1.0));
        listed.push_str(&format!(
            "{} {} {} {};",
            column.low, column.high, column.segments, column.first_at
        ));
    }
    let [sent_path, again_path, dropped_path] = paths;
    let acks = SeqGraph::steps(&graph.acks, |a| a.t_us, |a| a.ack, window, COLUMNS);
    let edges = SeqGraph::steps(&graph.acks, |a| a.t_us, |a| a.window_edge, window, COLUMNS);
    let sacks = graph
        .sacks
        .iter()
        .filter_map(|s| Some((window.column(s.t_us, COLUMNS)?, s)))
        .take(COLUMNS * 2)
        .map(|(column, s)| {
            html! { <line class="sack" x1={px(x(column))} x2={px(x(column))} y1={px(y(s.left))} y2={px(y(s.right))} /> }
        });
    // The counters' strip: bytes on one scale, the RTT on its own.
    let cwnd = SeqGraph::steps(
        &graph.counters,
        |c| c.t_us,
        |c| c.cwnd_bytes,
        window,
        COLUMNS,
    );
    let flight = SeqGraph::steps(
        &graph.counters,
        |c| c.t_us,
        |c| c.in_flight_bytes,
        window,
        COLUMNS,
    );
    let rtt = SeqGraph::steps(
        &graph.counters,
        |c| c.t_us,
        |c| u64::from(c.rtt_us),
        window,
        COLUMNS,
    );
    let bytes_top = cwnd
        .iter()
        .chain(&flight)
        .map(|p| p.1)
        .max()
        .unwrap_or(1)
        .max(1);
    let rtt_top = rtt.iter().map(|p| p.1).max().unwrap_or(1).max(1);
    let strip_y = |value: u64, top: u64| STRIP_TOP + STRIP - value as f64 / top as f64 * STRIP;
    let has_counters = !graph.counters.is_empty();
    let height = if has_counters {
        HEIGHT
    } else {
        HEIGHT_PLOT_ONLY
    };
    let cursor_end = if has_counters {
        STRIP_TOP + STRIP
    } else {
        TOP + PLOT
    };
    let cursor = current_at
        .and_then(|at| model.events.get(at))
        .and_then(|e| window.column(e.t_us, COLUMNS))
        .map(|column| {
            html! { <line class="graph-cursor" x1={px(x(column))} x2={px(x(column))} y1={px(TOP)} y2={px(cursor_end)} /> }
        });
    let conv = model.conversations.get(conversation);
    let ends = conv.map(|c| {
        (
            c.ends[graph.direction].addr.clone(),
            c.ends[1 - graph.direction].addr.clone(),
        )
    });
    let (from, to) = ends.unwrap_or_default();
    let segments: usize = columns.iter().map(|c| c.segments).sum();
    let elapsed = |t: u64| format!("+{}", duration(t.saturating_sub(whole.from_us)));
    let html = html! {
        <section class="panel seq-graph-panel" id="seq-graph" data-conversation={conversation.to_string()}
            data-direction={graph.direction.to_string()} data-segments={graph.data.len().to_string()}
            data-drawn-segments={segments.to_string()} data-columns={columns.len().to_string()}
            data-from-us={window.from_us.to_string()} data-to-us={window.to_us.to_string()}
            // Each bar, left to right, "low high segments first-event;":
            // what the paths draw, for tests and tools to read.
            data-bars={listed}>
            <header>
                <h2>{ lang.pick("Sequence over time", "序号随时间") }</h2>
                <span class="meta">{ format!("{from} → {to}") }</span>
                <button type="button" class="secondary small" id="seq-graph-flip" onclick={flip}>{ lang.pick("other direction", "另一个方向") }</button>
            </header>
            <svg ref={svg} class="seq-graph" width={px(WIDTH)} height={px(height)} viewBox={format!("0 0 {} {}", px(WIDTH), px(height))}
                tabindex="0" role="img" aria-label={lang.pick("time-sequence graph: wheel or + and - to zoom, drag or arrows to pan, 0 for all", "时间-序号图：滚轮或 + - 缩放，拖动或方向键平移，0 显示全部")}
                {onwheel} {onmousedown} {onmousemove} {onmouseup} {onclick} {onkeydown}>
                <rect class="graph-bg" x={px(LEFT)} y={px(TOP)} width={px(COLUMNS as f64)} height={px(PLOT)} />
                <text class="axis" x={px(LEFT - 6.0)} y={px(TOP + 10.0)} text-anchor="end">{ thousands(high) }</text>
                <text class="axis" x={px(LEFT - 6.0)} y={px(TOP + PLOT)} text-anchor="end">{ thousands(low) }</text>
                <text class="axis" x={px(LEFT)} y={px(TOP + PLOT + 16.0)}>{ elapsed(window.from_us) }</text>
                <text class="axis" x={px(LEFT + COLUMNS as f64)} y={px(TOP + PLOT + 16.0)} text-anchor="end">{ elapsed(window.to_us) }</text>
                <polyline class="win-line" points={step_points(&edges, x, y)} />
                <polyline class="ack-line" points={step_points(&acks, x, y)} />
                <g class="sacks">{ for sacks }</g>
                <g class="bars">
                    <path class="seg-bars data" d={sent_path} />
                    <path class="seg-bars again" d={again_path} />
                    <path class="seg-bars dropped" d={dropped_path} />
                </g>
                if has_counters {
                    <rect class="graph-bg" x={px(LEFT)} y={px(STRIP_TOP)} width={px(COLUMNS as f64)} height={px(STRIP)} />
                    <text class="axis" x={px(LEFT - 6.0)} y={px(STRIP_TOP + 10.0)} text-anchor="end">{ format!("{} B", thousands(bytes_top)) }</text>
                    <text class="axis rtt" x={px(LEFT + COLUMNS as f64 + 4.0)} y={px(STRIP_TOP + 10.0)}>{ duration(rtt_top) }</text>
                    <polyline class="cwnd-line" points={step_points(&cwnd, x, |v| strip_y(v, bytes_top))} />
                    <polyline class="in-flight-line" points={step_points(&flight, x, |v| strip_y(v, bytes_top))} />
                    <polyline class="rtt-line" points={step_points(&rtt, x, |v| strip_y(v, rtt_top))} />
                }
                { for cursor }
            </svg>
            <p class="legend">
                <span class="key data">{ lang.pick("data", "数据") }</span>
                <span class="key again">{ lang.pick("sent again", "重传") }</span>
                <span class="key dropped">{ lang.pick("dropped by the path", "被路径丢弃") }</span>
                <span class="key ack">{ lang.pick("acknowledged", "已确认") }</span>
                <span class="key win">{ lang.pick("window edge", "窗口右沿") }</span>
                <span class="key sack">{ "SACK" }</span>
                if has_counters {
                    <span class="key cwnd">{ lang.pick("cwnd (bytes)", "拥塞窗口（字节）") }</span>
                    <span class="key in-flight">{ lang.pick("in flight", "在途") }</span>
                    <span class="key rtt">{ "RTT" }</span>
                }
                <span class="hint">{ match lang {
                    Lang::En => format!("{} of {} data segments in view · wheel or + − to zoom, drag or ← → to pan, 0 for all", thousands(segments as u64), thousands(graph.data.len() as u64)),
                    Lang::Zh => format!("可见 {} / {} 个数据报文段 · 滚轮或 + − 缩放，拖动或 ← → 平移，0 显示全部", thousands(segments as u64), thousands(graph.data.len() as u64)),
                } }</span>
            </p>
        </section>
    };
    *drawn.borrow_mut() = Some(Drawn {
        at_ms: now_ms,
        conversation,
        html: html.clone(),
    });
    html
}

/// The graph the view keeps between renders, and what it was made of.
struct Kept {
    model: ModelRef,
    conversation: usize,
    /// The direction asked for (`None`: the one that carried more bytes).
    asked: Option<usize>,
    graph: Rc<SeqGraph>,
}

/// The graph of `conversation` in `model`: the one kept when nothing
/// changed, the kept one extended when the session only grew
/// ([`SeqGraph::extend`]: a live session's graph costs each event the
/// same), a new one otherwise.
fn kept_graph(
    kept: &mut Option<Kept>,
    model_ref: &ModelRef,
    model: &Model,
    conversation: usize,
    asked: Option<usize>,
) -> Option<Rc<SeqGraph>> {
    if let Some(k) = kept.as_mut()
        && k.conversation == conversation
        && k.asked == asked
    {
        if k.model == *model_ref {
            return Some(k.graph.clone());
        }
        // Held only here between renders, so extended where it is; unless
        // the other direction has come to carry more bytes (a download's
        // graph begins at the SYN, before either has sent any).
        let same_direction =
            asked.is_some() || SeqGraph::busier_direction(model, conversation) == k.graph.direction;
        if same_direction
            && k.model.same_store(model_ref)
            && let Some(graph) = Rc::get_mut(&mut k.graph)
        {
            graph.extend(model);
            k.model = model_ref.clone();
            return Some(k.graph.clone());
        }
    }
    let graph = Rc::new(SeqGraph::of(model, conversation, asked)?);
    *kept = Some(Kept {
        model: model_ref.clone(),
        conversation,
        asked,
        graph: graph.clone(),
    });
    Some(graph)
}

/// A step line's SVG points: across at the old value, then up or down.
fn step_points(
    points: &[(usize, u64)],
    x: impl Fn(usize) -> f64,
    y: impl Fn(u64) -> f64,
) -> String {
    let mut out = String::new();
    let mut last: Option<f64> = None;
    for &(column, value) in points {
        let (px_x, px_y) = (x(column), y(value));
        let mut point = |y: f64| {
            push_px(&mut out, px_x);
            out.push(',');
            push_px(&mut out, y);
            out.push(' ');
        };
        if let Some(last_y) = last {
            point(last_y);
        }
        point(px_y);
        last = Some(px_y);
    }
    // The last value holds to the right edge.
    if let Some(last_y) = last {
        push_px(&mut out, x(COLUMNS - 1));
        out.push(',');
        push_px(&mut out, last_y);
    }
    out
}
