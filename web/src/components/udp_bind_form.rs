//! The form that opens a UDP socket: socket(AF_INET, SOCK_DGRAM) and bind().
//! Port 0 lets the kernel choose, as a UDP client usually does.

use sockscope_shared::Command;
use yew::prelude::*;

use super::Submit;
use super::fields;
use super::form_error::FormError;
use crate::i18n::use_lang;
use crate::model::validate;

pub const FORM: &str = "udp_bind";

#[derive(Properties, PartialEq)]
pub struct Props {
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}

#[component]
pub fn UdpBindForm(props: &Props) -> Html {
    let lang = use_lang();
    let host = use_state(|| "127.0.0.1".to_string());
    let port = use_state(|| "9527".to_string());
    let local_error = use_state(|| None::<String>);

    let sender = fields::Sender::new(FORM.to_string(), &local_error, &props.onsubmit);
    let onsubmit = {
        let (host, port) = (host.clone(), port.clone());
        sender.on_submit(move || {
            Ok(Command::UdpBind {
                host: validate::host(&host)?,
                port: validate::port(&port, true)?,
            })
        })
    };

    html! {
        <form class="form" id="udp-bind-form" {onsubmit}>
            <h3>{ lang.pick("UDP socket", "UDP 套接字") }</h3>
            <div class="fields">
                <label>{ lang.pick("host", "主机") }<input name="host" value={(*host).clone()} oninput={fields::text(&host)} /></label>
                <label class="short">{ lang.pick("port", "端口") }<input name="port" inputmode="numeric" value={(*port).clone()} oninput={fields::text(&port)} /></label>
            </div>
            <p class="hint">{ lang.pick("Port 0 lets the kernel choose (a typical client).", "端口 0 表示由内核选择（客户端通常如此）。") }</p>
            <button type="submit">{ "bind()" }</button>
            <FormError local={(*local_error).clone()} remote={props.error.clone()} />
        </form>
    }
}
