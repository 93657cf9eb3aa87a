//! One page's session: its sockets, its capture and its events.
//!
//! The session task reads requests one at a time, checks each against the
//! limits and the socket it names, and either refuses it with a
//! `command_error` event or hands it to the socket's task. Everything the
//! session owns is dropped with it, which closes every socket the page
//! opened.
//!
//! The session never awaits a socket, nor anything else slow: it only
//! reacts to messages (requests, notices from socket tasks, finished slow
//! steps, packets, readings of the kernel's table), each handled at once.
//! Anything that may wait runs in a task of its own and reports back:
//! connects, name lookups and the capture filter ([`steps`]), reading
//! `/proc` ([`lingering`]). So a slow connect, a slow name lookup or a
//! capture restart never holds up a recv on another socket.
//!
//! - [`policy`]: which addresses, ports and sizes a page may ask for.
//! - [`resolve`]: host names to addresses, through an injectable resolver.
//! - [`steps`]: running slow steps off the session, in order per socket.
//! - [`open`]: making sockets: listen, connect, bind; accepted connections.
//! - [`lingering`]: closed connections followed through TIME_WAIT.
//! - [`watched`]: the counters of other programs' connections on watched
//!   ports, through sock_diag.

mod lingering;
mod open;
mod path;
mod policy;
mod resolve;
mod steps;
mod watched;

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    sync::Arc,
};

use sockscope_shared::{
    CaptureState, Command, ErrorCode, EventKind, LabAvailability, Request, SocketId,
};
use tokio::sync::mpsc;

pub use self::resolve::{Resolve, SystemResolver};
use self::{
    lingering::Lingering,
    open::ListenOptions,
    path::SessionPath,
    policy::{Refusal, Role},
    steps::{Asked, Steps},
    watched::Watched,
};
use crate::{
    Config,
    events::EventTx,
    segments::SessionCapture,
    sockets::{Kind, Notice, Op, SocketHandle},
};

/// One page's sockets and capture.
pub struct Session {
    config: Arc<Config>,
    events: EventTx,
    sockets: HashMap<SocketId, SocketHandle>,
    /// Sockets whose connect() has not returned yet.
    connecting: HashSet<SocketId>,
    /// New sockets waiting for the capture filter before they are handed
    /// to their task.
    opening: HashSet<SocketId>,
    next_id: SocketId,
    notices_tx: mpsc::Sender<Notice>,
    notices: mpsc::Receiver<Notice>,
    steps: Steps,
    lingering: Lingering,
    watched: Watched,
    capture: SessionCapture,
    /// Whether the relay may capture here, to start captures in a lab.
    capture_state: CaptureState,
    /// Whether the relay may build labs.
    lab_availability: LabAvailability,
    /// Loopback, or the lab the sockets live in.
    path: SessionPath,
    /// Requests that arrived while a lab was being built, in order.
    waiting_for_path: std::collections::VecDeque<Request>,
}

impl Session {
    pub fn new(
        config: Arc<Config>,
        capture_state: CaptureState,
        lab_availability: LabAvailability,
        events: EventTx,
    ) -> Session {
        let (notices_tx, notices) = mpsc::channel(256);
        let capture = SessionCapture::new(&capture_state, &config, events.clone());
        Session {
            config,
            events,
            sockets: HashMap::new(),
            connecting: HashSet::new(),
            opening: HashSet::new(),
            next_id: 1,
            notices_tx,
            notices,
            steps: Steps::new(),
            lingering: Lingering::new(),
            watched: Watched::new(),
            capture,
            capture_state,
            lab_availability,
            path: SessionPath::Loopback,
            waiting_for_path: std::collections::VecDeque::new(),
        }
    }

    /// Serves requests until the page goes away.
    pub async fn run(mut self, mut requests: mpsc::Receiver<Request>) {
        loop {
            // The relay's own sockets, whose counters their tasks report.
            let own: HashSet<SocketAddr> = self.sockets.values().map(|s| s.local).collect();
            tokio::select! {
                // The lab's reports first: a drop is reported the moment
                // the path decides it, long before a retransmission of the
                // same bytes can be captured, and must meet its packet
                // before that retransmission's arrival does.
                biased;
                news = self.path.next() => self.on_lab_news(news),
                request = requests.recv() => match request {
                    Some(request) => self.handle(request),
                    None => return,
                },
                Some(notice) = self.notices.recv() => self.on_notice(notice),
                Some(resume) = self.steps.done.recv() => {
                    self.resume(resume);
                    self.after_path_built();
                }
                () = self.capture.next() => {}
                () = self.lingering.next(&self.events) => {}
                () = self.watched.next(&self.events, &own) => {}
            }
        }
    }

