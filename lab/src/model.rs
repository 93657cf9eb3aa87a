//! The impairment model of one direction, sans I/O: packets go in with the
//! time they arrived, and come out when the path releases them. The
//! forwarder owns the clock and the devices; this owns every decision, so
//! it is tested without a namespace.
//!
//! Seeded decisions (loss, the Gilbert–Elliott state, duplication,
//! reordering, jitter) depend on the seed, the direction, the packet's flow
//! (numbered in the order flows first appear in that direction) and the
//! packet's position in that flow, never on the wall clock: each flow has
//! its own ChaCha8 stream (`set_stream`), from which every packet draws
//! exactly five numbers whatever the settings. So the same seed drops the
//! same packets of the same connection on every run, even when the kernel's
//! own packets (IPv6 multicast listener reports, at unpredictable times) or
//! another connection interleave; and changing the settings midway (a dark
//! link for three seconds) changes the outcome, not the stream. Packets
//! that are not TCP or UDP share one stream of their own.
//!
//! What depends on time is whether a packet finds a queue full: the rate
//! limit's (`queue_overflow`), or the delay line's, which holds at most
//! 32 MiB per direction so that a long delay on a fast path cannot take
//! the relay's memory (`delay_line_full`). Those drops are counted apart.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::events::{Direction, DirectionStats, HEAD_BYTES, PathEvent, PathEventKind};
use crate::flow::FlowKey;
use crate::path::{DirectionConfig, Loss};

/// How long a packet chosen for reordering waits for a successor to
/// overtake it before it leaves anyway.
const REORDER_WAIT: Duration = Duration::from_millis(10);

/// The most flows remembered per direction; beyond, the table starts over
/// (new flows get new numbers), so memory stays bounded.
const MAX_FLOWS: usize = 65_536;

/// The most bytes one direction holds in its delay line.
const MAX_DELAY_LINE_BYTES: usize = 32 << 20;

/// The stream number of packets that are neither TCP nor UDP.
const OTHER_FLOWS: u32 = u32::MAX;

/// One direction of the path.
#[derive(Debug)]
pub struct DirectionModel {
    direction: Direction,
    config: DirectionConfig,
    seed: u64,
    mtu: usize,
    flows: HashMap<FlowKey, FlowState>,
    next_ordinal: u32,
    other: FlowState,
    queue: VecDeque<Queued>,
    held: Option<Held>,
    link_free_at: Option<Instant>,
    last_release: Option<Instant>,
    /// Bytes in `queue` and `held`.
    queued_bytes: usize,
    stats: DirectionStats,
}

/// A flow's random stream and where it is in it.
#[derive(Debug)]
struct FlowState {
    rng: ChaCha8Rng,
    index: u64,
    bad: bool,
}

/// A packet waiting for its release time.
#[derive(Debug)]
struct Queued {
    release: Instant,
    packet: Vec<u8>,
}

/// A packet held back to be sent after its successor.
#[derive(Debug)]
struct Held {
    deadline: Instant,
    packet: Vec<u8>,
    origin: Origin,
}

/// What an event about a packet says besides its kind and bytes: kept
/// apart from `PathEvent` so that a packet forwarded untouched costs no
/// copy of its head.
#[derive(Debug, Clone, Copy)]
struct Origin {
    at: Instant,
    direction: Direction,
    flow: Option<FlowKey>,
    index: u64,
}

impl Origin {
    /// The event, with a copy of the packet's first `HEAD_BYTES`.
    fn event(self, kind: PathEventKind, packet: &[u8]) -> PathEvent {
        PathEvent {
            at: self.at,
            direction: self.direction,
            kind,
            flow: self.flow,
            index: self.index,
            len: packet.len(),
            head: packet.get(..HEAD_BYTES).unwrap_or(packet).to_vec(),
        }
    }
}

/// The five numbers in 0..1 every packet draws.
struct Draws {
    loss: f64,
    state: f64,
    duplicate: f64,
    reorder: f64,
    jitter: f64,
}

impl FlowState {
    fn new(seed: u64, direction: Direction, ordinal: u32) -> FlowState {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let high = match direction {
            Direction::ClientToServer => 0,
            Direction::ServerToClient => 1,
        };
        rng.set_stream((high << 32) | u64::from(ordinal));
        FlowState {
            rng,
            index: 0,
            bad: false,
        }
    }

    fn draw(&mut self) -> Draws {
        let mut next = || f64::from(self.rng.next_u32()) / 4_294_967_296.0;
        Draws {
            loss: next(),
            state: next(),
            duplicate: next(),
            reorder: next(),
            jitter: next(),
        }
    }
}

impl DirectionModel {
    /// A direction with these settings, for packets of at most `mtu` bytes.
    #[must_use]
    pub fn new(direction: Direction, config: DirectionConfig, seed: u64, mtu: u16) -> Self {
        DirectionModel {
            direction,
            config,
            seed,
            mtu: usize::from(mtu),
            flows: HashMap::new(),
            next_ordinal: 0,
            other: FlowState::new(seed, direction, OTHER_FLOWS),
            queue: VecDeque::new(),
            held: None,
            link_free_at: None,
            last_release: None,
            queued_bytes: 0,
            stats: DirectionStats::default(),
        }
    }

    /// New settings from the next packet on. Packets already queued keep
    /// their release times; a new seed starts every flow's stream over.
    pub fn set_config(&mut self, config: DirectionConfig, seed: u64) {
        if seed != self.seed {
            self.seed = seed;
            self.flows.clear();
            self.next_ordinal = 0;
            self.other = FlowState::new(seed, self.direction, OTHER_FLOWS);
        }
        self.config = config;
    }

