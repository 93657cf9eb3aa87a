//! Reading events from JSON in one pass.
//!
//! An [`Event`] is one flat JSON object: the event's own fields, the call's
//! arguments, the segment's header fields, all side by side, told apart by
//! the tags `event`, `call` and `proto` (and `kind` inside `result`, `state`
//! inside a capture state). serde's derive reads such a shape with
//! `#[serde(flatten)]` and internally tagged enums, which first buffer
//! every object into an untyped tree and then decode that tree again at
//! each layer (`Event`, `EventKind`, `CallEvent`, `Call`): slow, and in the
//! page the largest function of all.
//!
//! Here each object is read once into a plain struct holding every field
//! any event can carry, each optional ([`WireEvent`]), and then assembled
//! into the typed event by its tags. Only the assembly knows which fields
//! belong to which kind of event, so it is also where a missing field or an
//! unknown tag is reported, naming the event and the field
//! (``call event: missing field `socket` ``). A value of the wrong type is
//! serde's own message, with the line and column of the value.
//!
//! What is accepted is what the derive accepted (a test holds the two to
//! the same answers): keys in any order, fields no event has ignored, and
//! the JSON the relay writes (the derived `Serialize`, unchanged) read back
//! to the same event. Two differences, for JSON nothing writes: a field
//! that belongs to another kind of event is still read with that field's
//! type (`"backlog": "x"` in a segment event is an error the derive let
//! pass), and a tag must be a name (the derive also took a number, as the
//! variant's position).
//!
//! Two keys mean different things in different events, so their slots
//! take either form: `state` is a [`TcpState`] in call and state events and
//! the capture state's tag in capture events (both strings, kept as a
//! [`Word`]); `message` is the repeat number of a send() in a call event
//! and a sentence in a command error ([`Message`]).
//!
//! Commands are read the same way (`decode_command.rs`), with the same
//! reading and error helpers ([`ReadThenAssemble`], [`need`], [`unknown`]).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use crate::{
    Bytes, Call, CallEvent, CallResult, Capabilities, CaptureState, CommandError, Direction,
    ErrorCode, Event, EventKind, Framing, Hello, Limits, OsError, Segment, SegmentEvent,
    ShutdownHow, SocketId, SocketOption, TcpFlags, TcpOptions, TcpState, Transport, UdpDatagram,
};

/// The `event` tags, as the derived `Serialize` writes them.
const EVENTS: &[&str] = &[
    "hello",
    "call",
    "state",
    "recv_queue",
    "segment",
    "command_error",
    "capture",
    "lagged",
];

/// The `call` tags of a call event.
const CALLS: &[&str] = &[
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
const RESULTS: &[&str] = &[
    "ok",
    "sent",
    "data",
    "end_of_stream",
    "accepted",
    "datagram",
    "error",
];

/// The `proto` tags of a segment event.
const PROTOS: &[&str] = &["tcp", "udp", "icmp_port_unreachable"];

/// The `state` tags of a capture state.
const CAPTURE_STATES: &[&str] = &["on", "off", "stats"];

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ReadThenAssemble::<WireEvent<'de>>(PhantomData))
    }
}

impl<'de> Deserialize<'de> for CallResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ReadThenAssemble::<WireResult<'de>>(PhantomData))
    }
}

impl<'de> Deserialize<'de> for CaptureState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ReadThenAssemble::<WireCapture<'de>>(PhantomData))
    }
}

/// A wire struct that makes a typed value, or says what is missing.
pub(crate) trait Assemble {
    type Value;
    /// What the object is, for serde's "expected …" messages.
    const EXPECTING: &'static str;
    /// Takes what it needs out of the wire struct, field by field, rather
    /// than moving the whole struct (every field of every event) along.
    fn assemble(&mut self) -> Result<Self::Value, String>;
}

/// Reads an object into the wire struct `W` and assembles it, inside the
/// deserializer's own reading of the object, so that serde_json adds the
/// line and column to an assembly error as it does to its own.
pub(crate) struct ReadThenAssemble<W>(pub(crate) PhantomData<W>);

impl<'de, W: Deserialize<'de> + Assemble> Visitor<'de> for ReadThenAssemble<W> {
    type Value = W::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(W::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<W::Value, A::Error> {
        let mut wire = W::deserialize(MapAccessDeserializer::new(map))?;
        wire.assemble().map_err(de::Error::custom)
    }
}

impl Assemble for WireEvent<'_> {
    type Value = Event;
    const EXPECTING: &'static str = "an event object";
    fn assemble(&mut self) -> Result<Event, String> {
        self.take_event()
    }
}

