//! Crossings: pairing the two copies of each packet a lab's path carries.
//!
//! In a lab every packet is captured twice, where it was sent and where it
//! arrived, by two captures whose packets reach the session in no
//! guaranteed order. Each packet gets a crossing number when its sent copy
//! is seen; the arrived copy (two, if the path duplicated it) and the
//! path's own report of a drop carry the same number, so the page can draw
//! one arrow per packet, with its delay, or stopping midway.
//!
//! Copies are matched by what the path never changes and retransmissions
//! do: the addresses, the TCP numbers, flags, window, length and timestamp
//! value, or a UDP datagram's length and first bytes ([`WireKey`]). Copies
//! with the same key (a retransmission with no timestamps) are matched in
//! order. An arrival or a drop seen before its sent copy waits for it, at
//! most [`HOLD`], and is then reported without a number.
//!
//! Memory is bounded: sent copies wait at most [`SENT_FOR`] for their
//! arrival, and at most [`MAX_WAITING`] of each kind wait at all.

use std::{
    collections::{HashMap, VecDeque},
    hash::{DefaultHasher, Hash, Hasher},
    net::SocketAddr,
    time::Duration,
};

use sockscope_capture::{Packet, PacketKind};
use tokio::time::Instant;

/// How long an arrival or a drop waits for its sent copy.
pub const HOLD: Duration = Duration::from_millis(200);
/// How long a sent copy waits for its arrival: longer than any delay the
/// lab allows (10 s), plus the queue.
pub const SENT_FOR: Duration = Duration::from_secs(30);
/// The most copies of each kind that wait.
pub const MAX_WAITING: usize = 8192;

/// What identifies one packet's copies on both sides of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WireKey {
    src: SocketAddr,
    dst: SocketAddr,
    body: u64,
}

impl WireKey {
    /// The key of a captured (or reported) packet.
    pub fn of(packet: &Packet) -> WireKey {
        let mut hasher = DefaultHasher::new();
        match &packet.kind {
            PacketKind::Tcp(tcp) => {
                0u8.hash(&mut hasher);
                (tcp.seq, tcp.ack, tcp.window, tcp.payload_len).hash(&mut hasher);
                let flags = &tcp.flags;
                (
                    flags.syn, flags.ack, flags.fin, flags.rst, flags.psh, flags.urg,
                )
                    .hash(&mut hasher);
                tcp.options.timestamps.map(|t| t.value).hash(&mut hasher);
            }
            PacketKind::Udp {
                payload_len,
                payload,
            } => {
                1u8.hash(&mut hasher);
                payload_len.hash(&mut hasher);
                payload.get(..32).unwrap_or(payload).hash(&mut hasher);
            }
            PacketKind::IcmpPortUnreachable => 2u8.hash(&mut hasher),
        }
        WireKey {
            src: packet.src,
            dst: packet.dst,
            body: hasher.finish(),
        }
    }
}

/// The pairing state of one lab session.
#[derive(Debug, Default)]
pub struct Crossings {
    next: u64,
    /// Sent copies not yet arrived, oldest first per key.
    sent: HashMap<WireKey, VecDeque<(u64, Instant)>>,
    sent_count: usize,
    /// The last crossing that arrived, per key: a duplicate's number.
    arrived: HashMap<WireKey, u64>,
    /// Arrivals and drops seen before their sent copy.
    early: VecDeque<Early>,
}

/// Something that named a packet before its sent copy was seen.
#[derive(Debug)]
struct Early {
    key: WireKey,
    since: Instant,
    /// Whether it is an arrival (or else a drop, which consumes the sent
    /// copy as an arrival does, or a duplicate or reorder report, which
    /// does not).
    consumes: bool,
    token: u64,
}

/// What the caller should do with a copy it just showed.
#[derive(Debug, PartialEq, Eq)]
pub enum Paired {
    /// Report it with this number.
    Now(u64),
    /// Keep it: its sent copy has not been seen. [`Crossings::on_sent`]
    /// or [`Crossings::expired`] hands back `token` later.
    Held { token: u64 },
}

impl Crossings {
    /// A sent copy: its new number, and the held copies (by token) that
    /// were waiting for it.
    pub fn on_sent(&mut self, key: WireKey, now: Instant) -> (u64, Vec<u64>) {
        self.next += 1;
        let crossing = self.next;
        let mut released = Vec::new();
        let mut consumed = false;
        self.early.retain(|early| {
            if early.key != key {
                return true;
            }
            if early.consumes && consumed {
                // A second arrival: a duplicate of this one.
                released.push(early.token);
                return false;
            }
            consumed |= early.consumes;
            released.push(early.token);
            false
        });
        if consumed {
            self.arrived.insert(key, crossing);
        } else if self.sent_count < MAX_WAITING {
            self.sent.entry(key).or_default().push_back((crossing, now));
            self.sent_count += 1;
        }
        (crossing, released)
    }

