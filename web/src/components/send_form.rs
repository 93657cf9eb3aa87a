//! The send() form: a message as text or hex, sent `repeat` times,
//! `interval` apart, optionally behind a length header. Three quick sends
//! of "hello" with no framing are the sticky-packet lesson in one click.

use sockscope_shared::{Command, Framing, Limits, SocketId};
use yew::prelude::*;

use super::Submit;
use super::fields;
use super::form_error::FormError;
use crate::i18n::use_lang;
use crate::model::validate::{self, PayloadKind};

pub fn form_key(socket: SocketId) -> String {
    format!("send:{socket}")
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub socket: SocketId,
    pub limits: Limits,
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}

fn parse_kind(value: &str) -> Option<PayloadKind> {
    match value {
        "text" => Some(PayloadKind::Text),
        "hex" => Some(PayloadKind::Hex),
        _ => None,
    }
}

#[component]
pub fn SendForm(props: &Props) -> Html {
    let lang = use_lang();
    let message = use_state(|| "hello".to_string());
    let kind = use_state(PayloadKind::default);
    let repeat = use_state(|| "1".to_string());
    let interval = use_state(|| "0".to_string());
    let framing = use_state(Framing::default);
    let local_error = use_state(|| None::<String>);

    let onsubmit = {
        let (message, kind, repeat, interval, framing) = (
            message.clone(),
            kind.clone(),
            repeat.clone(),
            interval.clone(),
            framing.clone(),
        );
        let (socket, limits) = (props.socket, props.limits);
        fields::Sender::new(form_key(socket), &local_error, &props.onsubmit).on_submit(move || {
            Ok(Command::Send {
                socket,
                payload: validate::payload(&message, *kind, *framing, &limits, false)?,
                repeat: validate::repeat(&repeat, &limits)?,
                interval_ms: validate::interval(&interval)?,
                framing: *framing,
            })
        })
    };

    let kind_value = if *kind == PayloadKind::Hex {
        "hex"
    } else {
        "text"
    };
    html! {
        <form class="form" id="send-form" {onsubmit}>
            <h3>{ "send()" }</h3>
            <div class="fields">
                <label class="wide">{ lang.pick("message", "消息") }
                    <input name="message" value={(*message).clone()} oninput={fields::text(&message)}
                        placeholder={if *kind == PayloadKind::Hex { "68 65 6c 6c 6f" } else { "hello" }} />
                </label>
                <label class="short">{ lang.pick("as", "格式") }
                    <select name="kind" onchange={fields::select(&kind, parse_kind)}>
                        <option value="text" selected={kind_value == "text"}>{ lang.pick("text", "文本") }</option>
                        <option value="hex" selected={kind_value == "hex"}>{ lang.pick("hex", "十六进制") }</option>
                    </select>
                </label>
            </div>
            <div class="fields">
                <label class="short">{ lang.pick("repeat", "重复次数") }<input name="repeat" inputmode="numeric" value={(*repeat).clone()} oninput={fields::text(&repeat)} /></label>
                <label class="short">{ lang.pick("every ms", "间隔（毫秒）") }<input name="interval" inputmode="numeric" value={(*interval).clone()} oninput={fields::text(&interval)} /></label>
                <label>{ lang.pick("length header", "长度报头") }
                    <select name="framing" onchange={fields::select(&framing, fields::parse_framing)}>
                        { for Framing::ALL.iter().map(|f| html! {
                            <option value={fields::framing_value(*f)} selected={*f == *framing}>{ crate::i18n::words::framing(lang, *f) }</option>
                        }) }
                    </select>
                </label>
            </div>
            <button type="submit">{ "send()" }</button>
            <FormError local={(*local_error).clone()} remote={props.error.clone()} />
        </form>
    }
}
