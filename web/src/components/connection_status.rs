//! The link to the relay, in one word and one sentence, with a button to
//! retry at once when it is down.

use yew::prelude::*;

use crate::i18n::{use_lang, words};
use crate::model::connection::Link;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub link: Link,
    pub onretry: Callback<()>,
}

#[component]
pub fn ConnectionStatus(props: &Props) -> Html {
    let lang = use_lang();
    let link = &props.link;
    let class = match link {
        Link::Connected => "ok",
        Link::Connecting | Link::Reconnecting { .. } => "pending",
        Link::Gone { .. } => "bad",
    };
    let down = matches!(link, Link::Reconnecting { .. } | Link::Gone { .. });
    let onclick = props.onretry.reform(|_: MouseEvent| ());
    html! {
        <div class={classes!("connection", class)} id="connection" data-link={link.label()} title={words::link_detail(lang, link)}>
            <span class="dot" aria-hidden="true"></span>
            <span class="label" id="connection-label">{ words::link_label(lang, link) }</span>
            if down {
                <span class="detail">{ words::link_detail(lang, link) }</span>
                <button type="button" class="secondary small" {onclick}>{ lang.pick("retry now", "立即重试") }</button>
            }
        </div>
    }
}
