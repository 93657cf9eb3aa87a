//! Events: what the relay reports to the page.
//!
//! Every WebSocket text frame from the relay is one [`Event`]: a sequence
//! number, a timestamp, and what happened, tagged by `event`. Socket-call
//! events and captured segments share one timeline: both carry `t_us` on the
//! same clock (microseconds since the Unix epoch, the clock the kernel stamps
//! captured packets with), so ordering by `t_us` merges them.
//!
//! ```json
//! {"index": 3, "t_us": 1795431092150818, "event": "call", "socket": 2,
//!  "call": "connect", "addr": "127.0.0.1:9527",
//!  "result": {"kind": "ok"}, "local": "127.0.0.1:45396", "peer": "127.0.0.1:9527",
//!  "state": "ESTABLISHED"}
//! ```

use serde::{Deserialize, Serialize};

use crate::{
    Bytes, CommandError, Framing, LabAvailability, Limits, OsError, PathCounts, PathDrop,
    PathState, SegmentEvent, ShutdownHow, SocketOption, TcpInfo, TcpState,
};

/// A socket's id, unique within one WebSocket session, starting at 1.
pub type SocketId = u32;

/// A socket's id where most values name none, a segment's sender and
/// receiver: never zero, as ids start at 1, so that an absent one takes
/// no room of its own (`Option<NonZeroSocketId>` is four bytes where an
/// `Option<SocketId>` is eight) in each of a capture's segments.
pub type NonZeroSocketId = std::num::NonZeroU32;

/// One frame from the relay.
///
/// Written by the derive; read by the decoder in `decode/event.rs`, which reads
/// the flat object once instead of buffering it for each flattened,
/// tagged layer as the derive would (that decoder is also where a missing
/// field or an unknown tag is named).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Position in this session's event stream, from 0, without gaps. The
    /// order is the order of sending; `t_us` is the timeline. Events the
    /// relay had to drop are counted by an [`EventKind::Lagged`].
    pub index: u64,
    /// Microseconds since the Unix epoch (CLOCK_REALTIME), the clock of
    /// captured packets' kernel timestamps. Calls are stamped when they
    /// returned, except send and sendto, stamped when called.
    pub t_us: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What an [`Event`] reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// The first event of every session.
    Hello(Hello),
    /// A socket call the relay made, with its arguments and result.
    Call(CallEvent),
    /// A TCP socket's kernel state changed (read from TCP_INFO while the
    /// socket is open, from the kernel's socket table after close).
    ///
    /// ```json
    /// {"event": "state", "socket": 2, "state": "TIME_WAIT"}
    /// ```
    State { socket: SocketId, state: TcpState },
    /// Bytes waiting in a socket's receive buffer (SIOCINQ): data the
    /// kernel holds that no recv() has taken yet.
    ///
    /// ```json
    /// {"event": "recv_queue", "socket": 3, "bytes": 15}
    /// ```
    RecvQueue { socket: SocketId, bytes: u32 },
    /// A TCP connection's kernel counters changed: congestion window,
    /// RTT, bytes in flight. For the relay's own sockets (`socket`),
    /// `getsockopt(TCP_INFO)`, sampled after calls and while segments
    /// pass, at most once per [`TCP_INFO_EVERY_US`]; for a connection of
    /// another program on a watched port (`local` and `peer`, its two
    /// addresses as that program's end sees them), the kernel's socket
    /// table through sock_diag, as `ss -ti` reads it.
    ///
    /// ```json
    /// {"event": "tcp_info", "socket": 2, "info": {"state": "ESTABLISHED", "snd_cwnd": 10, …}}
    /// ```
    TcpInfo {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        socket: Option<SocketId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        local: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        peer: Option<String>,
        /// Boxed, as are the other large and rare kinds' contents: an
        /// event is as large as its largest kind, and a capture holds a
        /// million segments.
        info: Box<TcpInfo>,
    },
    /// When the last byte of a send() left for the device, or was
    /// covered by the peer's cumulative ACK, as the kernel stamped it
    /// (SO_TIMESTAMPING); `t_us` is that stamp. `end` is one past the
    /// send's last byte: the `offset` of its `send` call event plus its
    /// length.
    ///
    /// ```json
    /// {"event": "send_time", "socket": 2, "end": 20000, "stage": "acked"}
    /// ```
    SendTime {
        socket: SocketId,
        end: u64,
        stage: SendStage,
    },
    /// A call that did not return at once: it waits inside the kernel, and
    /// its call event follows when it returns.
    ///
    /// ```json
    /// {"event": "waiting", "socket": 3, "request": 7, "call": "recv", "bufsize": 1024,
    ///  "why": "no_data"}
    /// ```
    Waiting(WaitingCall),
    /// A TCP segment, UDP datagram or ICMP error seen on the wire.
    Segment(SegmentEvent),
    /// A command that could not be run.
    CommandError(CommandError),
    /// Capture started, stopped, failed, or the kernel reported drops.
    Capture(CaptureState),
    /// The page read too slowly and the relay dropped events to keep its
    /// memory bounded.
    ///
    /// ```json
    /// {"event": "lagged", "dropped": 120}
    /// ```
    Lagged { dropped: u64 },
    /// The path in force: loopback or a lab (`path.rs`).
    Path(Box<PathState>),
    /// A packet the lab's path dropped, duplicated or reordered.
    PathDrop(PathDrop),
    /// The lab path's counts.
    PathStats(Box<PathCounts>),
}

