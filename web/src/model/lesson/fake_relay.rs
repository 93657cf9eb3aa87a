//! A pretend relay for the runner's native tests: it answers each command
//! with the events the real relay sends for it (same shapes, same request
//! ids, socket ids handed out in its own order), over a toy loopback
//! network of byte queues and datagram queues.
//!
//! It is deliberately small: no segments, no states, no timing. What it
//! must get right is what the runner reads: which event carries a new
//! socket's id, that a send with `repeat` makes that many events, that a
//! recv returns what was sent (glued, as TCP does) and a recvfrom one
//! datagram, cut to the buffer. An accept with nobody waiting and a recv
//! with nothing to read block, as on the real relay, and are answered once
//! a later command makes them possible. A command over the limits its
//! hello announces is refused as the relay refuses it, by the protocol
//! crate's own check ([`Limits::check`]). `set_path` to loopback is
//! answered with a `path` event; a lab path is refused as by a relay
//! without a lab, unless the session was made [`FakeRelay::with_lab`],
//! which answers as a lab would and keeps its toy network.

use std::collections::{HashMap, VecDeque};

use sockscope_shared::{
    Bytes, Call, CallEvent, CallResult, Capabilities, CaptureState, Command, CommandError,
    ErrorCode, Event, EventKind, Hello, LabAvailability, LabHost, LabPath, Limits, OsError,
    PathState, Request, SocketId, Transport,
};

use crate::model::Model;

#[derive(Debug, Default)]
struct Sock {
    local: String,
    /// The other end of a TCP connection.
    peer: Option<SocketId>,
    /// Bytes sent to this socket and not read yet.
    inbox: VecDeque<u8>,
    /// Datagrams sent to this UDP socket: (from, data).
    datagrams: VecDeque<(String, Vec<u8>)>,
    /// The peer closed: recv returns end of stream once the inbox is empty.
    peer_closed: bool,
}

/// The pretend relay of one session.
#[derive(Debug)]
pub struct FakeRelay {
    pub events: Vec<Event>,
    sockets: HashMap<SocketId, Sock>,
    /// Listening port → listener id, and connections waiting for accept().
    listeners: HashMap<u16, (SocketId, VecDeque<SocketId>)>,
    next_id: SocketId,
    t_us: u64,
    /// Requests that would block, retried after every other one.
    blocked: Vec<Request>,
    /// The limits announced in the hello.
    limits: Limits,
    /// Whether lab paths are answered as a lab would.
    lab: bool,
}

impl FakeRelay {
    /// A session whose hello is stamped `t_us` and whose socket ids start
    /// at `first_id` (the real relay starts at 1; tests start elsewhere so
    /// lesson numbers and relay ids differ).
    pub fn new(t_us: u64, first_id: SocketId) -> FakeRelay {
        let mut relay = FakeRelay {
            events: Vec::new(),
            sockets: HashMap::new(),
            listeners: HashMap::new(),
            next_id: first_id,
            t_us,
            blocked: Vec::new(),
            limits: Limits::default(),
            lab: false,
        };
        relay.push(EventKind::Hello(Hello {
            protocol_version: 1,
            relay_version: "test".into(),
            capabilities: Capabilities {
                capture: CaptureState::On {
                    interface: "lo".into(),
                },
                allow_remote: false,
                lab: None,
            },
            limits: relay.limits,
        }));
        relay
    }

    /// The same session on a relay that can build labs.
    pub fn with_lab(mut self) -> FakeRelay {
        self.lab = true;
        if let Some(EventKind::Hello(hello)) = self.events.first_mut().map(|e| &mut e.kind) {
            hello.capabilities.lab = Some(LabAvailability::On);
        }
        self
    }

    pub fn model(&self) -> Model {
        Model::from_events(self.events.clone())
    }

