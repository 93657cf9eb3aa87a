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
//! unknown tag is reported, as a [`DecodeError`] naming the event and the
//! field (``call event: missing field `socket` ``). A value of the wrong
//! type is serde's own message, with the line and column of the value.
//! This file holds the event's top level; the call and its result
//! (`call.rs`), the segment (`segment.rs`) and the capture state
//! (`capture.rs`) are assembled beside it.
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

use super::call::{Args, Message, WireResult};
use super::capture::take_capture_parts;
use super::error::{DecodeError, DecodeErrorKind, Found};
use super::reader::{Word, need, read_then_assemble, unknown};
use crate::{
    Bytes, Call, CallEvent, Capabilities, CommandError, Direction, ErrorCode, Event, EventKind,
    Framing, Hello, LabPath, Limit, Limits, LinkCounts, PathCounts, PathDrop, PathFate, PathPreset,
    PathState, SendStage, ShutdownHow, SocketId, SocketOption, Tap, TcpAnalyses, TcpFlags, TcpInfo,
    TcpOptions, TcpState, Transport, WaitReason, WaitingCall,
};

/// The `event` tags, as the derived `Serialize` writes them.
pub(super) const EVENTS: &[&str] = &[
    "hello",
    "call",
    "state",
    "recv_queue",
    "tcp_info",
    "send_time",
    "waiting",
    "segment",
    "command_error",
    "capture",
    "lagged",
    "path",
    "path_drop",
    "path_stats",
];

/// The names of the TCP states, as `state` in call and state events.
pub(super) const TCP_STATES: &[&str] = &[
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT_1",
    "FIN_WAIT_2",
    "TIME_WAIT",
    "CLOSED",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
];

read_then_assemble!(Event, WireEvent, take_event, "an event object");

/// Every field an event object can carry, as read, before its tags say
/// which of them make the event.
#[derive(serde::Deserialize)]
pub(super) struct WireEvent<'a> {
    pub(super) index: Option<u64>,
    pub(super) t_us: Option<u64>,
    #[serde(borrow)]
    pub(super) event: Option<Word<'a>>,

    // hello
    pub(super) protocol_version: Option<u32>,
    pub(super) relay_version: Option<String>,
    pub(super) capabilities: Option<Capabilities>,
    pub(super) limits: Option<Limits>,

    // call, state, recv_queue
    pub(super) socket: Option<SocketId>,
    pub(super) request: Option<u64>,
    pub(super) transport: Option<Transport>,
    #[serde(borrow)]
    pub(super) call: Option<Word<'a>>,
    #[serde(borrow)]
    pub(super) result: Option<WireResult<'a>>,
    pub(super) local: Option<String>,
    pub(super) peer: Option<String>,
    /// A [`TcpState`] in call and state events, the tag of a capture event.
    #[serde(borrow)]
    pub(super) state: Option<Word<'a>>,
    pub(super) bytes: Option<u32>,
    pub(super) info: Option<TcpInfo>,
    pub(super) why: Option<WaitReason>,
    pub(super) end: Option<u64>,
    pub(super) stage: Option<SendStage>,

    // the call's arguments
    pub(super) addr: Option<String>,
    pub(super) reuse_addr: Option<bool>,
    pub(super) backlog: Option<u32>,
    pub(super) data: Option<Bytes>,
    pub(super) offset: Option<u64>,
    /// A send()'s repeat number, or a command error's sentence.
    pub(super) message: Option<Message>,
    pub(super) framing: Option<Framing>,
    pub(super) bufsize: Option<u32>,
    pub(super) option: Option<SocketOption>,
    pub(super) how: Option<ShutdownHow>,

    // segment
    pub(super) conn: Option<u32>,
    pub(super) src: Option<String>,
    pub(super) dst: Option<String>,
    pub(super) direction: Option<Direction>,
    pub(super) from_socket: Option<crate::NonZeroSocketId>,
    pub(super) to_socket: Option<crate::NonZeroSocketId>,
    #[serde(borrow)]
    pub(super) proto: Option<Word<'a>>,
    pub(super) flags: Option<TcpFlags>,
    pub(super) seq: Option<u32>,
    pub(super) ack: Option<u32>,
    pub(super) rel_seq: Option<u32>,
    pub(super) rel_ack: Option<u32>,
    pub(super) window: Option<u16>,
    pub(super) window_scaled: Option<u32>,
    pub(super) options: Option<TcpOptions>,
    pub(super) payload_len: Option<u32>,
    pub(super) payload: Option<Bytes>,
    pub(super) tap: Option<Tap>,
    pub(super) crossing: Option<crate::CrossingNumber>,
    pub(super) analysis: Option<TcpAnalyses>,

    // path, path_drop, path_stats
    pub(super) path: Option<PathPreset>,
    pub(super) seed: Option<u64>,
    pub(super) lab: Option<LabPath>,
    pub(super) fate: Option<PathFate>,
    pub(super) len: Option<u32>,
    pub(super) client_to_server: Option<LinkCounts>,
    pub(super) server_to_client: Option<LinkCounts>,

    // command_error
    pub(super) command: Option<String>,
    pub(super) field: Option<String>,
    pub(super) limit: Option<Limit>,
    pub(super) code: Option<ErrorCode>,

    // capture
    pub(super) interface: Option<String>,
    pub(super) reason: Option<String>,
    pub(super) fix: Option<String>,
    pub(super) received: Option<u64>,
    pub(super) dropped_by_kernel: Option<u64>,
    pub(super) dropped_by_interface: Option<u64>,

    // lagged
    pub(super) dropped: Option<u64>,
}