impl EventKind {
    /// Bytes of data the event carries: what a send() or sendto() passed,
    /// what a recv() or recvfrom() returned, a segment's captured payload.
    /// The relay bounds its queue by these as well as by count, since one
    /// event may carry a megabyte.
    pub fn carried_bytes(&self) -> usize {
        match self {
            EventKind::Call(call) => {
                let sent = match &call.call {
                    Call::Send { data, .. } | Call::SendTo { data, .. } => data.len(),
                    _ => 0,
                };
                let read = match &call.result {
                    CallResult::Data { data, .. } | CallResult::Datagram { data, .. } => data.len(),
                    _ => 0,
                };
                sent + read
            }
            EventKind::Segment(segment) => match &segment.segment {
                crate::Segment::Tcp { payload, .. } => payload.len(),
                crate::Segment::Udp(datagram) => datagram.payload.len(),
                crate::Segment::IcmpPortUnreachable => 0,
            },
            _ => 0,
        }
    }
}

/// The shortest time between two `tcp_info` events of one socket, in
/// microseconds: a bulk transfer changes the counters with every ACK.
pub const TCP_INFO_EVERY_US: u64 = 5_000;

/// The moment a [`EventKind::SendTime`] stamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendStage {
    /// Handed to the device (left the machine, or loopback).
    Sent,
    /// Covered by a cumulative ACK from the peer.
    Acked,
}

/// A call waiting in the kernel (see [`EventKind::Waiting`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitingCall {
    pub socket: SocketId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<u64>,
    #[serde(flatten)]
    pub call: Call,
    pub why: WaitReason,
}

/// Why a call waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// recv(), recvfrom(): the receive buffer is empty.
    NoData,
    /// accept(): no completed connection in the listen queue.
    NoConnection,
    /// connect(): the SYN is sent and no SYN-ACK has come back.
    NoAnswer,
}

/// The relay's greeting.
///
/// ```json
/// {"event": "hello", "protocol_version": 1, "relay_version": "0.1.0",
///  "capabilities": {"capture": {"state": "on", "interface": "lo"}, "allow_remote": false},
///  "limits": {"max_payload": 1048576, "max_bufsize": 1048576, "max_sockets": 64, "segment_payload_cap": 4096}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol_version: u32,
    pub relay_version: String,
    pub capabilities: Capabilities,
    pub limits: Limits,
}

/// What this relay can do on this machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capabilities {
    pub capture: CaptureState,
    /// Whether targets other than loopback addresses are allowed.
    pub allow_remote: bool,
    /// Whether the network lab can be built here, and if not, the command
    /// that allows it. Absent from relays older than the lab (and their
    /// logs), which have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<LabAvailability>,
}

