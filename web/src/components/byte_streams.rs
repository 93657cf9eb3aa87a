//! The byte-stream ("sticky packet") views of every TCP connection: for each
//! direction that carried bytes, the three lanes and the framing decoder.

use std::collections::HashMap;
use std::rc::Rc;

use sockscope_shared::{Framing, Transport};
use yew::prelude::*;

use super::framing_panel::FramingPanel;
use super::shown_stream::ShownStream;
use super::stream_lanes::StreamLanes;
use crate::i18n::{Lang, use_lang};
use crate::model::conversation::OneWay;
use crate::model::kept::KEEP_PARAMETER;
use crate::model::{Horizon, StreamShown};
use crate::state::ModelRef;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    /// What the player shows (the page draws this view from the first
    /// step on).
    pub horizon: Horizon,
    #[prop_or_default]
    pub selected: Option<usize>,
    pub framings: Rc<HashMap<(usize, usize), Framing>>,
    pub onselect: Callback<usize>,
    /// (conversation, direction, framing)
    pub onframing: Callback<(usize, usize, Framing)>,
}

#[component]
pub fn ByteStreams(props: &Props) -> Html {
    let lang = use_lang();
    let horizon = props.horizon;
    let model = props.model.get();
    let directions: Vec<(usize, usize, Framing, StreamShown)> = model
        .conversations
        .directions(Transport::Tcp)
        .filter_map(
            |OneWay {
                 conversation: c,
                 direction: d,
             }| {
                let shown = model.stream_shown(c.id, d, horizon);
                if !shown.any_bytes() {
                    return None;
                }
                // The framing the sender used, unless the learner picked one.
                let sent_with = c.streams[d]
                    .sends
                    .iter()
                    .map(|s| s.framing)
                    .find(|f| *f != Framing::None)
                    .unwrap_or_default();
                let framing = props.framings.get(&(c.id, d)).copied().unwrap_or(sent_with);
                Some((c.id, d, framing, shown))
            },
        )
        .collect();
    // A plain capture has no send() calls to colour the bytes by.
    let calls_unknown = model
        .conversations
        .list
        .iter()
        .flat_map(|c| c.streams.iter())
        .filter(|s| !s.is_empty())
        .all(|s| s.calls_unknown());
    let subtitle = if calls_unknown {
        lang.pick(
            " · the bytes each segment carried (a capture file does not say which send() wrote them)",
            " · 每个报文段携带的字节（抓包文件不记录是哪次 send() 写的）",
        )
    } else {
        lang.pick(" · each colour is one send()", " · 每种颜色是一次 send()")
    };
    if directions.is_empty() {
        return html! {};
    }
    html! {
        <section class="panel streams" id="streams">
            <h2>{ lang.pick("Byte streams", "字节流") }<span class="meta">{ subtitle }</span></h2>
            if let Some(refused) = &model.keeping.refused {
                <p class="form-error" id="keep-refused">{ match lang {
                    Lang::En => format!("{}={refused:?} in the address is not a whole number of MiB from 1 to 1000000: keeping the first {} MiB of each stream", KEEP_PARAMETER, model.keeping.limit() >> 20),
                    Lang::Zh => format!("地址中的 {}={refused:?} 不是 1 到 1000000 之间的整数 MiB：保留每个字节流的前 {} MiB", KEEP_PARAMETER, model.keeping.limit() >> 20),
                } }</p>
            }
            // A parent of its own, so a new conversation is appended to a
            // keyed list rather than shifting every lane down by one.
            <div class="directions">{ for directions.into_iter().map(|(conversation, direction, framing, shown)| {
                let stream = ShownStream { model: props.model.clone(), conversation, direction, horizon, shown };
                html! {
                    <div class="direction" key={format!("{conversation}-{direction}")}>
                        <StreamLanes stream={stream.clone()}
                            selected={props.selected} onselect={props.onselect.clone()} />
                        <FramingPanel {stream} {framing} onframing={props.onframing.clone()} />
                    </div>
                }
            }) }</div>
        </section>
    }
}
