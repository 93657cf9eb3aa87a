//! Real kernel sockets, driven one task per socket.
//!
//! The session owns a [`SocketHandle`] per socket and sends it [`Op`]s; the
//! socket's task performs each as exactly the system call a learner would
//! write (one `recv(bufsize)` is one `recv` system call, never a loop that
//! fills the buffer) and reports it as a call event. A task owns its socket:
//! when the task ends, the socket is closed. A task ends on [`Op::Close`] or
//! when its handle is dropped, which is how a closed page closes all its
//! sockets.
//!
//! Per-socket tasks keep a blocked `recv()` on one socket from holding up a
//! `send()` on another, exactly as two threads would in a real program.

pub mod diag;
mod errno;
pub mod kernel;
pub mod report;
pub mod send_times;
mod tcp_listener;
mod tcp_stream;
mod udp;

use std::{net::SocketAddr, time::Duration};

pub use errno::{Context, describe};
pub use report::Reporter;
use sockscope_shared::{Framing, ShutdownHow, SocketId, SocketOption, Transport};
pub use tcp_listener::spawn as spawn_listener;
pub use tcp_stream::spawn as spawn_stream;
use tokio::{net::TcpStream, sync::mpsc};
pub use udp::spawn as spawn_udp;

/// How often open sockets are asked for their TCP state and receive
/// queue, so that changes caused by the peer (a FIN arriving, data waiting)
/// show up without any call on this side.
pub const STATE_POLL: Duration = Duration::from_millis(10);

/// What a socket task is asked to do. Every variant that comes from a page
/// request carries its id, echoed in the call event.
#[derive(Debug)]
pub enum Op {
    Accept {
        request: Option<u64>,
    },
    AutoAccept {
        on: bool,
    },
    /// send() `message` (its framing header already in front) `repeat`
    /// times, `interval` apart.
    Send {
        request: Option<u64>,
        message: Vec<u8>,
        repeat: u32,
        interval: Duration,
        framing: Framing,
    },
    Recv {
        request: Option<u64>,
        bufsize: u32,
    },
    AutoRead {
        on: bool,
        delay: Duration,
        bufsize: u32,
    },
    SetOption {
        request: Option<u64>,
        option: SocketOption,
    },
    Shutdown {
        request: Option<u64>,
        how: ShutdownHow,
    },
    Close {
        request: Option<u64>,
    },
    SendTo {
        request: Option<u64>,
        to: SocketAddr,
        data: Vec<u8>,
    },
    RecvFrom {
        request: Option<u64>,
        bufsize: u32,
    },
}

/// What a socket task tells its session.
#[derive(Debug)]
pub enum Notice {
    /// accept() returned a connection: the session gives it an id and a task.
    Accepted {
        listener: SocketId,
        request: Option<u64>,
        stream: TcpStream,
        peer: SocketAddr,
        t_us: u64,
    },
    /// connect() returned, well or not.
    Connected {
        socket: SocketId,
        request: Option<u64>,
        addr: SocketAddr,
        /// The address the socket was bound to before connecting.
        bound: Option<SocketAddr>,
        /// When connect() was called: the SYN leaves after this.
        started_us: u64,
        t_us: u64,
        result: std::io::Result<TcpStream>,
    },
    /// A TCP socket still open reads CLOSED because its connection moved
    /// into TIME_WAIT in the kernel's table: the session follows it there.
    Lingers { socket: SocketId, tcp: Connection },
    /// The socket was closed. For TCP, its last addresses, so the session
    /// can follow the connection through TIME_WAIT in the kernel's table.
    Closed {
        socket: SocketId,
        tcp: Option<Connection>,
    },
}

/// The two ends of a TCP connection, which is how the kernel's socket
/// table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    pub local: SocketAddr,
    pub peer: SocketAddr,
}

/// A recv() or recvfrom() the page asked for, waiting for data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingRecv {
    pub request: Option<u64>,
    pub bufsize: u32,
}

/// What kind of socket a handle drives, so the session can refuse a
/// command that does not apply (recv on a listener) before sending it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Listener,
    Stream,
    Udp,
}

impl Kind {
    pub fn transport(self) -> Transport {
        match self {
            Kind::Listener | Kind::Stream => Transport::Tcp,
            Kind::Udp => Transport::Udp,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Kind::Listener => "a TCP listener",
            Kind::Stream => "a connected TCP socket",
            Kind::Udp => "a UDP socket",
        }
    }
}

/// The session's side of one socket task.
#[derive(Debug)]
pub struct SocketHandle {
    pub kind: Kind,
    pub local: SocketAddr,
    pub ops: mpsc::Sender<Op>,
}

/// Room for queued operations per socket; a page that floods one socket is
/// told so rather than growing the queue.
pub const OP_QUEUE: usize = 64;
