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
//! An arrival or the path's report seen before its sent copy waits for
//! it. A captured arrival waits [`HOLD`]: its sent copy, captured first,
//! is at most a moment behind. The path's report of a drop (or of a
//! duplicate or reordering) comes first as a rule (the session takes the
//! lab's news before the captures' copies), and on a busy machine long
//! before its sent copy: a wall-clock wait alone misfiled drops. It gives
//! up, after [`HOLD`], only once the sending side's capture has handed
//! over any copy taken after the path decided (a capture hands copies over
//! in the order it took them, so a sent copy not seen by then was never
//! taken), or if a copy with its key arrived before (most likely the
//! path's duplicate), or, should that capture fall silent or far behind,
//! after [`HOLD_AT_MOST`]. Either is then reported without a number (or,
//! if a copy with its key arrived before, as that copy's duplicate).
//!
//! Memory is bounded: sent copies wait at most [`SENT_FOR`] for their
//! arrival, and at most [`MAX_WAITING`] of each kind wait at all (beyond
//! that an early copy is reported at once, unpaired).

use std::{
    collections::{HashMap, VecDeque},
    hash::{DefaultHasher, Hash, Hasher},
    net::SocketAddr,
    time::Duration,
};

use sockscope_capture::{Packet, PacketKind};
use sockscope_shared::{CrossingNumber, Tap};
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
    sent: HashMap<WireKey, VecDeque<(CrossingNumber, Instant)>>,
    sent_count: usize,
    /// The last crossing that arrived, per key: a duplicate's number.
    arrived: HashMap<WireKey, CrossingNumber>,
    /// Arrivals and drops seen before their sent copy, oldest first per
    /// key: a sent copy finds its own without looking through the rest.
    early: HashMap<WireKey, VecDeque<Early>>,
    early_count: usize,
    /// How far each side's capture has come ([`side`]): the capture time
    /// (µs) of the latest copy, of any packet, it handed over.
    through_us: [u64; 2],
}

/// The index of a side's capture in [`Crossings::through_us`].
fn side(tap: Tap) -> usize {
    match tap {
        Tap::Client => 0,
        Tap::Server => 1,
    }
}

/// A copy, or the path's report of one, that may have to wait for its
/// sent copy.
#[derive(Debug, Clone, Copy)]
pub struct Sighting {
    /// When it reached the session.
    pub now: Instant,
    /// The caller's name for it, handed back when it stops waiting.
    pub token: u64,
    /// For the path's report of a drop (or of a duplicate, a reordering),
    /// the capture it waits for; `None` for a captured arrival, which
    /// waits [`HOLD`]. The session takes the lab's news before the
    /// captures' copies, so a report nearly always comes before its sent
    /// copy, and on a busy machine long before.
    pub report: Option<Report>,
}

/// Where and when the path decided what it reports: it waits until that
/// side's capture comes past the decision.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// The side whose capture takes the packet's sent copy.
    pub sender: Tap,
    /// The decision, on the wall clock the captures stamp (µs).
    pub decided_us: u64,
}

/// Something that named a packet before its sent copy was seen.
#[derive(Debug)]
struct Early {
    seen: Sighting,
    /// Whether it is an arrival (or else a drop, which consumes the sent
    /// copy as an arrival does, or a duplicate or reorder report, which
    /// does not).
    consumes: bool,
}

/// What the caller should do with a copy it just showed.
#[derive(Debug, PartialEq, Eq)]
pub enum Paired {
    /// Report it with this number.
    Now(CrossingNumber),
    /// Keep it: its sent copy has not been seen. [`Crossings::on_sent`]
    /// or [`Crossings::expired`] hands back `token` later.
    Held { token: u64 },
    /// Report it now, with this number if a copy with its key arrived
    /// before (it is taken for that one's duplicate), else without: too
    /// many copies wait already ([`MAX_WAITING`]).
    Unpaired(Option<CrossingNumber>),
}

impl Crossings {
    /// Notes that `tap`'s capture handed over a copy captured at `t_us`:
    /// every copy it took before has been handed over too.
    pub fn captured(&mut self, tap: Tap, t_us: u64) {
        let through = &mut self.through_us[side(tap)];
        *through = (*through).max(t_us);
    }