    fn handle(&mut self, request: Request) {
        if matches!(self.path, SessionPath::Building) {
            // The sockets' world is being built: everything waits for it.
            if self.waiting_for_path.len() < 256 {
                self.waiting_for_path.push_back(request);
            } else {
                let asked = Asked {
                    request: request.id,
                    command: request.command.name(),
                };
                let refusal = Refusal::new(
                    ErrorCode::LimitReached,
                    "too many commands wait for the lab being built; wait for the path event",
                );
                self.report(asked, Err(refusal));
            }
            return;
        }
        let Some(request) = self.hold_if_busy(request) else {
            return;
        };
        let asked = Asked {
            request: request.id,
            command: request.command.name(),
        };
        // The protocol crate's one check of the limits, which the page's
        // forms and the lessons' stand-in relay run too.
        let result = match self.config.limits.check(&request.command) {
            Ok(()) => self.dispatch(asked, request.command),
            Err(limit) => Err(limit.into()),
        };
        self.report(asked, result);
    }

    /// Runs the requests that waited for a lab, once it is built (or not).
    fn after_path_built(&mut self) {
        while !matches!(self.path, SessionPath::Building) {
            let Some(request) = self.waiting_for_path.pop_front() else {
                return;
            };
            self.handle(request);
        }
    }

    /// Tells the page why a command was refused, if it was.
    fn report(&self, asked: Asked, result: Result<(), Refusal>) {
        if let Err(refusal) = result {
            let error = refusal.to_command_error(asked.request, asked.command);
            self.events.emit(EventKind::CommandError(error));
        }
    }

    fn dispatch(&mut self, asked: Asked, command: Command) -> Result<(), Refusal> {
        let request = asked.request;
        match command {
            Command::TcpListen {
                host,
                port,
                backlog,
                reuse_addr,
                auto_accept,
            } => {
                let options = ListenOptions {
                    backlog,
                    reuse_addr,
                    auto_accept,
                };
                self.open_at(asked, &host, port, Role::Bind, move |session, addr| {
                    session.listen(asked, addr, options)
                })
            }
            Command::TcpAccept { socket } => {
                self.op(socket, Kind::Listener, "accept", Op::Accept { request })
            }
            Command::AutoAccept { socket, on } => {
                self.op(socket, Kind::Listener, "auto_accept", Op::AutoAccept { on })
            }
            Command::TcpConnect { host, port } => {
                self.open_at(asked, &host, port, Role::Reach, move |session, addr| {
                    session.connect(request, addr);
                    Ok(())
                })
            }
            Command::Send {
                socket,
                payload,
                repeat,
                interval_ms,
                framing,
            } => {
                let message = policy::framed_message(&payload.to_bytes(), framing);
                let interval = policy::interval(interval_ms);
                let send = Op::Send {
                    request,
                    message,
                    repeat,
                    interval,
                    framing,
                };
                self.op(socket, Kind::Stream, "send", send)
            }
            Command::Recv { socket, bufsize } => {
                self.op(socket, Kind::Stream, "recv", Op::Recv { request, bufsize })
            }
            Command::AutoRead {
                socket,
                on,
                delay_ms,
                bufsize,
            } => {
                let delay = policy::auto_read_delay(delay_ms);
                let auto = Op::AutoRead { on, delay, bufsize };
                self.op(socket, Kind::Stream, "auto_read", auto)
            }
            Command::SetOption { socket, option } => {
                let set = Op::SetOption { request, option };
                self.op(socket, Kind::Stream, "set_option", set)
            }
            Command::Shutdown { socket, how } => {
                let shutdown = Op::Shutdown { request, how };
                self.op(socket, Kind::Stream, "shutdown", shutdown)
            }
            Command::Close { socket } => {
                let handle = self.handle_of(socket)?;
                send_op(handle, Op::Close { request })?;
                self.sockets.remove(&socket);
                Ok(())
            }
            Command::UdpBind { host, port } => {
                self.open_at(asked, &host, port, Role::Bind, move |session, addr| {
                    session.udp_bind(asked, addr)
                })
            }
            Command::SendTo {
                socket,
                host,
                port,
                payload,
            } => {
                let on = Some(socket);
                self.with_address(asked, on, &host, port, Role::Reach, move |session, to| {
                    let data = payload.to_bytes();
                    // The datagram must not leave before the capture
                    // watches its port.
                    let applied = session.capture.add_port(port);
                    session.after_filter(asked, on, applied, move |session| {
                        let send_to = Op::SendTo { request, to, data };
                        session.op(socket, Kind::Udp, "send_to", send_to)
                    })
                })
            }
            Command::RecvFrom { socket, bufsize } => {
                let recv_from = Op::RecvFrom { request, bufsize };
                self.op(socket, Kind::Udp, "recv_from", recv_from)
            }
            Command::SetPath(path) => self.set_path(asked, path),
            Command::Watch { ports } => {
                if ports.contains(&0) {
                    return Err(Refusal::new(ErrorCode::BadPort, "port 0 cannot be watched"));
                }
                // The new filter takes effect in its own time; a failure is
                // reported by the capture itself.
                let watched = ports.clone();
                self.capture
                    .watch(ports)
                    .map_err(|off| Refusal::new(ErrorCode::LimitReached, off.to_string()))?;
                self.watched.set_ports(watched, request);
                Ok(())
            }
        }
    }

