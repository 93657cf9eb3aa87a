//! Conversations: which packets belong together, which way each went, and
//! the numbers a person reads (relative seq/ack, the scaled window).
//!
//! A [`Tracker`] is pure bookkeeping over [`Packet`]s in capture order: no
//! I/O, no clock. It follows Wireshark's conventions so that sockscope and a
//! Wireshark window show the same numbers for the same packets:
//!
//! - relative sequence numbers count from each direction's initial sequence
//!   number, so a SYN is 0 and the first data byte 1; where no SYN was seen
//!   (the capture started mid-stream), the first sequence number seen counts
//!   as 1, as if its SYN had come just before;
//! - the window is scaled by the shift its sender announced in its SYN, and
//!   only once both SYNs carried the option (RFC 7323: either side leaving
//!   it out turns scaling off both ways); SYNs themselves are never scaled;
//! - a new SYN on a 4-tuple whose conversation has ended (FIN both ways, or
//!   RST) starts a new conversation, because lessons reuse ports (a client
//!   port coming back after TIME_WAIT, a restarted server).
//!
//! A tracker remembers at most [`REMEMBERED`] conversations: a capture that
//! watches a busy port for hours sees a new 4-tuple per connection, and
//! would otherwise keep every one of them. Past that, the quarter heard
//! from least recently is forgotten; a forgotten conversation that speaks
//! again is numbered as one joined mid-stream.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::SocketAddr;

use crate::packet::{Packet, PacketKind, TcpSegment};

/// Conversations a tracker keeps at most (about 100 bytes each).
pub const REMEMBERED: usize = 1 << 16;

/// The largest window shift RFC 7323 allows; larger announced values are
/// treated as 14, as TCP stacks do.
const MAX_WINDOW_SHIFT: u8 = 14;

/// What the [`Tracker`] worked out about one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tracked {
    /// The conversation, numbered from 1 per tracker: one per TCP connection
    /// or UDP 4-tuple, whichever way its packets go.
    pub conn: u32,
    /// True when the packet goes from the side that opened the conversation
    /// (sent the first SYN; for UDP, or when no SYN was seen, sent the first
    /// packet seen). For an ICMP port-unreachable report it describes the
    /// datagram that bounced, whose addresses the packet carries.
    pub forward: bool,
    /// The sequence number relative to the sender's initial one (0 for UDP).
    pub rel_seq: u32,
    /// The acknowledgement number relative to the receiver's initial
    /// sequence number; 0 when the ACK flag is off, and for UDP.
    pub rel_ack: u32,
    /// The window in bytes, scaled as the sender announced (0 for UDP).
    pub window_scaled: u32,
}

/// Groups packets into conversations and computes relative numbers.
///
/// Feed it every packet of a capture, in capture order: it learns each
/// connection's initial sequence numbers and window scales from the
/// handshake, so a packet it never saw cannot be taken into account later.
#[derive(Debug, Default)]
pub struct Tracker {
    /// The id of the last conversation opened.
    last_conn: u32,
    /// Packets observed so far: each conversation's `heard` is a reading
    /// of this count, for forgetting the quietest.
    packets: u64,
    /// The current conversation of each 4-tuple. An ended TCP conversation
    /// stays here so late packets (the last ACK after FINs) still join it,
    /// until a new SYN replaces it.
    conversations: HashMap<ConvKey, Conversation>,
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Files `packet` under its conversation and returns what a person
    /// reads about it.
    pub fn observe(&mut self, packet: &Packet) -> Tracked {
        self.packets += 1;
        if self.conversations.len() >= REMEMBERED {
            self.forget_quietest();
        }
        let heard = self.packets;
        match &packet.kind {
            PacketKind::Tcp(segment) => self.observe_tcp(packet.src, packet.dst, segment, heard),
            PacketKind::Udp { .. } | PacketKind::IcmpPortUnreachable => {
                let key = ConvKey::new(Transport::Udp, packet.src, packet.dst);
                let conv = self
                    .conversations
                    .entry(key)
                    .or_insert_with(|| Conversation::new(next_id(&mut self.last_conn), packet.src));
                conv.heard = heard;
                Tracked {
                    conn: conv.id,
                    forward: packet.src == conv.initiator,
                    rel_seq: 0,
                    rel_ack: 0,
                    window_scaled: 0,
                }
            }
        }
    }

