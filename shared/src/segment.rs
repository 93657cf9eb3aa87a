//! Segments: what crossed the wire, as the capture saw it.
//!
//! A [`SegmentEvent`] names its connection (`conn`, one per 4-tuple within a
//! session), which way it went (`direction`: `forward` is from the side that
//! sent the first SYN, or the first packet seen), and, where the relay owns
//! the sockets at either end, their ids. Both ends of a lesson usually share
//! 127.0.0.1, so endpoints are always address *and* port.
//!
//! ```json
//! {"event": "segment", "conn": 1, "src": "127.0.0.1:45396", "dst": "127.0.0.1:9527",
//!  "direction": "forward", "from_socket": 2, "to_socket": 3,
//!  "proto": "tcp", "flags": {"syn": true, "ack": false, ...},
//!  "seq": 3141592653, "ack": 0, "rel_seq": 0, "rel_ack": 0,
//!  "window": 65495, "window_scaled": 65495,
//!  "options": {"mss": 65495, "window_scale": 7, "sack_permitted": true, "timestamps": [12, 0]},
//!  "payload_len": 0, "payload": ""}
//! ```

use serde::{Deserialize, Serialize};

use crate::{Bytes, CrossingNumber, Endpoint, NonZeroSocketId, SocketId, Tap, TcpAnalyses};

/// One packet of a watched or relay-owned conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentEvent {
    /// The conversation this belongs to, numbered from 1 per session.
    pub conn: u32,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub direction: Direction,
    /// The relay's socket that sent this, when the sender is one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_socket: Option<NonZeroSocketId>,
    /// The relay's socket this was addressed to, when it is one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_socket: Option<NonZeroSocketId>,
    /// In the network lab, the side whose capture saw this copy; absent on
    /// loopback, where there is one capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tap: Option<Tap>,
    /// In the network lab, the packet's crossing number: the copy captured
    /// where it was sent and the copy (or copies, if the path duplicated
    /// it) captured where it arrived carry the same number, as does a
    /// `path_drop` event about it. Numbers count up from 1 per session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crossing: Option<CrossingNumber>,
    /// What Wireshark's TCP analysis says of this segment, as seen at this
    /// capture point (`tcp.analysis.*`).
    #[serde(default, skip_serializing_if = "TcpAnalyses::is_empty")]
    pub analysis: TcpAnalyses,
    #[serde(flatten)]
    pub segment: Segment,
}

impl SegmentEvent {
    /// The relay's socket that sent it, if one of them did.
    pub fn sender(&self) -> Option<SocketId> {
        self.from_socket.map(NonZeroSocketId::get)
    }

    /// The relay's socket it was addressed to, if one of them.
    pub fn receiver(&self) -> Option<SocketId> {
        self.to_socket.map(NonZeroSocketId::get)
    }
}

/// Which way a packet went within its conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the side that opened the conversation (sent the first SYN).
    Forward,
    /// Back towards it.
    Reverse,
}

impl Direction {
    /// Its name as the protocol writes it: `forward`, `reverse`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::Reverse => "reverse",
        }
    }
}

/// The transport-level content of a packet.
///
/// `payload` holds at most [`crate::Limits::segment_payload_cap`] bytes;
/// `payload_len` is always the real length, so `payload_len - payload.len()`
/// bytes were cut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "proto", rename_all = "snake_case")]
pub enum Segment {
    Tcp {
        flags: TcpFlags,
        /// Sequence and acknowledgement numbers as on the wire.
        seq: u32,
        ack: u32,
        /// The same, relative to each direction's initial sequence number,
        /// as Wireshark shows them by default.
        rel_seq: u32,
        rel_ack: u32,
        /// The raw 16-bit window field.
        window: u16,
        /// The window in bytes: the field shifted by the window scale the
        /// sender announced in its SYN (SYN segments themselves are never
        /// scaled).
        window_scaled: u32,
        options: TcpOptions,
        payload_len: u32,
        payload: Bytes,
    },
    Udp(UdpDatagram),
    /// ICMP port unreachable: a UDP datagram was sent to a port where
    /// nothing listens. `src`/`dst` of the event are those of the datagram
    /// that bounced.
    IcmpPortUnreachable,
}

impl Segment {
    /// Payload bytes the packet carried on the wire.
    pub fn payload_len(&self) -> u32 {
        match self {
            Segment::Tcp { payload_len, .. } => *payload_len,
            Segment::Udp(d) => d.payload_len,
            Segment::IcmpPortUnreachable => 0,
        }
    }
}

/// A UDP datagram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UdpDatagram {
    pub payload_len: u32,
    pub payload: Bytes,
}

/// The TCP header's flag bits, by name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
    pub urg: bool,
    pub ece: bool,
    pub cwr: bool,
}

impl TcpFlags {
    /// The flags as Wireshark writes them: `SYN, ACK`.
    pub fn label(&self) -> String {
        let names = [
            (self.fin, "FIN"),
            (self.syn, "SYN"),
            (self.rst, "RST"),
            (self.psh, "PSH"),
            (self.ack, "ACK"),
            (self.urg, "URG"),
            (self.ece, "ECE"),
            (self.cwr, "CWR"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| *name)
            .collect();
        set.join(", ")
    }
}

/// The TCP options a learner meets on loopback.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mss: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_scale: Option<u8>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sack_permitted: bool,
    /// SACK blocks as (left edge, right edge) sequence numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sack: Vec<SackBlock>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<Timestamps>,
}

/// One SACK block: bytes the receiver holds beyond a hole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SackBlock {
    pub left: u32,
    pub right: u32,
}

/// The TCP timestamps option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamps {
    pub value: u32,
    pub echo_reply: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_direction_is_named_as_the_protocol_writes_it() {
        for direction in [Direction::Forward, Direction::Reverse] {
            let json = serde_json::to_string(&direction).unwrap();
            assert_eq!(json, format!("\"{}\"", direction.name()));
        }
    }

    #[test]
    fn flag_label_reads_like_wireshark() {
        let syn_ack = TcpFlags {
            syn: true,
            ack: true,
            ..TcpFlags::default()
        };
        assert_eq!(syn_ack.label(), "SYN, ACK");
        let fin_ack = TcpFlags {
            fin: true,
            ack: true,
            psh: true,
            ..TcpFlags::default()
        };
        assert_eq!(fin_ack.label(), "FIN, PSH, ACK");
    }
}
