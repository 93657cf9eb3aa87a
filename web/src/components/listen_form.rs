//! The form that opens a TCP listener: socket(), SO_REUSEADDR, bind(),
//! listen(backlog), and optionally accept() on every connection.

use sockscope_shared::Command;
use yew::prelude::*;

use super::fields;
use super::form_error::FormError;
use super::form_fields::{HostPortFields, TextField};
use super::form_props::FormProps;
use crate::hooks::command_form::use_command_form;
use crate::hooks::field_values::use_host_port;
use crate::i18n::use_lang;
use crate::model::validate;

pub const FORM: &str = "tcp_listen";

#[component]
pub fn ListenForm(props: &FormProps) -> Html {
    let lang = use_lang();
    let address = use_host_port();
    let backlog = use_state(|| "5".to_string());
    let reuse = use_state(|| true);
    let auto_accept = use_state(|| true);
    let form = use_command_form(FORM.to_string(), &props.onsubmit);

    let onsubmit = {
        let (address, backlog, reuse, auto_accept) = (
            address.clone(),
            backlog.clone(),
            reuse.clone(),
            auto_accept.clone(),
        );
        form.on_submit(move || {
            Ok(Command::TcpListen {
                host: address.host()?,
                port: address.port(true)?,
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
                <HostPortFields {address} />
                <TextField label={lang.pick("backlog", "backlog（排队数）")} name="backlog" width="short" numeric=true value={backlog} />
            </div>
            <label class="check"><input type="checkbox" name="reuse_addr" checked={*reuse} onchange={fields::checkbox(&reuse)} />{ "SO_REUSEADDR" }<span class="hint">{ lang.pick(" (rebind over TIME_WAIT)", "（可在 TIME_WAIT 时重新绑定）") }</span></label>
            <label class="check"><input type="checkbox" name="auto_accept" checked={*auto_accept} onchange={fields::checkbox(&auto_accept)} />{ lang.pick("accept() every connection", "自动 accept() 每个连接") }</label>
            <button type="submit">{ "listen()" }</button>
            <FormError local={form.local_error()} remote={props.error.clone()} />
        </form>
    }
}