impl WireEvent<'_> {
    fn take_event(&mut self) -> Result<Event, DecodeError> {
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
            "tcp_info" => {
                let c = "tcp_info event";
                EventKind::TcpInfo {
                    socket: self.socket.take(),
                    local: self.local.take(),
                    peer: self.peer.take(),
                    info: Box::new(need(self.info.take(), c, "info")?),
                }
            }
            "send_time" => {
                let c = "send_time event";
                EventKind::SendTime {
                    socket: need(self.socket.take(), c, "socket")?,
                    end: need(self.end.take(), c, "end")?,
                    stage: need(self.stage.take(), c, "stage")?,
                }
            }
            "waiting" => self.waiting()?,
            "segment" => self.segment()?,
            "command_error" => self.command_error()?,
            "capture" => EventKind::Capture(
                take_capture_parts!(self).into_state(self.state.take(), "capture event")?,
            ),
            "lagged" => EventKind::Lagged {
                dropped: need(self.dropped.take(), "lagged event", "dropped")?,
            },
            "path" => EventKind::Path(Box::new(PathState {
                request: self.request.take(),
                path: need(self.path.take(), "path event", "path")?,
                seed: need(self.seed.take(), "path event", "seed")?,
                lab: self.lab.take(),
            })),
            "path_drop" => {
                let c = "path_drop event";
                EventKind::PathDrop(PathDrop {
                    crossing: self.crossing.take(),
                    tap: need(self.tap.take(), c, "tap")?,
                    fate: need(self.fate.take(), c, "fate")?,
                    len: need(self.len.take(), c, "len")?,
                })
            }
            "path_stats" => {
                let c = "path_stats event";
                EventKind::PathStats(Box::new(PathCounts {
                    client_to_server: need(self.client_to_server.take(), c, "client_to_server")?,
                    server_to_client: need(self.server_to_client.take(), c, "server_to_client")?,
                }))
            }
            other => return Err(unknown("", "event", other, EVENTS)),
        };
        Ok(Event { index, t_us, kind })
    }

    fn hello(&mut self) -> Result<EventKind, DecodeError> {
        let c = "hello event";
        Ok(EventKind::Hello(Hello {
            protocol_version: need(self.protocol_version.take(), c, "protocol_version")?,
            relay_version: need(self.relay_version.take(), c, "relay_version")?,
            capabilities: need(self.capabilities.take(), c, "capabilities")?,
            limits: need(self.limits.take(), c, "limits")?,
        }))
    }

    fn waiting(&mut self) -> Result<EventKind, DecodeError> {
        let c = "waiting event";
        Ok(EventKind::Waiting(WaitingCall {
            socket: need(self.socket.take(), c, "socket")?,
            request: self.request.take(),
            call: self.take_call(c)?,
            why: need(self.why.take(), c, "why")?,
        }))
    }

    /// The call and its arguments, as call and waiting events carry them.
    fn take_call(&mut self, c: &str) -> Result<Call, DecodeError> {
        let call = need(self.call.take(), c, "call")?;
        Args {
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
        .into_call(call.as_str())
    }

    fn call_event(&mut self) -> Result<EventKind, DecodeError> {
        let c = "call event";
        let socket = need(self.socket.take(), c, "socket")?;
        let transport = need(self.transport.take(), c, "transport")?;
        let call = self.take_call(c)?;
        let result = need(self.result.take(), c, "result")?
            .take_result()
            .map_err(|error| error.within(c))?;
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

    fn command_error(&mut self) -> Result<EventKind, DecodeError> {
        let c = "command_error event";
        let code = need(self.code.take(), c, "code")?;
        let message = match need(self.message.take(), c, "message")? {
            Message::Text(text) => text,
            Message::Number(number) => {
                return Err(DecodeError {
                    context: c.to_owned(),
                    field: "message",
                    kind: DecodeErrorKind::WrongType {
                        found: Found::Integer(i128::from(number)),
                        expected: "a string",
                    },
                });
            }
        };
        Ok(EventKind::CommandError(CommandError {
            request: self.request.take(),
            command: self.command.take(),
            code,
            message,
            field: self.field.take(),
            limit: self.limit.take(),
        }))
    }
}
/// The TCP state called `name`, as `state` in call and state events.
pub(super) fn tcp_state(name: &str, context: &str) -> Result<TcpState, DecodeError> {
    TcpState::ALL
        .into_iter()
        .find(|state| state.name() == name)
        .ok_or_else(|| unknown(context, "state", name, TCP_STATES))
}
