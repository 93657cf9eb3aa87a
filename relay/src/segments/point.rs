//! One capture point: libpcap on one interface (`lo`, or one side of a
//! lab), its port filter, and the conversations it has seen.
//!
//! A point turns each captured packet into a [`SegmentEvent`] linked to the
//! session's sockets and hands it back ([`CapturePoint::next`]); the
//! session's capture ([`super::SessionCapture`]) numbers the crossings of a
//! lab and emits it. What concerns only this point (its statistics, its
//! failure) it reports itself.

use std::{collections::BTreeSet, net::SocketAddr, sync::Arc};

use sockscope_capture::{
    CaptureEvent, Endpoint, Endpoints, Packet, PacketKind, Tracker, Unavailable,
};
use sockscope_shared::{
    CaptureState, Direction, EventKind, NonZeroSocketId, SegmentEvent, SocketId, Transport,
};
use tokio::sync::{mpsc, oneshot};

use super::{
    Applied, CaptureIsOff,
    source::{self, PacketSource, Tap},
};
use crate::events::EventTx;

/// Packets waiting between the capture thread and the session; beyond
/// this the kernel buffers, and counts what it drops.
const PACKET_QUEUE: usize = 4096;

/// One capture point of a session: an interface, its filter, its
/// conversations.
pub struct CapturePoint {
    events: EventTx,
    source: Arc<dyn PacketSource>,
    payload_cap: usize,
    stage: Stage,
    /// Packets from the capture, once it has been started.
    packets: Option<mpsc::Receiver<CaptureEvent>>,
    tracker: Tracker,
    /// Outcomes of the capture's slow steps, sent by their tasks.
    outcomes_tx: mpsc::UnboundedSender<Outcome>,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    ports: BTreeSet<u16>,
    watched: BTreeSet<u16>,
    endpoints: Endpoints,
    /// Which side of a lab this point captures; `None` on loopback.
    side: Option<sockscope_shared::Tap>,
    /// Wireshark's TCP analysis, as this point sees the wire.
    analyzer: sockscope_capture::Analyzer,
}

/// A packet this point captured, as a segment event, with what the
/// session's capture needs to pair it with its other copy in a lab.
pub struct Captured {
    pub t_us: u64,
    pub event: SegmentEvent,
    pub packet: Packet,
}

/// Where the session's capture stands.
enum Stage {
    /// Capture is off on this machine, or has failed.
    Off,
    /// Capture is possible on `interface`; no port has been asked for yet.
    Idle {
        interface: String,
    },
    /// The capture is opening. Filter changes asked for meanwhile wait for
    /// it: they are all answered once the current ports are in force.
    Starting {
        waiting: Vec<oneshot::Sender<()>>,
    },
    Running {
        tap: Box<dyn Tap>,
    },
}

/// What a task working for the capture reports back.
enum Outcome {
    /// The capture opened (or could not). The waiting filter changes are
    /// answered once the current ports are in force.
    Started(Result<Box<dyn Tap>, Unavailable>),
    /// A filter change failed: the capture is no longer usable.
    Failed(Unavailable),
}

impl CapturePoint {
    /// A point that will capture on `interface` from `source` once a port
    /// is asked for; never, when `interface` is `None` (capture is off).
    pub fn new(
        interface: Option<String>,
        source: Arc<dyn PacketSource>,
        payload_cap: usize,
        side: Option<sockscope_shared::Tap>,
        events: EventTx,
    ) -> CapturePoint {
        let stage = match interface {
            Some(interface) => Stage::Idle { interface },
            None => Stage::Off,
        };
        let (outcomes_tx, outcomes) = mpsc::unbounded_channel();
        CapturePoint {
            events,
            source,
            payload_cap,
            stage,
            packets: None,
            tracker: Tracker::new(),
            outcomes_tx,
            outcomes,
            ports: BTreeSet::new(),
            watched: BTreeSet::new(),
            endpoints: Endpoints::new(),
            side,
            analyzer: sockscope_capture::Analyzer::new(),
        }
    }

    /// Waits for the next captured packet, or the outcome of a slow step.
    /// Hands back a packet; reports the rest itself. Never returns while
    /// there is no capture.
    pub async fn next(&mut self) -> Option<Captured> {
        let packet = async {
            match self.packets.as_mut() {
                Some(packets) => packets.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = packet => self.on_packet(event),
            Some(outcome) = self.outcomes.recv() => {
                self.on_outcome(outcome);
                None
            }
        }
    }

    fn on_packet(&mut self, event: Option<CaptureEvent>) -> Option<Captured> {
        match event {
            Some(CaptureEvent::Packet(packet)) => {
                let tracked = self.tracker.observe(&packet);
                let event = self.segment_event(&packet, tracked);
                return Some(Captured {
                    t_us: packet.ts_us,
                    event,
                    packet,
                });
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
                self.packets = None;
                let failure = match &self.stage {
                    Stage::Running { tap } => tap.failure(),
                    _ => None,
                };
                let reason = failure.map_or_else(|| "the capture stopped".to_owned(), |f| f.reason);
                tracing::warn!(%reason, "capture ended");
                self.events.emit(EventKind::Capture(CaptureState::Off {
                    reason,
                    fix: "reload the page to try again".into(),
                }));
                self.stop();
            }
        }
        None
    }

    fn on_outcome(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Started(Ok(tap)) => {
                let Stage::Starting { waiting } = std::mem::replace(&mut self.stage, Stage::Off)
                else {
                    // The capture failed meanwhile; this one is not needed.
                    source::release(tap);
                    return;
                };
                let applying = send_filter(tap.as_ref(), &self.filter_ports(), &self.outcomes_tx);
                self.stage = Stage::Running { tap };
                tokio::spawn(async move {
                    applying.wait().await;
                    for answer in waiting {
                        let _ = answer.send(());
                    }
                });
            }
            Outcome::Started(Err(unavailable)) | Outcome::Failed(unavailable) => {
                if !matches!(self.stage, Stage::Off) {
                    self.capture_failed(unavailable);
                }
            }
        }
    }

