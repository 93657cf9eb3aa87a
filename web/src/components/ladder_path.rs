//! What a packet's row says about its trip over a lab path, and Wireshark's
//! TCP analysis of it: a dropped packet's arrow stops halfway at a ✕ with
//! its fate in words; a delivered one carries its one-way delay, a "×2"
//! when the path duplicated it, and "arrived out of order" when it was
//! held back; the analysis flags sit under the arrow as small labels with
//! their meaning on hover.
//!
//! The lengths and words are worked out by plain functions, tested below;
//! `ladder_rows.rs` calls the drawing functions for each packet row.

use sockscope_shared::TcpAnalyses;
use yew::prelude::*;

use super::length::px;
use crate::i18n::{Lang, path as words};
use crate::model::path::{CrossingMark, delay_text};

/// How far along its arrow a packet got: halfway when the path dropped
/// it, all the way otherwise.
pub fn reach(mark: Option<&CrossingMark>) -> f64 {
    match mark.and_then(|m| m.dropped) {
        Some(_) => 0.5,
        None => 1.0,
    }
}

/// What is written on a delivered packet's arrow: its delay, how many
/// copies arrived, whether it arrived out of order.
pub fn notes(lang: Lang, mark: &CrossingMark) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(delay) = mark.delay_us {
        notes.push(delay_text(delay));
    }
    if mark.copies > 1 {
        notes.push(format!("×{}", mark.copies));
    }
    if mark.reordered {
        notes.push(words::fate(lang, sockscope_shared::PathFate::Reordered).to_string());
    }
    notes
}

/// A label's width for `text` at the flags' font size: an estimate (SVG
/// text cannot be measured before it is drawn), generous enough for
/// Wireshark's names.
fn label_width(text: &str) -> f64 {
    text.chars().count() as f64 * 6.4 + 12.0
}

/// The gap between two flags.
const FLAG_GAP: f64 = 6.0;

/// Where each flag's label goes: `(x, width)`, side by side, the row
/// centred on `centre`.
pub fn flag_layout(names: &[&str], centre: f64) -> Vec<(f64, f64)> {
    let widths: Vec<f64> = names.iter().map(|n| label_width(n)).collect();
    let total = widths.iter().sum::<f64>() + FLAG_GAP * widths.len().saturating_sub(1) as f64;
    let mut x = centre - total / 2.0;
    widths
        .into_iter()
        .map(|w| {
            let at = (x, w);
            x += w + FLAG_GAP;
            at
        })
        .collect()
}

/// The ✕ where a dropped packet's arrow stops, and its fate beside it; or
/// the notes on a delivered packet's arrow, three quarters along it.
pub fn crossing(lang: Lang, mark: &CrossingMark, from: (f64, f64), to: (f64, f64)) -> Html {
    let ((x1, y1), (x2, y2)) = (from, to);
    let rightward = x2 >= x1;
    if let Some(fate) = mark.dropped {
        let (x, y) = (x1 + (x2 - x1) * 0.5, y1 + (y2 - y1) * 0.5);
        let s = 6.0;
        let (text_x, anchor) = if rightward {
            (x + 12.0, "start")
        } else {
            (x - 12.0, "end")
        };
        return html! {
            <g class="path-drop">
                <line x1={px(x - s)} y1={px(y - s)} x2={px(x + s)} y2={px(y + s)} />
                <line x1={px(x - s)} y1={px(y + s)} x2={px(x + s)} y2={px(y - s)} />
                <text x={px(text_x)} y={px(y + 5.0)} text-anchor={anchor}>{ words::fate(lang, fate) }</text>
            </g>
        };
    }
    let notes = notes(lang, mark);
    if notes.is_empty() {
        return html! {};
    }
    let (x, y) = (x1 + (x2 - x1) * 0.78, y1 + (y2 - y1) * 0.78 - 6.0);
    html! {
        <text class={classes!("path-note", (mark.copies > 1 || mark.reordered).then_some("odd"))} x={px(x)} y={px(y)}>{ notes.join(" · ") }</text>
    }
}

/// The analysis flags under an arrow, centred on `centre`, at `y` (their
/// baseline).
pub fn analysis(lang: Lang, flags: TcpAnalyses, centre: f64, y: f64) -> Html {
    if flags.is_empty() {
        return html! {};
    }
    let names: Vec<&str> = flags.iter().map(words::analysis_name).collect();
    let layout = flag_layout(&names, centre);
    html! {
        { for flags.iter().zip(names).zip(layout).map(|((flag, name), (x, w))| html! {
            <g class="analysis-flag" data-flag={flag.field()}>
                <title>{ words::analysis_meaning(lang, flag) }</title>
                <rect x={px(x)} y={px(y - 10.5)} width={px(w)} height="14" rx="3" />
                <text x={px(x + w / 2.0)} y={px(y)}>{ name }</text>
            </g>
        }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockscope_shared::PathFate;

    fn mark(delay_us: Option<u64>, dropped: Option<PathFate>, copies: usize) -> CrossingMark {
        CrossingMark {
            delay_us,
            dropped,
            copies,
            reordered: false,
        }
    }

    #[test]
    fn a_dropped_packet_gets_halfway() {
        assert_eq!(reach(Some(&mark(None, Some(PathFate::Lost), 0))), 0.5);
        assert_eq!(reach(Some(&mark(Some(20_100), None, 1))), 1.0);
        assert_eq!(reach(None), 1.0);
    }

    #[test]
    fn a_delivered_packet_says_its_delay_and_copies() {
        assert_eq!(notes(Lang::En, &mark(Some(20_100), None, 1)), ["+20.1 ms"]);
        assert_eq!(
            notes(Lang::En, &mark(Some(350), None, 2)),
            ["+350 µs", "×2"]
        );
        let late = CrossingMark {
            reordered: true,
            ..mark(Some(40_000), None, 1)
        };
        assert_eq!(notes(Lang::En, &late), ["+40.0 ms", "arrived out of order"]);
        assert_eq!(notes(Lang::Zh, &late), ["+40.0 ms", "乱序到达"]);
    }

    #[test]
    fn flags_sit_side_by_side_around_the_middle() {
        let layout = flag_layout(&["TCP Dup ACK", "TCP Retransmission"], 500.0);
        assert_eq!(layout.len(), 2);
        let (first, second) = (layout[0], layout[1]);
        assert_eq!(second.0, first.0 + first.1 + FLAG_GAP);
        let left = 500.0 - first.0;
        let right = second.0 + second.1 - 500.0;
        assert!((left - right).abs() < 1e-9);
    }
}