    /// An arrived copy, or a drop (both end the packet's crossing).
    pub fn on_arrival(&mut self, key: WireKey, now: Instant, token: u64) -> Paired {
        if let Some(queue) = self.sent.get_mut(&key)
            && let Some((crossing, _)) = queue.pop_front()
        {
            self.sent_count -= 1;
            if queue.is_empty() {
                self.sent.remove(&key);
            }
            self.remember_arrival(key, crossing);
            return Paired::Now(crossing);
        }
        if let Some(&crossing) = self.arrived.get(&key) {
            return Paired::Now(crossing);
        }
        self.hold(key, now, true, token)
    }

    /// A report about a packet that still arrives (duplicated, reordered):
    /// its number, without ending its crossing.
    pub fn on_report(&mut self, key: WireKey, now: Instant, token: u64) -> Paired {
        if let Some(&(crossing, _)) = self.sent.get(&key).and_then(VecDeque::front) {
            return Paired::Now(crossing);
        }
        if let Some(&crossing) = self.arrived.get(&key) {
            return Paired::Now(crossing);
        }
        self.hold(key, now, false, token)
    }

    /// The tokens of held copies whose sent copy never came, and forgets
    /// sent copies too old to arrive.
    pub fn expired(&mut self, now: Instant) -> Vec<u64> {
        let mut gone = Vec::new();
        while let Some(early) = self.early.front() {
            if now.duration_since(early.since) < HOLD {
                break;
            }
            gone.extend(self.early.pop_front().map(|early| early.token));
        }
        let mut forgotten = 0;
        self.sent.retain(|_, queue| {
            while queue
                .front()
                .is_some_and(|(_, since)| now.duration_since(*since) >= SENT_FOR)
            {
                queue.pop_front();
                forgotten += 1;
            }
            !queue.is_empty()
        });
        self.sent_count -= forgotten;
        gone
    }

    /// Whether anything waits, so the caller knows to call
    /// [`Crossings::expired`].
    pub fn is_waiting(&self) -> bool {
        !self.early.is_empty() || self.sent_count > 0
    }

    fn hold(&mut self, key: WireKey, now: Instant, consumes: bool, token: u64) -> Paired {
        if self.early.len() >= MAX_WAITING {
            // Too much unpaired: report the oldest without a number.
            return Paired::Held { token };
        }
        self.early.push_back(Early {
            key,
            since: now,
            consumes,
            token,
        });
        Paired::Held { token }
    }

    fn remember_arrival(&mut self, key: WireKey, crossing: u64) {
        if self.arrived.len() >= MAX_WAITING {
            self.arrived.clear();
        }
        self.arrived.insert(key, crossing);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u64) -> WireKey {
        WireKey {
            src: SocketAddr::from(([10, 77, 0, 1], 1)),
            dst: SocketAddr::from(([10, 77, 0, 2], 2)),
            body: n,
        }
    }

    #[test]
    fn an_arrival_takes_the_number_of_its_sent_copy_and_a_duplicate_too() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        let (first, released) = crossings.on_sent(key(1), now);
        assert!(released.is_empty());
        let (second, _) = crossings.on_sent(key(2), now);
        assert_eq!(crossings.on_arrival(key(2), now, 0), Paired::Now(second));
        assert_eq!(crossings.on_arrival(key(1), now, 0), Paired::Now(first));
        assert_eq!(crossings.on_arrival(key(1), now, 0), Paired::Now(first));
        assert_ne!(first, second);
    }

    #[test]
    fn copies_with_one_key_pair_in_order() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        let (a, _) = crossings.on_sent(key(7), now);
        let (b, _) = crossings.on_sent(key(7), now);
        assert_eq!(crossings.on_arrival(key(7), now, 0), Paired::Now(a));
        assert_eq!(crossings.on_arrival(key(7), now, 0), Paired::Now(b));
    }

    #[test]
    fn an_early_arrival_waits_for_its_sent_copy_or_expires() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        assert_eq!(
            crossings.on_arrival(key(3), now, 41),
            Paired::Held { token: 41 }
        );
        assert_eq!(
            crossings.on_report(key(3), now, 42),
            Paired::Held { token: 42 }
        );
        let (crossing, released) = crossings.on_sent(key(3), now);
        assert_eq!(released, vec![41, 42]);
        // Its later duplicate still finds it.
        assert_eq!(crossings.on_arrival(key(3), now, 0), Paired::Now(crossing));

        assert!(matches!(
            crossings.on_arrival(key(4), now, 43),
            Paired::Held { .. }
        ));
        assert!(crossings.expired(now).is_empty());
        assert_eq!(crossings.expired(now + HOLD), vec![43]);
    }

    #[test]
    fn sent_copies_that_never_arrive_are_forgotten() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        crossings.on_sent(key(5), now);
        assert!(crossings.is_waiting());
        crossings.expired(now + SENT_FOR);
        assert!(!crossings.is_waiting());
    }
}
