//! A recording's `calls.json`: every socket call each program made, as
//! `testdata/captures/README.md` describes it, read into the call events
//! the relay reports for the same calls.
//!
//! The file says what each call returned; what it cannot say is left out
//! rather than guessed. Sockets keep the recording's numbers (`s3` is
//! socket 3). A call event's `state` is given only where every Linux
//! kernel answers the same right after the call (LISTEN after listen() and
//! accept(), ESTABLISHED after a connect() that succeeded); the states a
//! connection passes through as it closes depend on when the kernel was
//! asked, and the recording never asked it: those come from the segments
//! ([`crate::states`]).

use std::collections::HashMap;

use serde::Deserialize;
use sockscope_shared::{
    Bytes, Call, CallEvent, CallResult, Framing, OsError, ShutdownHow, SocketId, SocketOption,
    TcpState, Transport,
};

use crate::convert::ConvertError;

/// The whole file.
#[derive(Debug, Deserialize)]
pub struct CallsFile {
    pub calls: Vec<RawCall>,
}

/// One call as the recording wrote it.
#[derive(Debug, Deserialize)]
pub struct RawCall {
    /// When the call returned, in Unix seconds on the capture's clock.
    pub t: f64,
    /// The socket, as `s<number>`.
    pub sock: String,
    /// `getsockname` after the call (`0.0.0.0:0` before any bind).
    #[serde(default)]
    pub local: Option<String>,
    /// `getpeername` after the call, for a connected socket.
    #[serde(default)]
    pub peer: Option<String>,
    #[serde(flatten)]
    pub what: What,
}

impl RawCall {
    /// When the call returned, in microseconds.
    pub fn t_us(&self) -> u64 {
        // Whole microseconds, so the product is an integer up to rounding.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let micros = (self.t * 1_000_000.0).round() as u64;
        micros
    }

    /// The socket's id.
    pub fn socket(&self) -> Result<SocketId, ConvertError> {
        socket_id(&self.sock)
    }

    /// The socket's own address, once it has a port.
    pub fn bound_local(&self) -> Option<&str> {
        self.local.as_deref().filter(|l| !l.ends_with(":0"))
    }
}

/// The call and its arguments and result, by the `call` field.
#[derive(Debug, Deserialize)]
#[serde(tag = "call", rename_all = "lowercase")]
pub enum What {
    Socket {
        #[serde(rename = "type")]
        transport: SocketType,
    },
    Setsockopt {
        option: String,
        result: Outcome,
    },
    Bind {
        addr: String,
        result: Outcome,
    },
    Listen {
        backlog: u32,
        result: Outcome,
    },
    Connect {
        addr: String,
        result: Outcome,
    },
    Accept {
        result: AcceptResult,
    },
    Send {
        data_hex: String,
        result: SendResult,
    },
    Recv {
        bufsize: u32,
        #[serde(default)]
        result: Option<Failure>,
        #[serde(default)]
        result_hex: Option<String>,
    },
    Shutdown {
        how: String,
        result: Outcome,
    },
    Close {
        result: Outcome,
    },
    Sendto {
        to: String,
        data_hex: String,
        result: SendResult,
    },
    Recvfrom {
        bufsize: u32,
        from: String,
        result_hex: String,
    },
}

/// `socket()`'s type argument.
#[derive(Debug, Clone, Copy, Deserialize)]
pub enum SocketType {
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
}

/// A failed call: the errno's name.
#[derive(Debug, Clone, Deserialize)]
pub struct Failure {
    pub error: String,
}

/// `"ok"`, or the errno of a failure.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Outcome {
    Failed(Failure),
    Done(String),
}

/// What accept() returned.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AcceptResult {
    Failed(Failure),
    Accepted { new_sock: String, peer: String },
}

/// What send() or sendto() returned.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SendResult {
    Failed(Failure),
    Sent { sent: u64 },
}

/// `s3` → 3.
///
/// # Errors
/// [`ConvertError::BadSocket`] for anything else.
pub fn socket_id(name: &str) -> Result<SocketId, ConvertError> {
    name.strip_prefix('s')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| ConvertError::BadSocket(name.to_owned()))
}

