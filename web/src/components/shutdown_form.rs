//! shutdown(): close one half of a connection. SHUT_WR sends FIN while the
//! socket can still read the peer's answer (a half-close); SHUT_RD sends
//! nothing on the wire at all.

use sockscope_shared::{Command, ShutdownHow, SocketId};
use yew::prelude::*;

use super::form_error::FormError;
use super::form_props::SocketFormProps;
use crate::hooks::command_form::use_command_form;
use crate::i18n::use_lang;
use crate::model::describe::shutdown_label;

pub fn form_key(socket: SocketId) -> String {
    format!("shutdown:{socket}")
}

#[component]
pub fn ShutdownForm(props: &SocketFormProps) -> Html {
    let lang = use_lang();
    let socket = props.socket;
    let form = use_command_form(form_key(socket), &props.onsubmit);
    let button = |how: ShutdownHow| {
        let label = shutdown_label(how);
        let onclick = form.sends(Command::Shutdown { socket, how });
        html! { <button type="button" class="secondary" name={label} {onclick}>{ label }</button> }
    };
    html! {
        <div class="form" id="shutdown-form">
            <h3>{ "shutdown()" }</h3>
            <div class="buttons">
                { button(ShutdownHow::Write) }
                { button(ShutdownHow::Read) }
                { button(ShutdownHow::Both) }
            </div>
            <p class="hint">{ lang.pick("SHUT_WR sends FIN but keeps reading: a half-close.", "SHUT_WR 发出 FIN，但仍可读取：半关闭。") }</p>
            <FormError local={form.local_error()} remote={props.error.clone()} />
        </div>
    }
}
