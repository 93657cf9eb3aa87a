//! What each step of a lesson does to sockets: which socket it names,
//! which kind of socket that must be, and whether it creates one.
//!
//! Both the checker (before a lesson runs) and the runner (while it runs)
//! read steps through these functions, so the two always agree on the
//! numbering rule: every `tcp_listen`, `tcp_connect`, `udp_bind` and
//! `tcp_accept` creates the next lesson socket, failed or not.

use sockscope_shared::{Command, SocketId, StepAction};

/// What a socket is, as far as which commands it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Listener,
    /// A connected TCP socket (a client, or one accept() returned).
    Stream,
    Udp,
}

/// Which kinds of socket a step may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Kind(Kind),
    /// close() takes any socket.
    Any,
    /// A reply goes back on a connected TCP socket or a UDP socket.
    StreamOrUdp,
}

impl Needs {
    pub fn accepts(self, kind: Kind) -> bool {
        match self {
            Needs::Kind(want) => want == kind,
            Needs::Any => true,
            Needs::StreamOrUdp => kind != Kind::Listener,
        }
    }
}

/// The kind of socket this command creates, if it creates one.
pub fn creates(command: &Command) -> Option<Kind> {
    match command {
        Command::TcpListen { .. } => Some(Kind::Listener),
        Command::TcpConnect { .. } | Command::TcpAccept { .. } => Some(Kind::Stream),
        Command::UdpBind { .. } => Some(Kind::Udp),
        _ => None,
    }
}

/// The kind of socket a step creates, if it creates one.
pub fn step_creates(action: &StepAction) -> Option<Kind> {
    match action {
        StepAction::Do(command) => creates(command),
        StepAction::Reply(_) | StepAction::RecvBody(_) => None,
    }
}

/// The socket a step names (a lesson number) and what it must be.
pub fn named(action: &StepAction) -> Option<(SocketId, Needs)> {
    match action {
        StepAction::Do(command) => {
            let needs = match command {
                Command::TcpAccept { .. } | Command::AutoAccept { .. } => {
                    Needs::Kind(Kind::Listener)
                }
                Command::Send { .. }
                | Command::Recv { .. }
                | Command::AutoRead { .. }
                | Command::SetOption { .. }
                | Command::Shutdown { .. } => Needs::Kind(Kind::Stream),
                Command::SendTo { .. } | Command::RecvFrom { .. } => Needs::Kind(Kind::Udp),
                Command::Close { .. } => Needs::Any,
                Command::TcpListen { .. }
                | Command::TcpConnect { .. }
                | Command::UdpBind { .. }
                | Command::Watch { .. }
                | Command::SetPath(_) => return None,
            };
            command.socket().map(|socket| (socket, needs))
        }
        StepAction::Reply(reply) => Some((reply.socket, Needs::StreamOrUdp)),
        StepAction::RecvBody(body) => Some((body.socket, Needs::Kind(Kind::Stream))),
    }
}

/// Whether a step would make the relay accept connections by itself:
/// sockets accepted that way get no lesson number, so lessons may not.
pub fn accepts_automatically(action: &StepAction) -> bool {
    matches!(
        action,
        StepAction::Do(
            Command::TcpListen {
                auto_accept: true,
                ..
            } | Command::AutoAccept { on: true, .. }
        )
    )
}

/// Whether the relay answers this command with no event at all when it
/// works (it changes a setting rather than making a call): the runner
/// counts it done once sent.
pub fn answers_silently(command: &Command) -> bool {
    matches!(
        command,
        Command::AutoAccept { .. } | Command::AutoRead { .. } | Command::Watch { .. }
    )
}
