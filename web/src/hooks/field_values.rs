//! The values behind the fields several forms share: an address (host and
//! port) and a recv() buffer size, each with the text it starts with and
//! the check it must pass before a command is made of it.
//!
//! A field keeps what was typed as text, even when it is not a number yet:
//! the check runs when the form is sent, and says what is wrong beside it.

use sockscope_shared::Limits;
use yew::prelude::*;

use crate::model::validate;

/// The host and port fields of a form that names an address.
#[derive(Clone, PartialEq)]
pub struct HostPort {
    pub host: UseStateHandle<String>,
    pub port: UseStateHandle<String>,
}

impl HostPort {
    /// The host as typed, checked.
    ///
    /// # Errors
    /// A sentence saying what is wrong with it.
    pub fn host(&self) -> Result<String, String> {
        validate::host(&self.host)
    }

    /// The port as typed, checked; 0 (the kernel chooses) where `allow_zero`.
    ///
    /// # Errors
    /// A sentence saying what is wrong with it.
    pub fn port(&self, allow_zero: bool) -> Result<u16, String> {
        validate::port(&self.port, allow_zero)
    }
}

/// The host the address fields start from: loopback, or on a lab path the
/// lab server's address (the relay opens listeners in the server's
/// namespace and connects from the client's). `App` provides it as a
/// context; without one the fields start at 127.0.0.1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetHost(pub String);

/// An address that starts as `127.0.0.1:9527`, or the lab server's address
/// on port 9527; a change of path puts the new path's address in the field.
#[hook]
pub fn use_host_port() -> HostPort {
    let target = use_context::<TargetHost>().map_or_else(|| "127.0.0.1".to_string(), |t| t.0);
    let host = use_state(|| target.clone());
    {
        let host = host.clone();
        use_effect_with(target, move |target| host.set(target.clone()));
    }
    HostPort {
        host,
        port: use_state(|| "9527".to_string()),
    }
}

/// The buffer size of a recv() or recvfrom().
#[derive(Clone, PartialEq)]
pub struct Bufsize {
    pub text: UseStateHandle<String>,
}

impl Bufsize {
    /// The size as typed, checked against the relay's largest buffer.
    ///
    /// # Errors
    /// A sentence saying what is wrong with it.
    pub fn checked(&self, limits: &Limits) -> Result<u32, String> {
        validate::bufsize(&self.text, limits)
    }
}

/// A buffer size that starts at 1024 bytes.
#[hook]
pub fn use_bufsize() -> Bufsize {
    Bufsize {
        text: use_state(|| "1024".to_string()),
    }
}
