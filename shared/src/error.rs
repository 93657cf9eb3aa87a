//! Errors the relay reports: commands it could not run, and what the kernel
//! answered when a socket call failed.
//!
//! The two are different on purpose. A [`CommandError`] means the command
//! never reached a socket (bad JSON, a port out of range, an unknown socket
//! id). An [`OsError`] is the result of a real system call, such as
//! `ECONNREFUSED` from connect(), and is part of the lesson.
//!
//! A refusal carries typed data beside its sentence: the code, the field at
//! fault and, when a limit refused it, the limit. The page words refusals
//! from that data in its own languages; the English `message` is for
//! scripts and logs. The codes of the errors found in `shared` come from a
//! `match` here ([`RequestError::code`], [`LimitError::code`]), never from
//! the words of a message.

use serde::{Deserialize, Serialize};

use crate::{Bound, DecodeErrorKind, Field, LimitError, RequestError};

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
    /// A path setting out of range (`set_path`).
    BadPath,
    /// The network lab cannot be built here; the message says what is
    /// missing and the command that grants it.
    LabUnavailable,
    /// The path cannot change this way while sockets are open.
    PathBusy,
    /// The kernel's socket table (sock_diag) could not be read, so the
    /// counters of watched connections cannot be shown; their packets
    /// still are. The message says why.
    CountersUnavailable,
    /// The relay failed in a way that is not the command's fault.
    Internal,
}

/// A refused command, as carried by [`crate::EventKind::CommandError`].
///
/// ```json
/// {"request": 4, "command": "recv", "code": "wrong_socket_kind", "field": "socket",
///  "message": "socket 1 is a listener: recv needs a connected socket; accept first"}
/// {"request": 5, "command": "recv", "code": "bufsize_out_of_range", "field": "bufsize",
///  "limit": {"found": 0, "min": 1, "max": 1048576},
///  "message": "recv: bufsize must be from 1 to 1048576 bytes, not 0"}
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
    /// A sentence a learner can act on, in English.
    pub message: String,
    /// The request's field at fault (`bufsize`), when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The limit the command crossed, when a limit refused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<Limit>,
}

/// A limit a command crossed: the value it asked for, and the range
/// allowed.
///
/// ```json
/// {"found": 2000000, "min": 1, "max": 1048576}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub found: u64,
    pub min: u64,
    pub max: u64,
}

impl RequestError {
    /// The error code the relay refuses this request with.
    pub fn code(&self) -> ErrorCode {
        match (&self.kind, self.field) {
            (DecodeErrorKind::NotAnObject { .. }, _) | (_, None) => ErrorCode::MalformedJson,
            (_, Some(Field::Cmd)) => ErrorCode::UnknownCommand,
            (DecodeErrorKind::Missing, Some(_)) => ErrorCode::InvalidField,
            (_, Some(Field::Port)) => ErrorCode::BadPort,
            (DecodeErrorKind::InvalidHex(_), Some(_)) => ErrorCode::InvalidHex,
            (
                DecodeErrorKind::Duplicate
                | DecodeErrorKind::WrongType { .. }
                | DecodeErrorKind::UnknownName { .. }
                | DecodeErrorKind::OutOfRange { .. },
                Some(_),
            ) => ErrorCode::InvalidField,
        }
    }

    /// The refusal the relay sends for this request.
    pub fn refusal(&self) -> CommandError {
        let limit = match (&self.kind, self.field) {
            // A negative number has no place in a limit's range.
            (DecodeErrorKind::OutOfRange { found, max }, Some(_)) => {
                u64::try_from(*found).ok().map(|found| Limit {
                    found,
                    min: 0,
                    max: *max,
                })
            }
            _ => None,
        };
        CommandError {
            request: self.request,
            command: self.command.clone(),
            code: self.code(),
            message: self.to_string(),
            field: self.field.map(|field| field.name().to_owned()),
            limit,
        }
    }
}

impl LimitError {
    /// The error code the relay refuses a command over this limit with.
    pub fn code(&self) -> ErrorCode {
        match self.bound {
            Bound::Payload | Bound::FramedMessage(_) => ErrorCode::PayloadTooLarge,
            Bound::Bufsize => ErrorCode::BufsizeOutOfRange,
            Bound::Repeat | Bound::IntervalMs => ErrorCode::InvalidField,
            Bound::Sockets => ErrorCode::LimitReached,
        }
    }

    /// The refusal of `command`, sent as request `request`, for crossing
    /// this limit.
    pub fn refusal(&self, request: Option<u64>, command: &str) -> CommandError {
        CommandError {
            request,
            command: Some(command.to_owned()),
            code: self.code(),
            message: format!("{command}: {self}"),
            field: self.bound.field().map(|field| field.name().to_owned()),
            limit: Some(Limit {
                found: self.found,
                min: self.min,
                max: self.max,
            }),
        }
    }
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
