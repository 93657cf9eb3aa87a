//! The forms for the chosen socket: what can be done depends on what it is.
//! A listener accepts; a connected TCP socket sends, receives, sets options
//! and shuts down; a UDP socket sends and receives datagrams. Every socket
//! can be closed.

use std::collections::HashMap;
use std::rc::Rc;

use sockscope_shared::{Command, Limits, SocketId, TcpState, Transport};
use yew::prelude::*;

use super::Submit;
use super::accept_form::{self, AcceptForm};
use super::auto_read_form::{self, AutoReadForm};
use super::form_error::FormError;
use super::options_form::{self, OptionsForm};
use super::recv_form::{RecvForm, RecvKind};
use super::send_form::{self, SendForm};
use super::send_to_form::{self, SendToForm};
use super::shutdown_form::{self, ShutdownForm};
use crate::hooks::command_form::use_command_form;
use crate::i18n::use_lang;
use crate::model::sockets::{Role, SocketInfo};

pub fn close_key(socket: SocketId) -> String {
    format!("close:{socket}")
}

/// What the forms show of the chosen socket: a few fields, copied and
/// compared at every render in constant time (a socket's states and
/// counters grow with the session).
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    pub id: SocketId,
    pub transport: Transport,
    pub role: Role,
    pub state: Option<TcpState>,
    pub local: Option<String>,
    pub peer: Option<String>,
}

impl Chosen {
    pub fn of(socket: &SocketInfo) -> Chosen {
        Chosen {
            id: socket.id,
            transport: socket.transport,
            role: socket.role,
            state: socket.state(),
            local: socket.local.clone(),
            peer: socket.peer.clone(),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub socket: Chosen,
    pub limits: Limits,
    /// Bytes sent to this socket that it has not read yet.
    #[prop_or_default]
    pub waiting: Option<u64>,
    pub errors: Rc<HashMap<String, String>>,
    pub onsubmit: Callback<Submit>,
}

#[component]
pub fn SocketActions(props: &Props) -> Html {
    let lang = use_lang();
    let s = &props.socket;
    let id = s.id;
    let error = |key: String| props.errors.get(&key).cloned();
    let onsubmit = props.onsubmit.clone();
    let limits = props.limits;
    let close = use_command_form(close_key(id), &props.onsubmit);
    let forms = match (s.transport, s.role) {
        (Transport::Udp, _) => html! {
            <>
                <SendToForm socket={id} {limits} error={error(send_to_form::form_key(id))} onsubmit={onsubmit.clone()} />
                <RecvForm key={RecvKind::RecvFrom.id()} kind={RecvKind::RecvFrom} socket={id} {limits} error={error(RecvKind::RecvFrom.form_key(id))} onsubmit={onsubmit.clone()} />
            </>
        },
        (_, Role::Listener) => html! {
            <AcceptForm socket={id} {limits} error={error(accept_form::form_key(id))} onsubmit={onsubmit.clone()} />
        },
        _ => html! {
            <>
                <SendForm socket={id} {limits} error={error(send_form::form_key(id))} onsubmit={onsubmit.clone()} />
                <RecvForm key={RecvKind::Recv.id()} kind={RecvKind::Recv} socket={id} {limits} waiting={props.waiting} error={error(RecvKind::Recv.form_key(id))} onsubmit={onsubmit.clone()} />
                <AutoReadForm socket={id} {limits} error={error(auto_read_form::form_key(id))} onsubmit={onsubmit.clone()} />
                <ShutdownForm socket={id} {limits} error={error(shutdown_form::form_key(id))} onsubmit={onsubmit.clone()} />
                <OptionsForm socket={id} {limits} error={error(options_form::form_key(id))} onsubmit={onsubmit.clone()} />
            </>
        },
    };
    let state = s.state.map_or("", |st| st.name());
    html! {
        <section class="panel socket-actions" id="socket-actions" data-socket={id.to_string()} data-role={s.role.label()}>
            <h2>{ match lang { crate::i18n::Lang::En => format!("Socket #{id}"), crate::i18n::Lang::Zh => format!("{id} 号套接字") } }<span class="role">{ crate::i18n::words::role(lang, s.role) }</span><span class="state">{ state }</span></h2>
            <p class="addr">{ s.local.clone().unwrap_or_default() }{ s.peer.clone().map(|p| format!(" ⇄ {p}")).unwrap_or_default() }</p>
            { forms }
            <div class="form">
                <button type="button" class="danger" name="close" onclick={close.sends(Command::Close { socket: id })}>{ "close()" }</button>
                <FormError local={close.local_error()} remote={error(close_key(id))} />
            </div>
        </section>
    }
}
