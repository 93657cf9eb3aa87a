//! Socket options: TCP_NODELAY (Nagle off), the buffer sizes, and
//! SO_LINGER with a zero timeout, which makes close() send RST instead of
//! FIN. Each button sends one setsockopt().

use sockscope_shared::{Command, SocketId, SocketOption};
use yew::prelude::*;

use super::Submit;
use super::fields;
use super::form_error::FormError;
use crate::i18n::use_lang;
use crate::model::validate;

pub fn form_key(socket: SocketId) -> String {
    format!("set_option:{socket}")
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub socket: SocketId,
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}

#[component]
pub fn OptionsForm(props: &Props) -> Html {
    let lang = use_lang();
    let rcvbuf = use_state(|| "4096".to_string());
    let sndbuf = use_state(|| "4096".to_string());
    let local_error = use_state(|| None::<String>);
    let socket = props.socket;

    let set = {
        let sender = fields::Sender::new(form_key(socket), &local_error, &props.onsubmit);
        move |option: Result<SocketOption, String>| {
            sender.send(option.map(|option| Command::SetOption { socket, option }));
        }
    };
    let button = |label: &'static str,
                  name: &'static str,
                  make: Box<dyn Fn() -> Result<SocketOption, String>>| {
        let set = set.clone();
        let onclick = Callback::from(move |_: MouseEvent| set(make()));
        html! { <button type="button" class="secondary" name={name} {onclick}>{ label }</button> }
    };
    let (rcv, snd) = ((*rcvbuf).clone(), (*sndbuf).clone());

    html! {
        <div class="form" id="options-form">
            <h3>{ "setsockopt()" }</h3>
            <div class="buttons">
                { button("TCP_NODELAY on", "nodelay_on", Box::new(|| Ok(SocketOption::TcpNodelay(true)))) }
                { button("TCP_NODELAY off", "nodelay_off", Box::new(|| Ok(SocketOption::TcpNodelay(false)))) }
            </div>
            <div class="fields">
                <label class="short">{ lang.pick("SO_RCVBUF bytes", "SO_RCVBUF 字节数") }<input name="rcvbuf" inputmode="numeric" value={(*rcvbuf).clone()} oninput={fields::text(&rcvbuf)} /></label>
                { button(lang.pick("set SO_RCVBUF", "设置 SO_RCVBUF"), "set_rcvbuf", Box::new(move || validate::number(&rcv, "SO_RCVBUF", 1, u32::MAX).map(SocketOption::RecvBuffer))) }
            </div>
            <div class="fields">
                <label class="short">{ lang.pick("SO_SNDBUF bytes", "SO_SNDBUF 字节数") }<input name="sndbuf" inputmode="numeric" value={(*sndbuf).clone()} oninput={fields::text(&sndbuf)} /></label>
                { button(lang.pick("set SO_SNDBUF", "设置 SO_SNDBUF"), "set_sndbuf", Box::new(move || validate::number(&snd, "SO_SNDBUF", 1, u32::MAX).map(SocketOption::SendBuffer))) }
            </div>
            <div class="buttons">
                { button(lang.pick("SO_LINGER 0 (close sends RST)", "SO_LINGER 0（close 发出 RST）"), "linger_zero", Box::new(|| Ok(SocketOption::LingerZero))) }
            </div>
            <FormError local={(*local_error).clone()} remote={props.error.clone()} />
        </div>
    }
}
