//! The ladder (sequence) diagram, in SVG: one lane per endpoint, one arrow
//! per packet, socket calls on their lane, TCP states beside the lane as
//! they change, handshake and close bands with what they mean.
//!
//! The layout comes from [`crate::model::ladder`]; this file only turns
//! lanes and rows into coordinates. Rows after the player's cursor are not
//! drawn, so stepping back shows the diagram as it was at that moment.

use yew::prelude::*;

use super::send_class;
use crate::model::describe::Numbers;
use crate::model::ladder::{self, Row, RowKind};
use crate::state::ModelRef;

const MARGIN: f64 = 240.0;
const GAP: f64 = 420.0;
const HEADER: f64 = 78.0;
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
}

fn lane_x(i: usize) -> f64 {
    MARGIN + i as f64 * GAP
}

/// `+1.234 ms` since the first row.
fn elapsed(t_us: u64, start: u64) -> String {
    let us = t_us.saturating_sub(start);
    if us < 1000 {
        format!("+{us} µs")
    } else {
        format!("+{:.3} ms", us as f64 / 1000.0)
    }
}

fn packet(row: &Row, y: f64) -> Html {
    let RowKind::Packet {
        from,
        to,
        label,
        phase,
        rst,
        sends,
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
        "{x2},{y2} {},{} {},{}",
        bx - uy * 6.0,
        by + ux * 6.0,
        bx + uy * 6.0,
        by - ux * 6.0
    );
    let mid = (x1 + x2) / 2.0;
    html! {
        <>
            <line class={classes!("arrow", colour.clone())} x1={x1.to_string()} y1={y1.to_string()} x2={(x2 - ux * 10.0).to_string()} y2={(y2 - uy * 10.0).to_string()} />
            <polygon class={classes!("head", colour)} points={head} />
            <text class="arrow-label" x={mid.to_string()} y={(y + 15.0).to_string()} text-anchor="middle">{ label }</text>
        </>
    }
}

fn call(row: &Row, y: f64, lanes: usize) -> Html {
    let RowKind::Call {
        lane,
        label,
        failed,
        sends,
        socket,
    } = &row.kind
    else {
        return html! {};
    };
    let Some(lane) = lane else {
        return html! {
            <text class={classes!("call-label", failed.then_some("failed"))} x={MARGIN.to_string()} y={(y + 28.0).to_string()}>{ format!("#{socket} {label}") }</text>
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
                <circle class={classes!("call-dot", failed.then_some("failed"))} cx={x.to_string()} cy={(y + 24.0).to_string()} r="6" />
            }
            { for sends.iter().take(8).enumerate().map(|(i, send)| html! {
                <rect class={classes!("chip", send_class(*send))} x={(chip_x0 + i as f64 * chip_w).to_string()} y={(y + 17.0).to_string()} width={(chip_w - 2.0).to_string()} height="14" rx="2" />
            }) }
            <text class={classes!("call-label", failed.then_some("failed"))} x={text_x.to_string()} y={(y + 29.0).to_string()}
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
            let px = if rightward { x + 12.0 } else { x - 12.0 - w };
            let py = y + 6.0 + (i % 2) as f64 * 19.0;
            html! {
                <g class="state-mark" data-state={mark.state.name()} data-socket={mark.socket.to_string()}>
                    <rect x={px.to_string()} y={py.to_string()} width={w.to_string()} height="18" rx="9" />
                    <text x={(px + w / 2.0).to_string()} y={(py + 13.5).to_string()} text-anchor="middle">{ text }</text>
                </g>
            }
        }) }
    }
}