/// Linux's number for the errnos the recordings hold.
fn errno_code(name: &str) -> Result<i32, ConvertError> {
    match name {
        "EADDRINUSE" => Ok(98),
        "ECONNRESET" => Ok(104),
        "ECONNREFUSED" => Ok(111),
        other => Err(ConvertError::UnknownErrno(other.to_owned())),
    }
}

fn os_error(failure: &Failure) -> Result<CallResult, ConvertError> {
    Ok(CallResult::Error(OsError {
        errno: failure.error.clone(),
        code: errno_code(&failure.error)?,
        message: failure.error.clone(),
    }))
}

fn outcome(result: &Outcome) -> Result<CallResult, ConvertError> {
    match result {
        Outcome::Failed(failure) => os_error(failure),
        Outcome::Done(word) if word == "ok" => Ok(CallResult::Ok),
        Outcome::Done(word) => Err(ConvertError::UnknownResult(word.clone())),
    }
}

fn hex(text: &str) -> Result<Bytes, ConvertError> {
    Bytes::from_hex(text).map_err(|_| ConvertError::BadHex(text.to_owned()))
}

/// One socket call as the relay would report it.
#[derive(Debug, Clone)]
pub struct Reported {
    pub t_us: u64,
    pub event: CallEvent,
}

/// The datagram lengths on the wire, for recvfrom()'s `datagram_len`: the
/// recording kept only the bytes the buffer took, the wire has them all.
pub trait WireDatagrams {
    /// The length of the `nth` datagram (from 0) from `from` to `port`.
    fn datagram_len(&self, from: &str, port: u16, nth: usize) -> Option<u32>;
}

/// What the reading remembers from one call to the next.
#[derive(Debug, Default)]
struct Sockets {
    transport: HashMap<SocketId, Transport>,
    reuse_addr: HashMap<SocketId, bool>,
    sent: HashMap<SocketId, u64>,
    received: HashMap<SocketId, u64>,
    /// recvfrom() calls so far, by sender and receiving port.
    datagrams_read: HashMap<(String, u16), usize>,
}

