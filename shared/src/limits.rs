//! The relay's limits, announced in the hello so the page can validate
//! forms before sending anything, and the one check of a command against
//! them.
//!
//! The relay refuses a command over a limit, the page's forms refuse to
//! send it, and the lessons' stand-in relay refuses it as the relay would:
//! all three ask [`Limits::check`] (or, for one field being typed, the
//! check of that field), so that the page never lets through what the
//! relay refuses, nor refuses what the relay would run.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Command, Field, Framing};

/// Bounds on what one session may ask for.
///
/// ```json
/// {"max_payload": 1048576, "max_bufsize": 1048576, "max_sockets": 64,
///  "max_repeat": 1000, "segment_payload_cap": 4096}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest payload of one send or sendto, in bytes (without the
    /// framing's header).
    pub max_payload: u32,
    /// Largest recv/recvfrom buffer, in bytes.
    pub max_bufsize: u32,
    /// Sockets one session may hold open at once.
    pub max_sockets: u32,
    /// Largest `repeat` of one send command.
    pub max_repeat: u32,
    /// Payload bytes carried in a segment event; the rest is counted, not sent.
    pub segment_payload_cap: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_payload: 1 << 20,
            max_bufsize: 1 << 20,
            max_sockets: 64,
            max_repeat: 1000,
            segment_payload_cap: 4096,
        }
    }
}

/// What a limit bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The bytes of one send or sendto's payload.
    Payload,
    /// A message's length, as its framing's header can write it.
    FramedMessage(Framing),
    /// How many times one send command sends.
    Repeat,
    /// The wait between repeated sends.
    IntervalMs,
    /// A recv or recvfrom buffer.
    Bufsize,
    /// The sockets a session holds open.
    Sockets,
}

impl Bound {
    /// The request's field that asked for too much; the number of
    /// sockets is the session's, not a field's.
    pub fn field(self) -> Option<Field> {
        match self {
            Bound::Payload => Some(Field::Payload),
            Bound::FramedMessage(_) => Some(Field::Framing),
            Bound::Repeat => Some(Field::Repeat),
            Bound::IntervalMs => Some(Field::IntervalMs),
            Bound::Bufsize => Some(Field::Bufsize),
            Bound::Sockets => None,
        }
    }
}

/// A command over a limit: what, how much was asked, and the range allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitError {
    pub bound: Bound,
    pub found: u64,
    pub min: u64,
    pub max: u64,
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LimitError {
            found, min, max, ..
        } = *self;
        match self.bound {
            Bound::Payload => write!(
                f,
                "the payload is {found} bytes; at most {max} may be sent at once"
            ),
            Bound::FramedMessage(framing) => write!(
                f,
                "a {found}-byte message does not fit a {framing:?} header (at most {max} bytes)"
            ),
            Bound::Repeat => write!(f, "repeat must be from {min} to {max}, not {found}"),
            Bound::IntervalMs => write!(f, "interval_ms must be at most {max}, not {found}"),
            Bound::Bufsize => {
                write!(f, "bufsize must be from {min} to {max} bytes, not {found}")
            }
            Bound::Sockets => write!(
                f,
                "this page already has {found} sockets open (the limit is {max}); close some first"
            ),
        }
    }
}

impl std::error::Error for LimitError {}

/// `value` within `min..=max`, or the error saying so.
fn within(bound: Bound, value: u64, min: u64, max: u64) -> Result<(), LimitError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(LimitError {
            bound,
            found: value,
            min,
            max,
        })
    }
}

