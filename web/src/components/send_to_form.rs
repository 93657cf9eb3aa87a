//! sendto(): one datagram to an address. An empty message is allowed: UDP
//! still sends a datagram, 8 bytes of header and no payload.

use sockscope_shared::{Command, Framing, Limits, SocketId};
use yew::prelude::*;

use super::Submit;
use super::fields;
use super::form_error::FormError;
use crate::i18n::use_lang;
use crate::model::validate::{self, PayloadKind};

pub fn form_key(socket: SocketId) -> String {
    format!("send_to:{socket}")
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
pub fn SendToForm(props: &Props) -> Html {
    let lang = use_lang();
    let host = use_state(|| "127.0.0.1".to_string());
    let port = use_state(|| "9527".to_string());
    let message = use_state(|| "hello udp".to_string());
    let kind = use_state(PayloadKind::default);
    let local_error = use_state(|| None::<String>);

    let onsubmit = {
        let (host, port, message, kind) =
            (host.clone(), port.clone(), message.clone(), kind.clone());
        let (socket, limits) = (props.socket, props.limits);
        fields::Sender::new(form_key(socket), &local_error, &props.onsubmit).on_submit(move || {
            Ok(Command::SendTo {
                socket,
                host: validate::host(&host)?,
                port: validate::port(&port, false)?,
                payload: validate::payload(&message, *kind, Framing::None, &limits, true)?,
            })
        })
    };

    html! {
        <form class="form" id="send-to-form" {onsubmit}>
            <h3>{ "sendto()" }</h3>
            <div class="fields">
                <label>{ lang.pick("host", "主机") }<input name="host" value={(*host).clone()} oninput={fields::text(&host)} /></label>
                <label class="short">{ lang.pick("port", "端口") }<input name="port" inputmode="numeric" value={(*port).clone()} oninput={fields::text(&port)} /></label>
            </div>
            <div class="fields">
                <label class="wide">{ lang.pick("message", "消息") }<input name="message" value={(*message).clone()} oninput={fields::text(&message)} /></label>
                <label class="short">{ lang.pick("as", "格式") }
                    <select name="kind" onchange={fields::select(&kind, parse_kind)}>
                        <option value="text" selected={*kind == PayloadKind::Text}>{ lang.pick("text", "文本") }</option>
                        <option value="hex" selected={*kind == PayloadKind::Hex}>{ lang.pick("hex", "十六进制") }</option>
                    </select>
                </label>
            </div>
            <button type="submit">{ "sendto()" }</button>
            <FormError local={(*local_error).clone()} remote={props.error.clone()} />
        </form>
    }
}
