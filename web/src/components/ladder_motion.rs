//! The ladder in motion: a new packet flies from its sender's lane to its
//! receiver's, carrying its flags and size, and then its arrow is drawn in
//! its row; a call pulses on its lane; a state grows out of it.
//!
//! [`crate::model::motion`] says which rows move and for how long; here
//! they are given CSS animations (`style.css`, "Motion"). The travelling
//! packet is an HTML element moved by a `transform`, which the browser
//! animates on its compositor: no frame of the motion runs Rust or lays the
//! page out again. The animations fill only *backwards* (hidden until their
//! turn), so when one ends, or motion is turned off, every row shows as it
//! always does.

use yew::prelude::*;

use super::ladder_rows::{Columns, HEADER, ROW};
use super::length::px;
use crate::model::ladder::{Row, RowKind};
pub use crate::model::motion::Arrival;

/// One packet in flight, from where its arrow starts to where it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Flight {
    /// The row's event index: the element's key.
    pub index: u64,
    pub label: String,
    /// The arrow's colour class.
    pub colour: String,
    pub from: (f64, f64),
    pub to: (f64, f64),
    /// The path dropped it: it stops halfway.
    pub dropped: bool,
    pub arrival: Arrival,
}

impl Flight {
    /// The flight of a packet row (and its event's `index`) at `position`
    /// among the rows drawn, its
    /// lanes standing at `columns`, going
    /// `reach` of the way (1, or ½ for a dropped packet).
    pub fn of(
        (row, index): (&Row, u64),
        (position, columns): (usize, Columns),
        reach: f64,
        label: String,
        colour: String,
        arrival: Arrival,
    ) -> Option<Flight> {
        let RowKind::Packet { from, to, .. } = row.kind else {
            return None;
        };
        let y = HEADER + position as f64 * ROW;
        let (x1, y1) = (columns.x(from), y + 20.0);
        let (x2, y2) = (columns.x(to), y + 38.0);
        Some(Flight {
            index,
            label,
            colour,
            from: (x1, y1),
            to: (x1 + (x2 - x1) * reach, y1 + (y2 - y1) * reach),
            dropped: reach < 1.0,
            arrival,
        })
    }
}

/// The packets in flight, over the diagram.
pub fn flights(flights: &[Flight]) -> Html {
    html! {
        <div class="flights" aria-hidden="true">
            { for flights.iter().map(|f| {
                let (dx, dy) = (f.to.0 - f.from.0, f.to.1 - f.from.1);
                let style = format!(
                    "left:{}px;top:{}px;--dx:{}px;--dy:{}px;{}",
                    px(f.from.0), px(f.from.1), px(dx), px(dy), f.arrival.style()
                );
                html! {
                    <div key={f.index.to_string()} class={classes!("flight", f.colour.clone(), f.dropped.then_some("dropped"))}
                        {style} data-index={f.index.to_string()} data-from={px(f.from.0)} data-to={px(f.to.0)}>
                        { &f.label }
                    </div>
                }
            }) }
        </div>
    }
}
