//! Auto-read: the relay calls recv(bufsize) by itself whenever data waits,
//! after a delay. A delay lets several sends pile up in the receive buffer
//! first, which is how a slow reader meets sticky packets.

use sockscope_shared::{Command, Limits, SocketId};
use yew::prelude::*;

use super::Submit;
use super::fields;
use super::form_error::FormError;
use crate::i18n::use_lang;
use crate::model::validate;

pub fn form_key(socket: SocketId) -> String {
    format!("auto_read:{socket}")
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub socket: SocketId,
    pub limits: Limits,
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}

#[component]
pub fn AutoReadForm(props: &Props) -> Html {
    let lang = use_lang();
    let delay = use_state(|| "0".to_string());
    let bufsize = use_state(|| "1024".to_string());
    let local_error = use_state(|| None::<String>);

    let (socket, limits) = (props.socket, props.limits);
    let sender = fields::Sender::new(form_key(socket), &local_error, &props.onsubmit);
    let build = {
        let (delay, bufsize) = (delay.clone(), bufsize.clone());
        move |on: bool| -> Result<Command, String> {
            Ok(Command::AutoRead {
                socket,
                on,
                delay_ms: validate::number(
                    &delay,
                    "delay",
                    0,
                    sockscope_shared::Limits::MAX_INTERVAL_MS,
                )?,
                bufsize: validate::bufsize(&bufsize, &limits)?,
            })
        }
    };
    let onsubmit = {
        let build = build.clone();
        sender.on_submit(move || build(true))
    };
    let off = Callback::from(move |_: MouseEvent| sender.send(build(false)));

    html! {
        <form class="form" id="auto-read-form" {onsubmit}>
            <h3>{ lang.pick("auto-read", "自动读取") }</h3>
            <div class="fields">
                <label class="short">{ lang.pick("delay ms", "延迟（毫秒）") }<input name="delay" inputmode="numeric" value={(*delay).clone()} oninput={fields::text(&delay)} /></label>
                <label class="short">{ lang.pick("bufsize", "缓冲区大小") }<input name="bufsize" inputmode="numeric" value={(*bufsize).clone()} oninput={fields::text(&bufsize)} /></label>
            </div>
            <div class="buttons">
                <button type="submit">{ lang.pick("on", "开") }</button>
                <button type="button" class="secondary" onclick={off}>{ lang.pick("off", "关") }</button>
            </div>
            <FormError local={(*local_error).clone()} remote={props.error.clone()} />
        </form>
    }
}
