//! The page's model of a session: plain Rust, no browser, tested natively.
//!
//! [`Model::apply`] folds the relay's events, in order, into what the views
//! draw: sockets and their TCP states ([`sockets`]), conversations with their
//! byte streams and datagrams ([`conversation`], [`stream`], [`udp`]), and
//! the list of steps the player walks through. Nothing here draws, times or
//! talks to the network; the same model serves a live relay and a loaded
//! event log.
//!
//! Every item keeps `at`, the position of the event that produced it in
//! [`Model::events`]. The log only grows, so `at` is a stable id.
//!
//! Events arrive in the relay's order, which is not always the order things
//! happened: a captured SYN can arrive after the `connect` call it caused,
//! because capture hands packets over a little later. The player therefore
//! walks steps in timestamp order (`t_us`, then arrival), and shows the past
//! through a [`Horizon`]: everything that happened before the next step.

pub mod addr;
pub mod backlog;
pub mod buffers;
pub mod connection;
pub mod conversation;
pub mod describe;
pub mod framing;
pub mod hexdump;
pub mod kept;
pub mod ladder;
pub mod lesson;
pub mod motion;
pub mod path;
pub mod path_form;
pub mod phases;
pub mod player;
pub mod seq_graph;
pub mod sockets;
pub mod stream;
pub mod udp;
pub mod validate;

use sockscope_shared::{
    Call, CallEvent, CallResult, CaptureState, CommandError, Event, EventKind, Hello, Segment,
    SegmentEvent, SocketId, TcpAnalyses, Transport,
};

use conversation::Conversations;
use path::{CopyRole, Crossing, CrossingMark, PathModel};
use sockets::Sockets;
use stream::TimeOrder;
use udp::{ReceivedDatagram, SentDatagram, WireDatagram};

/// Kernel packet counters from the latest capture `stats` event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureStats {
    pub received: u64,
    pub dropped_by_kernel: u64,
    pub dropped_by_interface: u64,
}

/// Bytes waiting in a socket's receive buffer, as a `recv_queue` event said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvQueue {
    pub at: usize,
    pub socket: SocketId,
    pub bytes: u32,
}

/// The counters of a connection of another program (a watched port), as
/// a `tcp_info` event named it by its addresses.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchedCounters {
    pub at: usize,
    pub local: String,
    pub peer: Option<String>,
    pub info: sockscope_shared::TcpInfo,
}

/// When the kernel stamped a send's last byte leaving, and being
/// acknowledged (`send_time` events): event position and time of each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendTiming {
    pub sent: Option<(usize, u64)>,
    pub acked: Option<(usize, u64)>,
}

/// How many of a stream's sends, segments and recv() chunks a horizon
/// shows, and whether its end of stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamShown {
    pub sends: usize,
    pub wire: usize,
    pub recvs: usize,
    pub end: bool,
}

impl StreamShown {
    /// Whether any of the stream's bytes have been sent, carried or read.
    pub fn any_bytes(&self) -> bool {
        self.sends + self.wire + self.recvs > 0
    }
}

/// What the player shows: every event ordered before `next` (the step after
/// the current one); `None` shows everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Horizon {
    next: Option<(u64, usize)>,
}

/// Everything the views need, derived from the events so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// Every event, in the order applied.
    pub events: Vec<Event>,
    pub hello: Option<Hello>,
    /// Whether capture is on (or why not), as last reported.
    pub capture: Option<CaptureState>,
    pub capture_stats: Option<CaptureStats>,
    pub sockets: Sockets,
    pub conversations: Conversations,
    /// Positions of the events the player steps through (calls and
    /// packets), in timestamp order; state changes and the like belong to
    /// the step before them.
    pub steps: Vec<usize>,
    pub recv_queues: Vec<RecvQueue>,
    /// Counters of watched connections, in arrival order.
    pub watched_counters: Vec<WatchedCounters>,
    /// Send timestamps, by socket and the end of the send they stamp.
    pub send_timings: std::collections::HashMap<(SocketId, u64), SendTiming>,
    pub command_errors: Vec<(usize, CommandError)>,
    /// Events the relay dropped because the page read too slowly.
    pub dropped: u64,
    /// The path in force, its counts, and the lab's crossings.
    pub path: PathModel,
    /// How much of each stream's payload is kept.
    pub keeping: kept::Keeping,
}

