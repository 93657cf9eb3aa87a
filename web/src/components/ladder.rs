//! The ladder (sequence) diagram, in SVG: one lane per endpoint, one arrow
//! per packet, socket calls on their lane, TCP states beside the lane as
//! they change, handshake and close bands with what they mean.
//!
//! The layout comes from [`crate::model::ladder`]; this file only turns
//! lanes and rows into coordinates. Rows after the player's cursor are not
//! drawn, so stepping back shows the diagram as it was at that moment. A
//! tall diagram (a capture file of 100,000 packets) scrolls in a box of its
//! own and draws only the rows in view.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

use super::fields;
use super::length::px;
use super::send_class;
use crate::i18n::{Lang, use_lang, words};
use crate::model::describe::{Numbers, duration, thousands};
use crate::model::ladder::{self, Row, RowKind};
use crate::state::ModelRef;

const MARGIN: f64 = 240.0;
const GAP: f64 = 420.0;
const HEADER: f64 = 78.0;
/// A row's height; `.row-bg` in style.css says it again.
const ROW: f64 = 46.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    pub numbers: Numbers,
    pub current: Option<usize>,
    #[prop_or_default]
    pub selected: Option<usize>,
    pub onselect: Callback<usize>,
    pub onnumbers: Callback<Numbers>,
    /// The conversation shown alone (`ladder::focus`), if any.
    #[prop_or_default]
    pub focus: Option<usize>,
    pub onfocus: Callback<Option<usize>>,
}

fn lane_x(i: usize) -> f64 {
    MARGIN + i as f64 * GAP
}

/// `+1.234 ms` since the first row.
fn elapsed(t_us: u64, start: u64) -> String {
    format!("+{}", duration(t_us.saturating_sub(start)))
}

fn packet(row: &Row, label: &str, sends: &[usize], y: f64) -> Html {
    let RowKind::Packet {
        from,
        to,
        phase,
        rst,
        ..
    } = &row.kind
    else {
        return html! {};
    };
    let (x1, x2) = (lane_x(*from), lane_x(*to));
    let (y1, y2) = (y + 20.0, y + 38.0);
    let colour = match (sends.first(), rst, phase) {
        (Some(send), _, _) => send_class(*send),
        (None, true, _) => "rst".to_string(),
        (None, false, Some(phase)) => format!("phase-{}", phase.label()),
        (None, false, None) => "plain".to_string(),
    };
    // The arrowhead: a triangle pointing along the line at its end.
    let (dx, dy) = (x2 - x1, y2 - y1);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (ux, uy) = (dx / len, dy / len);
    let (bx, by) = (x2 - ux * 14.0, y2 - uy * 14.0);
    let head = format!(
        "{},{} {},{} {},{}",
        px(x2),
        px(y2),
        px(bx - uy * 6.0),
        px(by + ux * 6.0),
        px(bx + uy * 6.0),
        px(by - ux * 6.0)
    );
    // A long arrow (many lanes, as in a big capture) keeps its label near
    // its left end, by the clients, where the view starts: in the middle it
    // would be off screen for most of them.
    let mid = if (x2 - x1).abs() > 2.0 * GAP {
        x1.min(x2) + GAP / 2.0
    } else {
        (x1 + x2) / 2.0
    };
    html! {
        <>
            <line class={classes!("arrow", colour.clone())} x1={px(x1)} y1={px(y1)} x2={px(x2 - ux * 10.0)} y2={px(y2 - uy * 10.0)} />
            <polygon class={classes!("head", colour)} points={head} />
            <text class="arrow-label" x={px(mid)} y={px(y + 15.0)}>{ label }</text>
        </>
    }
}

