//! Reading requests and commands from JSON in one pass, with typed errors.
//!
//! A [`Request`] is one flat JSON object: the sender's `id`, the tag `cmd`
//! and the command's own fields, side by side. serde's derive reads that
//! shape with `#[serde(flatten)]` and an internally tagged enum, which first
//! buffer the object into an untyped tree and then decode the tree again
//! for each layer (`Request`, then `Command`), and say what was wrong only
//! in words.
//!
//! Here the object is read once into [`WireRequest`], a slot for every key
//! any command has (`request_field.rs`: a slot holds the value, or that it
//! was absent, or what was wrong with it), and then assembled into the
//! command its `cmd` names. What was wrong is a [`RequestError`]: the
//! field, a [`DecodeErrorKind`], and the request's `id` and `cmd`, so that
//! the relay can refuse the request by a `match`
//! ([`RequestError::code`]) and the page word the refusal in its own
//! languages. [`Request::read`] returns it as it is; the `Deserialize`
//! impl (for lessons, whose steps hold commands) raises it as serde's
//! error, in its words ([`RequestError`]'s `Display`) with serde_json's
//! line and column.
//!
//! Problems are looked for in a fixed order, so a request with several
//! gets the same answer whatever the order of its keys: `cmd` left out
//! or not a string, then a wrong `id`, then a `cmd` that names no
//! command, then the command's fields in the order [`Command`] declares
//! them. What is accepted is what the derive accepted: keys in any order,
//! keys this command does not have ignored (whatever their value),
//! defaults filled in, and `null` refused for every field but `id`. Two
//! differences, for JSON nothing writes: `cmd` must be a name (the derive
//! also took a number, the variant's position; so it did for a socket
//! option written as an array, `[1, 4096]`), and a key given twice is
//! refused.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::error::{DecodeErrorKind, Found, RequestError};
use super::reader::Word;
use super::request_field::{Field, RequestId, Slot};
use crate::{
    Command, Framing, LinkSettings, PathPreset, PathRequest, PathSettings, Payload, Request,
    ShutdownHow, SocketId, SocketOption,
};

impl Request {
    /// Reads one request from `deserializer`, keeping what was wrong with
    /// it typed.
    ///
    /// # Errors
    /// The outer error is the deserializer's own: the input is not JSON
    /// (or ends early). The inner one says which field of a well-formed
    /// value was missing or wrong, or that it was not an object.
    pub fn read<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Result<Request, RequestError>, D::Error> {
        deserializer.deserialize_any(TypedVisitor)
    }
}

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SerdeVisitor)
    }
}

/// Read as a request whose `id` is dropped: a command read alone (a lesson
/// step's `do`) has the same fields, and sharing one decoder keeps the page
/// to one copy of it.
impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Request::deserialize(deserializer).map(|request| request.command)
    }
}

/// Reads a request for [`Request::read`]: anything but an object is a
/// typed error too, its contents skipped over.
struct TypedVisitor;

impl<'de> Visitor<'de> for TypedVisitor {
    type Value = Result<Request, RequestError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a command object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok(WireRequest::read(map)?.assemble())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(not_an_object(Found::Array))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(not_an_object(Found::Null))
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Ok(not_an_object(Found::Bool(value)))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(not_an_object(Found::Integer(i128::from(value))))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(not_an_object(Found::Integer(i128::from(value))))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok(not_an_object(Found::Float(value)))
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(not_an_object(Found::Text(text.to_owned())))
    }
}

#[cold]
fn not_an_object(found: Found) -> Result<Request, RequestError> {
    Err(RequestError {
        request: None,
        command: None,
        field: None,
        kind: DecodeErrorKind::NotAnObject { found },
    })
}

/// Reads a request for `Deserialize`: the typed error becomes serde's,
/// raised inside the object so that serde_json says where it ended.
struct SerdeVisitor;

impl<'de> Visitor<'de> for SerdeVisitor {
    type Value = Request;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a command object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Request, A::Error> {
        WireRequest::read(map)?
            .assemble()
            .map_err(serde::de::Error::custom)
    }
}

