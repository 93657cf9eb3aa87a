//! One page's session: its sockets, its capture and its events.
//!
//! The session task reads requests one at a time, checks each against the
//! limits and the socket it names, and either refuses it with a
//! `command_error` event or hands it to the socket's task. It never waits on
//! a socket itself: connects run in their own tasks, so a slow connect never
//! holds up a recv on another socket. Everything the session owns is
//! dropped with it, which closes every socket the page opened.

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    sync::Arc,
    time::Duration,
};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use sockscope_shared::{
    Call, CallEvent, CallResult, CaptureState, Command, CommandError, ErrorCode, EventKind, Limits,
    Request, SocketId, Transport,
};
use tokio::{
    net::{TcpListener, TcpSocket, UdpSocket},
    sync::mpsc,
    time::{MissedTickBehavior, interval},
};

use crate::{
    Config, clock,
    events::EventTx,
    segments::SessionCapture,
    sockets::{self, Context, Kind, Notice, Op, SocketHandle, kernel},
};

/// How long connect() may wait for an answer before the page is told it
/// timed out.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A refusal to run a command, before any socket was touched.
type Refusal = (ErrorCode, String);

/// One page's sockets and capture.
pub struct Session {
    config: Arc<Config>,
    events: EventTx,
    sockets: HashMap<SocketId, SocketHandle>,
    /// Sockets whose connect() has not returned yet.
    connecting: HashSet<SocketId>,
    next_id: SocketId,
    notices_tx: mpsc::Sender<Notice>,
    notices: mpsc::Receiver<Notice>,
    /// Closed TCP connections followed through the kernel's table until
    /// they are gone (TIME_WAIT and friends).
    lingering: Vec<Lingering>,
    capture: SessionCapture,
}

struct Lingering {
    socket: SocketId,
    local: SocketAddr,
    peer: SocketAddr,
    last: Option<sockscope_shared::TcpState>,
    until: tokio::time::Instant,
}

impl Session {
    pub fn new(config: Arc<Config>, capture: CaptureState, events: EventTx) -> Session {
        let (notices_tx, notices) = mpsc::channel(256);
        let capture = SessionCapture::new(&capture, &config, events.clone());
        Session {
            config,
            events,
            sockets: HashMap::new(),
            connecting: HashSet::new(),
            next_id: 1,
            notices_tx,
            notices,
            lingering: Vec::new(),
            capture,
        }
    }

