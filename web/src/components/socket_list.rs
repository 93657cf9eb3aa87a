//! The sockets of the session and their TCP state at the player's cursor.
//! Clicking one chooses it for the per-socket forms.

use sockscope_shared::SocketId;
use yew::prelude::*;

use crate::state::ModelRef;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    /// The last event position shown; sockets made later are hidden.
    pub until: Option<usize>,
    #[prop_or_default]
    pub chosen: Option<SocketId>,
    pub onchoose: Callback<SocketId>,
}

#[component]
pub fn SocketList(props: &Props) -> Html {
    let until = props.until.unwrap_or(0);
    let sockets: Vec<_> = props
        .model
        .sockets
        .iter()
        .filter(|s| props.until.is_some() && s.exists_at(until))
        .collect();
    if sockets.is_empty() {
        return html! {
            <section class="panel socket-list" id="socket-list">
                <h2>{ "Sockets" }</h2>
                <p class="empty">{ "No sockets yet: open a server or a client above." }</p>
            </section>
        };
    }
    html! {
        <section class="panel socket-list" id="socket-list">
            <h2>{ "Sockets" }</h2>
            <ul>
                { for sockets.into_iter().map(|s| {
                    let id = s.id;
                    let onclick = props.onchoose.reform(move |_: MouseEvent| id);
                    let state = s.state_at(until).map_or("", |st| st.name());
                    let closed = s.closed_by(until);
                    let chosen = props.chosen == Some(id);
                    let class = classes!("socket", chosen.then_some("chosen"), closed.then_some("closed"));
                    let peer = s.peer.clone().map(|p| format!(" ⇄ {p}")).unwrap_or_default();
                    html! {
                        <li key={id} {class} data-socket={id.to_string()} data-state={state}>
                            <button type="button" {onclick} aria-pressed={chosen.to_string()}>
                                <span class="socket-id">{ format!("#{id}") }</span>
                                <span class="role">{ s.role.label() }</span>
                                <span class="addr">{ s.local.clone().unwrap_or_else(|| "not bound".into()) }{ peer }</span>
                                <span class="state">{ state }</span>
                                if closed { <span class="note">{ "close() called" }</span> }
                            </button>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
