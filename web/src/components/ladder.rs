//! The ladder (sequence) diagram, in SVG: one lane per endpoint, one arrow
//! per packet, socket calls on their lane, TCP states beside the lane as
//! they change, handshake and close bands with what they mean.
//!
//! The layout comes from [`crate::model::ladder`]; the rows, lanes and
//! bands are drawn by `ladder_rows.rs`. This file decides what is drawn:
//! rows after the player's cursor are not, so stepping back shows the
//! diagram as it was at that moment. A tall diagram (a capture file of
//! 100,000 packets) scrolls in a box of its own and draws only the rows in
//! view ([`crate::hooks::virtual_rows`]).
//!
//! Stepping forward sets the new rows in motion (`ladder_motion.rs`), and
//! above the lanes each socket's kernel shows its state and buffers as of
//! the current step (`kernel_strip.rs`).

use std::rc::Rc;

use yew::prelude::*;

use super::kernel_strip::KernelStrip;
use super::ladder_focus::FocusPicker;
use super::ladder_motion::{Flight, flights};
use super::ladder_path;
use super::ladder_rows::{
    Columns, GRID, HEADER, LadderRow, ROW, arrow_colour, arrow_head, band, lane_heads,
};
use super::length::px;
use crate::hooks::virtual_rows::{Span, Spot, use_virtual_rows};
use crate::i18n::{Lang, use_lang, words};
use crate::model::Model;
use crate::model::describe::{Numbers, flight_label, thousands};
use crate::model::ladder::{self, Row, RowKind};
use crate::model::motion::{self, InFlight, MotionSettings};
use crate::state::ModelRef;

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
    /// Whether and how fast new rows travel in.
    #[prop_or_default]
    pub motion: MotionSettings,
    /// The player follows the live end: clocks tick in real time.
    #[prop_or_default]
    pub live_end: bool,
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

/// The lanes some rows touch, leftmost and rightmost.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Lanes {
    first: usize,
    last: usize,
}

impl Lanes {
    /// Where they are drawn, from the first lane's line to the last's.
    fn span(self, columns: Columns) -> Span {
        Span {
            left: columns.x(self.first),
            right: columns.x(self.last),
        }
    }
}