#[component]
pub fn Ladder(props: &Props) -> Html {
    let diagram = use_memo((props.model.clone(), props.numbers), |(model, numbers)| {
        ladder::layout(model, *numbers)
    });
    let numbers_toggle = {
        let relative = props.numbers == Numbers::Relative;
        let set = |n: Numbers| props.onnumbers.reform(move |_: MouseEvent| n);
        html! {
            <div class="toggle" role="group" aria-label="sequence numbers">
                <button type="button" id="numbers-relative" class={classes!(relative.then_some("on"))} onclick={set(Numbers::Relative)}>{ "relative seq" }</button>
                <button type="button" id="numbers-absolute" class={classes!((!relative).then_some("on"))} onclick={set(Numbers::Absolute)}>{ "absolute seq" }</button>
            </div>
        }
    };
    let Some(current) = props.current else {
        return html! {
            <section class="panel ladder-panel" id="ladder">
                <header><h2>{ "On the wire" }</h2>{ numbers_toggle }</header>
                <p class="empty">{ "Nothing yet. Open a TCP server, connect a client, and every call and packet appears here, one row per step." }</p>
            </section>
        };
    };
    let lanes = diagram.lanes.len().max(1);
    let rows: Vec<&Row> = diagram.rows.iter().filter(|r| r.step <= current).collect();
    let width = 2.0 * MARGIN + (lanes - 1) as f64 * GAP;
    let height = HEADER + rows.len() as f64 * ROW + 16.0;
    let start = rows.first().map_or(0, |r| r.t_us);
    let position = |step: usize| rows.iter().position(|r| r.step >= step);
    let bands: Vec<_> = diagram
        .bands
        .iter()
        .filter(|b| b.first_step <= current)
        .filter_map(|b| {
            let first = position(b.first_step)?;
            let last = rows.iter().rposition(|r| r.step <= b.last_step)?;
            Some((b, first, last))
        })
        .collect();
    let notes: Vec<String> = bands.iter().map(|(b, _, _)| b.note.clone()).collect();

    html! {
        <section class="panel ladder-panel" id="ladder">
            <header><h2>{ "On the wire" }</h2>{ numbers_toggle }</header>
            <div class="ladder-scroll">
                <svg class="ladder" width={width.to_string()} height={height.to_string()} viewBox={format!("0 0 {width} {height}")} role="img" aria-label="sequence diagram of calls and packets">
                    { for bands.iter().map(|(band, first, last)| {
                        let y = HEADER + *first as f64 * ROW;
                        let h = (*last + 1 - *first) as f64 * ROW;
                        html! {
                            <g class={classes!("band", format!("band-{}", band.phase.label()))} key={format!("band-{}-{}", band.conversation, band.phase.label())}>
                                <rect x="4" y={y.to_string()} width={(width - 8.0).to_string()} height={h.to_string()} rx="8"><title>{ &band.note }</title></rect>
                                <text x="14" y={(y + 14.0).to_string()}>{ band.phase.label().to_uppercase() }</text>
                            </g>
                        }
                    }) }
                    { for diagram.lanes.iter().enumerate().map(|(i, lane)| {
                        let x = lane_x(i);
                        html! {
                            <g class={classes!("lane", lane.server.then_some("server"))} key={lane.addr.clone()} data-addr={lane.addr.clone()}>
                                <text class="lane-addr" x={x.to_string()} y="26" text-anchor="middle">{ &lane.addr }</text>
                                <text class="lane-sockets" x={x.to_string()} y="48" text-anchor="middle">{ lane.sockets_label() }</text>
                                <line x1={x.to_string()} y1={(HEADER - 14.0).to_string()} x2={x.to_string()} y2={height.to_string()} />
                            </g>
                        }
                    }) }
                    { for rows.iter().enumerate().map(|(p, row)| {
                        let y = HEADER + p as f64 * ROW;
                        let at = row.at;
                        let onclick = props.onselect.reform(move |_: MouseEvent| at);
                        let kind = if matches!(row.kind, RowKind::Packet { .. }) { "packet" } else { "call" };
                        let label = match &row.kind { RowKind::Packet { label, .. } | RowKind::Call { label, .. } => label.clone() };
                        let class = classes!(
                            "row", kind,
                            (row.step == current).then_some("current"),
                            (props.selected == Some(at)).then_some("selected"),
                        );
                        html! {
                            <g {class} key={row.index.to_string()} data-step={row.step.to_string()} data-index={row.index.to_string()} data-label={label} {onclick}>
                                <rect class="row-bg" x="0" y={y.to_string()} width={width.to_string()} height={ROW.to_string()} />
                                <text class="time" x={(width - 10.0).to_string()} y={(y + 29.0).to_string()} text-anchor="end">{ elapsed(row.t_us, start) }</text>
                                { packet(row, y) }
                                { call(row, y, lanes) }
                                { states(row, y, lanes) }
                            </g>
                        }
                    }) }
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