/// Every field a request can carry, as read, before `cmd` says which of
/// them make the command. Keys shared by several commands (`socket`,
/// `host`, `port`, `bufsize`, `on`, `payload`) have the same type in all
/// of them, so one slot serves each.
#[derive(Default)]
struct WireRequest<'a> {
    id: Slot<RequestId>,
    cmd: Slot<Word<'a>>,
    socket: Slot<SocketId>,
    host: Slot<String>,
    port: Slot<u16>,
    backlog: Slot<u32>,
    reuse_addr: Slot<bool>,
    auto_accept: Slot<bool>,
    on: Slot<bool>,
    payload: Slot<Payload>,
    repeat: Slot<u32>,
    interval_ms: Slot<u32>,
    framing: Slot<Framing>,
    bufsize: Slot<u32>,
    delay_ms: Slot<u32>,
    option: Slot<SocketOption>,
    how: Slot<ShutdownHow>,
    ports: Slot<Vec<u16>>,
    path: Slot<PathPreset>,
    seed: Slot<u64>,
    mtu: Slot<u16>,
    client_to_server: Slot<LinkSettings>,
    server_to_client: Slot<LinkSettings>,
}

/// Reads the next value into `slot`; a second value for the same key
/// makes the slot wrong.
fn fill<'de, T, A>(map: &mut A, slot: &mut Slot<T>) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    Slot<T>: Deserialize<'de>,
{
    let value: Slot<T> = map.next_value()?;
    *slot = match slot {
        Slot::Absent => value,
        _ => Slot::Wrong(DecodeErrorKind::Duplicate),
    };
    Ok(())
}

