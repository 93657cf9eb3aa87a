//! The form that opens a TCP listener: socket(), SO_REUSEADDR, bind(),
//! listen(backlog), and optionally accept() on every connection.

use sockscope_shared::Command;
use yew::prelude::*;

use super::Submit;
use super::fields;
use super::form_error::FormError;
use crate::i18n::use_lang;
use crate::model::validate;

pub const FORM: &str = "tcp_listen";

#[derive(Properties, PartialEq)]
pub struct Props {
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}

#[component]
pub fn ListenForm(props: &Props) -> Html {
    let lang = use_lang();
    let host = use_state(|| "127.0.0.1".to_string());
    let port = use_state(|| "9527".to_string());
    let backlog = use_state(|| "5".to_string());
    let reuse = use_state(|| true);
    let auto_accept = use_state(|| true);
    let local_error = use_state(|| None::<String>);

    let onsubmit = {
        let (host, port, backlog, reuse, auto_accept) = (
            host.clone(),
            port.clone(),
            backlog.clone(),
            reuse.clone(),
            auto_accept.clone(),
        );
        fields::Sender::new(FORM.to_string(), &local_error, &props.onsubmit).on_submit(move || {
            Ok(Command::TcpListen {
                host: validate::host(&host)?,
                port: validate::port(&port, true)?,
                backlog: validate::number(&backlog, "backlog", 0, 4096)?,
                reuse_addr: *reuse,
                auto_accept: *auto_accept,
            })
        })
    };

    html! {
        <form class="form" id="listen-form" {onsubmit}>
            <h3>{ lang.pick("TCP server", "TCP 服务端") }</h3>
            <div class="fields">
                <label>{ lang.pick("host", "主机") }<input name="host" value={(*host).clone()} oninput={fields::text(&host)} /></label>
                <label class="short">{ lang.pick("port", "端口") }<input name="port" inputmode="numeric" value={(*port).clone()} oninput={fields::text(&port)} /></label>
                <label class="short">{ lang.pick("backlog", "backlog（排队数）") }<input name="backlog" inputmode="numeric" value={(*backlog).clone()} oninput={fields::text(&backlog)} /></label>
            </div>
            <label class="check"><input type="checkbox" name="reuse_addr" checked={*reuse} onchange={fields::checkbox(&reuse)} />{ "SO_REUSEADDR" }<span class="hint">{ lang.pick(" (rebind over TIME_WAIT)", "（可在 TIME_WAIT 时重新绑定）") }</span></label>
            <label class="check"><input type="checkbox" name="auto_accept" checked={*auto_accept} onchange={fields::checkbox(&auto_accept)} />{ lang.pick("accept() every connection", "自动 accept() 每个连接") }</label>
            <button type="submit">{ "listen()" }</button>
            <FormError local={(*local_error).clone()} remote={props.error.clone()} />
        </form>
    }
}