impl Model {
    /// A model of all of `events`, applied in order.
    pub fn from_events(events: impl IntoIterator<Item = Event>) -> Model {
        Model::keeping_all(kept::Keeping::default(), events)
    }

    /// A model of all of `events`, keeping payloads as `keeping` says.
    pub fn keeping_all(keeping: kept::Keeping, events: impl IntoIterator<Item = Event>) -> Model {
        let mut model = Model::keeping(keeping);
        // Room for them all at once: grown by doubling, a million events
        // were copied about twenty times over, and the copies' high-water
        // mark stays in the page's memory, which never shrinks.
        let events = events.into_iter();
        model.reserve(events.size_hint().0);
        for event in events {
            model.apply(event);
        }
        model
    }

    /// An empty model that keeps payloads as `keeping` says.
    pub fn keeping(keeping: kept::Keeping) -> Model {
        Model {
            keeping,
            ..Model::default()
        }
    }

    /// Room for `events` more events, made at once, and for as many
    /// steps (nearly every event of a capture is one).
    pub fn reserve(&mut self, events: usize) {
        self.events.reserve(events);
        self.steps.reserve(events);
    }

    /// Folds one event into the model.
    pub fn apply(&mut self, mut event: Event) {
        self.keeping.keep(&mut event.kind);
        let at = self.events.len();
        match &event.kind {
            EventKind::Hello(hello) => {
                self.capture = Some(hello.capabilities.capture.clone());
                self.hello = Some(hello.clone());
            }
            EventKind::Call(call) => {
                self.sockets.on_call(at, call);
                self.link_call(at, event.t_us, call);
                self.add_step(at, event.t_us);
            }
            EventKind::State { socket, state } => self.sockets.on_state(at, *socket, *state),
            EventKind::RecvQueue { socket, bytes } => self.recv_queues.push(RecvQueue {
                at,
                socket: *socket,
                bytes: *bytes,
            }),
            EventKind::TcpInfo {
                socket: Some(socket),
                info,
                ..
            } => self.sockets.on_tcp_info(at, *socket, info),
            EventKind::TcpInfo {
                socket: None,
                local: Some(local),
                peer,
                info,
            } => self.watched_counters.push(WatchedCounters {
                at,
                local: local.clone(),
                peer: peer.clone(),
                info: (**info).clone(),
            }),
            EventKind::TcpInfo { .. } => {}
            EventKind::SendTime { socket, end, stage } => {
                let timing = self.send_timings.entry((*socket, *end)).or_default();
                let slot = match stage {
                    sockscope_shared::SendStage::Sent => &mut timing.sent,
                    sockscope_shared::SendStage::Acked => &mut timing.acked,
                };
                *slot = Some((at, event.t_us));
            }
            // A call that waits is a step: the moment a program "hangs".
            EventKind::Waiting(_) => self.add_step(at, event.t_us),
            EventKind::Segment(segment) => {
                let sender = self.path.side_of(&segment.src);
                // A lab packet's arrived copy annotates its sent copy's row.
                if self.path.crossings.on_segment(at, segment, sender) != CopyRole::Arrived {
                    self.link_segment(at, event.t_us, segment);
                    self.add_step(at, event.t_us);
                }
            }
            EventKind::CommandError(error) => self.command_errors.push((at, error.clone())),
            EventKind::Capture(CaptureState::Stats {
                received,
                dropped_by_kernel,
                dropped_by_interface,
            }) => {
                self.capture_stats = Some(CaptureStats {
                    received: *received,
                    dropped_by_kernel: *dropped_by_kernel,
                    dropped_by_interface: *dropped_by_interface,
                });
            }
            EventKind::Capture(state) => self.capture = Some(state.clone()),
            EventKind::Lagged { dropped } => self.dropped += dropped,
            EventKind::Path(state) => self.path.state = Some((**state).clone()),
            EventKind::PathDrop(drop) => self.path.crossings.on_drop(drop),
            EventKind::PathStats(counts) => self.path.counts = Some(**counts),
        }
        self.events.push(event);
    }