impl<'de> WireRequest<'de> {
    /// Reads every key of the object; only JSON that is not JSON fails.
    fn read<A: MapAccess<'de>>(mut map: A) -> Result<WireRequest<'de>, A::Error> {
        let mut wire = WireRequest::default();
        while let Some(key) = map.next_key::<Word<'de>>()? {
            match key.as_str() {
                "id" => fill(&mut map, &mut wire.id)?,
                "cmd" => fill(&mut map, &mut wire.cmd)?,
                "socket" => fill(&mut map, &mut wire.socket)?,
                "host" => fill(&mut map, &mut wire.host)?,
                "port" => fill(&mut map, &mut wire.port)?,
                "backlog" => fill(&mut map, &mut wire.backlog)?,
                "reuse_addr" => fill(&mut map, &mut wire.reuse_addr)?,
                "auto_accept" => fill(&mut map, &mut wire.auto_accept)?,
                "on" => fill(&mut map, &mut wire.on)?,
                "payload" => fill(&mut map, &mut wire.payload)?,
                "repeat" => fill(&mut map, &mut wire.repeat)?,
                "interval_ms" => fill(&mut map, &mut wire.interval_ms)?,
                "framing" => fill(&mut map, &mut wire.framing)?,
                "bufsize" => fill(&mut map, &mut wire.bufsize)?,
                "delay_ms" => fill(&mut map, &mut wire.delay_ms)?,
                "option" => fill(&mut map, &mut wire.option)?,
                "how" => fill(&mut map, &mut wire.how)?,
                "ports" => fill(&mut map, &mut wire.ports)?,
                "path" => fill(&mut map, &mut wire.path)?,
                "seed" => fill(&mut map, &mut wire.seed)?,
                "mtu" => fill(&mut map, &mut wire.mtu)?,
                "client_to_server" => fill(&mut map, &mut wire.client_to_server)?,
                "server_to_client" => fill(&mut map, &mut wire.server_to_client)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(wire)
    }

    /// The request, or its first problem in the order the module's
    /// documentation gives.
    fn assemble(mut self) -> Result<Request, RequestError> {
        let (id, id_problem) = match std::mem::take(&mut self.id) {
            Slot::Absent => (None, None),
            Slot::Given(RequestId(id)) => (Some(id), None),
            Slot::Wrong(kind) => (None, Some(kind)),
        };
        let cmd = match std::mem::take(&mut self.cmd) {
            Slot::Given(cmd) => cmd,
            Slot::Absent => return Err(refused(id, None, Field::Cmd, DecodeErrorKind::Missing)),
            Slot::Wrong(kind) => return Err(refused(id, None, Field::Cmd, kind)),
        };
        if let Some(kind) = id_problem {
            return Err(refused(id, Some(&cmd), Field::Id, kind));
        }
        match self.take_command(cmd.as_str()) {
            Ok(command) => Ok(Request { id, command }),
            Err((field, kind)) => Err(refused(id, Some(&cmd), field, kind)),
        }
    }

    /// The command `cmd` names, with its fields taken in the order
    /// [`Command`] declares them. Defaults are those [`Command`] documents.
    fn take_command(&mut self, cmd: &str) -> Result<Command, (Field, DecodeErrorKind)> {
        Ok(match cmd {
            "tcp_listen" => Command::TcpListen {
                host: need(&mut self.host, Field::Host)?,
                port: need(&mut self.port, Field::Port)?,
                backlog: or(&mut self.backlog, Field::Backlog, 5)?,
                reuse_addr: or(&mut self.reuse_addr, Field::ReuseAddr, false)?,
                auto_accept: or(&mut self.auto_accept, Field::AutoAccept, false)?,
            },
            "tcp_accept" => Command::TcpAccept {
                socket: need(&mut self.socket, Field::Socket)?,
            },
            "auto_accept" => Command::AutoAccept {
                socket: need(&mut self.socket, Field::Socket)?,
                on: need(&mut self.on, Field::On)?,
            },
            "tcp_connect" => Command::TcpConnect {
                host: need(&mut self.host, Field::Host)?,
                port: need(&mut self.port, Field::Port)?,
            },
            "send" => Command::Send {
                socket: need(&mut self.socket, Field::Socket)?,
                payload: need(&mut self.payload, Field::Payload)?,
                repeat: or(&mut self.repeat, Field::Repeat, 1)?,
                interval_ms: or(&mut self.interval_ms, Field::IntervalMs, 0)?,
                framing: or(&mut self.framing, Field::Framing, Framing::None)?,
            },
            "recv" => Command::Recv {
                socket: need(&mut self.socket, Field::Socket)?,
                bufsize: need(&mut self.bufsize, Field::Bufsize)?,
            },
            "auto_read" => Command::AutoRead {
                socket: need(&mut self.socket, Field::Socket)?,
                on: need(&mut self.on, Field::On)?,
                delay_ms: or(&mut self.delay_ms, Field::DelayMs, 0)?,
                bufsize: or(&mut self.bufsize, Field::Bufsize, 1024)?,
            },
            "set_option" => Command::SetOption {
                socket: need(&mut self.socket, Field::Socket)?,
                option: need(&mut self.option, Field::Option)?,
            },
            "shutdown" => Command::Shutdown {
                socket: need(&mut self.socket, Field::Socket)?,
                how: need(&mut self.how, Field::How)?,
            },
            "close" => Command::Close {
                socket: need(&mut self.socket, Field::Socket)?,
            },
            "udp_bind" => Command::UdpBind {
                host: need(&mut self.host, Field::Host)?,
                port: need(&mut self.port, Field::Port)?,
            },
            "send_to" => Command::SendTo {
                socket: need(&mut self.socket, Field::Socket)?,
                host: need(&mut self.host, Field::Host)?,
                port: need(&mut self.port, Field::Port)?,
                payload: need(&mut self.payload, Field::Payload)?,
            },
            "recv_from" => Command::RecvFrom {
                socket: need(&mut self.socket, Field::Socket)?,
                bufsize: need(&mut self.bufsize, Field::Bufsize)?,
            },
            "watch" => Command::Watch {
                ports: need(&mut self.ports, Field::Ports)?,
            },
            "set_path" => {
                let defaults = PathSettings::default();
                Command::SetPath(PathRequest {
                    path: need(&mut self.path, Field::Path)?,
                    seed: or(&mut self.seed, Field::Seed, 0)?,
                    settings: PathSettings {
                        mtu: or(&mut self.mtu, Field::Mtu, defaults.mtu)?,
                        client_to_server: or(
                            &mut self.client_to_server,
                            Field::ClientToServer,
                            LinkSettings::default(),
                        )?,
                        server_to_client: or(
                            &mut self.server_to_client,
                            Field::ServerToClient,
                            LinkSettings::default(),
                        )?,
                    },
                })
            }
            other => {
                return Err((
                    Field::Cmd,
                    DecodeErrorKind::UnknownName {
                        found: other.to_owned(),
                        expected: &Command::NAMES,
                    },
                ));
            }
        })
    }
}

/// The value of a field the command needs.
fn need<T>(slot: &mut Slot<T>, field: Field) -> Result<T, (Field, DecodeErrorKind)> {
    match std::mem::take(slot) {
        Slot::Given(value) => Ok(value),
        Slot::Absent => Err((field, DecodeErrorKind::Missing)),
        Slot::Wrong(kind) => Err((field, kind)),
    }
}

/// The value of a field with a default, or the default when the key was
/// left out.
fn or<T>(slot: &mut Slot<T>, field: Field, default: T) -> Result<T, (Field, DecodeErrorKind)> {
    match std::mem::take(slot) {
        Slot::Given(value) => Ok(value),
        Slot::Absent => Ok(default),
        Slot::Wrong(kind) => Err((field, kind)),
    }
}

#[cold]
fn refused(
    request: Option<u64>,
    cmd: Option<&Word<'_>>,
    field: Field,
    kind: DecodeErrorKind,
) -> RequestError {
    RequestError {
        request,
        command: cmd.map(|cmd| cmd.as_str().to_owned()),
        field: Some(field),
        kind,
    }
}