    /// Finds `host:port` for a command that opens a new socket, then
    /// opens it with `open` if the session still has room for one: the
    /// room is counted once the address is known, as a slow lookup may
    /// end after other sockets were opened.
    fn open_at<F>(
        &mut self,
        asked: Asked,
        host: &str,
        port: u16,
        role: Role,
        open: F,
    ) -> Result<(), Refusal>
    where
        F: FnOnce(&mut Session, SocketAddr) -> Result<(), Refusal> + Send + 'static,
    {
        self.with_address(asked, None, host, port, role, move |session, addr| {
            session.check_room()?;
            open(session, addr)
        })
    }

    fn check_room(&self) -> Result<(), Refusal> {
        let open = self.sockets.len() + self.connecting.len() + self.opening.len();
        Ok(self.config.limits.check_room(open)?)
    }

    fn handle_of(&self, socket: SocketId) -> Result<&SocketHandle, Refusal> {
        match self.sockets.get(&socket) {
            Some(handle) => Ok(handle),
            None if self.connecting.contains(&socket) => Err(Refusal::new(
                ErrorCode::WrongSocketKind,
                format!("socket {socket} is still connecting; wait for connect() to return"),
            )),
            None => Err(Refusal::new(
                ErrorCode::UnknownSocket,
                format!("there is no open socket {socket} (it was closed, or never existed)"),
            )),
        }
    }

    fn op(&self, socket: SocketId, want: Kind, what: &str, op: Op) -> Result<(), Refusal> {
        let handle = self.handle_of(socket)?;
        if handle.kind != want {
            let hint = match (handle.kind, want) {
                (Kind::Listener, Kind::Stream) => {
                    "; accept() a connection and use the socket it returns"
                }
                (Kind::Stream, Kind::Udp) | (Kind::Udp, Kind::Stream) => {
                    "; TCP uses send/recv, UDP uses send_to/recv_from"
                }
                _ => "",
            };
            return Err(Refusal::new(
                ErrorCode::WrongSocketKind,
                format!(
                    "socket {socket} is {}: {what} needs {}{hint}",
                    handle.kind.describe(),
                    want.describe()
                ),
            ));
        }
        send_op(handle, op)
    }
}

impl Drop for Session {
    /// A session that ends takes its lab with it, dropped on a blocking
    /// thread (the forwarder's thread is joined).
    fn drop(&mut self) {
        self.leave_lab();
    }
}

fn send_op(handle: &SocketHandle, op: Op) -> Result<(), Refusal> {
    handle.ops.try_send(op).map_err(|err| match err {
        mpsc::error::TrySendError::Full(_) => Refusal::new(
            ErrorCode::LimitReached,
            "this socket already has too many operations waiting; let them finish first",
        ),
        mpsc::error::TrySendError::Closed(_) => {
            Refusal::new(ErrorCode::UnknownSocket, "this socket has just been closed")
        }
    })
}