    /// The counts so far.
    #[must_use]
    pub fn stats(&self) -> DirectionStats {
        self.stats
    }

    /// Counts a packet the forwarder could not write.
    pub fn count_write_error(&mut self) {
        self.stats.write_errors += 1;
    }

    /// Takes a packet that arrived at `now`; what the path did to it, if
    /// anything, goes to `events`.
    pub fn admit(&mut self, now: Instant, packet: Vec<u8>, events: &mut Vec<PathEvent>) {
        self.stats.received += 1;
        let flow = FlowKey::of(&packet);
        let loss = self.config.loss;
        let direction = self.direction;
        let state = self.flow_state(flow);
        let index = state.index;
        state.index += 1;
        let draws = state.draw();
        let lost = match loss {
            Loss::None => false,
            Loss::Random { probability } => draws.loss < probability,
            Loss::GilbertElliott(model) => {
                let leave = if state.bad {
                    draws.state < model.leave_bad
                } else {
                    draws.state < model.enter_bad
                };
                state.bad ^= leave;
                let probability = if state.bad {
                    model.loss_in_bad
                } else {
                    model.loss_in_good
                };
                draws.loss < probability
            }
        };
        let origin = Origin {
            at: now,
            direction,
            flow,
            index,
        };
        if packet.len() > self.mtu {
            self.stats.oversize += 1;
            events.push(origin.event(PathEventKind::Oversize, &packet));
            return;
        }
        if lost {
            self.stats.lost += 1;
            events.push(origin.event(PathEventKind::Lost, &packet));
            return;
        }
        let duplicate = draws.duplicate < self.config.duplicate;
        let reorder = draws.reorder < self.config.reorder;
        let jitter = draws.jitter;
        if self.queued_bytes + packet.len() * (1 + usize::from(duplicate)) > MAX_DELAY_LINE_BYTES {
            self.stats.delay_line_full += 1;
            events.push(origin.event(PathEventKind::DelayLineFull, &packet));
            return;
        }
        if duplicate {
            self.stats.duplicated += 1;
            events.push(origin.event(PathEventKind::Duplicated, &packet));
            let copy = packet.clone();
            self.enqueue(copy, jitter, false, origin, events);
        }
        self.enqueue(packet, jitter, reorder, origin, events);
    }

    /// The flow's random stream, numbering a new flow.
    fn flow_state(&mut self, flow: Option<FlowKey>) -> &mut FlowState {
        let Some(key) = flow.filter(FlowKey::is_transport) else {
            return &mut self.other;
        };
        if self.flows.len() >= MAX_FLOWS && !self.flows.contains_key(&key) {
            self.flows.clear();
        }
        let (seed, direction, next) = (self.seed, self.direction, &mut self.next_ordinal);
        self.flows.entry(key).or_insert_with(|| {
            let ordinal = *next;
            *next = next.wrapping_add(1);
            FlowState::new(seed, direction, ordinal)
        })
    }

    /// Puts a packet through the rate limit and the delay, then in the
    /// queue (or aside, when it is to be reordered).
    fn enqueue(
        &mut self,
        packet: Vec<u8>,
        jitter_draw: f64,
        reorder: bool,
        origin: Origin,
        events: &mut Vec<PathEvent>,
    ) {
        let now = origin.at;
        let mut depart = now;
        if let Some(rate) = self.config.rate {
            let start = self.link_free_at.map_or(now, |free| free.max(now));
            let waiting = start.saturating_duration_since(now);
            let backlog = waiting.as_secs_f64() * rate.bits_per_second as f64 / 8.0;
            if backlog + packet.len() as f64 > f64::from(rate.queue_bytes) {
                self.stats.queue_overflow += 1;
                events.push(origin.event(PathEventKind::QueueOverflow, &packet));
                return;
            }
            let transmit =
                Duration::from_secs_f64(packet.len() as f64 * 8.0 / rate.bits_per_second as f64);
            depart = start + transmit;
            self.link_free_at = Some(depart);
        }
        let jitter = self.config.jitter.as_secs_f64() * (jitter_draw * 2.0 - 1.0);
        let delay = (self.config.delay.as_secs_f64() + jitter).max(0.0);
        let mut release = depart + Duration::from_secs_f64(delay);
        self.queued_bytes += packet.len();
        if let Some(last) = self.last_release {
            release = release.max(last);
        }
        if reorder && self.held.is_none() {
            self.held = Some(Held {
                deadline: release + REORDER_WAIT,
                packet,
                origin,
            });
            return;
        }
        self.last_release = Some(release);
        self.queue.push_back(Queued { release, packet });
        if let Some(held) = self.held.take() {
            self.stats.reordered += 1;
            events.push(held.origin.event(PathEventKind::Reordered, &held.packet));
            self.queue.push_back(Queued {
                release,
                packet: held.packet,
            });
        }
    }

    /// When the next packet is due, if one waits.
    #[must_use]
    pub fn next_release(&self) -> Option<Instant> {
        let queued = self.queue.front().map(|queued| queued.release);
        let held = self.held.as_ref().map(|held| held.deadline);
        match (queued, held) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next packet due at `now`, if any.
    pub fn pop_due(&mut self, now: Instant) -> Option<Vec<u8>> {
        if let Some(held) = self.held.take_if(|held| held.deadline <= now) {
            // Nothing overtook it: it leaves late but in order.
            self.last_release = Some(held.deadline);
            self.queue.push_back(Queued {
                release: held.deadline,
                packet: held.packet,
            });
        }
        if self.queue.front()?.release > now {
            return None;
        }
        let queued = self.queue.pop_front()?;
        self.queued_bytes = self.queued_bytes.saturating_sub(queued.packet.len());
        self.stats.delivered += 1;
        Some(queued.packet)
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
