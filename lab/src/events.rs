//! What the path did, as counts (`PathStats`) and as events (`PathEvent`)
//! for the page to mark on its diagram: a packet the lab dropped never
//! reaches the other side's capture, so only the lab can say it existed.

use std::time::Instant;

use crate::flow::FlowKey;

/// The most bytes of a packet an event carries: an IPv4 header with every
/// option (60 bytes) or an IPv6 header (40) with a short extension, and a
/// TCP header with every option (60), so the relay can read the packet's
/// ports, sequence and ack numbers and match the event to the copy its
/// capture saw.
pub const HEAD_BYTES: usize = 128;

/// One of the path's two directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client namespace to the server namespace.
    ClientToServer,
    /// From the server namespace to the client namespace.
    ServerToClient,
}

/// Something the path did to one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathEvent {
    /// When the lab decided.
    pub at: Instant,
    /// Which direction.
    pub direction: Direction,
    /// What it did.
    pub kind: PathEventKind,
    /// The packet's flow, when it is an IP packet.
    pub flow: Option<FlowKey>,
    /// The packet's position in its flow and direction, from 0: the
    /// position the seeded decisions depend on.
    pub index: u64,
    /// The packet's length in bytes (IP header included).
    pub len: usize,
    /// The packet's first bytes (at most `HEAD_BYTES`), from its IP header
    /// on: parse it as a raw IP packet (`LinkType::Raw`) to read its TCP
    /// or UDP header. Copied only when an event is made, never for a
    /// packet the path forwards untouched.
    pub head: Vec<u8>,
}

/// What the path did to a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathEventKind {
    /// Dropped by the configured loss.
    Lost,
    /// Dropped because the rate limit's queue was full.
    QueueOverflow,
    /// Dropped because it was longer than the path's MTU.
    Oversize,
    /// Dropped because the delay line already held its most bytes (a long
    /// delay at a high rate with no rate limit).
    DelayLineFull,
    /// Sent twice.
    Duplicated,
    /// Held back and sent after the packet that followed it.
    Reordered,
}

/// Counts for one direction, since the lab was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DirectionStats {
    /// Packets read from the sending side.
    pub received: u64,
    /// Packets written to the receiving side (duplicates included).
    pub delivered: u64,
    /// Dropped by the configured loss.
    pub lost: u64,
    /// Dropped because the rate limit's queue was full.
    pub queue_overflow: u64,
    /// Dropped because longer than the MTU.
    pub oversize: u64,
    /// Dropped because the delay line was full.
    pub delay_line_full: u64,
    /// Sent twice.
    pub duplicated: u64,
    /// Sent after their successor.
    pub reordered: u64,
    /// Could not be written to the receiving side.
    pub write_errors: u64,
}

/// Counts for the whole path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PathStats {
    /// From client to server.
    pub client_to_server: DirectionStats,
    /// From server to client.
    pub server_to_client: DirectionStats,
    /// Events not delivered because nobody read them fast enough.
    pub events_missed: u64,
}
