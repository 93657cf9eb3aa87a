//! What one captured packet said, once parsed: who sent it to whom, when the
//! kernel saw it, and its TCP segment, UDP datagram or ICMP port-unreachable
//! report.
//!
//! These types are plain data with named fields and no behaviour beyond small
//! accessors. They know nothing of JSON: the relay converts them to the
//! protocol crate's `SegmentEvent` at the WebSocket edge, which is why the
//! field names follow that crate's (`SackBlock { left, right }`,
//! `Timestamps { value, echo_reply }`).

use std::net::SocketAddr;

/// One parsed packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The kernel's capture timestamp, in microseconds since the Unix epoch
    /// (CLOCK_REALTIME, the clock socket calls are stamped with too).
    pub ts_us: u64,
    /// The sender. For [`PacketKind::IcmpPortUnreachable`] this is the
    /// sender of the UDP datagram that bounced, not of the ICMP message.
    pub src: SocketAddr,
    /// The receiver. For [`PacketKind::IcmpPortUnreachable`] this is the
    /// closed port the datagram was addressed to.
    pub dst: SocketAddr,
    pub kind: PacketKind,
    /// The IPv4 header's identification, which Linux gives each packet a
    /// socket sends anew (a retransmission too); `None` for IPv6. It tells
    /// apart copies of the same bytes sent twice.
    pub ip_id: Option<u16>,
}

impl Packet {
    /// The TCP segment, when this packet is one.
    pub fn tcp(&self) -> Option<&TcpSegment> {
        match &self.kind {
            PacketKind::Tcp(segment) => Some(segment),
            PacketKind::Udp { .. } | PacketKind::IcmpPortUnreachable => None,
        }
    }

    /// Payload bytes the packet carried on the wire (0 for ICMP reports).
    pub fn payload_len(&self) -> u32 {
        match &self.kind {
            PacketKind::Tcp(segment) => segment.payload_len,
            PacketKind::Udp { payload_len, .. } => *payload_len,
            PacketKind::IcmpPortUnreachable => 0,
        }
    }
}

/// The transport-level content of a [`Packet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacketKind {
    Tcp(TcpSegment),
    /// A UDP datagram. `payload` holds at most the capture's payload cap;
    /// `payload_len` is the real length from the UDP header.
    Udp {
        payload_len: u32,
        payload: Vec<u8>,
    },
    /// ICMP or ICMPv6 "port unreachable": a UDP datagram was sent to a port
    /// where nothing listens. The packet's `src`/`dst` are the addresses of
    /// that datagram, quoted inside the ICMP message.
    IcmpPortUnreachable,
}

/// A TCP segment's header fields and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSegment {
    /// Sequence number as on the wire.
    pub seq: u32,
    /// Acknowledgement number as on the wire (meaningful when `flags.ack`).
    pub ack: u32,
    pub flags: TcpFlags,
    /// The raw 16-bit window field, before any window scaling.
    pub window: u16,
    pub options: TcpOptions,
    /// Payload bytes on the wire, computed from the IP length fields, so it
    /// stays true when the capture cut the packet short.
    pub payload_len: u32,
    /// The first payload bytes, at most the capture's payload cap.
    pub payload: Vec<u8>,
}

/// The TCP header's flag bits, by name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
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

/// The TCP options a learner meets on loopback. Options that could not be
/// read (a truncated or malformed option list) end the list: what came
/// before them is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TcpOptions {
    /// Maximum segment size, announced in SYN segments.
    pub mss: Option<u16>,
    /// The window scale shift count, announced in SYN segments.
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    /// Selective acknowledgement blocks, in the order they were sent.
    pub sack: Vec<SackBlock>,
    pub timestamps: Option<Timestamps>,
}

/// One SACK block: bytes the receiver holds beyond a hole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SackBlock {
    pub left: u32,
    pub right: u32,
}

/// The TCP timestamps option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamps {
    pub value: u32,
    pub echo_reply: u32,
}
