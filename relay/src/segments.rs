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

use std::{collections::BTreeSet, net::SocketAddr};

use sockscope_capture::{Capture, CaptureEvent, Packet, PacketKind, Tracker};
use sockscope_shared::{CaptureState, Direction, EventKind, SegmentEvent, SocketId, Transport};
use tokio::sync::mpsc;

use crate::{Config, events::EventTx};

/// Whether this machine lets the relay capture on `interface`.
///
/// # Errors
/// Why not, and what to run to allow it.
pub fn probe(interface: &str) -> Result<(), sockscope_capture::Unavailable> {
    sockscope_capture::probe(interface)
}

/// Packets waiting between the capture thread and the session; beyond
/// this the kernel buffers, and counts what it drops.
const PACKET_QUEUE: usize = 4096;

/// One socket's addresses, remembered after close so that late segments
/// (the last ACK, TIME_WAIT retransmissions) are still linked to it.
#[derive(Debug, Clone, Copy)]
struct Endpoint {
    socket: SocketId,
    transport: Transport,
    local: SocketAddr,
    peer: Option<SocketAddr>,
    /// When the socket came to own these addresses. A connection's first
    /// segments belong to the listener until accept() hands it over, and a
    /// client's SYN to the socket that called connect().
    since_us: u64,
}

/// The capture of one session.
pub struct SessionCapture {
    events: EventTx,
    /// `None` when capture is off on this machine, or has failed.
    interface: Option<String>,
    payload_cap: usize,
    live: Option<Live>,
    ports: BTreeSet<u16>,
    watched: BTreeSet<u16>,
    endpoints: Vec<Endpoint>,
}

struct Live {
    capture: Capture,
    packets: mpsc::Receiver<CaptureEvent>,
    tracker: Tracker,
}

impl SessionCapture {
    pub fn new(state: &CaptureState, config: &Config, events: EventTx) -> SessionCapture {
        let interface = match state {
            CaptureState::On { interface } => Some(interface.clone()),
            _ => None,
        };
        SessionCapture {
            events,
            interface,
            payload_cap: config.limits.segment_payload_cap as usize,
            live: None,
            ports: BTreeSet::new(),
            watched: BTreeSet::new(),
            endpoints: Vec::new(),
        }
    }

    /// Waits for the next captured packet and reports it. Never returns
    /// while there is no capture.
    pub async fn next(&mut self) -> Option<()> {
        let Some(live) = self.live.as_mut() else {
            return std::future::pending().await;
        };
        match live.packets.recv().await {
            Some(CaptureEvent::Packet(packet)) => {
                let tracked = live.tracker.observe(&packet);
                let event = self.segment_event(&packet, tracked);
                self.events.emit_at(packet.ts_us, EventKind::Segment(event));
            }
            Some(CaptureEvent::Stats {
                received,
                dropped_by_kernel,
                dropped_by_interface,
            }) => self.events.emit(EventKind::Capture(CaptureState::Stats {
                received,
                dropped_by_kernel,
                dropped_by_interface,
            })),
            None => {
                let reason = live
                    .capture
                    .failure()
                    .map_or_else(|| "the capture stopped".to_owned(), |f| f.reason);
                tracing::warn!(%reason, "capture ended");
                self.events.emit(EventKind::Capture(CaptureState::Off {
                    reason,
                    fix: "reload the page to try again".into(),
                }));
                self.live = None;
                self.interface = None;
            }
        }
        Some(())
    }

    /// Adds a port the session uses; returns once packets of that port are
    /// being captured (well under a millisecond on loopback).
    pub async fn add_port(&mut self, port: u16) {
        if port != 0 && self.ports.insert(port) {
            self.apply_filter();
        }
    }

    /// Replaces the watched ports (programs sockscope did not start).
    ///
    /// # Errors
    /// A sentence for the page when capture is off here.
    pub async fn watch(&mut self, ports: Vec<u16>) -> Result<(), String> {
        if self.interface.is_none() && !ports.is_empty() {
            return Err(
                "packet capture is off on this relay, so ports cannot be watched: \
                        see the capture notice for how to turn it on"
                    .into(),
            );
        }
        self.watched = ports.into_iter().collect();
        self.apply_filter();
        Ok(())
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
        self.endpoints.push(Endpoint {
            socket,
            transport,
            local,
            peer,
            since_us,
        });
    }

    fn apply_filter(&mut self) {
        let Some(interface) = self.interface.clone() else {
            return;
        };
        if self.live.is_none() {
            let (tx, packets) = mpsc::channel(PACKET_QUEUE);
            match Capture::start(&interface, self.payload_cap, tx) {
                Ok(capture) => {
                    self.live = Some(Live {
                        capture,
                        packets,
                        tracker: Tracker::new(),
                    });
                }
                Err(unavailable) => {
                    self.capture_failed(unavailable);
                    return;
                }
            }
        }
        let ports: Vec<u16> = self.ports.union(&self.watched).copied().collect();
        if let Some(live) = &self.live {
            if let Err(unavailable) = live.capture.set_ports(&ports) {
                self.capture_failed(unavailable);
            }
        }
    }

    fn capture_failed(&mut self, unavailable: sockscope_capture::Unavailable) {
        tracing::warn!(reason = %unavailable.reason, "capture failed");
        self.events.emit(EventKind::Capture(CaptureState::Off {
            reason: unavailable.reason,
            fix: unavailable.fix,
        }));
        self.live = None;
        self.interface = None;
    }

    /// The newest socket whose addresses match, so that a port reused by a
    /// later socket is linked to that socket.
    fn find(
        &self,
        transport: Transport,
        local: SocketAddr,
        peer: SocketAddr,
        t_us: u64,
    ) -> Option<SocketId> {
        let rev = || {
            self.endpoints
                .iter()
                .rev()
                .filter(|e| e.transport == transport && e.since_us <= t_us)
        };
        rev()
            .find(|e| same(e.local, local) && e.peer == Some(peer))
            .or_else(|| rev().find(|e| same(e.local, local) && e.peer.is_none()))
            .map(|e| e.socket)
    }

    fn segment_event(&self, packet: &Packet, tracked: sockscope_capture::Tracked) -> SegmentEvent {
        let transport = match packet.kind {
            PacketKind::Tcp(_) => Transport::Tcp,
            PacketKind::Udp { .. } | PacketKind::IcmpPortUnreachable => Transport::Udp,
        };
        let segment = sockscope_capture::to_segment(packet, &tracked);
        SegmentEvent {
            conn: tracked.conn,
            src: packet.src.to_string(),
            dst: packet.dst.to_string(),
            direction: if tracked.forward {
                Direction::Forward
            } else {
                Direction::Reverse
            },
            from_socket: self.find(transport, packet.src, packet.dst, packet.ts_us),
            to_socket: self.find(transport, packet.dst, packet.src, packet.ts_us),
            segment,
        }
    }
}

/// Whether a socket bound to `bound` owns packets addressed to `addr`: the
/// same port, and the same address unless bound to the wildcard.
fn same(bound: SocketAddr, addr: SocketAddr) -> bool {
    bound.port() == addr.port() && (bound.ip().is_unspecified() || bound.ip() == addr.ip())
}
