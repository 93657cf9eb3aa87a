//! A session's capture: packets on the wire, turned into segment events
//! linked to the session's sockets.
//!
//! The capture crate hands over plain packets; this module is the edge that
//! knows the protocol's [`SegmentEvent`] and the session's socket ids. It
//! keeps the kernel filter on exactly the ports the session uses (its
//! sockets' ports, the ports it connects or sends to, and watched ports),
//! and it widens the filter *before* a connect or sendto so the first
//! packet is never missed.
//!
//! Capture starts with the session's first port, and only when the relay
//! found at start-up that it may capture. If the capture dies (the
//! interface went away), the page is told why and socket calls go on.
//!
//! Nothing here waits. Starting the capture and applying a filter take the
//! capture thread a moment (longer if it is stuck), so each change is sent
//! at once, in order, and comes back as an [`Applied`] future that the
//! caller awaits in a task of its own, never on the session task. Their
//! outcomes (the capture open, a filter refused) come back to
//! [`SessionCapture::next`], which the session polls with everything else.
//!
//! On loopback the session has one capture point, on `lo`. In a network
//! lab it has two, one on each side's device, so every packet is seen
//! where it was sent and where it arrived; [`crossings`] pairs the copies
//! and the path's reports of drops, so the page draws one arrow per
//! packet.
//!
//! - [`point`]: one capture point, its filter and conversations.
//! - [`source`]: where packets come from (libpcap, or a test's stand-in);
//!   [`lab_source`]: libpcap inside a lab's namespace.
//! - [`crossings`]: pairing a lab's copies.

mod crossings;
mod lab_source;
mod point;
mod source;

use std::{collections::HashMap, net::SocketAddr, sync::Arc};

use sockscope_capture::{LinkType, Packet};
use sockscope_lab::{Direction as LabDirection, Family, Lab, PathEvent, PathEventKind, Side};
use sockscope_shared::{
    CaptureState, CrossingNumber, EventKind, PathDrop, PathFate, SegmentEvent, SocketId,
    Tap as TapSide, Transport,
};
use tokio::{sync::oneshot, time::Instant};

use self::{
    crossings::{Crossings, Paired, Report, Sighting, WireKey},
    point::{CapturePoint, Captured},
};
pub use self::{
    lab_source::LabSide,
    source::{Libpcap, PacketSource, Tap},
};
use crate::{Config, clock, events::EventTx};

/// Resolves once the filter asked for is in force, or capture is off. The
/// request has already been sent: dropping this gives up only the wait.
#[derive(Debug)]
pub struct Applied(Vec<oneshot::Receiver<()>>);

impl Applied {
    /// Nothing to wait for: the filter already covers it, or there is no
    /// capture.
    fn ready() -> Applied {
        Applied(Vec::new())
    }

    /// One answer to wait for.
    fn one(answer: oneshot::Receiver<()>) -> Applied {
        Applied(vec![answer])
    }

    /// Whether there is nothing to wait for.
    pub fn is_ready(&self) -> bool {
        self.0.is_empty()
    }

    /// Waits until the filter is in force at every capture point. A
    /// capture that fails or ends meanwhile also ends the wait: socket
    /// calls go on without it.
    pub async fn wait(self) {
        for answer in self.0 {
            let _ = answer.await;
        }
    }
}

/// Ports cannot be watched on a relay that does not capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureIsOff;

impl std::fmt::Display for CaptureIsOff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "packet capture is off on this relay, so ports cannot be watched: \
             see the capture notice for how to turn it on",
        )
    }
}

/// The capture of one session: one point on loopback, two in a lab.
pub struct SessionCapture {
    events: EventTx,
    points: Vec<CapturePoint>,
    /// In a lab: which point is which side, and the pairing of copies.
    lab: Option<LabCapture>,
}

/// What a lab's capture adds.
struct LabCapture {
    /// Each point's side, in the order of `points`.
    sides: Vec<TapSide>,
    /// The client side's addresses (a packet from one of them was sent by
    /// the client).
    client: [std::net::IpAddr; 2],
    crossings: Crossings,
    /// Copies waiting for their sent copy, by token.
    held: HashMap<u64, Held>,
    next_token: u64,
}

/// A copy waiting for its number, with its time. A segment is boxed: few
/// copies wait, and a drop is a fraction of its size.
enum Held {
    Segment { t_us: u64, event: Box<SegmentEvent> },
    Drop { t_us: u64, drop: PathDrop },
}

