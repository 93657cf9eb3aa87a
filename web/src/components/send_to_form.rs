//! sendto(): one datagram to an address. An empty message is allowed: UDP
//! still sends a datagram, 8 bytes of header and no payload.

use sockscope_shared::{Command, Framing, SocketId};
use yew::prelude::*;

use super::form_error::FormError;
use super::form_fields::{HostPortFields, PayloadKindField, TextField};
use super::form_props::SocketFormProps;
use crate::hooks::command_form::use_command_form;
use crate::hooks::field_values::use_host_port;
use crate::i18n::use_lang;
use crate::model::validate::{self, PayloadKind};

pub fn form_key(socket: SocketId) -> String {
    format!("send_to:{socket}")
}

#[component]
pub fn SendToForm(props: &SocketFormProps) -> Html {
    let lang = use_lang();
    let address = use_host_port();
    let message = use_state(|| "hello udp".to_string());
    let kind = use_state(PayloadKind::default);
    let (socket, limits) = (props.socket, props.limits);
    let form = use_command_form(form_key(socket), &props.onsubmit);

    let onsubmit = {
        let (address, message, kind) = (address.clone(), message.clone(), kind.clone());
        form.on_submit(move || {
            Ok(Command::SendTo {
                socket,
                host: address.host()?,
                port: address.port(false)?,
                // A datagram carries no length header: its size is its own.
                payload: validate::payload(&message, *kind, Framing::None, &limits, true)?,
            })
        })
    };

    html! {
        <form class="form" id="send-to-form" {onsubmit}>
            <h3>{ "sendto()" }</h3>
            <div class="fields">
                <HostPortFields {address} />
            </div>
            <div class="fields">
                <TextField label={lang.pick("message", "消息")} name="message" width="wide" value={message} />
                <PayloadKindField {kind} />
            </div>
            <button type="submit">{ "sendto()" }</button>
            <FormError local={form.local_error()} remote={props.error.clone()} />
        </form>
    }
}
