//! What a decoder found wrong, as data rather than as a sentence.
//!
//! serde's errors are text: a reader that wants to know *what* went wrong
//! (a missing field, a value of the wrong type, a name no command has, bad
//! hex) can only match words, and rewording a message then silently
//! changes what the relay answers. The decoders here say what went wrong
//! with a [`DecodeErrorKind`] and say where with the field (and, for
//! requests, the command): the relay picks an error code from that by a
//! plain `match` ([`RequestError::code`]), and the page words it in its
//! own languages. The sentences below are for people reading a log or a
//! script's output; nothing reads them back.
//!
//! [`DecodeError`] is an event's error (`send call event: missing field
//! `offset``); [`RequestError`] a request's, which also carries the
//! request's `id`, so that the refusal reaches the form that sent it.

use std::fmt;

use crate::HexError;
use crate::decode::request_field::Field;

/// A JSON value of the wrong kind, as found, for the message.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    Null,
    Bool(bool),
    Integer(i128),
    Float(f64),
    Text(String),
    Array,
    Object,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Null => f.write_str("null"),
            Found::Bool(value) => write!(f, "boolean `{value}`"),
            Found::Integer(value) => write!(f, "number {value}"),
            Found::Float(value) => write!(f, "number {value}"),
            Found::Text(text) => write!(f, "string {text:?}"),
            Found::Array => f.write_str("a list"),
            Found::Object => f.write_str("an object"),
        }
    }
}

/// What was wrong with a field.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeErrorKind {
    /// The field is needed and was left out.
    Missing,
    /// The same key came twice.
    Duplicate,
    /// A value of another kind than the field takes (a string for a
    /// number, `null` for a name).
    WrongType {
        found: Found,
        /// What the field takes, such as `a whole number from 0 to 65535`.
        expected: &'static str,
    },
    /// A name (a tag, a command, a framing) that is none of those allowed.
    UnknownName {
        found: String,
        expected: &'static [&'static str],
    },
    /// A whole number outside what the field can hold.
    OutOfRange { found: i128, max: u64 },
    /// A hex payload that is not hex.
    InvalidHex(HexError),
    /// The whole request is not a JSON object.
    NotAnObject { found: Found },
}

impl DecodeErrorKind {
    /// Words this kind for the field called `field`, in serde's manner
    /// (which events' messages have always used).
    fn word(&self, field: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeErrorKind::Missing => write!(f, "missing field `{field}`"),
            DecodeErrorKind::Duplicate => write!(f, "duplicate field `{field}`"),
            DecodeErrorKind::WrongType { found, expected } => {
                write!(
                    f,
                    "invalid type: {found} in field `{field}`, expected {expected}"
                )
            }
            DecodeErrorKind::UnknownName { found, expected } => {
                write!(
                    f,
                    "unknown variant `{found}` in field `{field}`, expected one of "
                )?;
                quoted_list(expected, f)
            }
            DecodeErrorKind::OutOfRange { found, max } => write!(
                f,
                "invalid value: {found} in field `{field}`, expected a whole number from 0 to {max}"
            ),
            DecodeErrorKind::InvalidHex(error) => {
                write!(f, "invalid hex in field `{field}`: {error}")
            }
            DecodeErrorKind::NotAnObject { found } => {
                write!(f, "invalid type: {found}, expected an object")
            }
        }
    }
}

/// `a`, `b`, `c`: names as the messages quote them.
fn quoted_list(names: &[&str], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (n, name) in names.iter().enumerate() {
        if n > 0 {
            f.write_str(", ")?;
        }
        write!(f, "`{name}`")?;
    }
    Ok(())
}

/// Why an event (or a call result, or a capture state read alone) could
/// not be read.
///
/// Displayed as `send call event: missing field `offset``: what holds the
/// field, the field, what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    /// What holds the field (`send call event`, `call event: data
    /// result`); empty for any event.
    pub context: String,
    pub field: &'static str,
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    /// The same error, said to be inside `outer` (`call event`).
    #[must_use]
    pub(crate) fn within(mut self, outer: &str) -> DecodeError {
        self.context = if self.context.is_empty() {
            outer.to_owned()
        } else {
            format!("{outer}: {}", self.context)
        };
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.context.is_empty() {
            write!(f, "{}: ", self.context)?;
        }
        self.kind.word(self.field, f)
    }
}

impl std::error::Error for DecodeError {}

/// Why a request could not be read: the field, what was wrong with it,
/// and what could be read of the request around it.
///
/// The relay turns it into a refusal ([`RequestError::refusal`]) whose
/// code comes from [`RequestError::code`].
#[derive(Debug, Clone, PartialEq)]
pub struct RequestError {
    /// The request's `id`, when it was a request id.
    pub request: Option<u64>,
    /// The request's `cmd`, when it was a string (a known command or not).
    pub command: Option<String>,
    /// The field at fault; `None` when the request is not an object.
    pub field: Option<Field>,
    pub kind: DecodeErrorKind,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(field) = self.field else {
            return match &self.kind {
                DecodeErrorKind::NotAnObject { found } => write!(
                    f,
                    "a command must be a JSON object such as {{\"cmd\": \"tcp_listen\", ...}}, \
                     not {found}"
                ),
                other => other.word("", f),
            };
        };
        match (&self.kind, field) {
            (DecodeErrorKind::Missing, Field::Cmd) => {
                f.write_str("missing \"cmd\": say which command to run, such as \"tcp_listen\"")
            }
            (DecodeErrorKind::UnknownName { found, expected }, Field::Cmd) => {
                write!(f, "unknown command {found:?}: use one of ")?;
                quoted_list(expected, f)?;
                f.write_str(" (docs/PROTOCOL.md describes each)")
            }
            (kind, field) => {
                if let Some(command) = &self.command {
                    write!(f, "{command}: ")?;
                }
                let name = field.name();
                match kind {
                    DecodeErrorKind::Missing => {
                        write!(f, "missing field `{name}`: this command needs it")
                    }
                    DecodeErrorKind::Duplicate => {
                        write!(f, "`{name}` is given twice: keep one")
                    }
                    DecodeErrorKind::WrongType { found, expected } => {
                        write!(f, "`{name}` must be {expected}, not {found}")
                    }
                    DecodeErrorKind::UnknownName { found, expected } => {
                        write!(f, "`{name}` cannot be {found:?}: use one of ")?;
                        quoted_list(expected, f)
                    }
                    DecodeErrorKind::OutOfRange { found, .. } if field == Field::Port => {
                        write!(
                            f,
                            "port {found} is not a port: use a whole number from 1 to 65535"
                        )
                    }
                    DecodeErrorKind::OutOfRange { found, max } => {
                        write!(
                            f,
                            "`{name}` must be a whole number from 0 to {max}, not {found}"
                        )
                    }
                    DecodeErrorKind::InvalidHex(error) => {
                        write!(f, "invalid hex payload: {error}")
                    }
                    DecodeErrorKind::NotAnObject { found } => {
                        write!(f, "`{name}` must be an object, not {found}")
                    }
                }
            }
        }
    }
}

impl std::error::Error for RequestError {}
