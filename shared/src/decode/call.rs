//! Assembling a call event's call and its result.
//!
//! A call event carries the call's arguments at its top level (`addr`,
//! `bufsize`, `data`…), told apart by the `call` tag ([`Args::into_call`]),
//! and its result as an object of its own tagged by `kind`
//! ([`WireResult`]), which can also be read alone.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use super::error::{DecodeError, DecodeErrorKind, Found};
use super::reader::{Word, need, read_then_assemble, unknown};
use crate::{Bytes, Call, CallResult, Framing, OsError, ShutdownHow, SocketId, SocketOption};

/// The `call` tags of a call event.
pub(super) const CALLS: &[&str] = &[
    "bind",
    "listen",
    "accept",
    "connect",
    "send",
    "recv",
    "set_option",
    "shutdown",
    "close",
    "send_to",
    "recv_from",
];

/// The `kind` tags of a call's `result`.
pub(super) const RESULTS: &[&str] = &[
    "ok",
    "sent",
    "data",
    "end_of_stream",
    "accepted",
    "datagram",
    "error",
];

read_then_assemble!(CallResult, WireResult, take_result, "a call result object");

/// A call's `result` object, as read.
#[derive(serde::Deserialize)]
pub(super) struct WireResult<'a> {
    #[serde(borrow)]
    kind: Option<Word<'a>>,
    bytes: Option<u64>,
    data: Option<Bytes>,
    offset: Option<u64>,
    new_socket: Option<SocketId>,
    peer: Option<String>,
    from: Option<String>,
    datagram_len: Option<u32>,
    errno: Option<String>,
    code: Option<i32>,
    message: Option<String>,
}

/// The arguments a call event may carry, for [`Args::into_call`].
pub(super) struct Args {
    pub(super) addr: Option<String>,
    pub(super) reuse_addr: Option<bool>,
    pub(super) backlog: Option<u32>,
    pub(super) data: Option<Bytes>,
    pub(super) offset: Option<u64>,
    pub(super) message: Option<Message>,
    pub(super) framing: Option<Framing>,
    pub(super) bufsize: Option<u32>,
    pub(super) option: Option<SocketOption>,
    pub(super) how: Option<ShutdownHow>,
}

impl Args {
    /// The call tagged `tag`, with the arguments it takes.
    pub(super) fn into_call(self, tag: &str) -> Result<Call, DecodeError> {
        Ok(match tag {
            "bind" => {
                let c = "bind call event";
                Call::Bind {
                    addr: need(self.addr, c, "addr")?,
                    reuse_addr: need(self.reuse_addr, c, "reuse_addr")?,
                }
            }
            "listen" => Call::Listen {
                backlog: need(self.backlog, "listen call event", "backlog")?,
            },
            "accept" => Call::Accept,
            "connect" => Call::Connect {
                addr: need(self.addr, "connect call event", "addr")?,
            },
            "send" => {
                let c = "send call event";
                let message = match need(self.message, c, "message")? {
                    Message::Number(number) => u32::try_from(number).map_err(|_| DecodeError {
                        context: c.to_owned(),
                        field: "message",
                        kind: DecodeErrorKind::OutOfRange {
                            found: i128::from(number),
                            max: u64::from(u32::MAX),
                        },
                    })?,
                    Message::Text(text) => {
                        return Err(DecodeError {
                            context: c.to_owned(),
                            field: "message",
                            kind: DecodeErrorKind::WrongType {
                                found: Found::Text(text),
                                expected: "u32",
                            },
                        });
                    }
                };
                Call::Send {
                    data: need(self.data, c, "data")?,
                    offset: need(self.offset, c, "offset")?,
                    message,
                    framing: need(self.framing, c, "framing")?,
                }
            }
            "recv" => Call::Recv {
                bufsize: need(self.bufsize, "recv call event", "bufsize")?,
            },
            "set_option" => Call::SetOption {
                option: need(self.option, "set_option call event", "option")?,
            },
            "shutdown" => Call::Shutdown {
                how: need(self.how, "shutdown call event", "how")?,
            },
            "close" => Call::Close,
            "send_to" => {
                let c = "send_to call event";
                Call::SendTo {
                    addr: need(self.addr, c, "addr")?,
                    data: need(self.data, c, "data")?,
                }
            }
            "recv_from" => Call::RecvFrom {
                bufsize: need(self.bufsize, "recv_from call event", "bufsize")?,
            },
            other => return Err(unknown("call event", "call", other, CALLS)),
        })
    }
}

impl WireResult<'_> {
    /// The result, or what is wrong with it (the caller says whose result).
    pub(super) fn take_result(&mut self) -> Result<CallResult, DecodeError> {
        let kind = need(self.kind.take(), "result", "kind")?;
        Ok(match kind.as_str() {
            "ok" => CallResult::Ok,
            "sent" => CallResult::Sent {
                bytes: need(self.bytes.take(), "sent result", "bytes")?,
            },
            "data" => {
                let c = "data result";
                CallResult::Data {
                    data: need(self.data.take(), c, "data")?,
                    offset: need(self.offset.take(), c, "offset")?,
                }
            }
            "end_of_stream" => CallResult::EndOfStream {
                offset: need(self.offset.take(), "end_of_stream result", "offset")?,
            },
            "accepted" => {
                let c = "accepted result";
                CallResult::Accepted {
                    new_socket: need(self.new_socket.take(), c, "new_socket")?,
                    peer: need(self.peer.take(), c, "peer")?,
                }
            }
            "datagram" => {
                let c = "datagram result";
                CallResult::Datagram {
                    from: need(self.from.take(), c, "from")?,
                    data: need(self.data.take(), c, "data")?,
                    datagram_len: need(self.datagram_len.take(), c, "datagram_len")?,
                }
            }
            "error" => {
                let c = "error result";
                CallResult::Error(OsError {
                    errno: need(self.errno.take(), c, "errno")?,
                    code: need(self.code.take(), c, "code")?,
                    message: need(self.message.take(), c, "message")?,
                })
            }
            other => return Err(unknown("result", "kind", other, RESULTS)),
        })
    }
}

/// The `message` key: a send()'s repeat number in a call event, a
/// sentence in a command error.
pub(super) enum Message {
    Number(u64),
    Text(String),
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MessageVisitor;

        impl Visitor<'_> for MessageVisitor {
            type Value = Message;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number (a send's repeat) or a string (an error's sentence)")
            }

            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Message, E> {
                Ok(Message::Number(number))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Message, E> {
                Ok(Message::Text(text.to_owned()))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Message, E> {
                Ok(Message::Text(text))
            }
        }

        deserializer.deserialize_any(MessageVisitor)
    }
}