fn call(row: &Row, label: &str, sends: &[usize], y: f64, lanes: usize) -> Html {
    let RowKind::Call {
        lane,
        failed,
        socket,
    } = &row.kind
    else {
        return html! {};
    };
    let Some(lane) = lane else {
        return html! {
            <text class={classes!("call-label", failed.then_some("failed"))} x={px(MARGIN)} y={px(y + 28.0)}>{ format!("#{socket} {label}") }</text>
        };
    };
    let x = lane_x(*lane);
    let leftward = lanes > 1 && *lane == lanes - 1;
    let chips = sends.len().min(8);
    let chip_w = 12.0;
    let chips_w = chips as f64 * chip_w;
    // Chips sit on the lane, then the label beside them.
    let chip_x0 = if leftward { x - chips_w } else { x };
    let text_x = if leftward {
        chip_x0 - 8.0
    } else {
        x + chips_w.max(6.0) + 8.0
    };
    html! {
        <>
            if chips == 0 {
                <circle class={classes!("call-dot", failed.then_some("failed"))} cx={px(x)} cy={px(y + 24.0)} r="6" />
            }
            { for sends.iter().take(8).enumerate().map(|(i, send)| html! {
                <rect class={classes!("chip", send_class(*send))} x={px(chip_x0 + i as f64 * chip_w)} y={px(y + 17.0)} width={px(chip_w - 2.0)} height="14" rx="2" />
            }) }
            <text class={classes!("call-label", failed.then_some("failed"))} x={px(text_x)} y={px(y + 29.0)}
                text-anchor={if leftward { "end" } else { "start" }}>
                <tspan class="socket-ref">{ format!("#{socket} ") }</tspan>{ label }
            </text>
        </>
    }
}

fn states(row: &Row, y: f64, lanes: usize) -> Html {
    html! {
        { for row.states.iter().filter_map(|m| m.lane.map(|l| (l, m))).enumerate().map(|(i, (lane, mark))| {
            let x = lane_x(lane);
            let rightward = lanes > 1 && lane == lanes - 1;
            let text = format!("#{} {}", mark.socket, mark.state.name());
            let w = text.chars().count() as f64 * 8.6 + 14.0;
            let mark_x = if rightward { x + 12.0 } else { x - 12.0 - w };
            let mark_y = y + 6.0 + (i % 2) as f64 * 19.0;
            html! {
                <g class="state-mark" data-state={mark.state.name()} data-socket={mark.socket.to_string()}>
                    <rect x={px(mark_x)} y={px(mark_y)} width={px(w)} height="18" rx="9" />
                    <text x={px(mark_x + w / 2.0)} y={px(mark_y + 13.5)}>{ text }</text>
                </g>
            }
        }) }
    }
}

/// The diagram grows this many rows at a time, the lanes running on below
/// the last row: the SVG's size and its lane lines then change once every
/// two sends or so, not at every row, and each change of the SVG's size has
/// the browser lay all of it out again (a quarter to two fifths of the
/// layout time of a live session, measured).
const GROW_ROWS: usize = 8;

/// Above this many rows only those in view are drawn, in a scroll box of
/// its own with the lane addresses kept on top.
const VIRTUAL_FROM: usize = 300;
/// Rows drawn beyond each edge of the view.
const OVERSCAN: usize = 12;

/// The lane addresses and lines.
fn lane_heads(lang: Lang, diagram: &ladder::Ladder, height: f64) -> Html {
    html! {
        { for diagram.lanes.iter().enumerate().map(|(i, lane)| {
            let x = lane_x(i);
            html! {
                <g class={classes!("lane", lane.server.then_some("server"))} key={lane.addr.clone()} data-addr={lane.addr.clone()}>
                    <text class="lane-addr" x={px(x)} y="26">{ &lane.addr }</text>
                    <text class="lane-sockets" x={px(x)} y="48">{ lane.sockets.iter().map(|(id, role)| format!("{} {id}", words::role(lang, *role))).collect::<Vec<_>>().join(" · ") }</text>
                    <line x1={px(x)} y1={px(HEADER - 14.0)} x2={px(x)} y2={px(height)} />
                </g>
            }
        }) }
    }
}

/// Where the scroll box stands and how much of the diagram it shows.
#[derive(Debug, Clone, Copy, PartialEq)]
struct View {
    top: f64,
    height: f64,
    left: f64,
    width: f64,
}

impl Default for View {
    fn default() -> View {
        View {
            top: 0.0,
            height: 900.0,
            left: 0.0,
            width: 900.0,
        }
    }
}

impl View {
    fn of(element: &web_sys::Element) -> View {
        View {
            top: f64::from(element.scroll_top()),
            height: f64::from(element.client_height()),
            left: f64::from(element.scroll_left()),
            width: f64::from(element.client_width()),
        }
    }

    /// Whether the box moved enough to draw other rows or lanes.
    fn differs(&self, other: &View) -> bool {
        (self.top - other.top).abs() >= ROW / 2.0
            || (self.left - other.left).abs() >= GAP / 4.0
            || (self.height - other.height).abs() >= 1.0
            || (self.width - other.width).abs() >= 1.0
    }
}

