//! Commands: what the page (or a script) asks the relay to do.
//!
//! Each WebSocket text frame from the page is one [`Request`]: an optional
//! `id` chosen by the sender, echoed in every event the command causes so the
//! page can show an error beside the form that sent it, and the command
//! itself, tagged by `cmd`.
//!
//! ```json
//! {"id": 1, "cmd": "tcp_listen", "host": "127.0.0.1", "port": 9527, "backlog": 5, "reuse_addr": true}
//! {"id": 2, "cmd": "tcp_connect", "host": "127.0.0.1", "port": 9527}
//! {"id": 3, "cmd": "send", "socket": 2, "payload": {"text": "hello"}, "repeat": 3}
//! {"id": 4, "cmd": "recv", "socket": 3, "bufsize": 1024}
//! ```
//!
//! Fields with a default may be left out. Socket ids come from the events:
//! every call event names its socket, and an accept() names the socket it
//! made ([`crate::CallResult::Accepted`]).
//!
//! Requests and commands are written by serde's derive but read by a decoder
//! of their own (`decode/request.rs`), which reads each object once.

use serde::{Deserialize, Serialize};

use crate::{Bytes, PathRequest, SocketId};

/// One frame from the page: a command and the id that ties its events to it.
///
/// ```json
/// {"id": 7, "cmd": "close", "socket": 2}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    /// Chosen by the sender; echoed as `request` in the events this causes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(flatten)]
    pub command: Command,
}

/// Matches the `socket` field out of every command that has one, binding
/// it to `$socket` and giving `Some($found)`, and `None` for the others:
/// the variants are listed once, so that [`Command::socket`] and
/// [`Command::socket_mut`] cannot disagree, and a new variant fails to
/// build until it is sorted here.
macro_rules! socket_field {
    ($command:expr, $socket:ident => $found:expr) => {
        match $command {
            Command::TcpAccept { socket: $socket }
            | Command::AutoAccept {
                socket: $socket, ..
            }
            | Command::Send {
                socket: $socket, ..
            }
            | Command::Recv {
                socket: $socket, ..
            }
            | Command::AutoRead {
                socket: $socket, ..
            }
            | Command::SetOption {
                socket: $socket, ..
            }
            | Command::Shutdown {
                socket: $socket, ..
            }
            | Command::Close { socket: $socket }
            | Command::SendTo {
                socket: $socket, ..
            }
            | Command::RecvFrom {
                socket: $socket, ..
            } => Some($found),
            Command::TcpListen { .. }
            | Command::TcpConnect { .. }
            | Command::UdpBind { .. }
            | Command::Watch { .. }
            | Command::SetPath(_) => None,
        }
    };
}

/// Everything the relay can be asked to do.
///
/// A field documented with a default may be left out of the JSON, and the
/// decoder (`decode/request.rs`) fills it in.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// socket(), setsockopt(SO_REUSEADDR), bind(), listen(backlog).
    ///
    /// `port` 0 lets the kernel choose. `auto_accept` makes the relay call
    /// accept() as soon as a connection is ready; without it, connections wait
    /// in the backlog until an [`Command::TcpAccept`].
    TcpListen {
        host: String,
        port: u16,
        /// Default 5.
        backlog: u32,
        /// Default false.
        reuse_addr: bool,
        /// Default false.
        auto_accept: bool,
    },
    /// accept() on a listener: waits for the next connection in the backlog.
    TcpAccept { socket: SocketId },
    /// Turns automatic accept() on or off for a listener.
    AutoAccept { socket: SocketId, on: bool },
    /// socket() and connect() to `host:port`.
    TcpConnect { host: String, port: u16 },
    /// send() on a TCP socket, `repeat` times, `interval_ms` apart, each
    /// message optionally wrapped in a length header.
    Send {
        socket: SocketId,
        payload: Payload,
        /// Default 1.
        repeat: u32,
        /// Default 0.
        interval_ms: u32,
        /// Default [`Framing::None`].
        framing: Framing,
    },
    /// One recv(bufsize) on a TCP socket: the event holds exactly what that
    /// single call returned, however many send() calls made it.
    Recv { socket: SocketId, bufsize: u32 },
    /// Makes the relay call recv(bufsize) by itself whenever data is
    /// waiting, `delay_ms` after it arrives (a delay lets sends pile up).
    AutoRead {
        socket: SocketId,
        on: bool,
        /// Default 0.
        delay_ms: u32,
        /// Default 1024.
        bufsize: u32,
    },
    /// setsockopt() on a TCP socket.
    SetOption {
        socket: SocketId,
        option: SocketOption,
    },
    /// shutdown(how) on a connected TCP socket.
    Shutdown { socket: SocketId, how: ShutdownHow },
    /// close() on any socket.
    Close { socket: SocketId },
    /// socket(AF_INET, SOCK_DGRAM) and bind() to `host:port`.
    UdpBind { host: String, port: u16 },
    /// sendto() a datagram; an empty payload still sends one.
    SendTo {
        socket: SocketId,
        host: String,
        port: u16,
        payload: Payload,
    },
    /// One recvfrom(bufsize): a datagram longer than `bufsize` is cut and the
    /// rest is lost; the event says how much.
    RecvFrom { socket: SocketId, bufsize: u32 },
    /// Captures the segments of programs sockscope did not start, on these
    /// ports (TCP and UDP). Replaces any earlier watch; an empty list stops.
    Watch { ports: Vec<u16> },
    /// Chooses the session's path: loopback, or a network lab whose two
    /// namespaces hold the client and the server (`path.rs`).
    SetPath(PathRequest),
}