/// Every call of the file as the relay reports it, in the file's order;
/// socket() and SO_REUSEADDR are folded into later calls, as the relay's
/// commands fold them.
///
/// # Errors
/// [`ConvertError`] naming what the file holds that no relay call matches.
pub fn report(file: &CallsFile, wire: &impl WireDatagrams) -> Result<Vec<Reported>, ConvertError> {
    let mut sockets = Sockets::default();
    let mut out = Vec::new();
    for raw in &file.calls {
        let id = raw.socket()?;
        let transport = sockets
            .transport
            .get(&id)
            .copied()
            .unwrap_or(Transport::Tcp);
        let (call, result, state) = match &raw.what {
            What::Socket { transport } => {
                let transport = match transport {
                    SocketType::Tcp => Transport::Tcp,
                    SocketType::Udp => Transport::Udp,
                };
                sockets.transport.insert(id, transport);
                continue;
            }
            What::Setsockopt { option, result } if option == "SO_REUSEADDR" => {
                sockets
                    .reuse_addr
                    .insert(id, matches!(outcome(result)?, CallResult::Ok));
                continue;
            }
            What::Setsockopt { option, result } if option.starts_with("SO_LINGER") => (
                Call::SetOption {
                    option: SocketOption::LingerZero,
                },
                outcome(result)?,
                None,
            ),
            What::Setsockopt { option, .. } => {
                return Err(ConvertError::UnknownOption(option.clone()));
            }
            What::Bind { addr, result } => (
                Call::Bind {
                    addr: addr.clone(),
                    reuse_addr: sockets.reuse_addr.get(&id).copied().unwrap_or(false),
                },
                outcome(result)?,
                None,
            ),
            What::Listen { backlog, result } => {
                let result = outcome(result)?;
                let state = matches!(result, CallResult::Ok).then_some(TcpState::Listen);
                (Call::Listen { backlog: *backlog }, result, state)
            }
            What::Connect { addr, result } => {
                let result = outcome(result)?;
                let state = matches!(result, CallResult::Ok).then_some(TcpState::Established);
                (Call::Connect { addr: addr.clone() }, result, state)
            }
            What::Accept { result } => {
                let result = match result {
                    AcceptResult::Failed(failure) => os_error(failure)?,
                    AcceptResult::Accepted { new_sock, peer } => {
                        let new_socket = socket_id(new_sock)?;
                        sockets.transport.insert(new_socket, Transport::Tcp);
                        CallResult::Accepted {
                            new_socket,
                            peer: peer.clone(),
                        }
                    }
                };
                (Call::Accept, result, Some(TcpState::Listen))
            }
            What::Send { data_hex, result } => {
                let offset = sockets.sent.get(&id).copied().unwrap_or(0);
                let result = match result {
                    SendResult::Failed(failure) => os_error(failure)?,
                    SendResult::Sent { sent } => {
                        sockets.sent.insert(id, offset + sent);
                        CallResult::Sent { bytes: *sent }
                    }
                };
                let call = Call::Send {
                    data: hex(data_hex)?,
                    offset,
                    message: 0,
                    framing: Framing::None,
                };
                (call, result, None)
            }
            What::Recv {
                bufsize,
                result,
                result_hex,
            } => {
                let offset = sockets.received.get(&id).copied().unwrap_or(0);
                let result = match (result, result_hex) {
                    (Some(failure), _) => os_error(failure)?,
                    (None, Some(text)) if text.is_empty() => CallResult::EndOfStream { offset },
                    (None, Some(text)) => {
                        let data = hex(text)?;
                        sockets.received.insert(id, offset + data.len() as u64);
                        CallResult::Data { data, offset }
                    }
                    (None, None) => return Err(ConvertError::NoResult(raw.sock.clone())),
                };
                (Call::Recv { bufsize: *bufsize }, result, None)
            }
            What::Shutdown { how, result } => {
                let how = match how.as_str() {
                    "SHUT_RD" => ShutdownHow::Read,
                    "SHUT_WR" => ShutdownHow::Write,
                    "SHUT_RDWR" => ShutdownHow::Both,
                    other => return Err(ConvertError::UnknownOption(other.to_owned())),
                };
                (Call::Shutdown { how }, outcome(result)?, None)
            }
            What::Close { result } => (Call::Close, outcome(result)?, None),
            What::Sendto {
                to,
                data_hex,
                result,
            } => {
                let result = match result {
                    SendResult::Failed(failure) => os_error(failure)?,
                    SendResult::Sent { sent } => CallResult::Sent { bytes: *sent },
                };
                let call = Call::SendTo {
                    addr: to.clone(),
                    data: hex(data_hex)?,
                };
                (call, result, None)
            }
            What::Recvfrom {
                bufsize,
                from,
                result_hex,
            } => {
                let port = raw
                    .bound_local()
                    .and_then(|local| local.rsplit_once(':'))
                    .and_then(|(_, port)| port.parse().ok())
                    .ok_or_else(|| ConvertError::NoResult(raw.sock.clone()))?;
                let read = sockets
                    .datagrams_read
                    .entry((from.clone(), port))
                    .or_insert(0);
                let nth = *read;
                *read += 1;
                let datagram_len = wire.datagram_len(from, port, nth).ok_or_else(|| {
                    ConvertError::DatagramNotOnWire {
                        from: from.clone(),
                        port,
                        nth,
                    }
                })?;
                let result = CallResult::Datagram {
                    from: from.clone(),
                    data: hex(result_hex)?,
                    datagram_len,
                };
                (Call::RecvFrom { bufsize: *bufsize }, result, None)
            }
        };
        out.push(Reported {
            t_us: raw.t_us(),
            event: CallEvent {
                socket: id,
                request: None,
                transport,
                call,
                result,
                local: raw.bound_local().map(str::to_owned),
                peer: raw.peer.clone(),
                state: state.filter(|_| transport == Transport::Tcp),
            },
        });
    }
    Ok(out)
}