    /// Every call event's label, as the diagram shows them, in order.
    pub fn labels(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Call(call) => Some(crate::model::describe::call_event_label(call)),
                _ => None,
            })
            .collect()
    }

    fn push(&mut self, kind: EventKind) {
        self.events.push(Event {
            index: self.events.len() as u64,
            t_us: self.t_us,
            kind,
        });
        self.t_us += 10;
    }

    fn call(&mut self, socket: SocketId, request: Option<u64>, call: Call, result: CallResult) {
        let transport = if matches!(call, Call::SendTo { .. } | Call::RecvFrom { .. })
            || self
                .sockets
                .get(&socket)
                .is_some_and(|s| s.local.starts_with("udp"))
        {
            Transport::Udp
        } else {
            Transport::Tcp
        };
        let local = self
            .sockets
            .get(&socket)
            .map(|s| s.local.trim_start_matches("udp ").to_string());
        self.push(EventKind::Call(CallEvent {
            socket,
            request,
            transport,
            call,
            result,
            local,
            peer: None,
            state: None,
        }));
    }

    fn new_socket(&mut self, local: String) -> SocketId {
        let id = self.next_id;
        self.next_id += 1;
        self.sockets.insert(
            id,
            Sock {
                local,
                ..Sock::default()
            },
        );
        id
    }

    fn error(errno: &str) -> CallResult {
        CallResult::Error(OsError {
            errno: errno.into(),
            code: 1,
            message: errno.into(),
        })
    }

    /// Runs one request and records the events it causes, then any
    /// blocked request it unblocked.
    pub fn answer(&mut self, request: &Request) {
        if let Err(error) = self.limits.check(&request.command) {
            let refusal = error.refusal(request.id, request.command.name());
            self.push(EventKind::CommandError(refusal));
            return;
        }
        if !self.try_answer(request) {
            self.blocked.push(request.clone());
        }
        loop {
            let before = self.blocked.len();
            let blocked = std::mem::take(&mut self.blocked);
            for request in blocked {
                if !self.try_answer(&request) {
                    self.blocked.push(request);
                }
            }
            if self.blocked.len() == before {
                return;
            }
        }
    }

    /// Runs one request; `false` when it would block.
    fn try_answer(&mut self, request: &Request) -> bool {
        let id = request.id;
        match request.command.clone() {
            Command::TcpListen { port, backlog, .. } => {
                let busy = self.listeners.contains_key(&port);
                let socket = self.new_socket(format!("127.0.0.1:{port}"));
                let addr = format!("127.0.0.1:{port}");
                if busy {
                    let call = Call::Bind {
                        addr,
                        reuse_addr: false,
                    };
                    self.call(socket, id, call, Self::error("EADDRINUSE"));
                    return true;
                }
                let call = Call::Bind {
                    addr,
                    reuse_addr: true,
                };
                self.call(socket, id, call, CallResult::Ok);
                self.listeners.insert(port, (socket, VecDeque::new()));
                self.call(socket, id, Call::Listen { backlog }, CallResult::Ok);
            }
            Command::TcpConnect { port, .. } => {
                let socket = self.new_socket(format!("127.0.0.1:{}", 40_000 + self.next_id));
                let addr = format!("127.0.0.1:{port}");
                match self.listeners.get_mut(&port) {
                    Some((_, queue)) => {
                        queue.push_back(socket);
                        self.call(socket, id, Call::Connect { addr }, CallResult::Ok);
                    }
                    None => {
                        let refused = Self::error("ECONNREFUSED");
                        self.call(socket, id, Call::Connect { addr }, refused);
                    }
                }
            }
            Command::TcpAccept { socket } => {
                let port = self
                    .listeners
                    .iter()
                    .find(|(_, (l, _))| *l == socket)
                    .map(|(p, _)| *p);
                let Some(port) = port else {
                    return self.refuse(id, "tcp_accept");
                };
                let client = self
                    .listeners
                    .get_mut(&port)
                    .and_then(|(_, q)| q.pop_front());
                // Nobody waiting: a real accept() blocks; so does this one.
                let Some(client) = client else { return false };
                let new = self.new_socket(format!("127.0.0.1:{port}"));
                if let Some(s) = self.sockets.get_mut(&new) {
                    s.peer = Some(client);
                }
                if let Some(s) = self.sockets.get_mut(&client) {
                    s.peer = Some(new);
                }
                let peer = format!("127.0.0.1:{}", 40_000 + client);
                let result = CallResult::Accepted {
                    new_socket: new,
                    peer,
                };
                self.call(socket, id, Call::Accept, result);
            }
            Command::Send {
                socket,
                payload,
                repeat,
                framing,
                ..
            } => {
                let body = payload.to_bytes();
                let mut data = framing.header(body.len()).unwrap_or_default();
                data.extend(body);
                let Some(peer) = self.sockets.get(&socket).and_then(|s| s.peer) else {
                    return self.refuse(id, "send");
                };
                for message in 0..repeat {
                    if let Some(p) = self.sockets.get_mut(&peer) {
                        p.inbox.extend(data.iter().copied());
                    }
                    let call = Call::Send {
                        data: Bytes::from(&data[..]),
                        offset: 0,
                        message,
                        framing,
                    };
                    let sent = CallResult::Sent {
                        bytes: data.len() as u64,
                    };
                    self.call(socket, id, call, sent);
                }
            }
            Command::Recv { socket, bufsize } => {
                let Some(s) = self.sockets.get_mut(&socket) else {
                    return self.refuse(id, "recv");
                };
                let take = s.inbox.len().min(bufsize as usize);
                let result = if take > 0 {
                    CallResult::Data {
                        data: Bytes::from(s.inbox.drain(..take).collect::<Vec<u8>>()),
                        offset: 0,
                    }
                } else if s.peer_closed {
                    CallResult::EndOfStream { offset: 0 }
                } else {
                    return false;
                };
                self.call(socket, id, Call::Recv { bufsize }, result);
            }
            Command::UdpBind { host, port } => {
                let socket = self.new_socket(String::new());
                let port = if port == 0 {
                    50_000 + u16::try_from(self.next_id).unwrap_or(0)
                } else {
                    port
                };
                // Datagrams find their socket by address: a lab lesson's
                // server binds the lab's address, not loopback's.
                let addr = format!("{host}:{port}");
                if let Some(s) = self.sockets.get_mut(&socket) {
                    s.local = format!("udp {addr}");
                }
                let call = Call::Bind {
                    addr,
                    reuse_addr: false,
                };
                self.call(socket, id, call, CallResult::Ok);
            }
            Command::SendTo {
                socket,
                host,
                port,
                payload,
            } => {
                let data = payload.to_bytes();
                let to = format!("{host}:{port}");
                let from = self
                    .sockets
                    .get(&socket)
                    .map(|s| s.local.trim_start_matches("udp ").to_string())
                    .unwrap_or_default();
                let target = self
                    .sockets
                    .values_mut()
                    .find(|s| s.local == format!("udp {to}"));
                if let Some(target) = target {
                    target.datagrams.push_back((from, data.clone()));
                }
                let call = Call::SendTo {
                    addr: to,
                    data: Bytes::from(&data[..]),
                };
                let sent = CallResult::Sent {
                    bytes: data.len() as u64,
                };
                self.call(socket, id, call, sent);
            }
            Command::RecvFrom { socket, bufsize } => {
                let Some((from, data)) = self
                    .sockets
                    .get_mut(&socket)
                    .and_then(|s| s.datagrams.pop_front())
                else {
                    return false;
                };
                let kept = data.len().min(bufsize as usize);
                let result = CallResult::Datagram {
                    from,
                    data: Bytes::from(data.get(..kept).unwrap_or_default()),
                    datagram_len: u32::try_from(data.len()).unwrap_or(u32::MAX),
                };
                self.call(socket, id, Call::RecvFrom { bufsize }, result);
            }
            Command::Close { socket } => {
                let peer = self.sockets.get(&socket).and_then(|s| s.peer);
                if let Some(p) = peer.and_then(|p| self.sockets.get_mut(&p)) {
                    p.peer_closed = true;
                }
                self.listeners.retain(|_, (l, _)| *l != socket);
                self.call(socket, id, Call::Close, CallResult::Ok);
                self.sockets.remove(&socket);
            }
            Command::SetOption { socket, option } => {
                self.call(socket, id, Call::SetOption { option }, CallResult::Ok);
            }
            Command::Shutdown { socket, how } => {
                let peer = self.sockets.get(&socket).and_then(|s| s.peer);
                if let Some(p) = peer.and_then(|p| self.sockets.get_mut(&p)) {
                    p.peer_closed = true;
                }
                self.call(socket, id, Call::Shutdown { how }, CallResult::Ok);
            }
            Command::AutoAccept { .. } | Command::AutoRead { .. } | Command::Watch { .. } => {}
            Command::SetPath(path) if self.lab || !path.path.is_lab() => {
                let host = |n: u8| LabHost {
                    ipv4: format!("10.77.0.{n}"),
                    ipv6: Some(format!("fd77::{n}")),
                };
                let lab = path.path.is_lab().then(|| LabPath {
                    settings: path.path.settings().unwrap_or(path.settings.clone()),
                    client: host(1),
                    server: host(2),
                });
                self.push(EventKind::Path(Box::new(PathState {
                    request: id,
                    path: path.path,
                    seed: path.seed,
                    lab,
                })));
            }
            Command::SetPath(_) => {
                self.push(EventKind::CommandError(CommandError {
                    request: id,
                    command: Some("set_path".into()),
                    code: ErrorCode::LabUnavailable,
                    message: "this page runs without a relay, and so without a network lab: \
                              start sockscope and open the page it serves"
                        .into(),
                    field: None,
                    limit: None,
                }));
            }
        }
        true
    }

    fn refuse(&mut self, request: Option<u64>, command: &str) -> bool {
        self.push(EventKind::CommandError(CommandError {
            request,
            command: Some(command.into()),
            code: ErrorCode::UnknownSocket,
            message: format!("{command}: no such socket"),
            field: Some("socket".into()),
            limit: None,
        }));
        true
    }
}

#[cfg(test)]
mod tests {
    use sockscope_shared::Limit;

    use super::*;

    /// A step over the limits is refused as the relay refuses it: the
    /// same code, field and range, from the same check.
    #[test]
    fn a_command_over_the_limits_is_refused_as_the_relay_refuses_it() {
        let mut relay = FakeRelay::new(0, 1);
        let max = Limits::default().max_bufsize;
        relay.answer(&Request {
            id: Some(3),
            command: Command::Recv {
                socket: 1,
                bufsize: max + 1,
            },
        });
        let Some(EventKind::CommandError(refusal)) = relay.events.last().map(|e| &e.kind) else {
            panic!("no refusal: {:?}", relay.events);
        };
        assert_eq!(
            (refusal.request, refusal.code, refusal.field.as_deref()),
            (Some(3), ErrorCode::BufsizeOutOfRange, Some("bufsize"))
        );
        assert_eq!(
            refusal.limit,
            Some(Limit {
                found: u64::from(max) + 1,
                min: 1,
                max: u64::from(max),
            })
        );
    }
}