/// Moves the scroll box at the next frame, when the browser lays the page
/// out anyway: moving it now, in the middle of a render, would force a
/// layout of the whole page, once per batch of live events.
/// The scroll event this causes is marked in `ours`: the view already knows
/// where the box went, and reading it back would force a layout too.
fn scroll_soon(element: web_sys::Element, to: View, ours: Rc<RefCell<bool>>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let scroll = Closure::once_into_js(move || {
        element.set_scroll_top(to.top as i32);
        element.set_scroll_left(to.left as i32);
        *ours.borrow_mut() = true;
    });
    // Without a frame to wait for there is nothing to scroll either.
    let _ = window.request_animation_frame(scroll.unchecked_ref());
}

/// The lanes the rows touch, leftmost and rightmost, if any.
fn lanes_of(rows: &[Row]) -> Option<(usize, usize)> {
    rows.iter()
        .flat_map(|row| match &row.kind {
            RowKind::Packet { from, to, .. } => vec![*from, *to],
            RowKind::Call { lane, .. } => lane.iter().copied().collect(),
        })
        .fold(None, |span, lane| match span {
            None => Some((lane, lane)),
            Some((lo, hi)) => Some((lo.min(lane), hi.max(lane))),
        })
}

/// Each band's note once, with how many connections it describes.
fn counted(notes: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen: Vec<(String, usize)> = Vec::new();
    for note in notes {
        match seen.iter_mut().find(|(n, _)| *n == note) {
            Some((_, count)) => *count += 1,
            None => seen.push((note, 1)),
        }
    }
    seen.into_iter()
        .map(|(note, count)| {
            if count > 1 {
                format!("{note} (×{count})")
            } else {
                note
            }
        })
        .collect()
}

/// Whether `new` is `old` with more events: the live session growing, not
/// a new session or another file (which start at the top).
fn continues(old: &ModelRef, new: &ModelRef) -> bool {
    new.events.len() >= old.events.len() && new.events.first() == old.events.first()
}

/// One row's inputs: a row re-renders only when one of them changes, so a
/// new event draws one row, not the whole diagram again.
#[derive(Properties, PartialEq)]
struct RowProps {
    row: Row,
    /// What the row says (`Row::label`), worded only for the rows drawn.
    label: String,
    /// The sends whose bytes it wrote, carried or read: its colours,
    /// also found only for the rows drawn.
    sends: Vec<usize>,
    /// The row's place among the rows drawn from the top.
    position: usize,
    lanes: usize,
    width: f64,
    /// The first row's time, which every row's elapsed time counts from.
    start: u64,
    current: bool,
    selected: bool,
    onselect: Callback<usize>,
}

#[component]
fn LadderRow(props: &RowProps) -> Html {
    let row = &props.row;
    let y = HEADER + props.position as f64 * ROW;
    let at = row.at;
    let onclick = props.onselect.reform(move |_: MouseEvent| at);
    let kind = if matches!(row.kind, RowKind::Packet { .. }) {
        "packet"
    } else {
        "call"
    };
    let label = &props.label;
    let class = classes!(
        "row",
        kind,
        props.current.then_some("current"),
        props.selected.then_some("selected"),
    );
    let width = props.width;
    html! {
        <g {class} data-step={row.step.to_string()} data-index={row.index.to_string()} data-label={label.clone()} {onclick}>
            <rect class="row-bg" y={px(y)} />
            <text class="time" x={px(width - 10.0)} y={px(y + 29.0)}>{ elapsed(row.t_us, props.start) }</text>
            { packet(row, label, &props.sends, y) }
            { call(row, label, &props.sends, y, props.lanes) }
            { states(row, y, props.lanes) }
        </g>
    }
}

/// How many connections the focus list names: a capture of thousands is
/// better read through its byte streams than through a list that long.
const FOCUS_LIST: usize = 64;

#[derive(Properties, PartialEq)]
struct FocusProps {
    model: ModelRef,
    focus: Option<usize>,
    onfocus: Callback<Option<usize>>,
}