    /// Serves requests until the page goes away.
    pub async fn run(mut self, mut requests: mpsc::Receiver<Request>) {
        let mut linger_tick = interval(Duration::from_millis(20));
        linger_tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                request = requests.recv() => match request {
                    Some(request) => self.handle(request).await,
                    None => return,
                },
                Some(notice) = self.notices.recv() => self.on_notice(notice).await,
                Some(()) = self.capture.next() => {}
                _ = linger_tick.tick(), if !self.lingering.is_empty() => self.poll_lingering(),
            }
        }
    }

    async fn handle(&mut self, request: Request) {
        let id = request.id;
        let name = request.command.name();
        // The protocol crate's one check of the limits, which the page's
        // forms run too.
        if let Err(error) = self.config.limits.check(&request.command) {
            self.events
                .emit(EventKind::CommandError(error.refusal(id, name)));
            return;
        }
        if let Err((code, message)) = self.dispatch(id, request.command).await {
            self.events.emit(EventKind::CommandError(CommandError {
                request: id,
                command: Some(name.into()),
                code,
                message: format!("{name}: {message}"),
                field: None,
                limit: None,
            }));
        }
    }

    async fn dispatch(&mut self, request: Option<u64>, command: Command) -> Result<(), Refusal> {
        match command {
            Command::TcpListen {
                host,
                port,
                backlog,
                reuse_addr,
                auto_accept,
            } => {
                let addr = self.resolve(&host, port, true).await?;
                self.check_room()?;
                self.listen(request, addr, backlog, reuse_addr, auto_accept)
                    .await;
            }
            Command::TcpAccept { socket } => {
                self.op(socket, Kind::Listener, "accept", Op::Accept { request })?;
            }
            Command::AutoAccept { socket, on } => {
                self.op(socket, Kind::Listener, "auto_accept", Op::AutoAccept { on })?;
            }
            Command::TcpConnect { host, port } => {
                let addr = self.resolve(&host, port, false).await?;
                self.check_room()?;
                self.connect(request, addr).await;
            }
            Command::Send {
                socket,
                payload,
                repeat,
                interval_ms,
                framing,
            } => {
                let body = payload.to_bytes();
                // Checked against the limits already, so a header fits.
                let mut message = framing.header(body.len()).unwrap_or_default();
                message.extend_from_slice(&body);
                let interval = Duration::from_millis(u64::from(interval_ms));
                self.op(
                    socket,
                    Kind::Stream,
                    "send",
                    Op::Send {
                        request,
                        message,
                        repeat,
                        interval,
                        framing,
                    },
                )?;
            }
            Command::Recv { socket, bufsize } => {
                self.op(socket, Kind::Stream, "recv", Op::Recv { request, bufsize })?;
            }
            Command::AutoRead {
                socket,
                on,
                delay_ms,
                bufsize,
            } => {
                let delay = Duration::from_millis(u64::from(delay_ms.min(Limits::MAX_INTERVAL_MS)));
                self.op(
                    socket,
                    Kind::Stream,
                    "auto_read",
                    Op::AutoRead { on, delay, bufsize },
                )?;
            }
            Command::SetOption { socket, option } => {
                self.op(
                    socket,
                    Kind::Stream,
                    "set_option",
                    Op::SetOption { request, option },
                )?;
            }
            Command::Shutdown { socket, how } => {
                self.op(
                    socket,
                    Kind::Stream,
                    "shutdown",
                    Op::Shutdown { request, how },
                )?;
            }
            Command::Close { socket } => {
                let handle = self.handle_of(socket)?;
                send_op(handle, Op::Close { request })?;
                self.sockets.remove(&socket);
            }
            Command::UdpBind { host, port } => {
                let addr = self.resolve(&host, port, true).await?;
                self.check_room()?;
                self.udp_bind(request, addr).await;
            }
            Command::SendTo {
                socket,
                host,
                port,
                payload,
            } => {
                let to = self.resolve(&host, port, false).await?;
                let data = payload.to_bytes();
                self.capture.add_port(port).await;
                self.op(
                    socket,
                    Kind::Udp,
                    "send_to",
                    Op::SendTo { request, to, data },
                )?;
            }
            Command::RecvFrom { socket, bufsize } => {
                self.op(
                    socket,
                    Kind::Udp,
                    "recv_from",
                    Op::RecvFrom { request, bufsize },
                )?;
            }
            Command::Watch { ports } => {
                if ports.contains(&0) {
                    return Err((ErrorCode::BadPort, "port 0 cannot be watched".into()));
                }
                self.capture
                    .watch(ports)
                    .await
                    .map_err(|message| (ErrorCode::LimitReached, message))?;
            }
        }
        Ok(())
    }

    /// Resolves `host`, then checks the address may be used. Names are
    /// resolved first so that a name cannot hide a remote address.
    async fn resolve(&self, host: &str, port: u16, bind: bool) -> Result<SocketAddr, Refusal> {
        if port == 0 && !bind {
            return Err((
                ErrorCode::BadPort,
                "port 0 cannot be a destination: use a port from 1 to 65535".into(),
            ));
        }
        let host = host.trim();
        let found = tokio::net::lookup_host((host, port))
            .await
            .ok()
            .and_then(|mut addrs| addrs.next());
        let Some(addr) = found else {
            return Err((
                ErrorCode::BadHost,
                format!("{host:?} is not an IP address or a name this machine can resolve"),
            ));
        };
        if !bind && !self.config.target_allowed(addr.ip()) {
            return Err((
                ErrorCode::TargetNotAllowed,
                format!(
                    "{} is not a loopback address; remote targets are off. Start sockscope \
                     with --allow-remote {}/32 to allow it",
                    addr.ip(),
                    addr.ip()
                ),
            ));
        }
        if bind
            && !(addr.ip().is_loopback() || addr.ip().is_unspecified())
            && !self.config.target_allowed(addr.ip())
        {
            return Err((
                ErrorCode::TargetNotAllowed,
                format!(
                    "binding {} would open this machine to the network; use 127.0.0.1 or \
                     start sockscope with --allow-remote",
                    addr.ip()
                ),
            ));
        }
        Ok(addr)
    }

    fn check_room(&self) -> Result<(), Refusal> {
        let open = self.sockets.len() + self.connecting.len();
        self.config
            .limits
            .check_room(open)
            .map_err(|error| (error.code(), error.to_string()))
    }

    fn handle_of(&self, socket: SocketId) -> Result<&SocketHandle, Refusal> {
        match self.sockets.get(&socket) {
            Some(handle) => Ok(handle),
            None if self.connecting.contains(&socket) => Err((
                ErrorCode::WrongSocketKind,
                format!("socket {socket} is still connecting; wait for connect() to return"),
            )),
            None => Err((
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
            return Err((
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

    fn new_id(&mut self) -> SocketId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    async fn listen(
        &mut self,
        request: Option<u64>,
        addr: SocketAddr,
        backlog: u32,
        reuse_addr: bool,
        auto_accept: bool,
    ) {
        let id = self.new_id();
        let mut report = sockets::Reporter::new(id, Transport::Tcp, self.events.clone());
        let bind_call = Call::Bind {
            addr: addr.to_string(),
            reuse_addr,
        };
        let socket = match bound_socket(addr, Type::STREAM, Protocol::TCP, reuse_addr) {
            Ok(socket) => socket,
            Err(err) => {
                let result = CallResult::Error(sockets::describe(&err, Context::Bind(addr)));
                report.call(request, bind_call, result, Default::default());
                return;
            }
        };
        let bound_at = clock::now_us();
        let local = socket.local_addr().ok().and_then(|a| a.as_socket());
        let after = sockets::report::After {
            local,
            ..Default::default()
        };
        report.call(request, bind_call, CallResult::Ok, after);
        if let Some(local) = local {
            self.capture.add_port(local.port()).await;
        }
        let listen_call = Call::Listen { backlog };
        let backlog_i32 = i32::try_from(backlog).unwrap_or(i32::MAX);
        let listener = socket
            .listen(backlog_i32)
            .and_then(|()| TcpListener::from_std(socket.into()));
        match listener {
            Ok(listener) => {
                let after = sockets::report::After {
                    local,
                    state: kernel::tcp_state(&listener),
                    ..Default::default()
                };
                report.call(request, listen_call, CallResult::Ok, after);
                let ops = sockets::spawn_listener(
                    id,
                    listener,
                    auto_accept,
                    self.events.clone(),
                    self.notices_tx.clone(),
                );
                self.register(id, Kind::Listener, local, None, ops, bound_at);
            }
            Err(err) => {
                let result = CallResult::Error(sockets::describe(&err, Context::Listen));
                report.call(request, listen_call, result, after);
            }
        }
    }

    async fn connect(&mut self, request: Option<u64>, addr: SocketAddr) {
        let id = self.new_id();
        let started_us = clock::now_us();
        // The SYN leaves the moment connect() is called: the capture must
        // already be watching the port, and know which socket sends it.
        // Binding to an ephemeral port first tells us that socket's port.
        self.capture.add_port(addr.port()).await;
        let socket = match unconnected_stream(addr) {
            Ok(socket) => socket,
            Err(err) => {
                let result = CallResult::Error(sockets::describe(&err, Context::Connect(addr)));
                let call = Call::Connect {
                    addr: addr.to_string(),
                };
                self.emit_call(started_us, id, request, call, result, None, None, None);
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
        tokio::spawn(async move {
            let result = match tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(addr)).await {
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

    async fn udp_bind(&mut self, request: Option<u64>, addr: SocketAddr) {
        let id = self.new_id();
        let mut report = sockets::Reporter::new(id, Transport::Udp, self.events.clone());
        let call = Call::Bind {
            addr: addr.to_string(),
            reuse_addr: false,
        };
        let udp = bound_socket(addr, Type::DGRAM, Protocol::UDP, false)
            .and_then(|socket| UdpSocket::from_std(socket.into()));
        match udp {
            Ok(udp) => {
                let local = udp.local_addr().ok();
                let after = sockets::report::After {
                    local,
                    ..Default::default()
                };
                report.call(request, call, CallResult::Ok, after);
                if let Some(local) = local {
                    self.capture.add_port(local.port()).await;
                }
                let ops = sockets::spawn_udp(id, udp, self.events.clone(), self.notices_tx.clone());
                self.register(id, Kind::Udp, local, None, ops, clock::now_us());
            }
            Err(err) => {
                let result = CallResult::Error(sockets::describe(&err, Context::Bind(addr)));
                report.call(request, call, result, Default::default());
            }
        }
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

    async fn on_notice(&mut self, notice: Notice) {
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
                self.emit_call(
                    t_us,
                    listener,
                    request,
                    Call::Accept,
                    CallResult::Accepted {
                        new_socket: id,
                        peer: peer.to_string(),
                    },
                    local,
                    Some(peer),
                    state,
                );
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
                        if let Some(local) = local {
                            self.capture.add_port(local.port()).await;
                        }
                        let ops = sockets::spawn_stream(
                            socket,
                            stream,
                            self.events.clone(),
                            self.notices_tx.clone(),
                        );
                        self.register(socket, Kind::Stream, local, Some(addr), ops, started_us);
                        self.emit_call(
                            t_us,
                            socket,
                            request,
                            call,
                            CallResult::Ok,
                            local,
                            Some(addr),
                            state,
                        );
                    }
                    Err(err) => {
                        let result =
                            CallResult::Error(sockets::describe(&err, Context::Connect(addr)));
                        // The port the SYN left from, so the page can name
                        // the lane of a refused connection.
                        self.emit_call(t_us, socket, request, call, result, bound, None, None);
                    }
                }
            }
            Notice::Closed { socket, tcp } => {
                self.sockets.remove(&socket);
                if let Some((local, peer)) = tcp {
                    self.lingering.push(Lingering {
                        socket,
                        local,
                        peer,
                        last: None,
                        // TIME_WAIT lasts 60 s on Linux; stop looking a little after.
                        until: tokio::time::Instant::now() + Duration::from_secs(75),
                    });
                    self.poll_lingering();
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn emit_call(
        &self,
        t_us: u64,
        socket: SocketId,
        request: Option<u64>,
        call: Call,
        result: CallResult,
        local: Option<SocketAddr>,
        peer: Option<SocketAddr>,
        state: Option<sockscope_shared::TcpState>,
    ) {
        self.events.emit_at(
            t_us,
            EventKind::Call(CallEvent {
                socket,
                request,
                transport: Transport::Tcp,
                call,
                result,
                local: local.map(|a| a.to_string()),
                peer: peer.map(|a| a.to_string()),
                state,
            }),
        );
    }

    /// Reports the kernel state of closed connections as it changes, and
    /// CLOSED when the kernel forgets them.
    fn poll_lingering(&mut self) {
        let now = tokio::time::Instant::now();
        let events = &self.events;
        self.lingering.retain_mut(|entry| {
            let state = crate::proc_net::lookup(entry.local, entry.peer)
                .unwrap_or(sockscope_shared::TcpState::Closed);
            if entry.last != Some(state) {
                entry.last = Some(state);
                events.emit(EventKind::State {
                    socket: entry.socket,
                    state,
                });
            }
            state != sockscope_shared::TcpState::Closed && now < entry.until
        });
    }
}

fn send_op(handle: &SocketHandle, op: Op) -> Result<(), Refusal> {
    handle.ops.try_send(op).map_err(|err| match err {
        mpsc::error::TrySendError::Full(_) => (
            ErrorCode::LimitReached,
            "this socket already has too many operations waiting; let them finish first".into(),
        ),
        mpsc::error::TrySendError::Closed(_) => (
            ErrorCode::UnknownSocket,
            "this socket has just been closed".into(),
        ),
    })
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
