//! A listener's controls: accept() the next waiting connection, or let the
//! relay accept every one as it arrives. Connections that nobody accepts
//! wait in the backlog, already ESTABLISHED in the kernel.

use sockscope_shared::{Command, SocketId};
use yew::prelude::*;

use super::Submit;
use super::form_error::FormError;
use crate::i18n::use_lang;

pub fn form_key(socket: SocketId) -> String {
    format!("accept:{socket}")
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub socket: SocketId,
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}

#[component]
pub fn AcceptForm(props: &Props) -> Html {
    let lang = use_lang();
    let socket = props.socket;
    let send = |command: Command| {
        let submit = props.onsubmit.clone();
        Callback::from(move |_: MouseEvent| {
            submit.emit(Submit {
                form: form_key(socket),
                command: command.clone(),
            });
        })
    };
    html! {
        <div class="form" id="accept-form">
            <h3>{ "accept()" }</h3>
            <div class="buttons">
                <button type="button" name="accept" onclick={send(Command::TcpAccept { socket })}>{ "accept()" }</button>
                <button type="button" class="secondary" name="auto_on" onclick={send(Command::AutoAccept { socket, on: true })}>{ lang.pick("auto-accept on", "自动 accept 开") }</button>
                <button type="button" class="secondary" name="auto_off" onclick={send(Command::AutoAccept { socket, on: false })}>{ lang.pick("auto-accept off", "自动 accept 关") }</button>
            </div>
            <FormError remote={props.error.clone()} />
        </div>
    }
}
