//! A listener's controls: accept() the next waiting connection, or let the
//! relay accept every one as it arrives. Connections that nobody accepts
//! wait in the backlog, already ESTABLISHED in the kernel.

use sockscope_shared::{Command, SocketId};
use yew::prelude::*;

use super::form_error::FormError;
use super::form_props::SocketFormProps;
use crate::hooks::command_form::use_command_form;
use crate::i18n::use_lang;

pub fn form_key(socket: SocketId) -> String {
    format!("accept:{socket}")
}

#[component]
pub fn AcceptForm(props: &SocketFormProps) -> Html {
    let lang = use_lang();
    let socket = props.socket;
    let form = use_command_form(form_key(socket), &props.onsubmit);
    html! {
        <div class="form" id="accept-form">
            <h3>{ "accept()" }</h3>
            <div class="buttons">
                <button type="button" name="accept" onclick={form.sends(Command::TcpAccept { socket })}>{ "accept()" }</button>
                <button type="button" class="secondary" name="auto_on" onclick={form.sends(Command::AutoAccept { socket, on: true })}>{ lang.pick("auto-accept on", "自动 accept 开") }</button>
                <button type="button" class="secondary" name="auto_off" onclick={form.sends(Command::AutoAccept { socket, on: false })}>{ lang.pick("auto-accept off", "自动 accept 关") }</button>
            </div>
            <FormError local={form.local_error()} remote={props.error.clone()} />
        </div>
    }
}
