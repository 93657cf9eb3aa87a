//! The sockets of the session and their TCP state at the player's cursor.
//! Clicking one chooses it for the per-socket forms. A socket with bytes
//! waiting in its receive buffer says how many, as the kernel reports them.

use sockscope_shared::SocketId;
use yew::prelude::*;

use crate::i18n::{Lang, use_lang, words};
use crate::model::Horizon;
use crate::state::ModelRef;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    /// What the player shows; sockets made later are hidden.
    pub horizon: Option<Horizon>,
    #[prop_or_default]
    pub chosen: Option<SocketId>,
    pub onchoose: Callback<SocketId>,
}

#[component]
pub fn SocketList(props: &Props) -> Html {
    let lang = use_lang();
    let model = props.model.get();
    let seen = |at: usize| props.horizon.is_some_and(|h| model.shows(h, at));
    let sockets: Vec<_> = model
        .sockets
        .iter()
        .filter(|s| seen(s.created_at))
        .collect();
    if sockets.is_empty() {
        return html! {
            <section class="panel socket-list" id="socket-list">
                <h2>{ lang.pick("Sockets", "套接字") }</h2>
                <p class="empty">{ lang.pick("No sockets yet: open a server or a client above, or run a lesson.", "还没有套接字：在上方打开服务端或客户端，或者运行一节课。") }</p>
            </section>
        };
    }
    html! {
        <section class="panel socket-list" id="socket-list">
            <h2>{ lang.pick("Sockets", "套接字") }</h2>
            <ul>
                { for sockets.into_iter().map(|s| {
                    let id = s.id;
                    let onclick = props.onchoose.reform(move |_: MouseEvent| id);
                    let state = s.state_when(seen).map_or("", |st| st.name());
                    let closed = s.closed_at.is_some_and(seen);
                    let chosen = props.chosen == Some(id);
                    let class = classes!("socket", chosen.then_some("chosen"), closed.then_some("closed"));
                    let peer = s.peer.clone().map(|p| format!(" ⇄ {p}")).unwrap_or_default();
                    // What the kernel said last (SIOCINQ): bytes in the
                    // receive buffer that no recv() has taken yet.
                    let queued = model
                        .recv_queues
                        .iter()
                        .rev()
                        .find(|q| q.socket == id && seen(q.at))
                        .map_or(0, |q| q.bytes);
                    html! {
                        <li key={id} {class} data-socket={id.to_string()} data-role={s.role.label()} data-state={state}>
                            <button type="button" {onclick} aria-pressed={chosen.to_string()}>
                                <span class="socket-id">{ format!("#{id}") }</span>
                                <span class="role">{ words::role(lang, s.role) }</span>
                                <span class="addr">{ s.local.clone().unwrap_or_else(|| lang.pick("not bound", "未绑定").into()) }{ peer }</span>
                                <span class="state">{ state }</span>
                                if closed { <span class="note">{ lang.pick("close() called", "已调用 close()") }</span> }
                                if queued > 0 && !closed {
                                    <span class="queued" data-queued={queued.to_string()}
                                        title={lang.pick("the kernel's count (SIOCINQ): received, not yet taken by recv()", "内核的计数（SIOCINQ）：已收到，还没有被 recv() 取走")}>
                                        { match lang {
                                            Lang::En => format!("{queued} bytes in the receive buffer"),
                                            Lang::Zh => format!("接收缓冲区里有 {queued} 字节"),
                                        } }
                                    </span>
                                }
                            </button>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