    /// How many conversations the tracker remembers now.
    pub fn remembered(&self) -> usize {
        self.conversations.len()
    }

    /// Forgets the quarter of the conversations heard from least recently.
    /// Done in bulk, so that the sort it takes is paid once for many new
    /// conversations, not at each one.
    fn forget_quietest(&mut self) {
        let mut heard: Vec<u64> = self.conversations.values().map(|c| c.heard).collect();
        let cut = heard.len() / 4;
        let (_, &mut threshold, _) = heard.select_nth_unstable(cut);
        self.conversations.retain(|_, c| c.heard > threshold);
    }

    fn observe_tcp(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        segment: &TcpSegment,
        heard: u64,
    ) -> Tracked {
        // A SYN+ACK seen first still tells who opened: its receiver.
        let initiator = if segment.flags.syn && segment.flags.ack {
            dst
        } else {
            src
        };
        let opens = segment.flags.syn && !segment.flags.ack;
        let key = ConvKey::new(Transport::Tcp, src, dst);
        let conv = match self.conversations.entry(key) {
            Entry::Vacant(vacant) => {
                vacant.insert(Conversation::new(next_id(&mut self.last_conn), initiator))
            }
            Entry::Occupied(mut occupied) => {
                if opens && occupied.get().is_replaced_by(src, segment.seq) {
                    occupied.insert(Conversation::new(next_id(&mut self.last_conn), initiator));
                }
                occupied.into_mut()
            }
        };
        conv.heard = heard;
        conv.observe_tcp(src, segment)
    }
}

/// Hands out conversation ids from 1.
fn next_id(last: &mut u32) -> u32 {
    *last = last.saturating_add(1);
    *last
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Transport {
    Tcp,
    Udp,
}

/// A 4-tuple and transport, the same whichever way a packet goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ConvKey {
    transport: Transport,
    low: SocketAddr,
    high: SocketAddr,
}

impl ConvKey {
    fn new(transport: Transport, a: SocketAddr, b: SocketAddr) -> ConvKey {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        ConvKey {
            transport,
            low,
            high,
        }
    }
}

#[derive(Debug)]
struct Conversation {
    id: u32,
    /// The endpoint that opened the conversation: packets from it are
    /// forward.
    initiator: SocketAddr,
    forward: Side,
    reverse: Side,
    reset: bool,
    /// When it was last heard from, in packets observed by the tracker.
    heard: u64,
}

/// What one direction of a TCP conversation has shown so far.
#[derive(Debug, Default)]
struct Side {
    /// The number relative sequence numbers count from: the SYN's sequence
    /// number, or one below the first seen.
    base: Option<u32>,
    /// This side's SYN, once seen.
    syn: Option<Syn>,
    fin: bool,
}

#[derive(Debug, Clone, Copy)]
struct Syn {
    seq: u32,
    window_scale: Option<u8>,
}

impl Conversation {
    fn new(id: u32, initiator: SocketAddr) -> Conversation {
        Conversation {
            id,
            initiator,
            forward: Side::default(),
            reverse: Side::default(),
            reset: false,
            heard: 0,
        }
    }

    /// Whether a SYN (without ACK) from `src` with sequence number `seq`
    /// opens a new conversation on this 4-tuple rather than joining this one.
    fn is_replaced_by(&self, src: SocketAddr, seq: u32) -> bool {
        if self.reset || (self.forward.fin && self.reverse.fin) {
            return true;
        }
        let (sender, receiver) = if src == self.initiator {
            (&self.forward, &self.reverse)
        } else {
            (&self.reverse, &self.forward)
        };
        match (sender.syn, receiver.syn) {
            // The same SYN again is a retransmission; a different one means
            // the old connection ended without the capture seeing how.
            (Some(syn), _) => syn.seq != seq,
            // The other side's SYN crossed this one: a simultaneous open.
            (None, Some(_)) => false,
            // No handshake seen at all: the capture joined that connection
            // mid-stream, and this SYN starts another.
            (None, None) => true,
        }
    }