    /// Adds a port the session uses. The returned [`Applied`] resolves once
    /// packets of that port are being captured (well under a millisecond on
    /// loopback).
    pub fn add_port(&mut self, port: u16) -> Applied {
        if port != 0 && self.ports.insert(port) {
            self.apply_filter()
        } else {
            Applied::ready()
        }
    }

    /// Replaces the watched ports (programs sockscope did not start).
    ///
    /// # Errors
    /// [`CaptureIsOff`] when there is no capture here to watch them with.
    pub fn watch(&mut self, ports: Vec<u16>) -> Result<Applied, CaptureIsOff> {
        if matches!(self.stage, Stage::Off) && !ports.is_empty() {
            return Err(CaptureIsOff);
        }
        self.watched = ports.into_iter().collect();
        Ok(self.apply_filter())
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

    /// Asks for the filter on the current ports, starting the capture
    /// first if need be.
    fn apply_filter(&mut self) -> Applied {
        let ports = self.filter_ports();
        match &mut self.stage {
            Stage::Off => Applied::ready(),
            Stage::Idle { interface } => {
                let (tx, packets) = mpsc::channel(PACKET_QUEUE);
                self.packets = Some(packets);
                let starting = self.source.start(interface, self.payload_cap, tx);
                let outcomes = self.outcomes_tx.clone();
                tokio::spawn(async move {
                    let started = starting.await;
                    if let Err(mpsc::error::SendError(Outcome::Started(Ok(tap)))) =
                        outcomes.send(Outcome::Started(started))
                    {
                        // The session is gone.
                        source::release(tap);
                    }
                });
                let (answer, answered) = oneshot::channel();
                self.stage = Stage::Starting {
                    waiting: vec![answer],
                };
                Applied::one(answered)
            }
            Stage::Starting { waiting } => {
                let (answer, answered) = oneshot::channel();
                waiting.push(answer);
                Applied::one(answered)
            }
            Stage::Running { tap } => send_filter(tap.as_ref(), &ports, &self.outcomes_tx),
        }
    }

    /// The ports the filter should let through.
    fn filter_ports(&self) -> Vec<u16> {
        self.ports.union(&self.watched).copied().collect()
    }

    fn capture_failed(&mut self, unavailable: Unavailable) {
        tracing::warn!(reason = %unavailable.reason, "capture failed");
        self.events.emit(EventKind::Capture(CaptureState::Off {
            reason: unavailable.reason,
            fix: unavailable.fix,
        }));
        self.stop();
    }

    /// Capture is off from now on; a running one is stopped off the async
    /// workers.
    fn stop(&mut self) {
        if let Stage::Running { tap } = std::mem::replace(&mut self.stage, Stage::Off) {
            source::release(tap);
        }
        self.packets = None;
    }

    fn segment_event(
        &mut self,
        packet: &Packet,
        tracked: sockscope_capture::Tracked,
    ) -> SegmentEvent {
        let analysis = self.analyzer.observe(packet);
        let transport = match packet.kind {
            PacketKind::Tcp(_) => Transport::Tcp,
            PacketKind::Udp { .. } | PacketKind::IcmpPortUnreachable => Transport::Udp,
        };
        let segment = sockscope_capture::to_segment(packet, &tracked);
        SegmentEvent {
            conn: tracked.conn,
            src: packet.src.to_string().into(),
            dst: packet.dst.to_string().into(),
            direction: if tracked.forward {
                Direction::Forward
            } else {
                Direction::Reverse
            },
            from_socket: self
                .endpoints
                .find(transport, packet.src, packet.dst, packet.ts_us)
                .and_then(NonZeroSocketId::new),
            to_socket: self
                .endpoints
                .find(transport, packet.dst, packet.src, packet.ts_us)
                .and_then(NonZeroSocketId::new),
            tap: self.side,
            crossing: None,
            analysis,
            segment,
        }
    }
}

/// Sends `ports` to a running capture; a task waits for the answer and
/// reports a failure.
fn send_filter(tap: &dyn Tap, ports: &[u16], outcomes: &mpsc::UnboundedSender<Outcome>) -> Applied {
    let applying = tap.set_ports(ports);
    let outcomes = outcomes.clone();
    let (answer, answered) = oneshot::channel();
    tokio::spawn(async move {
        if let Err(unavailable) = applying.await {
            let _ = outcomes.send(Outcome::Failed(unavailable));
        }
        let _ = answer.send(());
    });
    Applied::one(answered)
}

impl Drop for CapturePoint {
    fn drop(&mut self) {
        self.stop();
    }
}
