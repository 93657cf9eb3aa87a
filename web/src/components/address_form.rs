//! The forms that open a socket on one address: a TCP client, socket() and
//! connect(host, port), or a UDP socket, socket(AF_INET, SOCK_DGRAM) and
//! bind(host, port). The two differ only in the call they end with, so one
//! component draws both.

use sockscope_shared::Command;
use yew::prelude::*;

use super::Submit;
use super::form_error::FormError;
use super::form_fields::HostPortFields;
use crate::hooks::command_form::use_command_form;
use crate::hooks::field_values::use_host_port;
use crate::i18n::use_lang;

/// Which socket the form opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    /// A TCP client connected to the address.
    TcpConnect,
    /// A UDP socket bound to the address.
    UdpBind,
}

impl AddressKind {
    /// The key the form's commands are sent under.
    pub fn form_key(self) -> &'static str {
        match self {
            AddressKind::TcpConnect => "tcp_connect",
            AddressKind::UdpBind => "udp_bind",
        }
    }

    fn id(self) -> &'static str {
        match self {
            AddressKind::TcpConnect => "connect-form",
            AddressKind::UdpBind => "udp-bind-form",
        }
    }

    /// The call the submit button makes.
    fn call(self) -> &'static str {
        match self {
            AddressKind::TcpConnect => "connect()",
            AddressKind::UdpBind => "bind()",
        }
    }

    /// Port 0 lets the kernel choose a port to bind; nothing listens on
    /// port 0 to connect to.
    fn port_zero(self) -> bool {
        self == AddressKind::UdpBind
    }

    fn command(self, host: String, port: u16) -> Command {
        match self {
            AddressKind::TcpConnect => Command::TcpConnect { host, port },
            AddressKind::UdpBind => Command::UdpBind { host, port },
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub kind: AddressKind,
    /// The relay's answer to the form's last command, when it failed.
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}

#[component]
pub fn AddressForm(props: &Props) -> Html {
    let lang = use_lang();
    let kind = props.kind;
    let address = use_host_port();
    let form = use_command_form(kind.form_key().to_string(), &props.onsubmit);
    let onsubmit = {
        let address = address.clone();
        form.on_submit(move || Ok(kind.command(address.host()?, address.port(kind.port_zero())?)))
    };
    let heading = match kind {
        AddressKind::TcpConnect => lang.pick("TCP client", "TCP 客户端"),
        AddressKind::UdpBind => lang.pick("UDP socket", "UDP 套接字"),
    };

    html! {
        <form class="form" id={kind.id()} {onsubmit}>
            <h3>{ heading }</h3>
            <div class="fields">
                <HostPortFields {address} />
            </div>
            if kind == AddressKind::UdpBind {
                <p class="hint">{ lang.pick("Port 0 lets the kernel choose (a typical client).", "端口 0 表示由内核选择（客户端通常如此）。") }</p>
            }
            <button type="submit">{ kind.call() }</button>
            <FormError local={form.local_error()} remote={props.error.clone()} />
        </form>
    }
}