/// Whether packets are being captured, and if not, why and how to fix it.
///
/// ```json
/// {"state": "off", "reason": "no permission to capture on lo (needs CAP_NET_RAW)",
///  "fix": "sudo setcap cap_net_raw,cap_net_admin=eip target/release/sockscope"}
/// ```
///
/// Read by the decoder in `decode/`, like [`Event`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CaptureState {
    /// Capture works on this interface.
    On { interface: String },
    /// Capture is not possible; socket-call events still flow.
    Off { reason: String, fix: String },
    /// Counters from the kernel: packets it dropped are packets the page
    /// will never see.
    Stats {
        received: u64,
        dropped_by_kernel: u64,
        dropped_by_interface: u64,
    },
}

/// TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    /// Its name as the protocol writes it: `tcp`, `udp`.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

/// One socket call: which socket, the call and its arguments, the result,
/// and the socket's addresses and TCP state just after the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallEvent {
    pub socket: SocketId,
    /// The `id` of the request that caused this call, if any (auto-accept
    /// and auto-read calls have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<u64>,
    pub transport: Transport,
    #[serde(flatten)]
    pub call: Call,
    pub result: CallResult,
    /// The socket's own address after the call (`getsockname`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<String>,
    /// The connected peer's address (`getpeername`), for TCP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// The kernel's TCP state right after the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<TcpState>,
}

/// The system call and its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    /// bind(); for TCP, `reuse_addr` says whether SO_REUSEADDR was set first.
    Bind {
        addr: String,
        reuse_addr: bool,
    },
    Listen {
        backlog: u32,
    },
    Accept,
    Connect {
        addr: String,
    },
    /// One send() system call. `offset` is where its first byte sits in the
    /// socket's outgoing byte stream (0 for the first byte ever sent), so the
    /// page can find the segments and recv() chunks that carried it.
    /// `message` numbers the repeats of one command from 0; `framing` says
    /// whether `data` starts with a length header.
    Send {
        data: Bytes,
        offset: u64,
        message: u32,
        framing: Framing,
    },
    /// One recv(bufsize) system call.
    Recv {
        bufsize: u32,
    },
    SetOption {
        option: SocketOption,
    },
    Shutdown {
        how: ShutdownHow,
    },
    Close,
    /// One sendto() system call.
    SendTo {
        addr: String,
        data: Bytes,
    },
    /// One recvfrom(bufsize) system call.
    RecvFrom {
        bufsize: u32,
    },
}

/// What the kernel answered.
///
/// Read by the decoder in `decode/`, like [`Event`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallResult {
    /// Success with nothing more to say (bind, listen, connect, close...).
    Ok,
    /// send()/sendto() accepted this many bytes.
    Sent { bytes: u64 },
    /// recv() returned this chunk; `offset` is where it starts in the
    /// socket's incoming byte stream.
    Data { data: Bytes, offset: u64 },
    /// recv() returned 0 bytes: the peer sent FIN and everything before it
    /// has been read.
    EndOfStream { offset: u64 },
    /// accept() returned a new connected socket.
    Accepted { new_socket: SocketId, peer: String },
    /// recvfrom() returned (part of) one datagram. `datagram_len` is the
    /// datagram's real length: when it exceeds `data`, the rest was lost.
    Datagram {
        from: String,
        data: Bytes,
        datagram_len: u32,
    },
    /// The call failed.
    Error(OsError),
}

impl CallResult {
    /// Bytes of a datagram that recvfrom() threw away because the buffer was
    /// too small.
    pub fn truncated_bytes(&self) -> u32 {
        match self {
            CallResult::Datagram {
                data, datagram_len, ..
            } => datagram_len.saturating_sub(u32::try_from(data.len()).unwrap_or(u32::MAX)),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Segment, TcpAnalyses, TcpFlags, TcpOptions};

    #[test]
    fn a_transport_is_named_as_the_protocol_writes_it() {
        for transport in [Transport::Tcp, Transport::Udp] {
            let json = serde_json::to_string(&transport).unwrap();
            assert_eq!(json, format!("\"{}\"", transport.name()));
        }
    }

    fn round_trip(event: Event) -> String {
        let json = serde_json::to_string(&event).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event, "{json}");
        json
    }