/// Shows one connection alone or all of them, when there are several.
/// A component of its own, so stepping through a big capture (a new cursor,
/// the same model) does not build its list again.
#[component]
fn FocusPicker(props: &FocusProps) -> Html {
    let lang = use_lang();
    let select = use_node_ref();
    {
        // The element's value follows the state, the one source of the
        // choice: it may be made here or in the detail pane, and once a user
        // has picked an option the browser no longer follows `selected`
        // attributes.
        let select = select.clone();
        use_effect_with((props.focus, props.model.clone()), move |(focus, _)| {
            if let Some(select) = select.cast::<web_sys::HtmlSelectElement>() {
                select.set_value(&focus.map_or_else(String::new, |c| c.to_string()));
            }
        });
    }
    let list = &props.model.conversations.list;
    if list.len() < 2 {
        return html! {};
    }
    let onchange = props
        .onfocus
        .reform(|e: Event| fields::select_value(&e).and_then(|v| v.parse().ok()));
    let beyond = props
        .focus
        .filter(|&c| c >= FOCUS_LIST)
        .and_then(|c| list.get(c));
    let more = list.len().saturating_sub(FOCUS_LIST);
    html! {
        <label class="ladder-focus">
            <span class="visually-hidden">{ lang.pick("Connections shown", "显示的连接") }</span>
            <select id="ladder-focus" ref={select} {onchange}>
                <option value="">{ match lang {
                    Lang::En => format!("all {} connections", thousands(list.len() as u64)),
                    Lang::Zh => format!("全部 {} 个连接", thousands(list.len() as u64)),
                } }</option>
                { for list.iter().take(FOCUS_LIST).chain(beyond).map(|c| html! {
                    <option value={c.id.to_string()}>{ c.label() }</option>
                }) }
                if more > 0 {
                    <option disabled=true>{ match lang {
                        Lang::En => format!("… and {} more", thousands(more as u64)),
                        Lang::Zh => format!("……还有 {} 个", thousands(more as u64)),
                    } }</option>
                }
            </select>
        </label>
    }
}

