//! What the ladder draws: one row per call or packet (an arrow between
//! lanes, or a call on its lane, with the TCP states it reached), the lane
//! heads, and the bands behind a connection's handshake, data and close.
//!
//! Every length here comes from the grid below: rows of one height under
//! a header, lanes a fixed gap apart. The ladder itself (`ladder.rs`)
//! decides which rows to draw; the scroll box that shows them is
//! [`crate::hooks::virtual_rows`].

use yew::prelude::*;

use sockscope_shared::{SocketId, TcpAnalyses};

use super::ladder_motion::Arrival;
use super::ladder_path;
use super::length::px;
use super::send_class;
use crate::hooks::virtual_rows::Grid;
use crate::i18n::{Lang, use_lang, words};
use crate::model::describe::duration;
use crate::model::ladder::{self, Band, Row, RowKind, StateMark};
use crate::model::path::CrossingMark;
use crate::model::sockets::Role;

/// Room beside the outer lanes, for the labels of the calls on them, when
/// the box has room to spare.
pub const MARGIN: f64 = 240.0;
/// The distance between two lanes when the box has room to spare.
pub const GAP: f64 = 420.0;
/// When the lanes do not fit the box that way, they close up: the room
/// left of the first lane shrinks to what a state mark needs, right of the
/// last to a state mark and the rows' times, and the gap between lanes
/// down to what a lane's address needs. Four lanes then fit a 900-pixel
/// box, what a 1440-pixel window leaves the ladder. Lanes that would not
/// all fit even so keep the roomy spacing and scroll sideways, where the
/// ladder offers to show one connection alone.
const TIGHT_LEFT: f64 = 150.0;
const TIGHT_RIGHT: f64 = 230.0;
const NARROWEST_GAP: f64 = 170.0;
/// The lane heads' height, above the first row.
pub const HEADER: f64 = 78.0;
/// A row's height; `.row-bg` in style.css says it again.
pub const ROW: f64 = 46.0;

/// The grid the scroll box reads these lengths from.
pub const GRID: Grid = Grid {
    header: HEADER,
    row: ROW,
    column: GAP,
    margin: MARGIN,
};

/// Where the lanes stand across the diagram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Columns {
    left: f64,
    gap: f64,
    right: f64,
}

impl Default for Columns {
    /// The spacing with room to spare.
    fn default() -> Columns {
        Columns {
            left: MARGIN,
            gap: GAP,
            right: MARGIN,
        }
    }
}

impl Columns {
    /// The spacing that shows `lanes` lanes in a box `width` pixels wide:
    /// the roomy one if it fits or if nothing does, else the lanes closed
    /// up to fit, as far apart as they can be.
    pub fn fitting(lanes: usize, width: f64) -> Columns {
        let roomy = Columns::default();
        if lanes <= 1 || roomy.width(lanes) <= width {
            return roomy;
        }
        let gap = ((width - TIGHT_LEFT - TIGHT_RIGHT) / (lanes - 1) as f64).floor();
        if gap < NARROWEST_GAP {
            return roomy;
        }
        Columns {
            left: TIGHT_LEFT,
            gap: gap.min(GAP),
            right: TIGHT_RIGHT,
        }
    }

    /// The x of lane `lane`'s line.
    pub fn x(self, lane: usize) -> f64 {
        self.left + lane as f64 * self.gap
    }

    /// The distance between two lanes.
    pub fn gap(self) -> f64 {
        self.gap
    }

    /// The diagram's width with `lanes` lanes.
    pub fn width(self, lanes: usize) -> f64 {
        self.left + lanes.saturating_sub(1) as f64 * self.gap + self.right
    }
}

/// How far the point of an arrow's head is beyond the end of its shaft.
/// [`arrow_head`]'s `refX` says it again: the head is 14 long, and the
/// shaft ends at 14 − 10 = 4 along it.
const HEAD_BACK: f64 = 10.0;

