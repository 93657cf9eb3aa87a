//! The read forms: recv() on a TCP socket, recvfrom() on a UDP one, each a
//! single call with the buffer size the learner picks.
//!
//! recv()'s answer is exactly what that one call returned, however many
//! sends made it: a small buffer splits a message, a late read glues
//! several. recvfrom() reads one datagram: a buffer smaller than the
//! datagram gets its first bytes only, and the rest is thrown away, not
//! kept for later. Apart from that lesson the two forms are the same, so
//! one component draws both.

use sockscope_shared::{Command, Limits, SocketId};
use yew::prelude::*;

use super::Submit;
use super::form_error::FormError;
use super::form_fields::BufsizeField;
use crate::hooks::command_form::use_command_form;
use crate::hooks::field_values::use_bufsize;
use crate::i18n::{Lang, use_lang};

/// Which read the form makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvKind {
    /// recv() on a TCP socket.
    Recv,
    /// recvfrom() on a UDP socket.
    RecvFrom,
}

impl RecvKind {
    /// The key the form's commands are sent under.
    pub fn form_key(self, socket: SocketId) -> String {
        match self {
            RecvKind::Recv => format!("recv:{socket}"),
            RecvKind::RecvFrom => format!("recv_from:{socket}"),
        }
    }

    /// The form's element id; also its key beside other forms, so a socket
    /// of the other transport gets a fresh form, not this one's typing.
    pub fn id(self) -> &'static str {
        match self {
            RecvKind::Recv => "recv-form",
            RecvKind::RecvFrom => "recv-from-form",
        }
    }

    /// The call, as the heading and the submit button name it.
    fn call(self) -> &'static str {
        match self {
            RecvKind::Recv => "recv()",
            RecvKind::RecvFrom => "recvfrom()",
        }
    }

    fn command(self, socket: SocketId, bufsize: u32) -> Command {
        match self {
            RecvKind::Recv => Command::Recv { socket, bufsize },
            RecvKind::RecvFrom => Command::RecvFrom { socket, bufsize },
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub kind: RecvKind,
    pub socket: SocketId,
    pub limits: Limits,
    /// Bytes waiting in the receive buffer, when known.
    #[prop_or_default]
    pub waiting: Option<u64>,
    /// The relay's answer to the form's last command, when it failed.
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}

#[component]
pub fn RecvForm(props: &Props) -> Html {
    let lang = use_lang();
    let bufsize = use_bufsize();
    let (kind, socket, limits) = (props.kind, props.socket, props.limits);
    let form = use_command_form(kind.form_key(socket), &props.onsubmit);
    let onsubmit = {
        let bufsize = bufsize.clone();
        form.on_submit(move || Ok(kind.command(socket, bufsize.checked(&limits)?)))
    };

    html! {
        <form class="form" id={kind.id()} {onsubmit}>
            <h3>{ kind.call() }</h3>
            <div class="fields">
                <BufsizeField {bufsize} />
                <button type="submit">{ kind.call() }</button>
            </div>
            if let Some(waiting) = props.waiting {
                <p class="hint">{ match lang { Lang::En => format!("{waiting} bytes sent to this socket and not read yet."), Lang::Zh => format!("有 {waiting} 个字节已发到这个套接字，还没有被读取。") } }</p>
            }
            <FormError local={form.local_error()} remote={props.error.clone()} />
        </form>
    }
}
