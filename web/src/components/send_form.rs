//! The send() form: a message as text or hex, sent `repeat` times,
//! `interval` apart, optionally behind a length header. Three quick sends
//! of "hello" with no framing are the sticky-packet lesson in one click.

use sockscope_shared::{Command, Framing, SocketId};
use yew::prelude::*;

use super::fields;
use super::form_error::FormError;
use super::form_fields::{PayloadKindField, TextField};
use super::form_props::SocketFormProps;
use crate::hooks::command_form::use_command_form;
use crate::i18n::use_lang;
use crate::model::validate::{self, PayloadKind};

pub fn form_key(socket: SocketId) -> String {
    format!("send:{socket}")
}

#[component]
pub fn SendForm(props: &SocketFormProps) -> Html {
    let lang = use_lang();
    let message = use_state(|| "hello".to_string());
    let kind = use_state(PayloadKind::default);
    let repeat = use_state(|| "1".to_string());
    let interval = use_state(|| "0".to_string());
    let framing = use_state(Framing::default);
    let (socket, limits) = (props.socket, props.limits);
    let form = use_command_form(form_key(socket), &props.onsubmit);

    let onsubmit = {
        let (message, kind, repeat, interval, framing) = (
            message.clone(),
            kind.clone(),
            repeat.clone(),
            interval.clone(),
            framing.clone(),
        );
        form.on_submit(move || {
            Ok(Command::Send {
                socket,
                payload: validate::payload(&message, *kind, *framing, &limits, false)?,
                repeat: validate::repeat(&repeat, &limits)?,
                interval_ms: validate::interval(&interval)?,
                framing: *framing,
            })
        })
    };
    let placeholder = if *kind == PayloadKind::Hex {
        "68 65 6c 6c 6f"
    } else {
        "hello"
    };

    html! {
        <form class="form" id="send-form" {onsubmit}>
            <h3>{ "send()" }</h3>
            <div class="fields">
                <TextField label={lang.pick("message", "消息")} name="message" width="wide" value={message} {placeholder} />
                <PayloadKindField {kind} />
            </div>
            <div class="fields">
                <TextField label={lang.pick("repeat", "重复次数")} name="repeat" width="short" numeric=true value={repeat} />
                <TextField label={lang.pick("every ms", "间隔（毫秒）")} name="interval" width="short" numeric=true value={interval} />
                <label>{ lang.pick("length header", "长度报头") }
                    <select name="framing" onchange={fields::select(&framing, fields::parse_framing)}>
                        { for Framing::ALL.iter().map(|f| html! {
                            <option value={fields::framing_value(*f)} selected={*f == *framing}>{ crate::i18n::words::framing(lang, *f) }</option>
                        }) }
                    </select>
                </label>
            </div>
            <button type="submit">{ "send()" }</button>
            <FormError local={form.local_error()} remote={props.error.clone()} />
        </form>
    }
}