    /// The latest counters of the watched connection end at `local` (whose
    /// peer is `peer`) among those `seen` accepts (by position).
    pub fn watched_counters_when(
        &self,
        local: &str,
        peer: &str,
        seen: impl Fn(usize) -> bool,
    ) -> Option<&sockscope_shared::TcpInfo> {
        let shown = self.watched_counters.partition_point(|c| seen(c.at));
        self.watched_counters[..shown]
            .iter()
            .rev()
            .find(|c| {
                addr::same_endpoint(&c.local, local)
                    && c.peer
                        .as_deref()
                        .is_none_or(|p| addr::same_endpoint(p, peer))
            })
            .map(|c| &c.info)
    }

    /// Where an event sits in time: its timestamp, then its arrival.
    pub fn key(&self, at: usize) -> (u64, usize) {
        (self.events.get(at).map_or(u64::MAX, |e| e.t_us), at)
    }

    /// Inserts a step in timestamp order (late packets land before the
    /// calls that arrived ahead of them).
    fn add_step(&mut self, at: usize, t_us: u64) {
        let key = (t_us, at);
        let events = &self.events;
        let key_of = |s: usize| (events.get(s).map_or(u64::MAX, |e| e.t_us), s);
        // Events nearly always come in time order: a step after the last
        // is pushed without the bisection, whose reads into a million
        // events took a twentieth of opening a million-packet capture.
        if self.steps.last().is_none_or(|&last| key_of(last) <= key) {
            self.steps.push(at);
            return;
        }
        let position = self.steps.partition_point(|&s| key_of(s) <= key);
        self.steps.insert(position, at);
    }

    /// The step an event belongs to: the last step at or before it in time.
    pub fn step_of(&self, at: usize) -> Option<usize> {
        let key = self.key(at);
        self.steps
            .partition_point(|&s| self.key(s) <= key)
            .checked_sub(1)
    }

    /// What the player shows when it stands on `step`.
    pub fn horizon(&self, step: usize) -> Horizon {
        Horizon {
            next: self.steps.get(step + 1).map(|&s| self.key(s)),
        }
    }

    /// How much of one direction of a conversation `horizon` shows: two
    /// horizons that show the same of it draw it the same, so stepping
    /// through one connection leaves the other connections' views alone.
    pub fn stream_shown(
        &self,
        conversation: usize,
        direction: usize,
        horizon: Horizon,
    ) -> StreamShown {
        let Some(stream) = self
            .conversations
            .get(conversation)
            .and_then(|c| c.streams.get(direction))
        else {
            return StreamShown::default();
        };
        StreamShown {
            sends: self.shown(&stream.sends, |s| s.at, &stream.sends_order, horizon),
            wire: self.shown(&stream.wire, |w| w.at, &stream.wire_order, horizon),
            recvs: self.shown(&stream.recvs, |r| r.at, &stream.recvs_order, horizon),
            end: stream
                .end
                .as_ref()
                .is_some_and(|e| self.shows(horizon, e.at)),
        }
    }

    /// How many of `items` (each the event at `at(item)`) `horizon` shows.
    fn shown<T>(
        &self,
        items: &[T],
        at: impl Fn(&T) -> usize,
        order: &TimeOrder,
        horizon: Horizon,
    ) -> usize {
        if order.holds() {
            // In time order, the shown items are a prefix.
            items.partition_point(|item| self.shows(horizon, at(item)))
        } else {
            items
                .iter()
                .filter(|item| self.shows(horizon, at(item)))
                .count()
        }
    }

    /// Whether the event at `at` has happened by `horizon`.
    pub fn shows(&self, horizon: Horizon, at: usize) -> bool {
        horizon.next.is_none_or(|next| self.key(at) < next)
    }

    /// The conversation the event at `at` belongs to: a packet's own, the
    /// one a call's socket is an end of, or for accept() the one of the
    /// socket it made.
    pub fn conversation_at(&self, at: usize) -> Option<usize> {
        match &self.events.get(at)?.kind {
            EventKind::Segment(_) => self
                .conversations
                .list
                .iter()
                .find(|c| c.segments.binary_search(&at).is_ok())
                .map(|c| c.id),
            EventKind::Call(call) => {
                let socket = match call.result {
                    CallResult::Accepted { new_socket, .. } => new_socket,
                    _ => call.socket,
                };
                self.conversations.of_socket(socket).map(|(id, _)| id)
            }
            _ => None,
        }
    }

