//! Making sockets: bind and listen, connect, bind for UDP, and the
//! connections accept() and connect() hand over.
//!
//! Each socket is built with the system calls a learner would write
//! (`socket()`, `setsockopt(SO_REUSEADDR)`, `bind()`, `listen()` or
//! `connect()`), each reported as a call event, and then handed to a task
//! of its own ([`crate::sockets`]) that owns it from there.
//!
//! In a network lab each socket is made inside the namespace of its side
//! ([`super::path`]); from there on it is used like any other.
//!
//! The capture must be watching a socket's port before its first packet:
//! before a connect's SYN, and before a listener or a UDP socket is
//! announced to peers. The filter takes the capture thread a moment, so a
//! new socket waits for it in a slow step ([`super::steps`]) and a connect
//! waits in its own task, never on the session.

use std::{net::SocketAddr, os::fd::AsFd, time::Duration};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use sockscope_shared::{
    Call, CallEvent, CallResult, EventKind, SocketId, TcpState, Transport, WaitReason,
};
use tokio::{
    net::{TcpListener, TcpSocket, UdpSocket},
    sync::mpsc,
};

use super::{Session, path::Placement, policy::Refusal, steps::Asked};
use crate::{
    clock,
    sockets::{self, Context, Kind, Notice, Op, SocketHandle, kernel, report::After},
};

/// How long connect() may wait for an answer before the page is told it
/// timed out.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a listen command asks for besides the address.
#[derive(Debug, Clone, Copy)]
pub struct ListenOptions {
    pub backlog: u32,
    pub reuse_addr: bool,
    pub auto_accept: bool,
}

impl Session {
    fn new_id(&mut self) -> SocketId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// socket(), SO_REUSEADDR, bind(); then, once the capture watches the
    /// port, listen().
    pub(super) fn listen(
        &mut self,
        asked: Asked,
        addr: SocketAddr,
        options: ListenOptions,
    ) -> Result<(), Refusal> {
        let request = asked.request;
        let id = self.new_id();
        let mut report = sockets::Reporter::new(id, Transport::Tcp, self.events.clone());
        let bind_call = Call::Bind {
            addr: addr.to_string(),
            reuse_addr: options.reuse_addr,
        };
        let reuse_addr = options.reuse_addr;
        let made = self.make_socket(Placement::Bound(addr), || {
            bound_socket(addr, Type::STREAM, Protocol::TCP, reuse_addr)
        });
        let socket = match made {
            Ok(socket) => socket,
            Err(err) => {
                let result = CallResult::Error(sockets::describe(&err, Context::Bind(addr)));
                report.call(request, bind_call, result, After::default());
                return Ok(());
            }
        };
        let bound_at = clock::now_us();
        let local = socket.local_addr().ok().and_then(|a| a.as_socket());
        let after = After {
            local,
            ..After::default()
        };
        report.call(request, bind_call, CallResult::Ok, after);
        let applied = self.capture.add_port(local.map_or(0, |l| l.port()));
        self.opening.insert(id);
        self.after_filter(asked, Some(id), applied, move |session| {
            session.opening.remove(&id);
            let bound = Bound {
                id,
                request,
                local,
                since_us: bound_at,
            };
            session.start_listening(bound, socket, options, report);
            Ok(())
        })
    }

    fn start_listening(
        &mut self,
        bound: Bound,
        socket: Socket,
        options: ListenOptions,
        mut report: sockets::Reporter,
    ) {
        let Bound {
            id,
            request,
            local,
            since_us,
        } = bound;
        let listen_call = Call::Listen {
            backlog: options.backlog,
        };
        let backlog = i32::try_from(options.backlog).unwrap_or(i32::MAX);
        let listener = socket
            .listen(backlog)
            .and_then(|()| TcpListener::from_std(socket.into()));
        match listener {
            Ok(listener) => {
                let after = After {
                    local,
                    state: kernel::tcp_state(&listener),
                    ..After::default()
                };
                report.call(request, listen_call, CallResult::Ok, after);
                let ops = sockets::spawn_listener(
                    id,
                    listener,
                    options.auto_accept,
                    self.events.clone(),
                    self.notices_tx.clone(),
                );
                self.register(id, Kind::Listener, local, None, ops, since_us);
            }
            Err(err) => {
                let result = CallResult::Error(sockets::describe(&err, Context::Listen));
                let after = After {
                    local,
                    ..After::default()
                };
                report.call(request, listen_call, result, after);
            }
        }
    }

