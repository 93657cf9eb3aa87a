//! The framing decoder: what a reader that knows the length header would do
//! with each recv() chunk. Whole messages come off the buffer; a partial
//! frame waits for the next chunk. With no framing, each chunk is taken as
//! a message, which is the sticky-packet bug itself. A long stream lists
//! its last [`ROWS`] recv() calls.

use sockscope_shared::Framing;
use yew::prelude::*;

use super::fields;
use super::shown_stream::ShownStream;
use crate::i18n::{Lang, use_lang, words};
use crate::model::describe::plural;
use crate::model::framing::{self, ReadSoFar};
use crate::model::hexdump::preview;
use crate::model::stream::RecvChunk;
use crate::state::ModelRef;

/// recv() calls listed at most: a bulk transfer makes thousands.
const ROWS: usize = 64;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub stream: ShownStream,
    pub framing: Framing,
    /// (conversation, direction, framing)
    pub onframing: Callback<(usize, usize, Framing)>,
}

/// Where the table's reader stood after the chunks above it at the last
/// render, and of which stream: read on from there, a live stream costs
/// each render its new chunks only.
struct Kept {
    model: ModelRef,
    conversation: usize,
    direction: usize,
    /// The leading chunks known to have every byte kept.
    whole: usize,
    read: ReadSoFar,
}

#[component]
pub fn FramingPanel(props: &Props) -> Html {
    let lang = use_lang();
    let kept = use_mut_ref(|| None::<Kept>);
    let ShownStream {
        model: model_ref,
        conversation,
        direction,
        horizon,
        shown,
    } = props.stream.clone();
    let model = model_ref.get();
    let Some(conv) = model.conversations.get(conversation) else {
        return html! {};
    };
    let stream = &conv.streams[direction];
    let mut kept = kept.borrow_mut();
    // In time order, the calls shown are the first ones, and the reader's
    // place after some of them holds from one render to the next; out of
    // order (a capture's late events), a step can show one in the middle.
    let in_order = stream.recvs_order.holds();
    let resumable = kept.take().filter(|k| {
        in_order
            && k.model.same_store(&model_ref)
            && (k.conversation, k.direction) == (conversation, direction)
    });
    // Out of time order, the calls shown are copied out (their payloads
    // are shared, not copied) and read from the start.
    let filtered: Vec<RecvChunk>;
    let shown = if in_order {
        &stream.recvs[..shown.recvs.min(stream.recvs.len())]
    } else {
        filtered = stream
            .recvs
            .iter()
            .filter(|r| model.shows(horizon, r.at))
            .cloned()
            .collect();
        &filtered[..]
    };
    // Messages can be read back only as far as the bytes were kept.
    let from = resumable.as_ref().map_or(0, |k| k.whole.min(shown.len()));
    let whole = from
        + shown[from..]
            .iter()
            .take_while(|r| r.data.is_whole())
            .count();
    let (before, steps, read) = framing::decode_last(
        props.framing,
        (&shown[..whole], |r: &RecvChunk| &r.data[..]),
        ROWS,
        resumable.map(|k| k.read),
    );
    if in_order {
        *kept = Some(Kept {
            model: model_ref.clone(),
            conversation,
            direction,
            whole,
            read,
        });
    }
    let (listed, not_kept) = (&shown[before..whole], shown.len() - whole);
    if listed.is_empty() {
        return html! {};
    }
    let onchange = props.onframing.reform(move |e: Event| {
        let framing = fields::select_value(&e)
            .as_deref()
            .and_then(fields::parse_framing)
            .unwrap_or_default();
        (conversation, direction, framing)
    });
    html! {
        <div class="framing">
            <div class="framing-head">
                <h4>{ lang.pick("Reading it back as messages", "按消息读回") }</h4>
                <label>{ lang.pick("length header", "长度报头") }
                    <select class="framing-choice" {onchange}>
                        { for Framing::ALL.iter().map(|f| html! {
                            <option value={fields::framing_value(*f)} selected={*f == props.framing}>{ crate::i18n::words::framing(lang, *f) }</option>
                        }) }
                    </select>
                </label>
            </div>
            <table>
                <thead><tr><th>{ "recv()" }</th><th>{ lang.pick("messages taken off the buffer", "从缓冲区取出的消息") }</th><th>{ lang.pick("left waiting", "剩余等待") }</th></tr></thead>
                // The listed calls have a <tbody> of their own: Yew patches
                // a keyed list that shares its parent with other nodes from
                // its end, and one more call would rebuild every row.
                if before > 0 {
                    <tbody class="framing-earlier"><tr><td colspan="3" class="hint">{ match lang {
                        Lang::En => format!("{before} earlier recv() calls, read but not listed"),
                        Lang::Zh => format!("更早的 {before} 次 recv() 已读取，未列出"),
                    } }</td></tr></tbody>
                }
                <tbody>
                    { for listed.iter().zip(&steps).zip(before..).map(|((chunk, step), k)| html! {
                        <tr key={chunk.at.to_string()}>
                            <td>{ format!("#{k} · {}", plural(chunk.data.len() as u64, "byte")) }</td>
                            <td class="messages">
                                if step.messages.is_empty() && step.error.is_none() { <span class="hint">{ lang.pick("none yet: incomplete frame", "暂无：帧还不完整") }</span> }
                                { for step.messages.iter().map(|m| html! { <span class="message">{ preview(&m.body, 40) }</span> }) }
                                if let Some(error) = &step.error { <span class="form-error">{ words::frame_error(lang, error) }</span> }
                            </td>
                            <td>{ if step.pending.is_empty() { "—".to_string() } else { format!("{} {}", plural(step.pending.len() as u64, "byte"), preview(&step.pending, 16)) } }</td>
                        </tr>
                    }) }
                </tbody>
                if not_kept > 0 {
                    <tbody class="framing-not-kept"><tr><td colspan="3" class="hint">{ match lang {
                        Lang::En => format!("{not_kept} later recv() calls: their bytes were not kept, so they cannot be read back"),
                        Lang::Zh => format!("之后的 {not_kept} 次 recv()：字节没有保留，无法读回"),
                    } }</td></tr></tbody>
                }
            </table>
        </div>
    }
}