    /// The ordinals of the sends whose bytes the event at `at` wrote (a
    /// send), carried (a segment) or read (a recv): the colours it gets.
    pub fn sends_of(&self, at: usize) -> Vec<usize> {
        // Each list grows in log order, so a binary search finds `at`.
        for conv in &self.conversations.list {
            for stream in &conv.streams {
                if let Ok(i) = stream.sends.binary_search_by_key(&at, |s| s.at) {
                    return vec![stream.sends[i].ordinal];
                }
                if let Ok(i) = stream.wire.binary_search_by_key(&at, |w| w.at) {
                    let wire = &stream.wire[i];
                    return stream.sends_in(wire.offset, u64::from(wire.len));
                }
                if let Ok(i) = stream.recvs.binary_search_by_key(&at, |r| r.at) {
                    let recv = &stream.recvs[i];
                    return stream.sends_in(recv.offset, recv.data.len() as u64);
                }
            }
        }
        Vec::new()
    }

    /// The segment event at `at`, if it is one.
    fn segment_at(&self, at: usize) -> Option<&SegmentEvent> {
        match &self.events.get(at)?.kind {
            EventKind::Segment(seg) => Some(seg),
            _ => None,
        }
    }

    /// The lab crossing whose sent copy is the event at `at`: what the
    /// row of that packet says of its trip.
    pub fn crossing_of(&self, at: usize) -> Option<&Crossing> {
        let number = self.segment_at(at)?.crossing?;
        self.path
            .crossings
            .get(number)
            .filter(|crossing| crossing.sent == Some(at))
    }

    /// What the path did to the packet at `at`, in numbers; `None` for a
    /// packet that did not cross a lab path.
    pub fn crossing_mark(&self, at: usize) -> Option<CrossingMark> {
        let crossing = self.crossing_of(at)?;
        let sent_t = self.events.get(at)?.t_us;
        let first = crossing.arrived.first().and_then(|&a| self.events.get(a));
        Some(CrossingMark {
            delay_us: first.map(|arrived| arrived.t_us.saturating_sub(sent_t)),
            dropped: crossing.dropped,
            copies: crossing.arrived.len(),
            reordered: crossing.reordered,
        })
    }

    /// Wireshark's TCP analysis of the packet at `at`: its own flags and,
    /// in the lab, those of its arrived copies.
    pub fn analysis_of(&self, at: usize) -> TcpAnalyses {
        let Some(seg) = self.segment_at(at) else {
            return TcpAnalyses::NONE;
        };
        let arrived = self
            .crossing_of(at)
            .map(|crossing| crossing.arrived.as_slice())
            .unwrap_or_default();
        if arrived.is_empty() {
            return seg.analysis;
        }
        let copies = arrived.iter().filter_map(|&a| self.segment_at(a));
        path::merged_analysis(std::iter::once(seg).chain(copies))
    }

    fn link_segment(&mut self, at: usize, t_us: u64, seg: &SegmentEvent) {
        let transport = match seg.segment {
            Segment::Udp(_) => Transport::Udp,
            Segment::Tcp { .. } => Transport::Tcp,
            // An ICMP error belongs with the datagram that bounced.
            Segment::IcmpPortUnreachable => Transport::Udp,
        };
        // A SYN is addressed to the listener, but the listener is never an
        // end of the connection: the socket accept() returns is.
        let end_socket = |id: Option<SocketId>| {
            id.filter(|&id| {
                self.sockets
                    .get(id)
                    .is_none_or(|s| s.role != sockets::Role::Listener)
            })
        };
        let ends = (end_socket(seg.sender()), end_socket(seg.receiver()));
        let id = self
            .conversations
            .for_packet(at, seg.conn, transport, &seg.src, &seg.dst, ends);
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        let d = conv.direction_from(&seg.src);
        match &seg.segment {
            Segment::Tcp {
                flags,
                rel_seq,
                payload_len,
                payload,
                ..
            } => {
                let stream = &mut conv.streams[d];
                if flags.syn {
                    stream.syn_seen = true;
                }
                stream.add_segment(at, t_us, *rel_seq, *payload_len, payload);
            }
            Segment::Udp(datagram) => conv.flows[d].add_wire(WireDatagram {
                at,
                payload_len: datagram.payload_len,
            }),
            Segment::IcmpPortUnreachable => {}
        }
    }