/// The lanes the rows touch, if any.
fn lanes_of(rows: &[Row]) -> Option<Lanes> {
    rows.iter()
        .flat_map(|row| match &row.kind {
            RowKind::Packet { from, to, .. } => vec![*from, *to],
            RowKind::Call { lane, .. } | RowKind::Waiting { lane, .. } => {
                lane.iter().copied().collect()
            }
        })
        .fold(None, |lanes, lane| match lanes {
            None => Some(Lanes {
                first: lane,
                last: lane,
            }),
            Some(Lanes { first, last }) => Some(Lanes {
                first: first.min(lane),
                last: last.max(lane),
            }),
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

/// What the ladder keeps between renders.
#[derive(Default)]
struct Kept {
    /// The diagram of the whole model, and the model version it shows.
    whole: Option<(ModelRef, Rc<ladder::Ladder>)>,
    /// One connection's diagram, for the version and focus it shows.
    focused: Option<(ModelRef, usize, Rc<ladder::Ladder>)>,
    /// The lanes' spacing as last fitted to the box.
    columns: Columns,
}

/// The diagram to draw: the whole model's, or one connection's alone.
fn diagram(
    kept: &mut Kept,
    model_ref: &ModelRef,
    model: &Model,
    focus: Option<usize>,
) -> Rc<ladder::Ladder> {
    let full = whole_diagram(&mut kept.whole, model_ref, model);
    let Some(conversation) = focus else {
        kept.focused = None;
        return full;
    };
    if let Some((laid_out, shown, focused)) = &kept.focused
        && laid_out == model_ref
        && *shown == conversation
    {
        return focused.clone();
    }
    let focused = Rc::new(ladder::focus(&full, model, conversation));
    kept.focused = Some((model_ref.clone(), conversation, focused.clone()));
    focused
}

/// The diagram of the whole of `model`, kept between renders: a live
/// session that grew only at its end gets its new rows added
/// (`ladder::extend`), anything else a fresh layout.
fn whole_diagram(
    kept: &mut Option<(ModelRef, Rc<ladder::Ladder>)>,
    model_ref: &ModelRef,
    model: &Model,
) -> Rc<ladder::Ladder> {
    if let Some((laid_out, full)) = kept {
        if laid_out == model_ref {
            return full.clone();
        }
        // Held only here between renders, so never copied to be extended.
        if laid_out.same_store(model_ref)
            && Rc::get_mut(full).is_some_and(|full| ladder::extend(full, model))
        {
            *laid_out = model_ref.clone();
            return full.clone();
        }
    }
    let full = Rc::new(ladder::layout(model));
    *kept = Some((model_ref.clone(), full.clone()));
    full
}

#[component]
pub fn Ladder(props: &Props) -> Html {
    let lang = use_lang();
    let model = props.model.get();
    let kept = use_mut_ref(Kept::default);
    let diagram = diagram(&mut kept.borrow_mut(), &props.model, &model, props.focus);
    // What moved: the rows between the step shown before and this one,
    // queued behind any still in motion.
    let shown_before = use_mut_ref(|| None::<usize>);
    let in_flight_rows = use_mut_ref(InFlight::default);
    let before = *shown_before.borrow();
    if before != props.current {
        *shown_before.borrow_mut() = props.current;
        let moving = motion::moving(before, props.current).filter(|_| props.motion.on);
        let moved: Vec<usize> = moving
            .map(|m| {
                // Rows are in step order: bisect to the first that moves.
                let first = diagram.rows.partition_point(|r| r.step < m.first);
                diagram.rows[first..]
                    .iter()
                    .take_while(|r| m.contains(r.step))
                    .map(|r| r.at)
                    .collect()
            })
            .unwrap_or_default();
        // A step on whose rows this ladder does not show (another
        // connection, when one is shown alone) leaves the motions be.
        if moving.is_none() || !moved.is_empty() {
            in_flight_rows.borrow_mut().on_step(
                before,
                props.current,
                &moved,
                js_sys::Date::now(),
                props.motion.ms,
            );
        }
    }
    let in_flight_rows = in_flight_rows.borrow().clone();
    let arrival_of = |row: &Row| in_flight_rows.arrival(row.at);
    let shown_rows = props.current.map_or(0, |current| {
        diagram.rows.partition_point(|r| r.step <= current)
    });
    let tall = shown_rows > VIRTUAL_FROM;
    // In a tall diagram only the packet flies: drawing its arrow along its
    // length repaints the tall SVG at every frame, a third more work per
    // step in a 100,000-row capture (docs/BENCHMARKS.md, "Motion").
    let row_arrival = |row: &Row| arrival_of(row).filter(|_| !tall);
    // The lanes' spacing fits the box as last measured (a resize redraws).
    let columns_before = kept.borrow().columns;
    // The current row, which stepping brings into view when it is off
    // screen: a bisection, rows being in step order.
    let spot = props.current.map(|current| {
        let row = diagram.rows.partition_point(|r| r.step < current);
        Spot {
            row,
            span: diagram
                .rows
                .get(row)
                .and_then(|r| lanes_of(std::slice::from_ref(r)))
                .map(|lanes| lanes.span(columns_before)),
        }
    });
    let scroll = use_virtual_rows(GRID, props.model.clone(), props.current, tall, spot);
    let columns = Columns::fitting(diagram.lanes.len(), scroll.view.width);
    kept.borrow_mut().columns = columns;
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
    let width = columns.width(lanes);
    let room = rows.len().div_ceil(GROW_ROWS).max(1) * GROW_ROWS;
    let height = HEADER + room as f64 * ROW + 16.0;
    let start = rows
        .first()
        .and_then(|r| model.events.get(r.at))
        .map_or(0, |e| e.t_us);
    let drawn = if tall {
        scroll.rows(rows.len(), OVERSCAN)
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
        lanes_of(&rows[scroll.rows(rows.len(), 0)])
            .filter(|lanes| scroll.aside(lanes.span(columns)))
    } else {
        None
    };
    let jump = elsewhere.map(|lanes| {
        let name = |i: usize| diagram.lanes.get(i).map_or_else(String::new, |l| l.addr.clone());
        let text = match lang {
            Lang::En => format!(
                "The rows in view are between {} and {}, off to the side.",
                name(lanes.first),
                name(lanes.last)
            ),
            Lang::Zh => format!(
                "当前可见的行在 {} 与 {} 之间，在旁边。",
                name(lanes.first),
                name(lanes.last)
            ),
        };
        let onclick = {
            let scroll = scroll.clone();
            Callback::from(move |_: MouseEvent| scroll.show(lanes.span(columns)))
        };
        html! {
            <p class="hint ladder-jump">{ text }{ " " }
                <button type="button" class="secondary small" id="ladder-jump" {onclick}>{ lang.pick("show them", "显示它们") }</button>
            </p>
        }
    });
    // Calls waiting in the kernel, each a bar down its lane from the row
    // where it began to the row where it returned, or to the last row
    // shown while it still waits.
    let row_y = |step: usize| HEADER + rows.partition_point(|r| r.step < step) as f64 * ROW + 24.0;
    let last_y = HEADER + rows.len() as f64 * ROW;
    let waits: Vec<Html> = diagram
        .waits
        .iter()
        .filter(|w| w.began <= current)
        .filter_map(|wait| {
            let x = columns.x(wait.lane?);
            // From under the call's dot.
            let top = row_y(wait.began) + 7.0;
            let returned = wait.returned.filter(|&r| r <= current);
            // Still waiting, it runs on below the last row.
            let bottom = returned.map_or((last_y + ROW / 2.0).max(top + ROW), row_y);
            let title = words::wait_reason(lang, wait.why);
            html! {
                <rect class={classes!("wait-bar", returned.is_none().then_some("open"))} x={px(x - 4.0)} y={px(top)} width="8" height={px((bottom - top).max(8.0))} rx="4"
                    data-socket={wait.socket.to_string()}><title>{ title }</title></rect>
            }
            .into()
        })
        .collect();
    let drawn_bands = bands
        .iter()
        .filter(|(_, first, last)| *first < drawn.end && drawn.start <= *last);
    // The rows in motion are the last few: look among them only.
    let in_flight: Vec<Flight> = if in_flight_rows.is_empty() {
        Vec::new()
    } else {
        let first = rows.len().saturating_sub(4 * motion::MOST_MOVING);
        rows[first..]
            .iter()
            .enumerate()
            .filter_map(|(i, row)| {
                let arrival = arrival_of(row)?;
                let event = model.events.get(row.at)?;
                let sockscope_shared::EventKind::Segment(seg) = &event.kind else {
                    return None;
                };
                let label = flight_label(seg);
                let reach = ladder_path::reach(model.crossing_mark(row.at).as_ref());
                let colour = arrow_colour(row, &model.sends_of(row.at));
                Flight::of(
                    (row, event.index),
                    (first + i, columns),
                    reach,
                    label,
                    colour,
                    arrival,
                )
            })
            .collect()
    };
    // The strip's motion follows the current step's row, which moves last.
    let strip_arrival = rows
        .iter()
        .rev()
        .find(|r| r.step == current)
        .and_then(&arrival_of);
    let frozen_at_us = (!props.live_end)
        .then(|| {
            model
                .steps
                .get(current)
                .and_then(|&at| model.events.get(at))
        })
        .flatten()
        .map(|e| e.t_us);

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
            <div class={classes!("ladder-scroll", tall.then_some("tall"))} ref={scroll.scroller.clone()} onscroll={scroll.onscroll.clone()}>
                <KernelStrip model={props.model.clone()} step={current} lanes={Rc::new(diagram.lanes.clone())} {columns} {width}
                    arrival={strip_arrival} {frozen_at_us} />
                if tall {
                    <svg class="ladder ladder-head" width={px(width)} height={px(HEADER)} aria-hidden="true">
                        { lane_heads(lang, &diagram, HEADER, columns) }
                    </svg>
                }
                <div class="ladder-canvas" style={tall.then(|| format!("margin-top:-{}px", px(HEADER)))}>
                <svg class="ladder" width={px(width)} height={px(height)} role="img" aria-label={lang.pick("sequence diagram of calls and packets", "调用与报文的时序图")}>
                    { arrow_head() }
                    // Each growing list has a parent of its own: Yew flattens
                    // `for` children into their parent's list, and a list
                    // with unkeyed siblings is patched from its end, so one
                    // more row would rebuild every row.
                    <g class="bands">{ for drawn_bands.map(|(b, first, last)| band(lang, b, *first, *last, width)) }</g>
                    <g class="lanes">{ lane_heads(lang, &diagram, height, columns) }</g>
                    <g class="rows">{ for rows[drawn.clone()].iter().zip(drawn.clone()).map(|(row, p)| {
                        let (index, t_us) = model.events.get(row.at).map_or((0, 0), |e| (e.index, e.t_us));
                        html! {
                            <LadderRow key={index.to_string()} row={row.clone()} {t_us} states={diagram.states_at(row.step).to_vec()} label={row.label(&model, props.numbers)} sends={model.sends_of(row.at)}
                                crossing={model.crossing_mark(row.at)} analysis={model.analysis_of(row.at)} position={p} {lanes} {columns} {width} {start}
                                current={row.step == current} selected={props.selected == Some(row.at)} arrival={row_arrival(row)} onselect={props.onselect.clone()} />
                        }
                    }) }</g>
                    // Over the rows, so the current row's highlight does
                    // not hide a call still waiting.
                    <g class="waits">{ for waits }</g>
                </svg>
                { flights(&in_flight) }
                </div>
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