    /// A sent copy: its new number, and the held copies (by token) that
    /// were waiting for it, oldest first.
    pub fn on_sent(&mut self, key: WireKey, now: Instant) -> (CrossingNumber, Vec<u64>) {
        // From 1.
        let crossing = CrossingNumber::MIN.saturating_add(self.next);
        self.next += 1;
        let waiting = self.early.remove(&key).unwrap_or_default();
        self.early_count -= waiting.len();
        // Every one is this copy's: the first arrival or drop, and any
        // arrival after it (a duplicate) or report about it.
        let consumed = waiting.iter().any(|early| early.consumes);
        let released = waiting.iter().map(|early| early.seen.token).collect();
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
    pub fn on_arrival(&mut self, key: WireKey, seen: Sighting) -> Paired {
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
        self.hold(key, seen, true)
    }

    /// A report about a packet that still arrives (duplicated, reordered):
    /// its number, without ending its crossing.
    pub fn on_report(&mut self, key: WireKey, seen: Sighting) -> Paired {
        if let Some(&(crossing, _)) = self.sent.get(&key).and_then(VecDeque::front) {
            return Paired::Now(crossing);
        }
        if let Some(&crossing) = self.arrived.get(&key) {
            return Paired::Now(crossing);
        }
        self.hold(key, seen, false)
    }

    /// The held copies whose sent copy will not come (the module's rule),
    /// oldest first, with the number of the last copy that arrived with
    /// their key (they were duplicates of it) or none; and forgets sent
    /// copies too old to arrive.
    pub fn expired(&mut self, now: Instant) -> Vec<(u64, Option<CrossingNumber>)> {
        let mut gone = Vec::new();
        let (through_us, arrived) = (&self.through_us, &self.arrived);
        self.early.retain(|key, queue| {
            // A copy whose key arrived before is most likely the path's
            // duplicate of it, whose sent copy was seen long ago.
            let twin = arrived.get(key).copied();
            queue.retain(|early| {
                let seen = &early.seen;
                let waited = now.duration_since(seen.now);
                let passed = twin.is_some()
                    || seen
                        .report
                        .is_none_or(|report| through_us[side(report.sender)] > report.decided_us);
                let given_up = waited >= HOLD_AT_MOST || (waited >= HOLD && passed);
                if given_up {
                    gone.push((seen.token, twin));
                }
                !given_up
            });
            !queue.is_empty()
        });
        self.early_count -= gone.len();
        // Tokens count up as copies come.
        gone.sort_unstable_by_key(|&(token, _)| token);
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
        self.early_count > 0 || self.sent_count > 0
    }

    fn hold(&mut self, key: WireKey, seen: Sighting, consumes: bool) -> Paired {
        if self.early_count >= MAX_WAITING {
            return Paired::Unpaired(self.arrived.get(&key).copied());
        }
        self.early
            .entry(key)
            .or_default()
            .push_back(Early { seen, consumes });
        self.early_count += 1;
        Paired::Held { token: seen.token }
    }

    fn remember_arrival(&mut self, key: WireKey, crossing: CrossingNumber) {
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

    /// A client's packet, captured by the server's capture.
    fn early(now: Instant, token: u64) -> Sighting {
        Sighting {
            now,
            token,
            report: None,
        }
    }

    /// The path's report that it dropped a client's packet at
    /// `decided_us`.
    fn dropped(now: Instant, decided_us: u64, token: u64) -> Sighting {
        Sighting {
            now,
            token,
            report: Some(Report {
                sender: Tap::Client,
                decided_us,
            }),
        }
    }

    #[test]
    fn an_arrival_takes_the_number_of_its_sent_copy_and_a_duplicate_too() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        let (first, released) = crossings.on_sent(key(1), now);
        assert!(released.is_empty());
        let (second, _) = crossings.on_sent(key(2), now);
        assert_eq!(
            crossings.on_arrival(key(2), early(now, 0)),
            Paired::Now(second)
        );
        assert_eq!(
            crossings.on_arrival(key(1), early(now, 0)),
            Paired::Now(first)
        );
        // A second arrival waits for a sent copy of its own, and is taken
        // for a duplicate only when none comes.
        assert_eq!(
            crossings.on_arrival(key(1), early(now, 9)),
            Paired::Held { token: 9 }
        );
        assert!(crossings.expired(now).is_empty());
        assert_eq!(crossings.expired(now + HOLD), vec![(9, Some(first))]);
        assert_ne!(first, second);
    }

    #[test]
    fn copies_with_one_key_pair_in_order() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        let (a, _) = crossings.on_sent(key(7), now);
        let (b, _) = crossings.on_sent(key(7), now);
        assert_eq!(crossings.on_arrival(key(7), early(now, 0)), Paired::Now(a));
        assert_eq!(crossings.on_arrival(key(7), early(now, 0)), Paired::Now(b));
    }

