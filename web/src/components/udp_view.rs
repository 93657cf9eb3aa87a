//! UDP datagrams as units: what sendto() sent, what crossed the wire, what
//! recvfrom() got, and, when the buffer was too small, the part that was
//! lost for good. No glued or split messages here: each datagram is read
//! whole, or cut, never merged.

use sockscope_shared::Transport;
use yew::prelude::*;

use super::{length, send_class};
use crate::i18n::{Lang, use_lang, words};
use crate::model::Horizon;
use crate::model::conversation::OneWay;
use crate::model::describe::plural;
use crate::model::hexdump::preview;
use crate::model::udp::Datagram;
use crate::state::ModelRef;

/// Rows listed per direction.
const MAX_ROWS: usize = 200;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    /// What the player shows (the page draws this view from the first
    /// step on).
    pub horizon: Horizon,
    #[prop_or_default]
    pub selected: Option<usize>,
    pub onselect: Callback<usize>,
}

/// Shows a sighting only once the player has reached it.
fn sighting<'a, T>(
    item: &'a Option<T>,
    at: impl Fn(&T) -> usize,
    seen: &dyn Fn(usize) -> bool,
) -> Option<&'a T> {
    item.as_ref().filter(|x| seen(at(x)))
}

fn datagram_row(
    lang: Lang,
    d: &Datagram,
    seen: &dyn Fn(usize) -> bool,
    widest: u32,
    onselect: &Callback<usize>,
) -> Html {
    let sent = sighting(&d.sent, |s| s.at, seen);
    let wire = sighting(&d.wire, |w| w.at, seen);
    let received = sighting(&d.received, |r| r.at, seen);
    let len = d.len();
    let px = |n: u32| f64::from(n) / f64::from(widest.max(1)) * 360.0;
    let kept = received.map_or(len, |r| u32::try_from(r.data.len()).unwrap_or(u32::MAX));
    let lost = received.map_or(0, |_| d.lost_bytes());
    let click = |at: Option<usize>| {
        let onselect = onselect.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(at) = at {
                onselect.emit(at);
            }
        })
    };
    html! {
        <tr key={d.ordinal} class={classes!("datagram", (lost > 0).then_some("truncated"))} data-lost={lost.to_string()}>
            <td class="ordinal">{ format!("#{}", d.ordinal) }</td>
            <td onclick={click(sent.map(|s| s.at))} class="clickable">
                { sent.map_or_else(|| "—".to_string(), |s| format!("sendto {} {}", plural(s.data.len() as u64, "byte"), preview(&s.data, 24))) }
            </td>
            <td onclick={click(wire.map(|w| w.at))} class="clickable">
                { wire.map_or_else(|| "—".to_string(), |w| match lang {
                    Lang::En => format!("{} on the wire", plural(u64::from(w.payload_len), "byte")),
                    Lang::Zh => format!("线路上 {} 字节", w.payload_len),
                }) }
            </td>
            <td onclick={click(received.map(|r| r.at))} class="clickable">
                { received.map_or_else(|| lang.pick("not read yet", "还没有读取").to_string(), |r| {
                    if lost > 0 {
                        match lang {
                            Lang::En => format!("recvfrom({}) got {} of {len}: {} lost", r.bufsize, r.data.len(), plural(u64::from(lost), "byte")),
                            Lang::Zh => format!("recvfrom({}) 只拿到 {len} 字节中的 {}：丢失 {lost} 字节", r.bufsize, r.data.len()),
                        }
                    } else {
                        format!("recvfrom({}) got {} {}", r.bufsize, plural(r.data.len() as u64, "byte"), preview(&r.data, 24))
                    }
                }) }
            </td>
            <td class="bar-cell">
                <div class="dgram-bar">
                    <span class={classes!("kept", send_class(d.ordinal))} style={format!("width:{}px", length::px(px(kept).max(if len == 0 { 0.0 } else { 2.0 })))}></span>
                    if lost > 0 { <span class="lost" style={format!("width:{}px", length::px(px(lost)))} title={lang.pick("thrown away by recvfrom()", "被 recvfrom() 丢弃")}></span> }
                    if len == 0 { <span class="empty-dgram">{ lang.pick("empty datagram", "空数据报") }</span> }
                </div>
            </td>
        </tr>
    }
}

#[component]
pub fn UdpView(props: &Props) -> Html {
    let lang = use_lang();
    let horizon = props.horizon;
    let model = props.model.get();
    let seen = |at: usize| model.shows(horizon, at);
    // A datagram shows once any of its sightings has happened.
    let any_seen = |g: &Datagram| {
        [
            g.sent.as_ref().map(|s| s.at),
            g.wire.map(|w| w.at),
            g.received.as_ref().map(|r| r.at),
        ]
        .into_iter()
        .flatten()
        .any(seen)
    };
    let flows: Vec<OneWay<'_>> = model
        .conversations
        .directions(Transport::Udp)
        .filter(|way| {
            way.conversation.flows[way.direction]
                .datagrams
                .iter()
                .any(any_seen)
        })
        .collect();
    if flows.is_empty() {
        return html! {};
    }
    html! {
        <section class="panel udp" id="udp">
            <h2>{ lang.pick("UDP datagrams", "UDP 数据报") }<span class="meta">{ lang.pick(" · each one arrives whole, or cut: never glued", " · 每个数据报要么完整到达，要么被截断：从不粘连") }</span></h2>
            // Their own parent, so a new flow is appended to a keyed list.
            <div class="flows">{ for flows.into_iter().map(|OneWay { conversation: conv, direction: d }| {
                let datagrams: Vec<_> = conv.flows[d].datagrams.iter().filter(|g| any_seen(g)).collect();
                // A capture file can hold 100,000 datagrams: the table shows
                // the latest up to the player's step, the diagram all of them.
                let hidden = datagrams.len().saturating_sub(MAX_ROWS);
                let datagrams = &datagrams[hidden..];
                let widest = datagrams.iter().map(|g| g.len()).max().unwrap_or(1);
                html! {
                    <div class="flow" key={format!("{}-{d}", conv.id)}>
                        <h3>{ words::direction(lang, conv, d) }</h3>
                        if hidden > 0 {
                            <p class="hint">{ match lang {
                                Lang::En => format!("{hidden} earlier datagrams are not listed here; the diagram shows every one."),
                                Lang::Zh => format!("这里没有列出更早的 {hidden} 个数据报；图中显示了全部。"),
                            } }</p>
                        }
                        <table>
                            <tbody>
                                { for datagrams.iter().map(|g| datagram_row(lang, g, &seen, widest, &props.onselect)) }
                            </tbody>
                        </table>
                    </div>
                }
            }) }</div>
        </section>
    }
}
