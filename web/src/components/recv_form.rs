//! The recv() form: one call with the buffer size the learner picks. The
//! answer is exactly what that single call returned, however many sends
//! made it: a small buffer splits a message, a late read glues several.

use sockscope_shared::{Command, Limits, SocketId};
use yew::prelude::*;

use super::Submit;
use super::fields;
use super::form_error::FormError;
use crate::i18n::use_lang;
use crate::model::validate;

pub fn form_key(socket: SocketId) -> String {
    format!("recv:{socket}")
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub socket: SocketId,
    pub limits: Limits,
    /// Bytes waiting in the receive buffer, when known.
    #[prop_or_default]
    pub waiting: Option<u64>,
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}

#[component]
pub fn RecvForm(props: &Props) -> Html {
    let lang = use_lang();
    let bufsize = use_state(|| "1024".to_string());
    let local_error = use_state(|| None::<String>);

    let onsubmit = {
        let bufsize = bufsize.clone();
        let (socket, limits) = (props.socket, props.limits);
        fields::Sender::new(form_key(socket), &local_error, &props.onsubmit).on_submit(move || {
            Ok(Command::Recv {
                socket,
                bufsize: validate::bufsize(&bufsize, &limits)?,
            })
        })
    };

    html! {
        <form class="form" id="recv-form" {onsubmit}>
            <h3>{ "recv()" }</h3>
            <div class="fields">
                <label class="short">{ lang.pick("bufsize", "缓冲区大小") }<input name="bufsize" inputmode="numeric" value={(*bufsize).clone()} oninput={fields::text(&bufsize)} /></label>
                <button type="submit">{ "recv()" }</button>
            </div>
            if let Some(waiting) = props.waiting {
                <p class="hint">{ match lang { crate::i18n::Lang::En => format!("{waiting} bytes sent to this socket and not read yet."), crate::i18n::Lang::Zh => format!("有 {waiting} 个字节已发到这个套接字，还没有被读取。") } }</p>
            }
            <FormError local={(*local_error).clone()} remote={props.error.clone()} />
        </form>
    }
}