impl SessionCapture {
    /// The capture of a session on loopback: one point, on the interface
    /// the relay found it may capture on, if any.
    pub fn new(state: &CaptureState, config: &Config, events: EventTx) -> SessionCapture {
        let interface = match state {
            CaptureState::On { interface } => Some(interface.clone()),
            _ => None,
        };
        let point = CapturePoint::new(
            interface,
            Arc::clone(&config.packet_source),
            config.limits.segment_payload_cap as usize,
            None,
            events.clone(),
        );
        SessionCapture {
            events,
            points: vec![point],
            lab: None,
        }
    }

    /// The capture of a session in `lab`: a point on each side's device,
    /// when the relay may capture at all.
    pub fn in_lab(
        lab: &Arc<Lab>,
        state: &CaptureState,
        config: &Config,
        events: EventTx,
    ) -> SessionCapture {
        let captures = matches!(state, CaptureState::On { .. });
        let sides = [
            (Side::Client, TapSide::Client),
            (Side::Server, TapSide::Server),
        ];
        let points = sides
            .iter()
            .map(|&(side, tap)| {
                let source = LabSide {
                    lab: Arc::clone(lab),
                    side,
                };
                CapturePoint::new(
                    captures.then(|| Lab::device_name(side).to_owned()),
                    Arc::new(source),
                    config.limits.segment_payload_cap as usize,
                    Some(tap),
                    events.clone(),
                )
            })
            .collect();
        SessionCapture {
            events,
            points,
            lab: Some(LabCapture {
                sides: sides.iter().map(|&(_, tap)| tap).collect(),
                client: [
                    Lab::address(Side::Client, Family::V4),
                    Lab::address(Side::Client, Family::V6),
                ],
                crossings: Crossings::default(),
                held: HashMap::new(),
                next_token: 0,
            }),
        }
    }

    /// Waits for the next captured packet, or the outcome of a slow step,
    /// and reports it. Never returns while there is no capture.
    pub async fn next(&mut self) {
        let captured = match self.points.as_mut_slice() {
            [only] => only.next().await.map(|captured| (0, captured)),
            [first, second] => tokio::select! {
                captured = first.next() => captured.map(|c| (0, c)),
                captured = second.next() => captured.map(|c| (1, c)),
            },
            _ => std::future::pending().await,
        };
        if let Some((point, captured)) = captured {
            self.on_captured(point, captured);
        }
    }

    fn on_captured(&mut self, point: usize, captured: Captured) {
        let Captured {
            t_us,
            mut event,
            packet,
        } = captured;
        let Some(lab) = self.lab.as_mut() else {
            self.events.emit_at(t_us, EventKind::Segment(event));
            return;
        };
        let key = WireKey::of(&packet);
        let now = Instant::now();
        let here = lab.sides.get(point).copied();
        let sent_by_client = lab.client.contains(&packet.src.ip());
        let sent_here = match here {
            Some(TapSide::Client) => sent_by_client,
            Some(TapSide::Server) => !sent_by_client,
            None => true,
        };
        if let Some(here) = here {
            lab.crossings.captured(here, t_us);
        }
        if sent_here {
            let (crossing, released) = lab.crossings.on_sent(key, now);
            event.crossing = Some(crossing);
            self.events.emit_at(t_us, EventKind::Segment(event));
            self.release(&released, Some(crossing));
        } else {
            let seen = Sighting {
                now,
                token: lab.token(),
                report: None,
            };
            event.crossing = match lab.crossings.on_arrival(key, seen) {
                Paired::Now(crossing) => Some(crossing),
                Paired::Unpaired(crossing) => crossing,
                Paired::Held { token } => {
                    let event = Box::new(event);
                    lab.held.insert(token, Held::Segment { t_us, event });
                    return;
                }
            };
            self.events.emit_at(t_us, EventKind::Segment(event));
        }
    }

