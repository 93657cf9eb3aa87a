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
//! do: the addresses, IPv4's identification, the TCP numbers, flags,
//! window, length and timestamps, or a UDP datagram's length and first
//! bytes ([`WireKey`]). Copies with the same key (over IPv6, the same bytes
//! sent twice within a millisecond) are matched in order.
//!
//! An arrival or a drop seen before its sent copy waits for it. It gives
//! up only once the sending side's capture has handed over a copy taken
//! after it happened (captures hand copies over in the order they took
//! them, so a sent copy not seen by then was never taken), or if a copy
//! with its key arrived before (it is most likely the path's duplicate),
//! and at least [`HOLD`] after it came; or, should that capture fall
//! silent or far behind, [`HOLD_AT_MOST`] after. It is then reported without a number
//! (or, if a copy with its key arrived before, as that copy's duplicate).
//! A wall-clock wait alone would misfile drops whenever a busy machine
//! hands the sending side's copies over late.
//!
//! Memory is bounded: sent copies wait at most [`SENT_FOR`] for their
//! arrival, and at most [`MAX_WAITING`] of each kind wait at all.

use std::{
    collections::{HashMap, VecDeque},
    hash::{DefaultHasher, Hash, Hasher},
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use sockscope_capture::{Packet, PacketKind};
use tokio::time::Instant;

/// How long an arrival or a drop waits for its sent copy at least.
pub const HOLD: Duration = Duration::from_millis(200);
/// How long an arrival or a drop waits for its sent copy at most, however
/// far behind the sending side's capture is.
pub const HOLD_AT_MOST: Duration = Duration::from_secs(5);
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
        // IPv4's identification differs for every packet a socket sends,
        // retransmissions of the same bytes included.
        packet.ip_id.hash(&mut hasher);
        match &packet.kind {
            PacketKind::Tcp(tcp) => {
                0u8.hash(&mut hasher);
                (tcp.seq, tcp.ack, tcp.window, tcp.payload_len).hash(&mut hasher);
                let flags = &tcp.flags;
                (
                    flags.syn, flags.ack, flags.fin, flags.rst, flags.psh, flags.urg,
                )
                    .hash(&mut hasher);
                // Both timestamps: a retransmission within the same
                // millisecond has the same value but may echo a newer one.
                tcp.options
                    .timestamps
                    .map(|t| (t.value, t.echo_reply))
                    .hash(&mut hasher);
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
    /// Per sending address, the capture time (µs) of the latest sent copy
    /// handed over: how far that side's capture has come.
    sent_through_us: HashMap<IpAddr, u64>,
}

/// Something that named a packet before its sent copy was seen.
#[derive(Debug)]
struct Early {
    key: WireKey,
    since: Instant,
    /// When it happened on the wall clock the captures stamp (µs): an
    /// arrival's capture, a drop's decision.
    happened_us: u64,
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
    /// A sent copy, captured at `t_us`: its new number, and the held
    /// copies (by token) that were waiting for it.
    pub fn on_sent(&mut self, key: WireKey, now: Instant, t_us: u64) -> (u64, Vec<u64>) {
        let through = self.sent_through_us.entry(key.src.ip()).or_default();
        *through = (*through).max(t_us);
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

    /// An arrived copy, or a drop (both end the packet's crossing). One
    /// whose sent copy is not waiting is held, even if a copy with the same
    /// key arrived before: it may be a retransmission of the very same
    /// bytes whose sent copy is still on its way from the other capture.
    /// Only when it expires is it taken for a duplicate of that arrival.
    /// `happened_us` is when it was captured or decided.
    pub fn on_arrival(
        &mut self,
        key: WireKey,
        now: Instant,
        happened_us: u64,
        token: u64,
    ) -> Paired {
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
        self.hold(key, now, happened_us, true, token)
    }

    /// A report about a packet that still arrives (duplicated, reordered):
    /// its number, without ending its crossing.
    pub fn on_report(
        &mut self,
        key: WireKey,
        now: Instant,
        happened_us: u64,
        token: u64,
    ) -> Paired {
        if let Some(&(crossing, _)) = self.sent.get(&key).and_then(VecDeque::front) {
            return Paired::Now(crossing);
        }
        if let Some(&crossing) = self.arrived.get(&key) {
            return Paired::Now(crossing);
        }
        self.hold(key, now, happened_us, false, token)
    }

    /// The held copies whose sent copy will not come (the module's rule),
    /// with the number of the last copy that arrived with their key (they
    /// were duplicates of it) or none; and forgets sent copies too old to
    /// arrive.
    pub fn expired(&mut self, now: Instant) -> Vec<(u64, Option<u64>)> {
        let mut gone = Vec::new();
        let (sent_through_us, arrived) = (&self.sent_through_us, &self.arrived);
        self.early.retain(|early| {
            let waited = now.duration_since(early.since);
            // A copy whose key arrived before is most likely the path's
            // duplicate of it, whose sent copy was seen long ago.
            let passed = arrived.contains_key(&early.key)
                || sent_through_us
                    .get(&early.key.src.ip())
                    .is_some_and(|&through| through > early.happened_us);
            let given_up = waited >= HOLD_AT_MOST || (waited >= HOLD && passed);
            if given_up {
                gone.push((early.token, arrived.get(&early.key).copied()));
            }
            !given_up
        });
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

    fn hold(
        &mut self,
        key: WireKey,
        now: Instant,
        happened_us: u64,
        consumes: bool,
        token: u64,
    ) -> Paired {
        if self.early.len() >= MAX_WAITING {
            // Too much unpaired: report the oldest without a number.
            return Paired::Held { token };
        }
        self.early.push_back(Early {
            key,
            since: now,
            happened_us,
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
        let (first, released) = crossings.on_sent(key(1), now, 10);
        assert!(released.is_empty());
        let (second, _) = crossings.on_sent(key(2), now, 20);
        assert_eq!(
            crossings.on_arrival(key(2), now, 21, 0),
            Paired::Now(second)
        );
        assert_eq!(crossings.on_arrival(key(1), now, 22, 0), Paired::Now(first));
        // A second arrival waits for a sent copy of its own, and is taken
        // for a duplicate only when none comes.
        assert_eq!(
            crossings.on_arrival(key(1), now, 23, 9),
            Paired::Held { token: 9 }
        );
        assert_eq!(crossings.expired(now + HOLD), vec![(9, Some(first))]);
        assert_ne!(first, second);
    }

    #[test]
    fn copies_with_one_key_pair_in_order() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        let (a, _) = crossings.on_sent(key(7), now, 10);
        let (b, _) = crossings.on_sent(key(7), now, 10);
        assert_eq!(crossings.on_arrival(key(7), now, 11, 0), Paired::Now(a));
        assert_eq!(crossings.on_arrival(key(7), now, 11, 0), Paired::Now(b));
    }

    #[test]
    fn an_early_arrival_waits_for_its_sent_copy_or_expires() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        assert_eq!(
            crossings.on_arrival(key(3), now, 12, 41),
            Paired::Held { token: 41 }
        );
        assert_eq!(
            crossings.on_report(key(3), now, 11, 42),
            Paired::Held { token: 42 }
        );
        let (crossing, released) = crossings.on_sent(key(3), now, 10);
        assert_eq!(released, vec![41, 42]);
        // Its later duplicate is told apart once nothing else claims it.
        assert!(matches!(
            crossings.on_arrival(key(3), now, 13, 44),
            Paired::Held { .. }
        ));
        assert_eq!(crossings.expired(now + HOLD), vec![(44, Some(crossing))]);

        assert!(matches!(
            crossings.on_arrival(key(4), now, 25, 43),
            Paired::Held { .. }
        ));
        crossings.on_sent(key(9), now, 30);
        assert!(crossings.expired(now).is_empty());
        assert_eq!(crossings.expired(now + HOLD), vec![(43, None)]);
    }

    #[test]
    fn a_drop_reported_before_its_sent_copy_is_not_taken_for_an_earlier_twin() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        // The same bytes twice: the first arrives...
        let (first, _) = crossings.on_sent(key(6), now, 10);
        assert_eq!(crossings.on_arrival(key(6), now, 11, 0), Paired::Now(first));
        // ...the second is reported lost before its sent copy is seen.
        assert_eq!(
            crossings.on_arrival(key(6), now, 13, 50),
            Paired::Held { token: 50 }
        );
        let (second, released) = crossings.on_sent(key(6), now, 12);
        assert_eq!(released, vec![50], "the drop is the second's");
        assert_ne!(first, second);
    }

    #[test]
    fn sent_copies_that_never_arrive_are_forgotten() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        crossings.on_sent(key(5), now, 10);
        assert!(crossings.is_waiting());
        crossings.expired(now + SENT_FOR);
        assert!(!crossings.is_waiting());
    }

    #[test]
    fn a_drop_waits_while_the_sending_sides_capture_is_behind() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        crossings.on_sent(key(1), now, 10);
        // Decided at 100 µs; the sending side has handed over only what it
        // took up to 10 µs, so its sent copy may yet come.
        assert_eq!(
            crossings.on_arrival(key(2), now, 100, 60),
            Paired::Held { token: 60 }
        );
        assert!(crossings.expired(now + HOLD * 3).is_empty());
        // Its capture hands over a copy taken after the drop: the drop's
        // own sent copy was never taken.
        crossings.on_sent(key(3), now + HOLD * 3, 150);
        assert_eq!(crossings.expired(now + HOLD * 3), vec![(60, None)]);

        // A capture that falls silent is given up on at last.
        assert!(matches!(
            crossings.on_arrival(key(4), now, 200, 61),
            Paired::Held { .. }
        ));
        assert!(crossings.expired(now + HOLD_AT_MOST / 2).is_empty());
        assert_eq!(crossings.expired(now + HOLD_AT_MOST), vec![(61, None)]);
    }
}