impl Command {
    /// Every `cmd` tag, in the order of the variants: what a request's
    /// `cmd` may say.
    pub const NAMES: [&'static str; 15] = [
        "tcp_listen",
        "tcp_accept",
        "auto_accept",
        "tcp_connect",
        "send",
        "recv",
        "auto_read",
        "set_option",
        "shutdown",
        "close",
        "udp_bind",
        "send_to",
        "recv_from",
        "watch",
        "set_path",
    ];

    /// The `cmd` tag of this command, as error events name it.
    pub fn name(&self) -> &'static str {
        match self {
            Command::TcpListen { .. } => "tcp_listen",
            Command::TcpAccept { .. } => "tcp_accept",
            Command::AutoAccept { .. } => "auto_accept",
            Command::TcpConnect { .. } => "tcp_connect",
            Command::Send { .. } => "send",
            Command::Recv { .. } => "recv",
            Command::AutoRead { .. } => "auto_read",
            Command::SetOption { .. } => "set_option",
            Command::Shutdown { .. } => "shutdown",
            Command::Close { .. } => "close",
            Command::UdpBind { .. } => "udp_bind",
            Command::SendTo { .. } => "send_to",
            Command::RecvFrom { .. } => "recv_from",
            Command::Watch { .. } => "watch",
            Command::SetPath(_) => "set_path",
        }
    }

    /// The socket this command acts on, if it names one.
    pub fn socket(&self) -> Option<SocketId> {
        socket_field!(self, socket => *socket)
    }

    /// The socket this command acts on, to renumber it (a lesson's socket
    /// numbers become the relay's ids).
    pub fn socket_mut(&mut self) -> Option<&mut SocketId> {
        socket_field!(self, socket => socket)
    }
}

/// A payload as the user typed it: text (sent as UTF-8) or hex.
///
/// ```json
/// {"text": "hello"}
/// {"hex": "0500000068656c6c6f"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    Text(String),
    Hex(Bytes),
}