/// A length as a number a limit compares, saturating where it cannot be.
fn count(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

impl Limits {
    /// The longest wait between repeated sends (and before an automatic
    /// read), in milliseconds: a minute.
    pub const MAX_INTERVAL_MS: u32 = 60_000;

    /// Checks `command` against these limits: its payload, its repeat and
    /// interval, its buffer size. Whether a socket may be opened depends on
    /// the session too: that is [`Limits::check_room`].
    ///
    /// # Errors
    /// The first limit the command crosses, in the order of its fields.
    pub fn check(&self, command: &Command) -> Result<(), LimitError> {
        match command {
            Command::Send {
                payload,
                repeat,
                interval_ms,
                framing,
                ..
            } => {
                self.check_payload(payload.len(), *framing)?;
                self.check_repeat(*repeat)?;
                Limits::check_interval(*interval_ms)
            }
            Command::SendTo { payload, .. } => self.check_payload(payload.len(), Framing::None),
            Command::Recv { bufsize, .. }
            | Command::RecvFrom { bufsize, .. }
            | Command::AutoRead { bufsize, .. } => self.check_bufsize(*bufsize),
            Command::TcpListen { .. }
            | Command::TcpAccept { .. }
            | Command::AutoAccept { .. }
            | Command::TcpConnect { .. }
            | Command::SetOption { .. }
            | Command::Shutdown { .. }
            | Command::Close { .. }
            | Command::UdpBind { .. }
            | Command::Watch { .. }
            // Path settings are not limits of the relay: `PathSettings::check`.
            | Command::SetPath(_) => Ok(()),
        }
    }

    /// A payload of `len` bytes, sent with `framing`: at most
    /// `max_payload` bytes, and no longer than the framing's header can
    /// write.
    ///
    /// # Errors
    /// [`Bound::Payload`] or [`Bound::FramedMessage`], with the length.
    pub fn check_payload(&self, len: usize, framing: Framing) -> Result<(), LimitError> {
        within(Bound::Payload, count(len), 0, u64::from(self.max_payload))?;
        within(
            Bound::FramedMessage(framing),
            count(len),
            0,
            count(framing.max_message_len()),
        )
    }

    /// A send's `repeat`: from 1 to `max_repeat`.
    ///
    /// # Errors
    /// [`Bound::Repeat`] outside that range.
    pub fn check_repeat(&self, repeat: u32) -> Result<(), LimitError> {
        within(
            Bound::Repeat,
            u64::from(repeat),
            1,
            u64::from(self.max_repeat),
        )
    }

    /// A wait between repeated sends: at most [`Limits::MAX_INTERVAL_MS`].
    ///
    /// # Errors
    /// [`Bound::IntervalMs`] above it.
    pub fn check_interval(interval_ms: u32) -> Result<(), LimitError> {
        within(
            Bound::IntervalMs,
            u64::from(interval_ms),
            0,
            u64::from(Limits::MAX_INTERVAL_MS),
        )
    }

    /// A recv or recvfrom buffer: from 1 to `max_bufsize` bytes.
    ///
    /// # Errors
    /// [`Bound::Bufsize`] outside that range.
    pub fn check_bufsize(&self, bufsize: u32) -> Result<(), LimitError> {
        within(
            Bound::Bufsize,
            u64::from(bufsize),
            1,
            u64::from(self.max_bufsize),
        )
    }

    /// Whether a session that holds `open` sockets may open one more.
    ///
    /// # Errors
    /// [`Bound::Sockets`] when `open` is already the limit.
    pub fn check_room(&self, open: usize) -> Result<(), LimitError> {
        let max = u64::from(self.max_sockets);
        if count(open) < max {
            Ok(())
        } else {
            Err(LimitError {
                bound: Bound::Sockets,
                found: count(open),
                min: 0,
                max,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bytes, Payload};

    fn send(len: usize, repeat: u32, interval_ms: u32, framing: Framing) -> Command {
        Command::Send {
            socket: 1,
            payload: Payload::Hex(Bytes::from(vec![0; len])),
            repeat,
            interval_ms,
            framing,
        }
    }

    fn bound_of(limits: &Limits, command: &Command) -> Option<Bound> {
        limits.check(command).err().map(|error| error.bound)
    }

    #[test]
    fn each_limit_refuses_one_past_it_and_takes_it() {
        let limits = Limits {
            max_payload: 10_000,
            max_bufsize: 100,
            max_sockets: 2,
            max_repeat: 3,
            segment_payload_cap: 8,
        };
        let cases = [
            (send(10_000, 1, 0, Framing::None), None),
            (send(10_001, 1, 0, Framing::None), Some(Bound::Payload)),
            (send(9999, 1, 0, Framing::Ascii4), None),
            (
                send(10_000, 1, 0, Framing::Ascii4),
                Some(Bound::FramedMessage(Framing::Ascii4)),
            ),
            (send(1, 0, 0, Framing::None), Some(Bound::Repeat)),
            (send(1, 3, 0, Framing::None), None),
            (send(1, 4, 0, Framing::None), Some(Bound::Repeat)),
            (send(1, 1, 60_000, Framing::None), None),
            (send(1, 1, 60_001, Framing::None), Some(Bound::IntervalMs)),
            (
                Command::Recv {
                    socket: 1,
                    bufsize: 0,
                },
                Some(Bound::Bufsize),
            ),
            (
                Command::RecvFrom {
                    socket: 1,
                    bufsize: 100,
                },
                None,
            ),
            (
                Command::AutoRead {
                    socket: 1,
                    on: true,
                    delay_ms: 0,
                    bufsize: 101,
                },
                Some(Bound::Bufsize),
            ),
            (
                Command::SendTo {
                    socket: 1,
                    host: "127.0.0.1".into(),
                    port: 9,
                    payload: Payload::Text("x".repeat(10_001)),
                },
                Some(Bound::Payload),
            ),
            (Command::Close { socket: 1 }, None),
        ];
        for (command, bound) in cases {
            assert_eq!(bound_of(&limits, &command), bound, "{command:?}");
        }
        assert!(limits.check_room(1).is_ok());
        let full = limits.check_room(2).unwrap_err();
        assert_eq!((full.bound, full.found, full.max), (Bound::Sockets, 2, 2));
    }

    #[test]
    fn a_refusal_names_the_field_and_the_range() {
        let error = Limits::default()
            .check(&Command::Recv {
                socket: 1,
                bufsize: 0,
            })
            .unwrap_err();
        let refusal = error.refusal(Some(4), "recv");
        assert_eq!(refusal.code, crate::ErrorCode::BufsizeOutOfRange);
        assert_eq!(refusal.field.as_deref(), Some("bufsize"));
        assert_eq!(
            refusal.limit,
            Some(crate::Limit {
                found: 0,
                min: 1,
                max: 1 << 20
            })
        );
        assert_eq!(
            refusal.message,
            "recv: bufsize must be from 1 to 1048576 bytes, not 0"
        );
    }
}
