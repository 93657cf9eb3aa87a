//! Auto-read: the relay calls recv(bufsize) by itself whenever data waits,
//! after a delay. A delay lets several sends pile up in the receive buffer
//! first, which is how a slow reader meets sticky packets.

use sockscope_shared::{Command, Limits, SocketId};
use yew::prelude::*;

use super::form_error::FormError;
use super::form_fields::{BufsizeField, TextField};
use super::form_props::SocketFormProps;
use crate::hooks::command_form::use_command_form;
use crate::hooks::field_values::use_bufsize;
use crate::i18n::use_lang;
use crate::model::validate;

pub fn form_key(socket: SocketId) -> String {
    format!("auto_read:{socket}")
}

#[component]
pub fn AutoReadForm(props: &SocketFormProps) -> Html {
    let lang = use_lang();
    let delay = use_state(|| "0".to_string());
    let bufsize = use_bufsize();
    let (socket, limits) = (props.socket, props.limits);
    let form = use_command_form(form_key(socket), &props.onsubmit);

    // Turning it off checks the fields too: the relay is told the whole
    // setting either way.
    let build = {
        let (delay, bufsize) = (delay.clone(), bufsize.clone());
        move |on: bool| -> Result<Command, String> {
            Ok(Command::AutoRead {
                socket,
                on,
                delay_ms: validate::number(&delay, "delay", 0, Limits::MAX_INTERVAL_MS)?,
                bufsize: bufsize.checked(&limits)?,
            })
        }
    };
    let onsubmit = {
        let build = build.clone();
        form.on_submit(move || build(true))
    };
    let off = form.on_click(move || build(false));

    html! {
        <form class="form" id="auto-read-form" {onsubmit}>
            <h3>{ lang.pick("auto-read", "自动读取") }</h3>
            <div class="fields">
                <TextField label={lang.pick("delay ms", "延迟（毫秒）")} name="delay" width="short" numeric=true value={delay} />
                <BufsizeField {bufsize} />
            </div>
            <div class="buttons">
                <button type="submit">{ lang.pick("on", "开") }</button>
                <button type="button" class="secondary" onclick={off}>{ lang.pick("off", "关") }</button>
            </div>
            <FormError local={form.local_error()} remote={props.error.clone()} />
        </form>
    }
}