    /// Ties a call to its conversation and records the bytes it moved.
    fn link_call(&mut self, at: usize, t_us: u64, call: &CallEvent) {
        if let CallResult::Accepted { new_socket, .. } = call.result {
            self.link_tcp_socket(at, new_socket);
        }
        match (&call.call, &call.result) {
            (
                Call::Send {
                    data,
                    offset,
                    message,
                    framing,
                },
                CallResult::Sent { bytes },
            ) => {
                let Some((id, end)) = self.link_tcp_socket(at, call.socket) else {
                    return;
                };
                let kept = usize::try_from(*bytes)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                let bytes = data.prefix(kept);
                if let Some(conv) = self.conversations.get_mut(id) {
                    conv.streams[end].add_send(at, t_us, *offset, bytes, *message, *framing);
                }
            }
            (Call::Recv { bufsize }, CallResult::Data { data, offset }) => {
                if let Some((id, end)) = self.link_tcp_socket(at, call.socket)
                    && let Some(conv) = self.conversations.get_mut(id)
                {
                    conv.streams[1 - end].add_recv(at, t_us, *offset, data.clone(), *bufsize);
                }
            }
            (Call::Recv { .. }, CallResult::EndOfStream { offset }) => {
                if let Some((id, end)) = self.link_tcp_socket(at, call.socket)
                    && let Some(conv) = self.conversations.get_mut(id)
                {
                    conv.streams[1 - end].end = Some(stream::EndOfStream {
                        at,
                        offset: *offset,
                    });
                }
            }
            (Call::SendTo { addr: to, data }, CallResult::Sent { bytes }) => {
                let Some(local) = self.sockets.get(call.socket).and_then(|s| s.local.clone())
                else {
                    return;
                };
                let local = addr::normalise(&local, Some(to));
                let id = self.conversations.for_socket(
                    at,
                    Transport::Udp,
                    call.socket,
                    &local,
                    to,
                    true,
                );
                let kept = usize::try_from(*bytes)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                if let Some(conv) = self.conversations.get_mut(id) {
                    let d = conv.direction_from(&local);
                    conv.flows[d].add_sent(SentDatagram {
                        at,
                        data: data.prefix(kept),
                    });
                }
            }
            (
                Call::RecvFrom { bufsize },
                CallResult::Datagram {
                    from,
                    data,
                    datagram_len,
                },
            ) => {
                let Some(local) = self.sockets.get(call.socket).and_then(|s| s.local.clone())
                else {
                    return;
                };
                let local = addr::normalise(&local, Some(from));
                let id = self.conversations.for_socket(
                    at,
                    Transport::Udp,
                    call.socket,
                    &local,
                    from,
                    false,
                );
                if let Some(conv) = self.conversations.get_mut(id) {
                    let d = conv.direction_from(from);
                    conv.flows[d].add_received(ReceivedDatagram {
                        at,
                        data: data.clone(),
                        datagram_len: *datagram_len,
                        bufsize: *bufsize,
                    });
                }
            }
            _ => {
                if call.transport == Transport::Tcp {
                    self.link_tcp_socket(at, call.socket);
                }
            }
        }
    }

    /// The conversation and end of a connected TCP socket, once both its
    /// addresses are known.
    fn link_tcp_socket(&mut self, at: usize, id: SocketId) -> Option<(usize, usize)> {
        let socket = self.sockets.get(id)?;
        // A listener is never an end of a connection.
        if socket.transport != Transport::Tcp || socket.role == sockets::Role::Listener {
            return None;
        }
        if let Some(found) = self.conversations.of_socket(id) {
            return Some(found);
        }
        let local = socket.wire_local()?;
        let peer = socket.peer.clone()?;
        let opened = socket.role == sockets::Role::Client;
        let conv = self
            .conversations
            .for_socket(at, Transport::Tcp, id, &local, &peer, opened);
        self.conversations.of_socket(id).or(Some((conv, 0)))
    }
}
