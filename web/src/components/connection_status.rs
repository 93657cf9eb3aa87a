//! The link to the relay, in one word and one sentence, with a button to
//! retry at once when it is down.

use yew::prelude::*;

use crate::model::connection::Link;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub link: Link,
    pub onretry: Callback<()>,
}

#[component]
pub fn ConnectionStatus(props: &Props) -> Html {
    let link = &props.link;
    let class = match link {
        Link::Connected => "ok",
        Link::Connecting | Link::Reconnecting { .. } => "pending",
        Link::Gone { .. } => "bad",
    };
    let down = matches!(link, Link::Reconnecting { .. } | Link::Gone { .. });
    let onclick = props.onretry.reform(|_: MouseEvent| ());
    html! {
        <div class={classes!("connection", class)} id="connection" data-link={link.label()} title={link.detail()}>
            <span class="dot" aria-hidden="true"></span>
            <span class="label" id="connection-label">{ link.label() }</span>
            if down {
                <span class="detail">{ link.detail() }</span>
                <button type="button" class="secondary small" {onclick}>{ "retry now" }</button>
            }
        </div>
    }
}
