//! recvfrom(): read one datagram. A buffer smaller than the datagram gets
//! its first bytes only; the rest is thrown away, not kept for later.

use sockscope_shared::{Command, Limits, SocketId};
use yew::prelude::*;

use super::Submit;
use super::fields;
use super::form_error::FormError;
use crate::i18n::use_lang;
use crate::model::validate;

pub fn form_key(socket: SocketId) -> String {
    format!("recv_from:{socket}")
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
pub fn RecvFromForm(props: &Props) -> Html {
    let lang = use_lang();
    let bufsize = use_state(|| "1024".to_string());
    let local_error = use_state(|| None::<String>);
    let onsubmit = {
        let bufsize = bufsize.clone();
        let (socket, limits) = (props.socket, props.limits);
        fields::Sender::new(form_key(socket), &local_error, &props.onsubmit).on_submit(move || {
            Ok(Command::RecvFrom {
                socket,
                bufsize: validate::bufsize(&bufsize, &limits)?,
            })
        })
    };
    html! {
        <form class="form" id="recv-from-form" {onsubmit}>
            <h3>{ "recvfrom()" }</h3>
            <div class="fields">
                <label class="short">{ lang.pick("bufsize", "缓冲区大小") }<input name="bufsize" inputmode="numeric" value={(*bufsize).clone()} oninput={fields::text(&bufsize)} /></label>
                <button type="submit">{ "recvfrom()" }</button>
            </div>
            <FormError local={(*local_error).clone()} remote={props.error.clone()} />
        </form>
    }
}