impl Payload {
    /// The bytes this payload puts on the socket.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Payload::Text(text) => text.as_bytes().to_vec(),
            Payload::Hex(bytes) => bytes.to_vec(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Payload::Text(text) => text.len(),
            Payload::Hex(bytes) => bytes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a message is wrapped before send(), so the reader can find where it
/// ends in the byte stream.
///
/// ```json
/// "ascii4"
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Framing {
    /// The bare message: the reader cannot tell where it ends.
    #[default]
    None,
    /// Four ASCII digits of length first, as Python's `str(len).zfill(4)`.
    Ascii4,
    /// A 4-byte little-endian length first, as `struct.pack('<I', len)` (and
    /// `struct.pack('i', len)` on x86).
    U32Le,
    /// A 4-byte big-endian (network order) length first, as `struct.pack('!I', len)`.
    U32Be,
}

impl Framing {
    pub const ALL: [Framing; 4] = [
        Framing::None,
        Framing::Ascii4,
        Framing::U32Le,
        Framing::U32Be,
    ];

    /// Bytes of header this framing puts before each message.
    pub fn header_len(self) -> usize {
        match self {
            Framing::None => 0,
            Framing::Ascii4 | Framing::U32Le | Framing::U32Be => 4,
        }
    }

    /// The largest message this framing can describe.
    pub fn max_message_len(self) -> usize {
        match self {
            Framing::None => usize::MAX,
            Framing::Ascii4 => 9999,
            Framing::U32Le | Framing::U32Be => u32::MAX as usize,
        }
    }

    /// The header for a message of `len` bytes, or `None` when `len` does
    /// not fit the header ([`Framing::max_message_len`]).
    pub fn header(self, len: usize) -> Option<Vec<u8>> {
        if len > self.max_message_len() {
            return None;
        }
        let len32 = u32::try_from(len).ok();
        match self {
            Framing::None => Some(Vec::new()),
            Framing::Ascii4 => Some(format!("{len:04}").into_bytes()),
            Framing::U32Le => len32.map(|n| n.to_le_bytes().to_vec()),
            Framing::U32Be => len32.map(|n| n.to_be_bytes().to_vec()),
        }
    }

    /// Reads a complete header, or `None` if `header` is not one this framing
    /// could have written (for ASCII, a non-digit).
    pub fn parse_header(self, header: &[u8]) -> Option<usize> {
        let four: [u8; 4] = header.get(..4)?.try_into().ok()?;
        match self {
            Framing::None => None,
            Framing::Ascii4 => {
                if !four.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                Some(
                    four.iter()
                        .fold(0usize, |n, d| n * 10 + usize::from(d - b'0')),
                )
            }
            Framing::U32Le => usize::try_from(u32::from_le_bytes(four)).ok(),
            Framing::U32Be => usize::try_from(u32::from_be_bytes(four)).ok(),
        }
    }
}

/// A socket option the page can set on a TCP socket.
///
/// ```json
/// {"name": "tcp_nodelay", "value": true}
/// {"name": "linger_zero"}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "value", rename_all = "snake_case")]
pub enum SocketOption {
    /// TCP_NODELAY: turn Nagle's algorithm off (true) or on (false).
    TcpNodelay(bool),
    /// SO_RCVBUF in bytes (the kernel doubles it and applies its limits).
    RecvBuffer(u32),
    /// SO_SNDBUF in bytes (the kernel doubles it and applies its limits).
    SendBuffer(u32),
    /// SO_LINGER with a zero timeout: close() then sends RST, not FIN.
    LingerZero,
}

/// Which half of a connection shutdown() closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShutdownHow {
    /// SHUT_RD: no more reading; nothing is sent on the wire.
    Read,
    /// SHUT_WR: no more writing; a FIN goes to the peer (half-close).
    Write,
    /// SHUT_RDWR: both.
    Both,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Request {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn listen_fills_defaults() {
        let req = parse(r#"{"id":1,"cmd":"tcp_listen","host":"127.0.0.1","port":9527}"#);
        assert_eq!(req.id, Some(1));
        assert_eq!(
            req.command,
            Command::TcpListen {
                host: "127.0.0.1".into(),
                port: 9527,
                backlog: 5,
                reuse_addr: false,
                auto_accept: false
            }
        );
    }

    #[test]
    fn every_command_round_trips() {
        let commands = vec![
            Command::TcpAccept { socket: 1 },
            Command::AutoAccept {
                socket: 1,
                on: true,
            },
            Command::TcpConnect {
                host: "::1".into(),
                port: 80,
            },
            Command::Send {
                socket: 2,
                payload: Payload::Hex(Bytes::from(vec![0, 1, 255])),
                repeat: 3,
                interval_ms: 10,
                framing: Framing::U32Be,
            },
            Command::Recv {
                socket: 2,
                bufsize: 5,
            },
            Command::AutoRead {
                socket: 2,
                on: true,
                delay_ms: 100,
                bufsize: 1024,
            },
            Command::SetOption {
                socket: 2,
                option: SocketOption::LingerZero,
            },
            Command::SetOption {
                socket: 2,
                option: SocketOption::TcpNodelay(true),
            },
            Command::Shutdown {
                socket: 2,
                how: ShutdownHow::Write,
            },
            Command::Close { socket: 2 },
            Command::UdpBind {
                host: "127.0.0.1".into(),
                port: 0,
            },
            Command::SendTo {
                socket: 3,
                host: "127.0.0.1".into(),
                port: 9,
                payload: Payload::Text(String::new()),
            },
            Command::RecvFrom {
                socket: 3,
                bufsize: 4,
            },
            Command::Watch { ports: vec![9527] },
        ];
        for command in commands {
            let req = Request {
                id: Some(9),
                command,
            };
            let json = serde_json::to_string(&req).unwrap();
            assert_eq!(parse(&json), req, "{json}");
            assert!(json.contains(req.command.name()), "{json}");
        }
    }

    #[test]
    fn socket_is_the_field_of_commands_that_have_one() {
        let mut close = Command::Close { socket: 4 };
        assert_eq!(close.socket(), Some(4));
        if let Some(socket) = close.socket_mut() {
            *socket = 9;
        }
        assert_eq!(close, Command::Close { socket: 9 });
        let mut send_to = Command::SendTo {
            socket: 3,
            host: "127.0.0.1".into(),
            port: 9,
            payload: Payload::Text(String::new()),
        };
        assert_eq!(send_to.socket(), Some(3));
        assert_eq!(send_to.socket_mut().copied(), Some(3));
        let mut connect = Command::TcpConnect {
            host: "::1".into(),
            port: 80,
        };
        assert_eq!(connect.socket(), None);
        assert!(connect.socket_mut().is_none());
        assert_eq!(Command::Watch { ports: vec![] }.socket(), None);
    }

    #[test]
    fn framing_headers_match_python() {
        // str(5).zfill(4), struct.pack('<I', 5), struct.pack('!I', 5)
        assert_eq!(Framing::Ascii4.header(5), Some(b"0005".to_vec()));
        assert_eq!(Framing::U32Le.header(5), Some(vec![5, 0, 0, 0]));
        assert_eq!(Framing::U32Be.header(5), Some(vec![0, 0, 0, 5]));
        assert_eq!(Framing::Ascii4.header(10_000), None);
        for framing in [Framing::Ascii4, Framing::U32Le, Framing::U32Be] {
            let header = framing.header(1234).unwrap();
            assert_eq!(framing.parse_header(&header), Some(1234));
        }
        assert_eq!(Framing::Ascii4.parse_header(b"12a4"), None);
        assert_eq!(Framing::U32Be.parse_header(b"\0\0"), None);
    }
}