    /// What the lab's path did to a packet: paired with the packet's
    /// crossing and reported.
    pub fn on_path_event(&mut self, report: &PathEvent) {
        let Some(lab) = self.lab.as_mut() else {
            return;
        };
        let fate = match report.kind {
            PathEventKind::Lost => PathFate::Lost,
            PathEventKind::QueueOverflow => PathFate::QueueOverflow,
            PathEventKind::Oversize => PathFate::Oversize,
            PathEventKind::DelayLineFull => PathFate::DelayLineFull,
            PathEventKind::Duplicated => PathFate::Duplicated,
            PathEventKind::Reordered => PathFate::Reordered,
        };
        let tap = match report.direction {
            LabDirection::ClientToServer => TapSide::Client,
            LabDirection::ServerToClient => TapSide::Server,
        };
        let mut drop = PathDrop {
            crossing: None,
            tap,
            fate,
            len: u32::try_from(report.len).unwrap_or(u32::MAX),
        };
        // Packets that are neither TCP nor UDP (the kernel's own IPv6
        // reports) are no socket's: only the path's counts show them.
        let Some(packet) = head_packet(&report.head) else {
            return;
        };
        let key = WireKey::of(&packet);
        // The decision on the captures' wall clock: the event's time, and
        // how far the sending side's capture must come before a drop
        // whose sent copy is not seen is given up on.
        let decided_us = clock::now_us()
            .saturating_sub(u64::try_from(report.at.elapsed().as_micros()).unwrap_or(u64::MAX));
        let seen = Sighting {
            now: Instant::now(),
            token: lab.token(),
            report: Some(Report {
                sender: tap,
                decided_us,
            }),
        };
        let paired = if fate.is_drop() {
            lab.crossings.on_arrival(key, seen)
        } else {
            lab.crossings.on_report(key, seen)
        };
        drop.crossing = match paired {
            Paired::Now(crossing) => Some(crossing),
            Paired::Unpaired(crossing) => crossing,
            Paired::Held { token } => {
                let t_us = decided_us;
                lab.held.insert(token, Held::Drop { t_us, drop });
                return;
            }
        };
        self.events.emit_at(decided_us, EventKind::PathDrop(drop));
    }

    /// Reports, without a number, the copies whose sent copy never came.
    /// The session calls it a few times a second while something waits.
    pub fn expire(&mut self) {
        let Some(lab) = self.lab.as_mut() else {
            return;
        };
        for (token, crossing) in lab.crossings.expired(Instant::now()) {
            self.release(&[token], crossing);
        }
    }

    /// Whether copies wait for pairing.
    pub fn is_pairing(&self) -> bool {
        self.lab
            .as_ref()
            .is_some_and(|lab| !lab.held.is_empty() || lab.crossings.is_waiting())
    }

    /// Emits the held copies `tokens` with `crossing`.
    fn release(&mut self, tokens: &[u64], crossing: Option<CrossingNumber>) {
        let Some(lab) = self.lab.as_mut() else {
            return;
        };
        for token in tokens {
            match lab.held.remove(token) {
                Some(Held::Segment { t_us, mut event }) => {
                    event.crossing = crossing;
                    self.events.emit_at(t_us, EventKind::Segment(*event));
                }
                Some(Held::Drop { t_us, mut drop }) => {
                    drop.crossing = crossing;
                    self.events.emit_at(t_us, EventKind::PathDrop(drop));
                }
                None => {}
            }
        }
    }

    /// Adds a port the session uses. The returned [`Applied`] resolves once
    /// packets of that port are being captured at every point (well under
    /// a millisecond on loopback).
    pub fn add_port(&mut self, port: u16) -> Applied {
        let mut applied = Applied::ready();
        for point in &mut self.points {
            applied.0.extend(point.add_port(port).0);
        }
        applied
    }

    /// Replaces the watched ports (programs sockscope did not start).
    ///
    /// # Errors
    /// [`CaptureIsOff`] when there is no capture here to watch them with.
    pub fn watch(&mut self, ports: Vec<u16>) -> Result<Applied, CaptureIsOff> {
        let mut applied = Applied::ready();
        for point in &mut self.points {
            applied.0.extend(point.watch(ports.clone())?.0);
        }
        Ok(applied)
    }

    /// Remembers a socket's addresses, owned since `since_us`, so its
    /// segments name it.
    pub fn register(
        &mut self,
        socket: SocketId,
        transport: Transport,
        local: SocketAddr,
        peer: Option<SocketAddr>,
        since_us: u64,
    ) {
        for point in &mut self.points {
            point.register(socket, transport, local, peer, since_us);
        }
    }
}

impl LabCapture {
    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }
}

/// The packet whose first bytes a lab reported, parsed as the captures
/// parse theirs.
fn head_packet(head: &[u8]) -> Option<Packet> {
    sockscope_capture::parse_packet(LinkType::RawIp, 0, head, 64)
}