/// The head of every packet's arrow but a dropped one's (which stops
/// short, headless): a triangle 14 pixels long and 12 wide, its point
/// [`HEAD_BACK`] beyond the shaft's end, turned along the shaft and filled
/// with its colour (`context-stroke`). One marker for the whole diagram,
/// rather than a polygon in each row: a row has one element fewer to
/// create, lay out and paint, and its head no geometry worked out here.
pub fn arrow_head() -> Html {
    html! {
        <defs>
            <marker id="arrow-head" viewBox="0 0 14 12" refX="4" refY="6" markerWidth="14" markerHeight="12"
                markerUnits="userSpaceOnUse" orient="auto">
                <path d="M0,0 14,6 0,12z" fill="context-stroke" />
            </marker>
        </defs>
    }
}

/// `+1.234 ms` since the first row.
fn elapsed(t_us: u64, start: u64) -> String {
    format!("+{}", duration(t_us.saturating_sub(start)))
}

/// What a packet row draws beyond its arrow: its trip over a lab path and
/// Wireshark's analysis of it.
struct PacketNotes<'a> {
    lang: Lang,
    crossing: Option<&'a CrossingMark>,
    analysis: TcpAnalyses,
    /// The arrow is drawn along its length as the packet arrives.
    arriving: bool,
}

/// A packet arrow's colour class: the send whose bytes it carries, else
/// RST, else its phase (handshake, close).
pub fn arrow_colour(row: &Row, sends: &[usize]) -> String {
    let RowKind::Packet { rst, phase, .. } = &row.kind else {
        return "plain".to_string();
    };
    match (sends.first(), rst, phase) {
        (Some(send), _, _) => send_class(*send),
        (None, true, _) => "rst".to_string(),
        (None, false, Some(phase)) => format!("phase-{}", phase.label()),
        (None, false, None) => "plain".to_string(),
    }
}

fn packet(
    row: &Row,
    label: &str,
    sends: &[usize],
    (y, columns): (f64, Columns),
    notes: PacketNotes<'_>,
) -> Html {
    let RowKind::Packet { from, to, .. } = &row.kind else {
        return html! {};
    };
    let (x1, full_x2) = (columns.x(*from), columns.x(*to));
    let (y1, full_y2) = (y + 20.0, y + 38.0);
    // A packet the path dropped stops halfway.
    let reach = ladder_path::reach(notes.crossing);
    let (x2, y2) = (x1 + (full_x2 - x1) * reach, y1 + (full_y2 - y1) * reach);
    let dropped = reach < 1.0;
    let colour = arrow_colour(row, sends);
    // A long arrow (many lanes, as in a big capture) keeps its label near
    // its left end, by the clients, where the view starts: in the middle it
    // would be off screen for most of them.
    let mid = if (full_x2 - x1).abs() > 2.0 * columns.gap {
        x1.min(full_x2) + columns.gap / 2.0
    } else {
        (x1 + full_x2) / 2.0
    };
    // The shaft stops short of the point, under its head, so that the
    // line's square end never shows beside the point.
    let shaft_end = if dropped {
        (x2, y2)
    } else {
        let (dx, dy) = (x2 - x1, y2 - y1);
        let back = HEAD_BACK / (dx * dx + dy * dy).sqrt().max(1.0);
        (x2 - dx * back, y2 - dy * back)
    };
    html! {
        <>
            // Drawn along its length on arrival: a path length of 1 lets
            // one dash of length 1 cover the line, whatever its length.
            <line class={classes!("arrow", colour, dropped.then_some("dropped"))} x1={px(x1)} y1={px(y1)} x2={px(shaft_end.0)} y2={px(shaft_end.1)}
                pathLength={(notes.arriving && !dropped).then_some("1")} marker-end={(!dropped).then_some("url(#arrow-head)")} />
            <text class="arrow-label" x={px(mid)} y={px(y + 15.0)}>{ label }</text>
            if let Some(mark) = notes.crossing {
                { ladder_path::crossing(notes.lang, mark, (x1, y1), (full_x2, full_y2)) }
            }
            { ladder_path::analysis(notes.lang, notes.analysis, mid, y + 44.0) }
        </>
    }
}