    #[test]
    fn an_early_arrival_waits_for_its_sent_copy_or_expires() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        assert_eq!(
            crossings.on_arrival(key(3), early(now, 41)),
            Paired::Held { token: 41 }
        );
        assert_eq!(
            crossings.on_report(key(3), early(now, 42)),
            Paired::Held { token: 42 }
        );
        let (crossing, released) = crossings.on_sent(key(3), now);
        assert_eq!(released, vec![41, 42]);
        // Its later duplicate is told apart once nothing else claims it.
        assert!(matches!(
            crossings.on_arrival(key(3), early(now, 44)),
            Paired::Held { .. }
        ));
        assert_eq!(crossings.expired(now + HOLD), vec![(44, Some(crossing))]);

        assert!(matches!(
            crossings.on_arrival(key(4), early(now, 43)),
            Paired::Held { .. }
        ));
        // A captured arrival waits a moment whatever the captures do.
        assert!(crossings.expired(now).is_empty());
        assert_eq!(crossings.expired(now + HOLD), vec![(43, None)]);
        assert!(!crossings.is_waiting());
    }

    #[test]
    fn a_drop_reported_before_its_sent_copy_is_not_taken_for_an_earlier_twin() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        // The same bytes twice: the first arrives...
        let (first, _) = crossings.on_sent(key(6), now);
        assert_eq!(
            crossings.on_arrival(key(6), early(now, 0)),
            Paired::Now(first)
        );
        // ...the second is reported lost before its sent copy is seen.
        assert_eq!(
            crossings.on_arrival(key(6), dropped(now, 13, 50)),
            Paired::Held { token: 50 }
        );
        let (second, released) = crossings.on_sent(key(6), now);
        assert_eq!(released, vec![50], "the drop is the second's");
        assert_ne!(first, second);
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

    #[test]
    fn a_drop_waits_while_the_sending_sides_capture_is_behind() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        crossings.captured(Tap::Client, 10);
        // Decided at 100 µs; the client's capture has handed over only what
        // it took up to 10 µs, so the drop's sent copy may yet come.
        assert_eq!(
            crossings.on_arrival(key(2), dropped(now, 100, 60)),
            Paired::Held { token: 60 }
        );
        // The server's capture coming past it says nothing of the client's.
        crossings.captured(Tap::Server, 500);
        assert!(crossings.expired(now + HOLD * 3).is_empty());
        // The client's capture hands over a copy taken after the drop (an
        // ACK it received will do): the drop's sent copy was never taken.
        crossings.captured(Tap::Client, 150);
        assert_eq!(crossings.expired(now + HOLD * 3), vec![(60, None)]);

        // A captured arrival waits no more than a moment: its sent copy
        // would have come.
        assert!(matches!(
            crossings.on_arrival(key(5), early(now, 62)),
            Paired::Held { .. }
        ));
        assert_eq!(crossings.expired(now + HOLD), vec![(62, None)]);

        // A capture that falls silent is given up on at last.
        assert!(matches!(
            crossings.on_arrival(key(4), dropped(now, 200, 61)),
            Paired::Held { .. }
        ));
        assert!(crossings.expired(now + HOLD_AT_MOST / 2).is_empty());
        assert_eq!(crossings.expired(now + HOLD_AT_MOST), vec![(61, None)]);
    }

    #[test]
    fn beyond_the_most_that_wait_an_early_copy_is_reported_at_once() {
        let now = Instant::now();
        let mut crossings = Crossings::default();
        for token in 0..MAX_WAITING as u64 {
            assert!(matches!(
                crossings.on_arrival(key(1000 + token), early(now, token)),
                Paired::Held { .. }
            ));
        }
        assert_eq!(
            crossings.on_arrival(key(1), early(now, 99_999)),
            Paired::Unpaired(None)
        );
        // A sent copy still finds the one waiting for it among them all.
        let (_, released) = crossings.on_sent(key(1000 + 77), now);
        assert_eq!(released, vec![77]);
        assert_eq!(crossings.expired(now + HOLD).len(), MAX_WAITING - 1);
        assert!(!crossings.is_waiting());
    }
}