impl Assemble for WireResult<'_> {
    type Value = CallResult;
    const EXPECTING: &'static str = "a call result object";
    fn assemble(&mut self) -> Result<CallResult, String> {
        self.take_result()
    }
}

impl Assemble for WireCapture<'_> {
    type Value = CaptureState;
    const EXPECTING: &'static str = "a capture state object";
    fn assemble(&mut self) -> Result<CaptureState, String> {
        CaptureParts {
            interface: self.interface.take(),
            reason: self.reason.take(),
            fix: self.fix.take(),
            received: self.received.take(),
            dropped_by_kernel: self.dropped_by_kernel.take(),
            dropped_by_interface: self.dropped_by_interface.take(),
        }
        .into_state(self.state.take(), "capture state")
    }
}

/// Every field an event object can carry, as read, before its tags say
/// which of them make the event.
#[derive(serde::Deserialize)]
struct WireEvent<'a> {
    index: Option<u64>,
    t_us: Option<u64>,
    #[serde(borrow)]
    event: Option<Word<'a>>,

    // hello
    protocol_version: Option<u32>,
    relay_version: Option<String>,
    capabilities: Option<Capabilities>,
    limits: Option<Limits>,

    // call, state, recv_queue
    socket: Option<SocketId>,
    request: Option<u64>,
    transport: Option<Transport>,
    #[serde(borrow)]
    call: Option<Word<'a>>,
    #[serde(borrow)]
    result: Option<WireResult<'a>>,
    local: Option<String>,
    peer: Option<String>,
    /// A [`TcpState`] in call and state events, the tag of a capture event.
    #[serde(borrow)]
    state: Option<Word<'a>>,
    bytes: Option<u32>,

    // the call's arguments
    addr: Option<String>,
    reuse_addr: Option<bool>,
    backlog: Option<u32>,
    data: Option<Bytes>,
    offset: Option<u64>,
    /// A send()'s repeat number, or a command error's sentence.
    message: Option<Message>,
    framing: Option<Framing>,
    bufsize: Option<u32>,
    option: Option<SocketOption>,
    how: Option<ShutdownHow>,

    // segment
    conn: Option<u32>,
    src: Option<String>,
    dst: Option<String>,
    direction: Option<Direction>,
    from_socket: Option<SocketId>,
    to_socket: Option<SocketId>,
    #[serde(borrow)]
    proto: Option<Word<'a>>,
    flags: Option<TcpFlags>,
    seq: Option<u32>,
    ack: Option<u32>,
    rel_seq: Option<u32>,
    rel_ack: Option<u32>,
    window: Option<u16>,
    window_scaled: Option<u32>,
    options: Option<TcpOptions>,
    payload_len: Option<u32>,
    payload: Option<Bytes>,

    // command_error
    command: Option<String>,
    code: Option<ErrorCode>,

    // capture
    interface: Option<String>,
    reason: Option<String>,
    fix: Option<String>,
    received: Option<u64>,
    dropped_by_kernel: Option<u64>,
    dropped_by_interface: Option<u64>,

    // lagged
    dropped: Option<u64>,
}

/// A call's `result` object, as read.
#[derive(serde::Deserialize)]
struct WireResult<'a> {
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

/// A capture state object (the hello's `capabilities.capture`), as read.
#[derive(serde::Deserialize)]
struct WireCapture<'a> {
    #[serde(borrow)]
    state: Option<Word<'a>>,
    interface: Option<String>,
    reason: Option<String>,
    fix: Option<String>,
    received: Option<u64>,
    dropped_by_kernel: Option<u64>,
    dropped_by_interface: Option<u64>,
}

/// The fields of a capture state apart from its tag, which a capture event
/// carries at its top level and a hello inside `capabilities.capture`.
struct CaptureParts {
    interface: Option<String>,
    reason: Option<String>,
    fix: Option<String>,
    received: Option<u64>,
    dropped_by_kernel: Option<u64>,
    dropped_by_interface: Option<u64>,
}