    fn observe_tcp(&mut self, src: SocketAddr, segment: &TcpSegment) -> Tracked {
        let forward = src == self.initiator;
        let (sender, receiver) = if forward {
            (&mut self.forward, &mut self.reverse)
        } else {
            (&mut self.reverse, &mut self.forward)
        };
        if segment.flags.syn && sender.syn.is_none() {
            sender.syn = Some(Syn {
                seq: segment.seq,
                window_scale: segment.options.window_scale,
            });
            sender.base = Some(segment.seq);
        }
        let base = *sender.base.get_or_insert(segment.seq.wrapping_sub(1));
        let rel_seq = segment.seq.wrapping_sub(base);
        let rel_ack = if segment.flags.ack {
            let base = *receiver.base.get_or_insert(segment.ack.wrapping_sub(1));
            segment.ack.wrapping_sub(base)
        } else {
            0
        };
        let window = u32::from(segment.window);
        let window_scaled = match (sender.syn, receiver.syn) {
            (Some(mine), Some(theirs)) if !segment.flags.syn => {
                match (mine.window_scale, theirs.window_scale) {
                    (Some(shift), Some(_)) => window << shift.min(MAX_WINDOW_SHIFT),
                    _ => window,
                }
            }
            _ => window,
        };
        sender.fin |= segment.flags.fin;
        self.reset |= segment.flags.rst;
        Tracked {
            conn: self.id,
            forward,
            rel_seq,
            rel_ack,
            window_scaled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{TcpFlags, TcpOptions};

    const CLIENT: &str = "127.0.0.1:40000";
    const SERVER: &str = "127.0.0.1:9527";

    /// A TCP segment from `src` to `dst`; `flags` like "SYN+ACK".
    fn tcp(src: &str, dst: &str, flags: &str, seq: u32, ack: u32) -> Packet {
        let mut set = TcpFlags::default();
        for flag in flags.split('+') {
            match flag {
                "SYN" => set.syn = true,
                "ACK" => set.ack = true,
                "FIN" => set.fin = true,
                "RST" => set.rst = true,
                other => panic!("unknown flag {other}"),
            }
        }
        Packet {
            ts_us: 0,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            kind: PacketKind::Tcp(TcpSegment {
                seq,
                ack,
                flags: set,
                window: 100,
                options: TcpOptions::default(),
                payload_len: 0,
                payload: Vec::new(),
            }),
            ip_id: None,
        }
    }

    fn with_scale(mut packet: Packet, shift: u8) -> Packet {
        if let PacketKind::Tcp(segment) = &mut packet.kind {
            segment.options.window_scale = Some(shift);
        }
        packet
    }

    fn udp(src: &str, dst: &str) -> Packet {
        Packet {
            ts_us: 0,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            kind: PacketKind::Udp {
                payload_len: 0,
                payload: Vec::new(),
            },
            ip_id: None,
        }
    }

    fn conns(packets: &[Packet]) -> Vec<u32> {
        let mut tracker = Tracker::new();
        packets.iter().map(|p| tracker.observe(p).conn).collect()
    }

    #[test]
    fn a_retransmitted_syn_stays_in_its_conversation() {
        let syn = tcp(CLIENT, SERVER, "SYN", 1000, 0);
        assert_eq!(conns(&[syn.clone(), syn]), [1, 1]);
    }

    #[test]
    fn a_syn_after_a_reset_opens_a_new_conversation() {
        let packets = [
            tcp(CLIENT, SERVER, "SYN", 1000, 0),
            tcp(SERVER, CLIENT, "RST+ACK", 0, 1001),
            tcp(CLIENT, SERVER, "SYN", 1000, 0),
        ];
        assert_eq!(conns(&packets), [1, 1, 2]);
    }

    #[test]
    fn a_different_syn_replaces_a_conversation_whose_end_was_missed() {
        let packets = [
            tcp(CLIENT, SERVER, "SYN", 1000, 0),
            tcp(SERVER, CLIENT, "SYN+ACK", 5000, 1001),
            tcp(CLIENT, SERVER, "SYN", 9000, 0),
        ];
        assert_eq!(conns(&packets), [1, 1, 2]);
    }

    #[test]
    fn a_half_closed_conversation_is_not_replaced() {
        let packets = [
            tcp(CLIENT, SERVER, "SYN", 1000, 0),
            tcp(SERVER, CLIENT, "SYN+ACK", 5000, 1001),
            tcp(CLIENT, SERVER, "FIN+ACK", 1001, 5001),
            // Same ISN as the first SYN: a retransmission, not a new start.
            tcp(CLIENT, SERVER, "SYN", 1000, 0),
        ];
        assert_eq!(conns(&packets), [1, 1, 1, 1]);
    }

    #[test]
    fn crossing_syns_are_one_conversation() {
        let mut tracker = Tracker::new();
        let first = tracker.observe(&tcp(CLIENT, SERVER, "SYN", 1000, 0));
        let second = tracker.observe(&tcp(SERVER, CLIENT, "SYN", 5000, 0));
        assert_eq!((first.conn, first.forward), (1, true));
        assert_eq!((second.conn, second.forward, second.rel_seq), (1, false, 0));
    }

    #[test]
    fn a_syn_after_a_stream_joined_midway_opens_a_new_conversation() {
        let mut tracker = Tracker::new();
        let data = tracker.observe(&tcp(SERVER, CLIENT, "ACK", 7000, 3000));
        // Nothing seen before: the first sequence number counts as 1, and
        // so does the first acknowledgement, as Wireshark shows them.
        assert_eq!(
            (data.conn, data.forward, data.rel_seq, data.rel_ack),
            (1, true, 1, 1)
        );
        let reply = tracker.observe(&tcp(CLIENT, SERVER, "ACK", 3000, 7010));
        assert_eq!(
            (reply.forward, reply.rel_seq, reply.rel_ack),
            (false, 1, 11)
        );
        let syn = tracker.observe(&tcp(CLIENT, SERVER, "SYN", 1, 0));
        assert_eq!((syn.conn, syn.forward), (2, true));
    }

    #[test]
    fn a_syn_ack_seen_first_still_points_at_the_client() {
        let mut tracker = Tracker::new();
        let syn_ack = tracker.observe(&tcp(SERVER, CLIENT, "SYN+ACK", 5000, 1001));
        assert_eq!(
            (syn_ack.forward, syn_ack.rel_seq, syn_ack.rel_ack),
            (false, 0, 1)
        );
        let ack = tracker.observe(&tcp(CLIENT, SERVER, "ACK", 1001, 5001));
        assert_eq!(
            (ack.conn, ack.forward, ack.rel_seq, ack.rel_ack),
            (1, true, 1, 1)
        );
    }

    #[test]
    fn relative_numbers_survive_sequence_wraparound() {
        let mut tracker = Tracker::new();
        tracker.observe(&tcp(CLIENT, SERVER, "SYN", u32::MAX - 1, 0));
        tracker.observe(&tcp(SERVER, CLIENT, "SYN+ACK", 10, u32::MAX));
        let data = tracker.observe(&tcp(CLIENT, SERVER, "ACK", 3, 11));
        assert_eq!((data.rel_seq, data.rel_ack), (5, 1));
    }

    #[test]
    fn windows_are_scaled_only_when_both_syns_carry_the_option() {
        let mut tracker = Tracker::new();
        let syn = tracker.observe(&with_scale(tcp(CLIENT, SERVER, "SYN", 1, 0), 7));
        let syn_ack = tracker.observe(&with_scale(tcp(SERVER, CLIENT, "SYN+ACK", 1, 2), 3));
        let ack = tracker.observe(&tcp(CLIENT, SERVER, "ACK", 2, 2));
        let reply = tracker.observe(&tcp(SERVER, CLIENT, "ACK", 2, 2));
        assert_eq!(syn.window_scaled, 100);
        assert_eq!(syn_ack.window_scaled, 100);
        assert_eq!(ack.window_scaled, 100 << 7);
        assert_eq!(reply.window_scaled, 100 << 3);

        let mut tracker = Tracker::new();
        tracker.observe(&with_scale(tcp(CLIENT, SERVER, "SYN", 1, 0), 7));
        tracker.observe(&tcp(SERVER, CLIENT, "SYN+ACK", 1, 2));
        let ack = tracker.observe(&tcp(CLIENT, SERVER, "ACK", 2, 2));
        assert_eq!(ack.window_scaled, 100, "the server turned scaling off");
    }

    #[test]
    fn window_shifts_above_14_count_as_14() {
        let mut tracker = Tracker::new();
        tracker.observe(&with_scale(tcp(CLIENT, SERVER, "SYN", 1, 0), 20));
        tracker.observe(&with_scale(tcp(SERVER, CLIENT, "SYN+ACK", 1, 2), 0));
        let ack = tracker.observe(&tcp(CLIENT, SERVER, "ACK", 2, 2));
        assert_eq!(ack.window_scaled, 100 << 14);
    }

    #[test]
    fn udp_conversations_and_their_icmp_reports() {
        let bounced = Packet {
            kind: PacketKind::IcmpPortUnreachable,
            ..udp(CLIENT, "127.0.0.1:9")
        };
        let mut tracker = Tracker::new();
        let sent = tracker.observe(&udp(CLIENT, "127.0.0.1:9"));
        let report = tracker.observe(&bounced);
        let other = tracker.observe(&udp(CLIENT, SERVER));
        let answer = tracker.observe(&udp(SERVER, CLIENT));
        let same_ports_over_tcp = tracker.observe(&tcp(CLIENT, SERVER, "SYN", 1, 0));
        assert_eq!((sent.conn, sent.forward), (1, true));
        assert_eq!((report.conn, report.forward), (1, true));
        assert_eq!((other.conn, other.forward), (2, true));
        assert_eq!((answer.conn, answer.forward), (2, false));
        assert_eq!(same_ports_over_tcp.conn, 3);
        assert_eq!(
            (answer.rel_seq, answer.rel_ack, answer.window_scaled),
            (0, 0, 0)
        );
    }

    #[test]
    fn a_long_capture_forgets_quiet_conversations_but_keeps_a_busy_one() {
        let mut tracker = Tracker::new();
        // A long-lived connection, heard from now and then...
        let open = [
            tcp(CLIENT, SERVER, "SYN", 1000, 0),
            tcp(SERVER, CLIENT, "SYN+ACK", 5000, 1001),
            tcp(CLIENT, SERVER, "ACK", 1001, 5001),
        ];
        let busy = open.iter().map(|p| tracker.observe(p).conn).last();
        // ...among twice as many short ones as the tracker remembers, each
        // a client port that never comes back.
        for n in 0..2 * REMEMBERED {
            let client = format!(
                "127.1.{}.{}:{}",
                n >> 16,
                (n >> 8) & 0xff,
                1024 + (n & 0xff)
            );
            tracker.observe(&udp(&client, SERVER));
            assert!(tracker.remembered() <= REMEMBERED);
            if n % 1000 == 0 {
                let data = tracker.observe(&tcp(CLIENT, SERVER, "ACK", 1001, 5001));
                assert_eq!(Some(data.conn), busy);
                assert_eq!((data.rel_seq, data.rel_ack), (1, 1));
            }
        }
        assert!(tracker.remembered() >= REMEMBERED / 2);
    }
}
