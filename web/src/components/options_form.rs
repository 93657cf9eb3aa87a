//! Socket options: TCP_NODELAY (Nagle off), the buffer sizes, and
//! SO_LINGER with a zero timeout, which makes close() send RST instead of
//! FIN. Each button sends one setsockopt().

use sockscope_shared::{Command, SocketId, SocketOption};
use yew::prelude::*;

use super::form_error::FormError;
use super::form_fields::TextField;
use super::form_props::SocketFormProps;
use crate::hooks::command_form::{CommandForm, use_command_form};
use crate::i18n::use_lang;
use crate::model::validate;

pub fn form_key(socket: SocketId) -> String {
    format!("set_option:{socket}")
}

/// A button that sets the option `make` builds from the fields.
fn option_button(
    form: &CommandForm,
    socket: SocketId,
    label: &'static str,
    name: &'static str,
    make: impl Fn() -> Result<SocketOption, String> + 'static,
) -> Html {
    let onclick = form.on_click(move || make().map(|option| Command::SetOption { socket, option }));
    html! { <button type="button" class="secondary" {name} {onclick}>{ label }</button> }
}

/// The option a buffer-size field sets, checked: `name` is the option's
/// name in the complaint.
fn buffer_option(
    text: &UseStateHandle<String>,
    name: &'static str,
    option: fn(u32) -> SocketOption,
) -> impl Fn() -> Result<SocketOption, String> + 'static {
    let text = text.clone();
    move || validate::number(&text, name, 1, u32::MAX).map(option)
}

/// An option that takes nothing typed.
fn fixed(option: SocketOption) -> impl Fn() -> Result<SocketOption, String> + 'static {
    move || Ok(option)
}

#[component]
pub fn OptionsForm(props: &SocketFormProps) -> Html {
    let lang = use_lang();
    let rcvbuf = use_state(|| "4096".to_string());
    let sndbuf = use_state(|| "4096".to_string());
    let socket = props.socket;
    let form = use_command_form(form_key(socket), &props.onsubmit);

    html! {
        <div class="form" id="options-form">
            <h3>{ "setsockopt()" }</h3>
            <div class="buttons">
                { option_button(&form, socket, "TCP_NODELAY on", "nodelay_on", fixed(SocketOption::TcpNodelay(true))) }
                { option_button(&form, socket, "TCP_NODELAY off", "nodelay_off", fixed(SocketOption::TcpNodelay(false))) }
            </div>
            <div class="fields">
                <TextField label={lang.pick("SO_RCVBUF bytes", "SO_RCVBUF 字节数")} name="rcvbuf" width="short" numeric=true value={rcvbuf.clone()} />
                { option_button(&form, socket, lang.pick("set SO_RCVBUF", "设置 SO_RCVBUF"), "set_rcvbuf", buffer_option(&rcvbuf, "SO_RCVBUF", SocketOption::RecvBuffer)) }
            </div>
            <div class="fields">
                <TextField label={lang.pick("SO_SNDBUF bytes", "SO_SNDBUF 字节数")} name="sndbuf" width="short" numeric=true value={sndbuf.clone()} />
                { option_button(&form, socket, lang.pick("set SO_SNDBUF", "设置 SO_SNDBUF"), "set_sndbuf", buffer_option(&sndbuf, "SO_SNDBUF", SocketOption::SendBuffer)) }
            </div>
            <div class="buttons">
                { option_button(&form, socket, lang.pick("SO_LINGER 0 (close sends RST)", "SO_LINGER 0（close 发出 RST）"), "linger_zero", fixed(SocketOption::LingerZero)) }
            </div>
            <FormError local={form.local_error()} remote={props.error.clone()} />
        </div>
    }
}