impl WireEvent<'_> {
    fn take_event(&mut self) -> Result<Event, String> {
        let index = need(self.index.take(), "", "index")?;
        let t_us = need(self.t_us.take(), "", "t_us")?;
        let tag = need(self.event.take(), "", "event")?;
        let kind = match tag.as_str() {
            "hello" => self.hello()?,
            "call" => self.call_event()?,
            "state" => {
                let c = "state event";
                EventKind::State {
                    socket: need(self.socket.take(), c, "socket")?,
                    state: tcp_state(need(self.state.take(), c, "state")?.as_str(), c)?,
                }
            }
            "recv_queue" => {
                let c = "recv_queue event";
                EventKind::RecvQueue {
                    socket: need(self.socket.take(), c, "socket")?,
                    bytes: need(self.bytes.take(), c, "bytes")?,
                }
            }
            "segment" => self.segment()?,
            "command_error" => self.command_error()?,
            "capture" => EventKind::Capture(
                CaptureParts {
                    interface: self.interface.take(),
                    reason: self.reason.take(),
                    fix: self.fix.take(),
                    received: self.received.take(),
                    dropped_by_kernel: self.dropped_by_kernel.take(),
                    dropped_by_interface: self.dropped_by_interface.take(),
                }
                .into_state(self.state.take(), "capture event")?,
            ),
            "lagged" => EventKind::Lagged {
                dropped: need(self.dropped.take(), "lagged event", "dropped")?,
            },
            other => return Err(unknown("", "event", other, EVENTS)),
        };
        Ok(Event { index, t_us, kind })
    }

    fn hello(&mut self) -> Result<EventKind, String> {
        let c = "hello event";
        Ok(EventKind::Hello(Hello {
            protocol_version: need(self.protocol_version.take(), c, "protocol_version")?,
            relay_version: need(self.relay_version.take(), c, "relay_version")?,
            capabilities: need(self.capabilities.take(), c, "capabilities")?,
            limits: need(self.limits.take(), c, "limits")?,
        }))
    }

    fn call_event(&mut self) -> Result<EventKind, String> {
        let c = "call event";
        let socket = need(self.socket.take(), c, "socket")?;
        let transport = need(self.transport.take(), c, "transport")?;
        let call = need(self.call.take(), c, "call")?;
        let call = Args {
            addr: self.addr.take(),
            reuse_addr: self.reuse_addr.take(),
            backlog: self.backlog.take(),
            data: self.data.take(),
            offset: self.offset.take(),
            message: self.message.take(),
            framing: self.framing.take(),
            bufsize: self.bufsize.take(),
            option: self.option.take(),
            how: self.how.take(),
        }
        .into_call(call.as_str())?;
        let result = need(self.result.take(), c, "result")?
            .take_result()
            .map_err(|problem| format!("{c}: {problem}"))?;
        let state = match self.state.take() {
            Some(state) => Some(tcp_state(state.as_str(), c)?),
            None => None,
        };
        Ok(EventKind::Call(CallEvent {
            socket,
            request: self.request.take(),
            transport,
            call,
            result,
            local: self.local.take(),
            peer: self.peer.take(),
            state,
        }))
    }

    fn segment(&mut self) -> Result<EventKind, String> {
        let c = "segment event";
        let conn = need(self.conn.take(), c, "conn")?;
        let src = need(self.src.take(), c, "src")?;
        let dst = need(self.dst.take(), c, "dst")?;
        let direction = need(self.direction.take(), c, "direction")?;
        let proto = need(self.proto.take(), c, "proto")?;
        let segment = match proto.as_str() {
            "tcp" => {
                let c = "tcp segment event";
                Segment::Tcp {
                    flags: need(self.flags.take(), c, "flags")?,
                    seq: need(self.seq.take(), c, "seq")?,
                    ack: need(self.ack.take(), c, "ack")?,
                    rel_seq: need(self.rel_seq.take(), c, "rel_seq")?,
                    rel_ack: need(self.rel_ack.take(), c, "rel_ack")?,
                    window: need(self.window.take(), c, "window")?,
                    window_scaled: need(self.window_scaled.take(), c, "window_scaled")?,
                    options: need(self.options.take(), c, "options")?,
                    payload_len: need(self.payload_len.take(), c, "payload_len")?,
                    payload: need(self.payload.take(), c, "payload")?,
                }
            }
            "udp" => {
                let c = "udp segment event";
                Segment::Udp(UdpDatagram {
                    payload_len: need(self.payload_len.take(), c, "payload_len")?,
                    payload: need(self.payload.take(), c, "payload")?,
                })
            }
            "icmp_port_unreachable" => Segment::IcmpPortUnreachable,
            other => return Err(unknown(c, "proto", other, PROTOS)),
        };
        Ok(EventKind::Segment(SegmentEvent {
            conn,
            src,
            dst,
            direction,
            from_socket: self.from_socket.take(),
            to_socket: self.to_socket.take(),
            segment,
        }))
    }

    fn command_error(&mut self) -> Result<EventKind, String> {
        let c = "command_error event";
        let code = need(self.code.take(), c, "code")?;
        let message = match need(self.message.take(), c, "message")? {
            Message::Text(text) => text,
            Message::Number(number) => {
                return Err(format!(
                    "{c}: invalid type: number {number} in field `message`, expected a string"
                ));
            }
        };
        Ok(EventKind::CommandError(CommandError {
            request: self.request.take(),
            command: self.command.take(),
            code,
            message,
        }))
    }
}

