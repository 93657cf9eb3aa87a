//! The props the command forms share. A form is given where its commands
//! go (`onsubmit`) and the relay's last answer to it (`error`), and, when
//! it acts on a socket, which socket and the relay's limits on what may be
//! asked of it.

use sockscope_shared::{Limits, SocketId};
use yew::prelude::*;

use super::Submit;

/// A form that opens a socket or asks the relay for something page-wide.
#[derive(Properties, PartialEq)]
pub struct FormProps {
    /// The relay's answer to the form's last command, when it failed.
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}

/// A form that acts on the chosen socket.
#[derive(Properties, PartialEq)]
pub struct SocketFormProps {
    pub socket: SocketId,
    pub limits: Limits,
    /// The relay's answer to the form's last command, when it failed.
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}