    /// A socket bound to an ephemeral port, then connect() in a task of its
    /// own once the capture watches the destination port.
    pub(super) fn connect(&mut self, request: Option<u64>, addr: SocketAddr) {
        let id = self.new_id();
        let started_us = clock::now_us();
        // The SYN leaves the moment connect() is called: the capture must
        // already be watching the port, and know which socket sends it.
        // Binding to an ephemeral port first tells us that socket's port.
        let applied = self.capture.add_port(addr.port());
        let made = self.make_socket(Placement::Reaching(addr), || unconnected_stream(addr));
        let socket = match made {
            Ok(socket) => socket,
            Err(err) => {
                let result = CallResult::Error(sockets::describe(&err, Context::Connect(addr)));
                let call = Call::Connect {
                    addr: addr.to_string(),
                };
                self.emit_call(started_us, id, request, call, result, After::default());
                return;
            }
        };
        let bound = socket.local_addr().ok();
        if let Some(local) = bound {
            self.capture
                .register(id, Transport::Tcp, local, Some(addr), started_us);
        }
        self.connecting.insert(id);
        let notices = self.notices_tx.clone();
        let mut report = sockets::Reporter::new(id, Transport::Tcp, self.events.clone());
        // A second descriptor of the same socket, to ask the kernel how
        // the handshake stands while connect() owns the first.
        let probe = socket.as_fd().try_clone_to_owned().ok();
        tokio::spawn(async move {
            applied.wait().await;
            let connecting = tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(addr));
            let mut connecting = std::pin::pin!(connecting);
            let at_once = tokio::select! {
                biased;
                result = &mut connecting => Some(result),
                () = std::future::ready(()) => None,
            };
            // The connect() system call has run. On loopback the handshake
            // is over inside it, though the runtime has not yet been told;
            // if the SYN is still unanswered, the page shows connect()
            // waiting until it returns.
            let unanswered = probe
                .as_ref()
                .is_some_and(|fd| kernel::tcp_state(fd) == Some(TcpState::SynSent));
            drop(probe);
            let result = match at_once {
                Some(result) => result,
                None => {
                    if unanswered {
                        let call = Call::Connect {
                            addr: addr.to_string(),
                        };
                        report.waiting(request, call, WaitReason::NoAnswer);
                    }
                    connecting.await
                }
            };
            let result = match result {
                Ok(result) => result,
                Err(_) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut)),
            };
            let _ = notices
                .send(Notice::Connected {
                    socket: id,
                    request,
                    addr,
                    bound,
                    started_us,
                    t_us: clock::now_us(),
                    result,
                })
                .await;
        });
    }

    /// socket(), bind(); then, once the capture watches the port, the
    /// socket's task.
    pub(super) fn udp_bind(&mut self, asked: Asked, addr: SocketAddr) -> Result<(), Refusal> {
        let request = asked.request;
        let id = self.new_id();
        let mut report = sockets::Reporter::new(id, Transport::Udp, self.events.clone());
        let call = Call::Bind {
            addr: addr.to_string(),
            reuse_addr: false,
        };
        let udp = self
            .make_socket(Placement::Bound(addr), || {
                bound_socket(addr, Type::DGRAM, Protocol::UDP, false)
            })
            .and_then(|socket| UdpSocket::from_std(socket.into()));
        let udp = match udp {
            Ok(udp) => udp,
            Err(err) => {
                let result = CallResult::Error(sockets::describe(&err, Context::Bind(addr)));
                report.call(request, call, result, After::default());
                return Ok(());
            }
        };
        let local = udp.local_addr().ok();
        let after = After {
            local,
            ..After::default()
        };
        report.call(request, call, CallResult::Ok, after);
        let applied = self.capture.add_port(local.map_or(0, |l| l.port()));
        self.opening.insert(id);
        self.after_filter(asked, Some(id), applied, move |session| {
            session.opening.remove(&id);
            let ops =
                sockets::spawn_udp(id, udp, session.events.clone(), session.notices_tx.clone());
            session.register(id, Kind::Udp, local, None, ops, clock::now_us());
            Ok(())
        })
    }

    fn register(
        &mut self,
        id: SocketId,
        kind: Kind,
        local: Option<SocketAddr>,
        peer: Option<SocketAddr>,
        ops: mpsc::Sender<Op>,
        since_us: u64,
    ) {
        if let Some(local) = local {
            self.capture
                .register(id, kind.transport(), local, peer, since_us);
            self.sockets.insert(id, SocketHandle { kind, local, ops });
        }
    }

    /// What the socket tasks report: new connections, and closed sockets.
    pub(super) fn on_notice(&mut self, notice: Notice) {
        match notice {
            Notice::Accepted {
                listener,
                request,
                stream,
                peer,
                t_us,
            } => {
                let local = stream.local_addr().ok();
                let state = kernel::tcp_state(&stream);
                let id = self.new_id();
                let ops =
                    sockets::spawn_stream(id, stream, self.events.clone(), self.notices_tx.clone());
                self.register(id, Kind::Stream, local, Some(peer), ops, t_us);
                let result = CallResult::Accepted {
                    new_socket: id,
                    peer: peer.to_string(),
                };
                let after = After {
                    local,
                    peer: Some(peer),
                    state,
                };
                self.emit_call(t_us, listener, request, Call::Accept, result, after);
            }
            Notice::Connected {
                socket,
                request,
                addr,
                bound,
                started_us,
                t_us,
                result,
            } => {
                self.connecting.remove(&socket);
                let call = Call::Connect {
                    addr: addr.to_string(),
                };
                match result {
                    Ok(stream) => {
                        let local = stream.local_addr().ok();
                        let state = kernel::tcp_state(&stream);
                        // The destination port is already watched, which
                        // covers the connection's packets: its own port
                        // is not added. (A new filter makes libpcap drop
                        // what it holds under the old one, the packets
                        // crossing at this very moment.)
                        let ops = sockets::spawn_stream(
                            socket,
                            stream,
                            self.events.clone(),
                            self.notices_tx.clone(),
                        );
                        self.register(socket, Kind::Stream, local, Some(addr), ops, started_us);
                        let after = After {
                            local,
                            peer: Some(addr),
                            state,
                        };
                        self.emit_call(t_us, socket, request, call, CallResult::Ok, after);
                    }
                    Err(err) => {
                        let result =
                            CallResult::Error(sockets::describe(&err, Context::Connect(addr)));
                        // The port the SYN left from, so the page can name
                        // the lane of a refused connection.
                        let after = After {
                            local: bound,
                            ..After::default()
                        };
                        self.emit_call(t_us, socket, request, call, result, after);
                    }
                }
            }
            Notice::Lingers { socket, tcp } => self.lingering.follow(socket, tcp),
            Notice::Closed { socket, tcp } => {
                self.sockets.remove(&socket);
                if let Some(connection) = tcp
                    && !self.lingering.follows(socket)
                {
                    self.lingering.follow(socket, connection);
                }
            }
        }
    }

    /// Reports a TCP call the session itself saw return (accept, connect).
    fn emit_call(
        &self,
        t_us: u64,
        socket: SocketId,
        request: Option<u64>,
        call: Call,
        result: CallResult,
        after: After,
    ) {
        self.events.emit_at(
            t_us,
            EventKind::Call(CallEvent {
                socket,
                request,
                transport: Transport::Tcp,
                call,
                result,
                local: after.local.map(|a| a.to_string()),
                peer: after.peer.map(|a| a.to_string()),
                state: after.state,
            }),
        );
    }
}

/// A socket bound and reported, waiting for the capture before its next
/// step.
struct Bound {
    id: SocketId,
    request: Option<u64>,
    local: Option<SocketAddr>,
    /// When bind() returned: the socket owns its packets from then on.
    since_us: u64,
}

/// socket(), SO_REUSEADDR when asked, bind(): the steps before listen().
fn bound_socket(
    addr: SocketAddr,
    kind: Type,
    protocol: Protocol,
    reuse_addr: bool,
) -> std::io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), kind, Some(protocol))?;
    socket.set_reuse_address(reuse_addr)?;
    socket.set_nonblocking(true)?;
    socket.bind(&SockAddr::from(addr))?;
    Ok(socket)
}

/// A TCP socket bound to an ephemeral port, ready to connect to `addr`.
fn unconnected_stream(addr: SocketAddr) -> std::io::Result<TcpSocket> {
    let (socket, any) = if addr.is_ipv4() {
        (TcpSocket::new_v4()?, SocketAddr::from(([0, 0, 0, 0], 0)))
    } else {
        (TcpSocket::new_v6()?, SocketAddr::from(([0u16; 8], 0)))
    };
    socket.bind(any)?;
    Ok(socket)
}