/// The arguments a call event may carry, for [`Args::into_call`].
struct Args {
    addr: Option<String>,
    reuse_addr: Option<bool>,
    backlog: Option<u32>,
    data: Option<Bytes>,
    offset: Option<u64>,
    message: Option<Message>,
    framing: Option<Framing>,
    bufsize: Option<u32>,
    option: Option<SocketOption>,
    how: Option<ShutdownHow>,
}

impl Args {
    /// The call tagged `tag`, with the arguments it takes.
    fn into_call(self, tag: &str) -> Result<Call, String> {
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
                    Message::Number(number) => u32::try_from(number).map_err(|_| {
                        format!("{c}: invalid value: {number} in field `message`, expected u32")
                    })?,
                    Message::Text(text) => {
                        return Err(format!(
                            "{c}: invalid type: string {text:?} in field `message`, expected u32"
                        ));
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
    fn take_result(&mut self) -> Result<CallResult, String> {
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

impl CaptureParts {
    /// The capture state tagged `state`; `owner` names what holds it
    /// (`capture event`, `capture state`). Rare, so its messages are
    /// put together here rather than kept ready.
    fn into_state(self, state: Option<Word<'_>>, owner: &str) -> Result<CaptureState, String> {
        let state = need(state, owner, "state")?;
        let c = format!("{owner} ({})", state.as_str());
        let c = c.as_str();
        Ok(match state.as_str() {
            "on" => CaptureState::On {
                interface: need(self.interface, c, "interface")?,
            },
            "off" => CaptureState::Off {
                reason: need(self.reason, c, "reason")?,
                fix: need(self.fix, c, "fix")?,
            },
            "stats" => CaptureState::Stats {
                received: need(self.received, c, "received")?,
                dropped_by_kernel: need(self.dropped_by_kernel, c, "dropped_by_kernel")?,
                dropped_by_interface: need(self.dropped_by_interface, c, "dropped_by_interface")?,
            },
            other => return Err(unknown(owner, "state", other, CAPTURE_STATES)),
        })
    }
}

/// The TCP state called `name`, as `state` in call and state events.
fn tcp_state(name: &str, context: &str) -> Result<TcpState, String> {
    TcpState::ALL
        .into_iter()
        .find(|state| state.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = TcpState::ALL.iter().map(|s| s.name()).collect();
            unknown(context, "state", name, &names)
        })
}

/// A field that `context` (`send call event`; empty for any event)
/// needs, or an error naming both.
pub(crate) fn need<T>(value: Option<T>, context: &str, field: &str) -> Result<T, String> {
    value.ok_or_else(|| missing(context, field))
}

/// Kept out of line: `need` is made once per field type, and its message
/// need not be.
#[cold]
#[inline(never)]
fn missing(context: &str, field: &str) -> String {
    format!("{}missing field `{field}`", prefix(context))
}

/// A tag or name that is none of those `expected` in `field`.
#[cold]
#[inline(never)]
pub(crate) fn unknown(context: &str, field: &str, found: &str, expected: &[&str]) -> String {
    let expected: Vec<String> = expected.iter().map(|name| format!("`{name}`")).collect();
    format!(
        "{}unknown variant `{found}` in field `{field}`, expected one of {}",
        prefix(context),
        expected.join(", ")
    )
}

fn prefix(context: &str) -> String {
    if context.is_empty() {
        String::new()
    } else {
        format!("{context}: ")
    }
}

/// A string read without a copy when the input allows it (JSON without
/// escapes, read from a string in memory): the tags, of which every event
/// has one to three, a state name, and a command's `cmd`.
pub(crate) struct Word<'a>(Cow<'a, str>);

impl Word<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Word<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WordVisitor;

        impl<'de> Visitor<'de> for WordVisitor {
            type Value = Word<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Word<'de>, E> {
                Ok(Word(Cow::Borrowed(text)))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Word<'de>, E> {
                Ok(Word(Cow::Owned(text.to_owned())))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Word<'de>, E> {
                Ok(Word(Cow::Owned(text)))
            }
        }

        deserializer.deserialize_str(WordVisitor)
    }
}

/// The `message` key: a send()'s repeat number in a call event, a
/// sentence in a command error.
enum Message {
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::*;
    use crate::wrong_answers::{read_error, wrong_answers};
    use crate::{Limits, SackBlock, Timestamps};

