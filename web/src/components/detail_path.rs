//! The detail pane's lines about a packet's trip over a lab path and
//! Wireshark's TCP analysis of it: where each copy was captured and when,
//! its one-way delay or what the path did to it instead, and each analysis
//! flag with what it means.

use sockscope_shared::{EventKind, Tap};
use yew::prelude::*;

use crate::i18n::{Lang, path as words};
use crate::model::Model;
use crate::model::describe::duration;
use crate::model::path::delay_text;

fn field(name: &str, value: impl Into<Html>) -> Html {
    html! { <><dt>{ name }</dt><dd>{ value.into() }</dd></> }
}

fn side(lang: Lang, tap: Tap) -> &'static str {
    match tap {
        Tap::Client => lang.pick("the client's side", "客户端一侧"),
        Tap::Server => lang.pick("the server's side", "服务端一侧"),
    }
}

/// The lab lines of the packet at `at`, when it crossed a lab path.
pub fn crossing_fields(lang: Lang, model: &Model, at: usize) -> Html {
    let (Some(crossing), Some(mark), Some(sent)) = (
        model.crossing_of(at),
        model.crossing_mark(at),
        model.events.get(at),
    ) else {
        return html! {};
    };
    let tap = match &sent.kind {
        EventKind::Segment(seg) => seg.tap,
        _ => None,
    };
    let captured = tap.map(|tap| match lang {
        Lang::En => format!("sent from {}", side(lang, tap)),
        Lang::Zh => format!("从{}发出", side(lang, tap)),
    });
    let arrivals: Vec<String> = crossing
        .arrived
        .iter()
        .filter_map(|&a| model.events.get(a))
        .map(|arrived| delay_text(arrived.t_us.saturating_sub(sent.t_us)))
        .collect();
    let trip = match (mark.dropped, arrivals.is_empty()) {
        (Some(fate), _) => words::fate(lang, fate).to_string(),
        (None, true) => lang
            .pick("not seen arriving (yet)", "（尚）未见到它到达")
            .to_string(),
        (None, false) => {
            let mut text = match lang {
                Lang::En => format!("arrived {} after it was sent", arrivals.join(" and ")),
                Lang::Zh => format!("发出后 {} 到达", arrivals.join(" 和 ")),
            };
            if mark.copies > 1 {
                text.push_str(lang.pick(" (the path duplicated it)", "（路径把它复制了一份）"));
            }
            if mark.reordered {
                text.push_str(&format!(
                    " · {}",
                    words::fate(lang, sockscope_shared::PathFate::Reordered)
                ));
            }
            text
        }
    };
    let number = model
        .events
        .get(at)
        .and_then(|e| match &e.kind {
            EventKind::Segment(seg) => seg.crossing,
            _ => None,
        })
        .map(|n| format!(" · #{n}"))
        .unwrap_or_default();
    html! {
        <>
            { field(lang.pick("lab path", "实验室路径"), format!("{}{number}", captured.unwrap_or_default())) }
            { field(lang.pick("one-way trip", "单程"), trip) }
            if let Some(delay) = mark.delay_us {
                { field(lang.pick("one-way delay", "单程延迟"), duration(delay)) }
            }
        </>
    }
}

/// Wireshark's analysis flags of the packet at `at`, each with its
/// meaning.
pub fn analysis_fields(lang: Lang, model: &Model, at: usize) -> Html {
    let flags = model.analysis_of(at);
    if flags.is_empty() {
        return html! {};
    }
    field(
        lang.pick("TCP analysis", "TCP 分析"),
        html! {
            <ul class="analysis-list" id="detail-analysis">
                { for flags.iter().map(|flag| html! {
                    <li data-flag={flag.field()}><span class="flag-name">{ words::analysis_name(flag) }</span>{ words::analysis_meaning(lang, flag) }</li>
                }) }
            </ul>
        },
    )
}
