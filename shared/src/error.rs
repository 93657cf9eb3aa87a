//! Errors the relay reports: commands it could not run, and what the kernel
//! answered when a socket call failed.
//!
//! The two are different on purpose. A [`CommandError`] means the command
//! never reached a socket (bad JSON, a port out of range, an unknown socket
//! id). An [`OsError`] is the result of a real system call, such as
//! `ECONNREFUSED` from connect(), and is part of the lesson.

use serde::{Deserialize, Serialize};

/// Why a command was refused before any socket call was made.
///
/// ```json
/// {"code": "bad_port", "message": "port 70000 is outside 1..65535"}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not JSON, or not a JSON object.
    MalformedJson,
    /// `cmd` was missing or names no command.
    UnknownCommand,
    /// A field was missing or had the wrong type.
    InvalidField,
    /// A port outside 1..65535 (0 only where the kernel may choose).
    BadPort,
    /// A host that is neither an IP address nor a name that resolves.
    BadHost,
    /// Hex with an odd number of digits or a non-hex character.
    InvalidHex,
    /// No socket with that id in this session.
    UnknownSocket,
    /// The command does not apply to this kind of socket (recv on a listener).
    WrongSocketKind,
    /// A recv size of 0 or above the limit.
    BufsizeOutOfRange,
    /// A payload above the limit, or a message too long for its framing.
    PayloadTooLarge,
    /// The target is not a loopback address and remote targets are off.
    TargetNotAllowed,
    /// A per-session limit (sockets, rate) was reached.
    LimitReached,
    /// The relay failed in a way that is not the command's fault.
    Internal,
}

/// A refused command, as carried by [`crate::EventKind::CommandError`].
///
/// ```json
/// {"request": 4, "command": "recv", "code": "wrong_socket_kind",
///  "message": "socket 1 is a listener: recv needs a connected socket; accept first"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandError {
    /// The `id` of the request, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<u64>,
    /// The `cmd` of the request, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    pub code: ErrorCode,
    /// A sentence a learner can act on.
    pub message: String,
}

/// A system call that failed, with the kernel's errno.
///
/// ```json
/// {"errno": "ECONNREFUSED", "code": 111,
///  "message": "Connection refused: nothing is listening on 127.0.0.1:9 (the peer answered the SYN with RST)"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsError {
    /// The symbolic errno name, such as `EADDRINUSE`.
    pub errno: String,
    /// The numeric errno on the relay's system.
    pub code: i32,
    /// What happened and what to try, in a sentence.
    pub message: String,
}