    /// Every JSON event log in the repository: the page's recordings and
    /// the logs its tests read.
    fn event_logs() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut logs = Vec::new();
        for dir in ["web/recordings", "web/tests/live"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.to_string_lossy().ends_with(".events.json") {
                    logs.push(path);
                }
            }
        }
        logs.sort();
        assert!(logs.len() >= 15, "{logs:?}");
        logs
    }

    /// Each log's events, as JSON values.
    fn logged_events() -> Vec<(String, Value)> {
        let mut all = Vec::new();
        for path in event_logs() {
            let text = std::fs::read_to_string(&path).unwrap();
            let Value::Array(events) = serde_json::from_str(&text).unwrap() else {
                panic!("{}: not an array", path.display());
            };
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            all.extend(events.into_iter().map(|event| (name.clone(), event)));
        }
        all
    }

    /// Today's derive, kept as the reference the decoder must agree with:
    /// `EventKind` and the types under it still derive `Deserialize`, and
    /// the two nested types with decoders of their own are mirrored here
    /// as they were derived.
    #[derive(Deserialize)]
    struct Derived {
        index: u64,
        t_us: u64,
        #[serde(flatten)]
        kind: EventKind,
    }

    #[derive(Deserialize)]
    #[serde(remote = "CallResult", tag = "kind", rename_all = "snake_case")]
    enum DerivedResult {
        Ok,
        Sent {
            bytes: u64,
        },
        Data {
            data: Bytes,
            offset: u64,
        },
        EndOfStream {
            offset: u64,
        },
        Accepted {
            new_socket: SocketId,
            peer: String,
        },
        Datagram {
            from: String,
            data: Bytes,
            datagram_len: u32,
        },
        Error(OsError),
    }

    #[derive(Deserialize)]
    #[serde(remote = "CaptureState", tag = "state", rename_all = "snake_case")]
    enum DerivedCapture {
        On {
            interface: String,
        },
        Off {
            reason: String,
            fix: String,
        },
        Stats {
            received: u64,
            dropped_by_kernel: u64,
            dropped_by_interface: u64,
        },
    }

    fn derived(value: &Value) -> Option<Event> {
        let derived = Derived::deserialize(value).ok()?;
        Some(Event {
            index: derived.index,
            t_us: derived.t_us,
            kind: derived.kind,
        })
    }

    fn decoded(value: &Value) -> Option<Event> {
        Event::deserialize(value).ok()
    }

    #[test]
    fn every_logged_event_reads_back_to_the_same_json() {
        let events = logged_events();
        assert!(events.len() > 300, "{}", events.len());
        let mut kinds = std::collections::BTreeSet::new();
        for (log, value) in &events {
            // From text, borrowing the tags, and from a tree, copying them.
            let text = value.to_string();
            let event: Event =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{log}: {e}: {text}"));
            assert_eq!(
                Event::deserialize(value).ok().as_ref(),
                Some(&event),
                "{log}"
            );
            assert_eq!(&serde_json::to_value(&event).unwrap(), value, "{log}");
            kinds.insert(value["event"].as_str().unwrap().to_string());
        }
        // Enough of the protocol is in the logs for this test to mean something.
        for kind in ["hello", "call", "state", "segment"] {
            assert!(kinds.contains(kind), "{kinds:?}");
        }
    }

    #[test]
    fn a_whole_log_reads_in_one_go() {
        for path in event_logs() {
            let text = std::fs::read_to_string(&path).unwrap();
            let events: Vec<Event> = serde_json::from_str(&text).unwrap();
            let again = serde_json::to_string(&events).unwrap();
            assert_eq!(
                serde_json::from_str::<Value>(&again).unwrap(),
                serde_json::from_str::<Value>(&text).unwrap(),
                "{}",
                path.display()
            );
        }
    }

    /// Each logged event, then the same with one field taken out, changed
    /// to a word no tag has, to a number, or to null, at the top level and
    /// inside `result` and `capabilities.capture`: the decoder accepts
    /// exactly what the derive accepts, and reads it the same; so do the
    /// decoders of a result and a capture state read alone.
    #[test]
    fn the_decoder_accepts_what_the_derive_accepts() {
        let mut variants = 0;
        for (log, value) in logged_events() {
            let mut changed_events = vec![value.clone()];
            for path in [&[][..], &["result"][..], &["capabilities", "capture"][..]] {
                let Some(Value::Object(object)) = path.iter().try_fold(&value, |v, k| v.get(k))
                else {
                    continue;
                };
                for key in object.keys() {
                    let tag = matches!(key.as_str(), "event" | "call" | "proto" | "kind")
                        || (key == "state" && (path.len() == 2 || value["event"] == "capture"));
                    let mut replacements = vec![None, Some(json!("nonsense")), Some(Value::Null)];
                    // The derive also took a number for a tag, as the
                    // variant's position; nothing writes that, and the
                    // decoder takes only names.
                    if !tag {
                        replacements.push(Some(json!(4)));
                    }
                    for replacement in replacements {
                        let mut changed = value.clone();
                        let target = path
                            .iter()
                            .try_fold(&mut changed, |v, k| v.get_mut(k))
                            .and_then(Value::as_object_mut)
                            .unwrap();
                        match replacement {
                            None => {
                                target.remove(key);
                            }
                            Some(new) => {
                                target.insert(key.clone(), new);
                            }
                        }
                        let nested = Value::Object(target.clone());
                        match path {
                            ["result"] => assert_eq!(
                                CallResult::deserialize(&nested).ok(),
                                DerivedResult::deserialize(&nested).ok(),
                                "{log}: {nested}"
                            ),
                            ["capabilities", "capture"] => assert_eq!(
                                CaptureState::deserialize(&nested).ok(),
                                DerivedCapture::deserialize(&nested).ok(),
                                "{log}: {nested}"
                            ),
                            _ => {}
                        }
                        changed_events.push(changed);
                    }
                }
            }
            for changed in changed_events {
                assert_eq!(decoded(&changed), derived(&changed), "{log}: {changed}");
                variants += 1;
            }
        }
        assert!(variants > 10_000, "{variants}");
    }

    #[test]
    fn every_kind_of_event_call_result_and_segment_round_trips() {
        let tcp = Segment::Tcp {
            flags: TcpFlags {
                fin: true,
                ack: true,
                ..TcpFlags::default()
            },
            seq: 1,
            ack: 2,
            rel_seq: 3,
            rel_ack: 4,
            window: 5,
            window_scaled: 640,
            options: TcpOptions {
                mss: Some(1460),
                window_scale: Some(7),
                sack_permitted: true,
                sack: vec![SackBlock { left: 1, right: 9 }],
                timestamps: Some(Timestamps {
                    value: 10,
                    echo_reply: 11,
                }),
            },
            payload_len: 5000,
            payload: Bytes::from(b"cut".to_vec()),
        };
        let segments = [
            tcp,
            Segment::Udp(UdpDatagram {
                payload_len: 0,
                payload: Bytes::default(),
            }),
            Segment::IcmpPortUnreachable,
        ];
        let calls = [
            Call::Bind {
                addr: "127.0.0.1:9".into(),
                reuse_addr: true,
            },
            Call::Listen { backlog: 5 },
            Call::Accept,
            Call::Connect {
                addr: "[::1]:80".into(),
            },
            Call::Send {
                data: Bytes::from(b"hi".to_vec()),
                offset: 7,
                message: 2,
                framing: Framing::U32Be,
            },
            Call::Recv { bufsize: 10 },
            Call::SetOption {
                option: SocketOption::RecvBuffer(4096),
            },
            Call::Shutdown {
                how: ShutdownHow::Write,
            },
            Call::Close,
            Call::SendTo {
                addr: "127.0.0.1:7".into(),
                data: Bytes::default(),
            },
            Call::RecvFrom { bufsize: 3 },
        ];
        let results = [
            CallResult::Ok,
            CallResult::Sent { bytes: 2 },
            CallResult::Data {
                data: Bytes::from(b"\"esc\\aped\"".to_vec()),
                offset: 9,
            },
            CallResult::EndOfStream { offset: 11 },
            CallResult::Accepted {
                new_socket: 4,
                peer: "127.0.0.1:5".into(),
            },
            CallResult::Datagram {
                from: "127.0.0.1:6".into(),
                data: Bytes::from(b"abc".to_vec()),
                datagram_len: 8,
            },
            CallResult::Error(OsError {
                errno: "ECONNREFUSED".into(),
                code: 111,
                message: "Connection \"refused\"".into(),
            }),
        ];
        let captures = [
            CaptureState::On {
                interface: "lo".into(),
            },
            CaptureState::Off {
                reason: "no permission".into(),
                fix: "setcap".into(),
            },
            CaptureState::Stats {
                received: 1,
                dropped_by_kernel: 2,
                dropped_by_interface: 3,
            },
        ];
        let mut kinds: Vec<EventKind> = Vec::new();
        for (n, call) in calls.iter().enumerate() {
            for (m, result) in results.iter().enumerate() {
                kinds.push(EventKind::Call(CallEvent {
                    socket: 1,
                    request: (m % 2 == 0).then_some(n as u64),
                    transport: Transport::Tcp,
                    call: call.clone(),
                    result: result.clone(),
                    local: Some("127.0.0.1:1".into()),
                    peer: (n % 2 == 0).then(|| "127.0.0.1:2".into()),
                    state: Some(TcpState::ALL[(n + m) % TcpState::ALL.len()]),
                }));
            }
        }
        for segment in segments {
            kinds.push(EventKind::Segment(SegmentEvent {
                conn: 1,
                src: "127.0.0.1:1".into(),
                dst: "127.0.0.1:2".into(),
                direction: Direction::Reverse,
                from_socket: None,
                to_socket: Some(3),
                segment,
            }));
        }
        for capture in &captures {
            kinds.push(EventKind::Capture(capture.clone()));
            kinds.push(EventKind::Hello(Hello {
                protocol_version: 1,
                relay_version: "0.1.0".into(),
                capabilities: Capabilities {
                    capture: capture.clone(),
                    allow_remote: true,
                },
                limits: Limits::default(),
            }));
        }
        for state in TcpState::ALL {
            kinds.push(EventKind::State { socket: 2, state });
        }
        kinds.push(EventKind::RecvQueue {
            socket: 3,
            bytes: 15,
        });
        kinds.push(EventKind::CommandError(CommandError {
            request: Some(4),
            command: Some("recv".into()),
            code: ErrorCode::WrongSocketKind,
            message: "socket 1 is a listener".into(),
        }));
        kinds.push(EventKind::Lagged { dropped: 120 });

        let mut tags = std::collections::BTreeSet::new();
        for (index, kind) in kinds.into_iter().enumerate() {
            let event = Event {
                index: index as u64,
                t_us: 1_795_431_092_150_818,
                kind,
            };
            let json = serde_json::to_string(&event).unwrap();
            let back: Event = serde_json::from_str(&json).unwrap();
            assert_eq!(back, event, "{json}");
            let value: Value = serde_json::from_str(&json).unwrap();
            assert_eq!(derived(&value).as_ref(), Some(&event), "{json}");
            for (key, list) in [
                ("event", EVENTS),
                ("call", CALLS),
                ("proto", PROTOS),
                ("kind", RESULTS),
            ] {
                let tag = value.get(key).or_else(|| value["result"].get(key));
                if let Some(tag) = tag.and_then(Value::as_str) {
                    assert!(list.contains(&tag), "{key}: {tag}");
                    tags.insert((key, tag.to_string()));
                }
            }
        }
        // The lists the errors quote hold exactly the tags the derive writes.
        for (key, list) in [
            ("event", EVENTS),
            ("call", CALLS),
            ("proto", PROTOS),
            ("kind", RESULTS),
        ] {
            assert_eq!(
                tags.iter().filter(|(k, _)| *k == key).count(),
                list.len(),
                "{key}"
            );
        }
        for capture in captures {
            let json = serde_json::to_string(&capture).unwrap();
            let tag: Value = serde_json::from_str(&json).unwrap();
            assert!(CAPTURE_STATES.contains(&tag["state"].as_str().unwrap()));
            assert_eq!(
                serde_json::from_str::<CaptureState>(&json).unwrap(),
                capture
            );
        }
    }

    #[test]
    fn keys_in_any_order_and_unknown_keys_are_read_as_before() {
        let json = r#"{"result": {"offset": 0, "data": "6869", "kind": "data", "extra": 1},
            "call": "recv", "bufsize": 2, "socket": 3, "transport": "tcp",
            "note": "added by a script", "t_us": 5, "event": "call", "index": 4}"#;
        let event: Event = serde_json::from_str(json).unwrap();
        assert_eq!(
            event,
            Event {
                index: 4,
                t_us: 5,
                kind: EventKind::Call(CallEvent {
                    socket: 3,
                    request: None,
                    transport: Transport::Tcp,
                    call: Call::Recv { bufsize: 2 },
                    result: CallResult::Data {
                        data: Bytes::from(b"hi".to_vec()),
                        offset: 0,
                    },
                    local: None,
                    peer: None,
                    state: None,
                }),
            }
        );
        // Escaped tags cannot be borrowed from the text, and still read.
        let escaped = r#"{"index":0,"t_us":1,"event":"lag\u0067ed","dropped":3}"#;
        assert_eq!(
            serde_json::from_str::<Event>(escaped).unwrap().kind,
            EventKind::Lagged { dropped: 3 }
        );
    }

    #[test]
    fn errors_name_the_event_and_the_field() {
        let call = r#"{"index":0,"t_us":1,"event":"call","socket":2,"transport":"tcp","#;
        let cases = [
            (
                r#"{"index":0,"t_us":1,"dropped":3}"#.to_string(),
                "missing field `event` at line 1 column 32",
            ),
            (
                r#"{"t_us":1,"event":"lagged","dropped":3}"#.to_string(),
                "missing field `index` at line 1 column 39",
            ),
            (
                r#"{"index":0,"t_us":1,"event":"hug"}"#.to_string(),
                "unknown variant `hug` in field `event`, expected one of `hello`, `call`, \
                 `state`, `recv_queue`, `segment`, `command_error`, `capture`, `lagged` \
                 at line 1 column 34",
            ),
            (
                r#"{"index":0,"t_us":1,"event":"state","socket":"two","state":"LISTEN"}"#
                    .to_string(),
                "invalid type: string \"two\", expected u32 at line 1 column 50",
            ),
            (
                r#"{"index":0,"t_us":1,"event":"state","socket":2,"state":"OPEN"}"#.to_string(),
                "state event: unknown variant `OPEN` in field `state`, expected one of \
                 `ESTABLISHED`, `SYN_SENT`, `SYN_RECV`, `FIN_WAIT_1`, `FIN_WAIT_2`, \
                 `TIME_WAIT`, `CLOSED`, `CLOSE_WAIT`, `LAST_ACK`, `LISTEN`, `CLOSING` \
                 at line 1 column 62",
            ),
            (
                format!(r#"{call}"call":"recv","result":{{"kind":"ok"}}}}"#),
                "recv call event: missing field `bufsize` at line 1 column 101",
            ),
            (
                format!(r#"{call}"call":"poll","result":{{"kind":"ok"}}}}"#),
                "call event: unknown variant `poll` in field `call`, expected one of `bind`, \
                 `listen`, `accept`, `connect`, `send`, `recv`, `set_option`, `shutdown`, \
                 `close`, `send_to`, `recv_from` at line 1 column 101",
            ),
            (
                format!(r#"{call}"call":"close"}}"#),
                "call event: missing field `result` at line 1 column 79",
            ),
            (
                format!(r#"{call}"call":"close","result":{{}}}}"#),
                "call event: result: missing field `kind` at line 1 column 91",
            ),
            (
                format!(r#"{call}"call":"recv","bufsize":9,"result":{{"kind":"data","data":""}}}}"#),
                "call event: data result: missing field `offset` at line 1 column 125",
            ),
            (
                format!(
                    r#"{call}"call":"send","data":"","offset":0,"message":"one","framing":"none","result":{{"kind":"ok"}}}}"#
                ),
                "send call event: invalid type: string \"one\" in field `message`, \
                 expected u32 at line 1 column 155",
            ),
            (
                r#"{"index":0,"t_us":1,"event":"capture","state":"off","reason":"no"}"#
                    .to_string(),
                "capture event (off): missing field `fix` at line 1 column 66",
            ),
            (
                r#"{"index":0,"t_us":1,"event":"segment","conn":1,"src":"a","dst":"b","direction":"forward","proto":"sctp"}"#.to_string(),
                "segment event: unknown variant `sctp` in field `proto`, expected one of \
                 `tcp`, `udp`, `icmp_port_unreachable` at line 1 column 104",
            ),
            (
                r#"{"index":0,"t_us":1,"event":"command_error","code":"bad_port","message":7}"#
                    .to_string(),
                "command_error event: invalid type: number 7 in field `message`, \
                 expected a string at line 1 column 74",
            ),
            (
                r#"[0, 1, "lagged"]"#.to_string(),
                "invalid type: sequence, expected an event object at line 1 column 0",
            ),
        ];
        let wrong = wrong_answers::<Event>(&cases);
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn a_capture_state_or_result_read_alone_says_what_is_missing() {
        let hello = r#"{"index":0,"t_us":1,"event":"hello","protocol_version":1,"relay_version":"x",
            "capabilities":{"capture":{"state":"on"},"allow_remote":false},"limits":{}}"#;
        assert_eq!(
            read_error::<Event>(hello),
            "capture state (on): missing field `interface` at line 2 column 52"
        );
        let result = serde_json::from_str::<CallResult>(r#"{"kind":"sent"}"#).unwrap_err();
        assert_eq!(
            result.to_string(),
            "sent result: missing field `bytes` at line 1 column 15"
        );
    }
}