fn call(
    row: &Row,
    label: &str,
    sends: &[usize],
    y: f64,
    (lanes, columns): (usize, Columns),
) -> Html {
    let (lane, failed, socket, waiting) = match &row.kind {
        RowKind::Call {
            lane,
            failed,
            socket,
        } => (lane, *failed, socket, false),
        RowKind::Waiting { lane, socket, .. } => (lane, false, socket, true),
        RowKind::Packet { .. } => return html! {},
    };
    let Some(lane) = lane else {
        return html! {
            <text class={classes!("call-label", failed.then_some("failed"))} x={px(columns.left)} y={px(y + 28.0)}>{ format!("#{socket} {label}") }</text>
        };
    };
    let x = columns.x(*lane);
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
                <circle class={classes!("call-dot", failed.then_some("failed"), waiting.then_some("waiting"))} cx={px(x)} cy={px(y + 24.0)} r="6" />
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

fn states(marks: &[StateMark], y: f64, (lanes, columns): (usize, Columns)) -> Html {
    html! {
        { for marks.iter().filter_map(|m| m.lane.map(|l| (l, m))).enumerate().map(|(i, (lane, mark))| {
            let x = columns.x(lane);
            let rightward = lanes > 1 && lane == lanes - 1;
            let text = format!("#{} {}", mark.socket, mark.state.name());
            let w = text.chars().count() as f64 * 8.6 + 14.0;
            let mark_x = if rightward { x + 12.0 } else { x - 12.0 - w };
            let mark_y = y + 6.0 + (i % 2) as f64 * 19.0;
            // It grows out of its lane, on whichever side it sits.
            let side = if rightward { "right-of-lane" } else { "left-of-lane" };
            html! {
                <g class={classes!("state-mark", side)} data-state={mark.state.name()} data-socket={mark.socket.to_string()}>
                    <rect x={px(mark_x)} y={px(mark_y)} width={px(w)} height="18" rx="9" />
                    <text x={px(mark_x + w / 2.0)} y={px(mark_y + 13.5)}>{ text }</text>
                </g>
            }
        }) }
    }
}

/// The lane addresses and lines.
pub fn lane_heads(lang: Lang, diagram: &ladder::Ladder, height: f64, columns: Columns) -> Html {
    html! {
        { for diagram.lanes.iter().enumerate().map(|(i, lane)| {
            let x = columns.x(i);
            html! {
                <g class={classes!("lane", lane.server.then_some("server"))} key={lane.addr.clone()} data-addr={lane.addr.clone()}>
                    <text class="lane-addr" x={px(x)} y="26">{ &lane.addr }</text>
                    <text class="lane-sockets" x={px(x)} y="48">{ sockets_line(lang, &lane.sockets) }</text>
                    <line x1={px(x)} y1={px(HEADER - 14.0)} x2={px(x)} y2={px(height)} />
                </g>
            }
        }) }
    }
}

/// A lane's sockets, a role named once for the run of its sockets:
/// "listener 1 · accepted 5, 6, 7".
fn sockets_line(lang: Lang, sockets: &[(SocketId, Role)]) -> String {
    let mut line = String::new();
    let mut last = None;
    for (id, role) in sockets {
        if last == Some(role) {
            line.push_str(&format!(", {id}"));
        } else {
            if last.is_some() {
                line.push_str(" · ");
            }
            line.push_str(&format!("{} {id}", words::role(lang, *role)));
            last = Some(role);
        }
    }
    line
}

/// The band behind rows `first..=last` (places among the rows drawn from the
/// top), full width, with the phase it marks and its note on hover.
pub fn band(lang: Lang, band: &Band, first: usize, last: usize, width: f64) -> Html {
    let y = HEADER + first as f64 * ROW;
    let h = (last + 1 - first) as f64 * ROW;
    html! {
        <g class={classes!("band", format!("band-{}", band.phase.label()))} key={format!("band-{}-{}", band.conversation, band.phase.label())}>
            <rect x="4" y={px(y)} width={px(width - 8.0)} height={px(h)} rx="8"><title>{ words::phase_note(lang, &band.note) }</title></rect>
            <text x="14" y={px(y + 14.0)}>{ words::phase(lang, band.phase) }</text>
        </g>
    }
}

/// One row's inputs: a row re-renders only when one of them changes, so a
/// new event draws one row, not the whole diagram again.
#[derive(Properties, PartialEq)]
pub struct RowProps {
    pub row: Row,
    /// Its event's time.
    pub t_us: u64,
    /// The state changes at its step (`Ladder::states_at`).
    pub states: Vec<StateMark>,
    /// What the row says (`Row::label`), worded only for the rows drawn.
    pub label: String,
    /// The sends whose bytes it wrote, carried or read: its colours,
    /// also found only for the rows drawn.
    pub sends: Vec<usize>,
    /// What a lab path did to the packet (`Model::crossing_mark`).
    #[prop_or_default]
    pub crossing: Option<CrossingMark>,
    /// Wireshark's TCP analysis of the packet (`Model::analysis_of`).
    #[prop_or_default]
    pub analysis: TcpAnalyses,
    /// The row's place among the rows drawn from the top.
    pub position: usize,
    pub lanes: usize,
    pub columns: Columns,
    pub width: f64,
    /// The first row's time, which every row's elapsed time counts from.
    pub start: u64,
    pub current: bool,
    pub selected: bool,
    /// The row travels in (`ladder_motion`) rather than appears.
    #[prop_or_default]
    pub arrival: Option<Arrival>,
    pub onselect: Callback<usize>,
}

#[component]
pub fn LadderRow(props: &RowProps) -> Html {
    let lang = use_lang();
    let row = &props.row;
    let y = HEADER + props.position as f64 * ROW;
    let at = row.at;
    let onclick = props.onselect.reform(move |_: MouseEvent| at);
    let kind = if matches!(row.kind, RowKind::Packet { .. }) {
        "packet"
    } else {
        "call"
    };
    let label = &match &row.kind {
        RowKind::Waiting { why, .. } => {
            format!("{} {}", props.label, words::wait_reason(lang, *why))
        }
        _ => props.label.clone(),
    };
    let class = classes!(
        "row",
        kind,
        props.current.then_some("current"),
        props.selected.then_some("selected"),
        props.arrival.is_some().then_some("arriving"),
    );
    let width = props.width;
    html! {
        <g {class} data-step={row.step.to_string()} data-label={label.clone()} {onclick}
            style={props.arrival.map(Arrival::style)}>
            <rect class="row-bg" y={px(y)} />
            <text class="time" x={px(width - 10.0)} y={px(y + 29.0)}>{ elapsed(props.t_us, props.start) }</text>
            { packet(row, label, &props.sends, (y, props.columns), PacketNotes { lang, crossing: props.crossing.as_ref(), analysis: props.analysis, arriving: props.arrival.is_some() }) }
            { call(row, label, &props.sends, y, (props.lanes, props.columns)) }
            { states(&props.states, y, (props.lanes, props.columns)) }
        </g>
    }
}

#[cfg(test)]
mod tests {
    use super::{Columns, GAP, MARGIN, NARROWEST_GAP};

    #[test]
    fn two_lanes_keep_the_roomy_spacing_in_a_box_that_holds_it() {
        let columns = Columns::fitting(2, 900.0);
        assert_eq!((columns.x(0), columns.x(1)), (MARGIN, MARGIN + GAP));
        assert_eq!(columns.width(2), 900.0);
    }

    #[test]
    fn four_lanes_close_up_to_fit_the_box_a_1440_pixel_window_leaves() {
        for width in [900.0, 940.0, 1100.0] {
            let columns = Columns::fitting(4, width);
            assert!(columns.width(4) <= width, "{width}: {columns:?}");
            assert!(columns.gap() >= NARROWEST_GAP);
        }
        // The roomy spacing would need 1,740 pixels.
        assert_eq!(Columns::default().width(4), 1740.0);
    }

    #[test]
    fn lanes_that_cannot_all_fit_keep_the_roomy_spacing_and_scroll() {
        // Eleven lanes (ten clients of one server) need 1,980 pixels even
        // at the narrowest gap.
        assert_eq!(Columns::fitting(11, 900.0), Columns::default());
        // Five lanes fit 1,100 pixels closed up, not 900.
        assert!(Columns::fitting(5, 1100.0).width(5) <= 1100.0);
        assert_eq!(Columns::fitting(5, 900.0), Columns::default());
    }

    #[test]
    fn one_lane_or_none_is_drawn_as_ever() {
        assert_eq!(Columns::fitting(1, 300.0), Columns::default());
        assert_eq!(Columns::fitting(0, 300.0), Columns::default());
    }
}