#[component]
pub fn Ladder(props: &Props) -> Html {
    let lang = use_lang();
    let diagram = use_memo((props.model.clone(), props.focus), |(model, focus)| {
        let full = ladder::layout(model);
        match focus {
            Some(conversation) => ladder::focus(&full, model, *conversation),
            None => full,
        }
    });
    let scroller = use_node_ref();
    // Set when the page itself scrolled the box (see `scroll_soon`).
    let ours = use_mut_ref(|| false);
    // The scroll box's position and size, for drawing only what is seen.
    let view = use_state(View::default);
    let shown_rows = props.current.map_or(0, |current| {
        diagram.rows.partition_point(|r| r.step <= current)
    });
    let tall = shown_rows > VIRTUAL_FROM;
    {
        // A new session or file starts at the top; stepping brings the
        // current row into view when it is off screen.
        let (scroller, view) = (scroller.clone(), view.clone());
        let last = use_mut_ref(|| None::<(ModelRef, Option<usize>)>);
        let ours = ours.clone();
        let rows = diagram.clone();
        use_effect_with(
            (props.model.clone(), props.current, tall),
            move |(model, current, tall)| {
                // The live session is a new model at every batch of events:
                // it is the same diagram while it only grows.
                let same_model = last
                    .borrow()
                    .as_ref()
                    .is_some_and(|(m, _)| m == model || continues(m, model));
                let moved = last.borrow().as_ref().is_some_and(|(_, c)| c != current);
                *last.borrow_mut() = Some((model.clone(), *current));
                if let Some(element) = scroller.cast::<web_sys::Element>() {
                    if !same_model {
                        element.set_scroll_top(0);
                        view.set(View::of(&element));
                    } else if *tall
                        && moved
                        && let Some(current) = current
                    {
                        let p = rows.rows.partition_point(|r| r.step < *current);
                        let y = HEADER + p as f64 * ROW;
                        // Where the box stood when last scrolled or resized:
                        // asking the element would force a layout of the
                        // whole page in the middle of every step.
                        let now = *view;
                        let mut wanted = now;
                        if y < now.top + HEADER || y + ROW > now.top + now.height {
                            wanted.top = (y - now.height / 2.0).max(0.0).round();
                        }
                        // And sideways, when its lanes are off to the side.
                        let lanes = rows
                            .rows
                            .get(p)
                            .and_then(|r| lanes_of(std::slice::from_ref(r)));
                        if let Some((lo, hi)) = lanes
                            && (lane_x(hi) < now.left || lane_x(lo) > now.left + now.width)
                        {
                            wanted.left = (lane_x(lo) - MARGIN / 2.0).max(0.0).round();
                        }
                        if wanted != now {
                            // Known at once, so the renders before the
                            // scroll event comes back do not ask again.
                            view.set(wanted);
                            scroll_soon(element, wanted, ours.clone());
                        }
                    }
                }
            },
        );
    }
    {
        // A resized window changes the box's height without a scroll.
        let (scroller, view) = (scroller.clone(), view.clone());
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                gloo_events::EventListener::new(&window, "resize", move |_| {
                    if let Some(element) = scroller.cast::<web_sys::Element>() {
                        view.set(View::of(&element));
                    }
                })
            });
            move || drop(listener)
        });
    }
    let scroll_pending = use_mut_ref(|| false);
    let onscroll = {
        let (view, scroller, ours) = (view.clone(), scroller.clone(), ours.clone());
        Callback::from(move |_: Event| {
            if ours.replace(false) || scroll_pending.replace(true) {
                return;
            }
            let (view, scroller, pending) =
                (view.clone(), scroller.clone(), scroll_pending.clone());
            // Read the box once the frame that scrolled it has been laid
            // out: scroll events fire in the middle of a frame, and reading
            // the position there forces a layout of its own.
            gloo_timers::callback::Timeout::new(0, move || {
                *pending.borrow_mut() = false;
                if let Some(element) = scroller.cast::<web_sys::Element>() {
                    let now = View::of(&element);
                    if now.differs(&view) {
                        view.set(now);
                    }
                }
            })
            .forget();
        })
    };
    let numbers_toggle = {
        let relative = props.numbers == Numbers::Relative;
        let set = |n: Numbers| props.onnumbers.reform(move |_: MouseEvent| n);
        html! {
            <div class="toggle" role="group" aria-label={lang.pick("sequence numbers", "序号")}>
                <button type="button" id="numbers-relative" class={classes!(relative.then_some("on"))} onclick={set(Numbers::Relative)}>{ lang.pick("relative seq", "相对序号") }</button>
                <button type="button" id="numbers-absolute" class={classes!((!relative).then_some("on"))} onclick={set(Numbers::Absolute)}>{ lang.pick("absolute seq", "绝对序号") }</button>
            </div>
        }
    };
    let Some(current) = props.current else {
        return html! {
            <section class="panel ladder-panel" id="ladder">
                <header><h2>{ lang.pick("On the wire", "线路上") }</h2>{ numbers_toggle }</header>
                <p class="empty">{ lang.pick("Nothing yet. Run a lesson, or open a TCP server and connect a client: every call and packet appears here, one row per step.", "还没有内容。运行一节课，或者打开 TCP 服务端再连接一个客户端：每个调用和报文都会出现在这里，每步一行。") }</p>
            </section>
        };
    };
    let lanes = diagram.lanes.len().max(1);
    let rows: &[Row] = &diagram.rows[..shown_rows];
    let width = 2.0 * MARGIN + (lanes - 1) as f64 * GAP;
    let room = rows.len().div_ceil(GROW_ROWS).max(1) * GROW_ROWS;
    let height = HEADER + room as f64 * ROW + 16.0;
    let start = rows.first().map_or(0, |r| r.t_us);
    let drawn = if tall {
        ladder::rows_in_view(rows.len(), view.top - HEADER, view.height, ROW, OVERSCAN)
    } else {
        0..rows.len()
    };
    // Rows are in step order, so a band's rows are found by bisection.
    let bands: Vec<_> = diagram
        .bands
        .iter()
        .filter(|b| b.first_step <= current)
        .filter_map(|b| {
            let first = rows.partition_point(|r| r.step < b.first_step);
            let last = rows
                .partition_point(|r| r.step <= b.last_step)
                .checked_sub(1)?;
            (first <= last).then_some((b, first, last))
        })
        .collect();
    let notes = counted(
        bands
            .iter()
            .map(|(b, _, _)| words::phase_note(lang, &b.note)),
    );
    // Many connections make many lanes: rows scrolled into view may all be
    // off to the side. Say where they are, and offer to go there.
    let elsewhere = if tall {
        let in_view = ladder::rows_in_view(rows.len(), view.top - HEADER, view.height, ROW, 0);
        lanes_of(&rows[in_view]).filter(|&(lo, hi)| {
            lane_x(hi) < view.left + 20.0 || lane_x(lo) > view.left + view.width - 20.0
        })
    } else {
        None
    };
    let jump = elsewhere.map(|(lo, hi)| {
        let scroller = scroller.clone();
        let name = |i: usize| diagram.lanes.get(i).map_or_else(String::new, |l| l.addr.clone());
        let text = match lang {
            Lang::En => format!(
                "The rows in view are between {} and {}, off to the side.",
                name(lo),
                name(hi)
            ),
            Lang::Zh => format!("当前可见的行在 {} 与 {} 之间，在旁边。", name(lo), name(hi)),
        };
        let onclick = Callback::from(move |_: MouseEvent| {
            if let Some(element) = scroller.cast::<web_sys::Element>() {
                element.set_scroll_left((lane_x(lo) - MARGIN / 2.0).max(0.0) as i32);
            }
        });
        html! {
            <p class="hint ladder-jump">{ text }{ " " }
                <button type="button" class="secondary small" id="ladder-jump" {onclick}>{ lang.pick("show them", "显示它们") }</button>
            </p>
        }
    });
    let drawn_bands = bands
        .iter()
        .filter(|(_, first, last)| *first < drawn.end && drawn.start <= *last);

    html! {
        <section class="panel ladder-panel" id="ladder" data-rows={rows.len().to_string()} data-drawn={drawn.len().to_string()}>
            <header>
                <h2>{ lang.pick("On the wire", "线路上") }</h2>
                if tall {
                    <span class="meta" id="ladder-size">{ match lang { Lang::En => format!("{} rows · scroll, or step with ← →", thousands(rows.len() as u64)), Lang::Zh => format!("{} 行 · 滚动查看，或用 ← → 逐步", thousands(rows.len() as u64)) } }</span>
                }
                <FocusPicker model={props.model.clone()} focus={props.focus} onfocus={props.onfocus.clone()} />
                { numbers_toggle }
            </header>
            { for jump }
            <div class={classes!("ladder-scroll", tall.then_some("tall"))} ref={scroller} {onscroll}>
                if tall {
                    <svg class="ladder ladder-head" width={px(width)} height={px(HEADER)} aria-hidden="true">
                        { lane_heads(lang, &diagram, HEADER) }
                    </svg>
                }
                <svg class="ladder" width={px(width)} height={px(height)} role="img" aria-label={lang.pick("sequence diagram of calls and packets", "调用与报文的时序图")}
                    style={tall.then(|| format!("margin-top:-{}px", px(HEADER)))}>
                    // Each growing list has a parent of its own: Yew flattens
                    // `for` children into their parent's list, and a list
                    // with unkeyed siblings is patched from its end, so one
                    // more row would rebuild every row.
                    <g class="bands">{ for drawn_bands.map(|(band, first, last)| {
                        let y = HEADER + *first as f64 * ROW;
                        let h = (*last + 1 - *first) as f64 * ROW;
                        html! {
                            <g class={classes!("band", format!("band-{}", band.phase.label()))} key={format!("band-{}-{}", band.conversation, band.phase.label())}>
                                <rect x="4" y={px(y)} width={px(width - 8.0)} height={px(h)} rx="8"><title>{ words::phase_note(lang, &band.note) }</title></rect>
                                <text x="14" y={px(y + 14.0)}>{ words::phase(lang, band.phase) }</text>
                            </g>
                        }
                    }) }</g>
                    <g class="lanes">{ lane_heads(lang, &diagram, height) }</g>
                    <g class="rows">{ for rows[drawn.clone()].iter().zip(drawn.clone()).map(|(row, p)| html! {
                        <LadderRow key={row.index.to_string()} row={row.clone()} label={row.label(&props.model, props.numbers)} sends={props.model.sends_of(row.at)} position={p} {lanes} {width} {start}
                            current={row.step == current} selected={props.selected == Some(row.at)} onselect={props.onselect.clone()} />
                    }) }</g>
                </svg>
            </div>
            if !notes.is_empty() {
                <ul class="notes" id="phase-notes">
                    { for notes.iter().map(|n| html! { <li>{ n }</li> }) }
                </ul>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn notes_are_counted() {
        let notes = counted(["a".to_string(), "b".to_string(), "a".to_string()].into_iter());
        assert_eq!(notes, ["a (×2)", "b"]);
    }
}