    #[test]
    fn recv_event_is_flat_json() {
        let json = round_trip(Event {
            index: 5,
            t_us: 1_795_431_092_150_818,
            kind: EventKind::Call(CallEvent {
                socket: 3,
                request: Some(4),
                transport: Transport::Tcp,
                call: Call::Recv { bufsize: 1024 },
                result: CallResult::Data {
                    data: Bytes::from(b"hellohellohello".to_vec()),
                    offset: 0,
                },
                local: Some("127.0.0.1:9527".into()),
                peer: Some("127.0.0.1:45396".into()),
                state: Some(TcpState::Established),
            }),
        });
        assert!(json.contains(r#""event":"call""#), "{json}");
        assert!(json.contains(r#""call":"recv","bufsize":1024"#), "{json}");
        assert!(json.contains(r#""state":"ESTABLISHED""#), "{json}");
    }

    #[test]
    fn every_kind_round_trips() {
        let kinds = vec![
            EventKind::Hello(Hello {
                protocol_version: 1,
                relay_version: "0.1.0".into(),
                capabilities: Capabilities {
                    capture: CaptureState::Off {
                        reason: "no".into(),
                        fix: "setcap".into(),
                    },
                    allow_remote: false,
                    lab: None,
                },
                limits: Limits::default(),
            }),
            EventKind::State {
                socket: 1,
                state: TcpState::TimeWait,
            },
            EventKind::RecvQueue {
                socket: 1,
                bytes: 15,
            },
            EventKind::CommandError(CommandError {
                request: None,
                command: Some("recv".into()),
                code: crate::ErrorCode::UnknownSocket,
                message: "no socket 9".into(),
                field: Some("socket".into()),
                limit: None,
            }),
            EventKind::Capture(CaptureState::Stats {
                received: 3,
                dropped_by_kernel: 0,
                dropped_by_interface: 0,
            }),
            EventKind::Lagged { dropped: 2 },
            EventKind::Segment(SegmentEvent {
                conn: 1,
                src: "127.0.0.1:1".into(),
                dst: "127.0.0.1:2".into(),
                direction: crate::Direction::Forward,
                from_socket: crate::NonZeroSocketId::new(2),
                to_socket: None,
                tap: None,
                crossing: None,
                analysis: TcpAnalyses::NONE,
                segment: Segment::Tcp {
                    flags: TcpFlags {
                        syn: true,
                        ..TcpFlags::default()
                    },
                    seq: 10,
                    ack: 0,
                    rel_seq: 0,
                    rel_ack: 0,
                    window: 65495,
                    window_scaled: 65495,
                    options: TcpOptions::default(),
                    payload_len: 0,
                    payload: Bytes::default(),
                },
            }),
            EventKind::Call(CallEvent {
                socket: 4,
                request: None,
                transport: Transport::Udp,
                call: Call::RecvFrom { bufsize: 4 },
                result: CallResult::Datagram {
                    from: "127.0.0.1:5".into(),
                    data: Bytes::from(b"abcd".to_vec()),
                    datagram_len: 10,
                },
                local: None,
                peer: None,
                state: None,
            }),
        ];
        for (seq, kind) in kinds.into_iter().enumerate() {
            round_trip(Event {
                index: seq as u64,
                t_us: 1,
                kind,
            });
        }
    }

    #[test]
    fn truncation_is_what_the_buffer_could_not_hold() {
        let result = CallResult::Datagram {
            from: "127.0.0.1:5".into(),
            data: Bytes::from(b"abcd".to_vec()),
            datagram_len: 10,
        };
        assert_eq!(result.truncated_bytes(), 6);
    }
}
