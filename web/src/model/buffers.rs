//! What each end of a TCP connection's kernel holds at a step: the bytes in
//! its receive buffer, the bytes its program wrote that have not left yet,
//! and its TCP state with the time it entered it.
//!
//! This is the sticky-packet story as the kernel sees it. Segments append
//! their bytes to the receiver's buffer, each byte keeping the colour of
//! the send() that wrote it; a recv(n) takes the first n bytes or fewer,
//! whatever send boundaries it crosses. Every number comes from the
//! session, never from a guess: what arrived is what the capture saw cross
//! the wire (a lab's dropped packets do not count), what was read is the
//! relay's recv() offsets, and the kernel's own count (SIOCINQ, the
//! relay's `recv_queue` event) is shown beside them when the relay sent
//! one. A capture file records no calls, so there the buffer can only show
//! what arrived.

use sockscope_shared::{Call, CallResult, EventKind, SocketId, TcpInfo, TcpState, Transport};

use super::conversation::Conversation;
use super::stream::{ByteStream, Piece};
use super::{Horizon, Model};

/// A TCP state and when the kernel entered it (the `t_us` of the event that
/// reported it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateSince {
    pub state: TcpState,
    pub since_us: u64,
    /// The kernel entered it at the step shown.
    pub changed_now: bool,
}

/// The chunk a recv() took from the buffer at this step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub bufsize: u32,
    pub pieces: Vec<Piece>,
}

impl Taken {
    /// How many bytes it took.
    pub fn len(&self) -> u64 {
        self.pieces.iter().map(|p| p.len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The receive buffer of an end whose reads the session saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveBuffer {
    /// The offset of the first byte no recv() has taken.
    pub read: u64,
    /// Arrived and not read: `pieces` cover `read..read + waiting`.
    pub waiting: u64,
    pub pieces: Vec<Piece>,
    /// The bytes this step's segment poured in, as `start..end` offsets.
    pub poured: Option<(u64, u64)>,
    /// What this step's recv() took.
    pub taken: Option<Taken>,
    /// The kernel's own count (SIOCINQ), as last reported by this step.
    pub kernel: Option<u32>,
}

/// What the session can tell of an end's receive buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receive {
    /// Reads were seen: the buffer's contents are known.
    Known(ReceiveBuffer),
    /// A capture file: arrivals only, since no recv() was recorded.
    ArrivedOnly {
        arrived: u64,
        /// What this step's segment brought.
        poured: Vec<Piece>,
    },
}

/// One end of a TCP connection, as its kernel holds it at a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndView {
    pub conversation: usize,
    /// 0 for the end that opened the connection.
    pub end: usize,
    pub addr: String,
    pub socket: Option<SocketId>,
    pub state: Option<StateSince>,
    pub receive: Receive,
    /// Written by send() and not yet sent (Nagle, a full window): known
    /// only where the capture saw the connection.
    pub unsent: u64,
    /// The kernel's counters as last reported, for the relay's sockets.
    pub counters: Option<TcpInfo>,
}

impl EndView {
    /// Bytes waiting to be read (or, for a capture, bytes that arrived).
    pub fn waiting(&self) -> u64 {
        match &self.receive {
            Receive::Known(buffer) => buffer.waiting,
            Receive::ArrivedOnly { arrived, .. } => *arrived,
        }
    }
}

/// The ends shown at `step`: both ends of every TCP connection a relay
/// socket of the session is part of, from when the socket exists, while
/// its connection is not yet closed; for a capture file, the two ends of the
/// connection the step belongs to (a capture may hold thousands).
pub fn ends_at(model: &Model, step: usize) -> Vec<EndView> {
    let Some(&at) = model.steps.get(step) else {
        return Vec::new();
    };
    let horizon = model.horizon(step);
    let own = model
        .conversations
        .list
        .iter()
        .filter(|c| c.transport == Transport::Tcp)
        .filter(|c| c.ends.iter().any(|e| e.socket.is_some()));
    let mut views: Vec<EndView> = Vec::new();
    let mut add = |conversation: &Conversation| {
        for end in 0..2 {
            if let Some(view) = end_view(model, horizon, at, conversation, end) {
                views.push(view);
            }
        }
    };
    let mut any_own = false;
    for conversation in own {
        any_own = true;
        add(conversation);
    }
    if !any_own {
        if let Some(conversation) = model
            .conversation_at(at)
            .and_then(|c| model.conversations.get(c))
            .filter(|c| c.transport == Transport::Tcp)
        {
            add(conversation);
        }
    }
    views
}

fn end_view(
    model: &Model,
    horizon: Horizon,
    at: usize,
    conversation: &Conversation,
    end: usize,
) -> Option<EndView> {
    let socket = conversation.ends[end].socket;
    let info = socket.and_then(|id| model.sockets.get(id));
    if let Some(info) = info {
        if !model.shows(horizon, info.created_at) {
            return None;
        }
    } else if !conversation
        .segments
        .first()
        .is_some_and(|&first| model.shows(horizon, first))
    {
        return None;
    }
    let change = info.and_then(|info| info.change_when(|a| model.shows(horizon, a)));
    let state = change.map(|change| StateSince {
        state: change.state,
        since_us: model.events.get(change.at).map_or(0, |e| e.t_us),
        changed_now: model.step_of(change.at) == model.step_of(at),
    });
    // A connection the kernel has let go of leaves the picture, except at
    // the step that closed it.
    if state.is_some_and(|s| s.state == TcpState::Closed && !s.changed_now) {
        return None;
    }
    let incoming = &conversation.streams[1 - end];
    let outgoing = &conversation.streams[end];
    let seen_wire = !conversation.segments.is_empty();
    let shown = |a: usize| model.shows(horizon, a);
    let receive = if incoming.calls_unknown() {
        Receive::ArrivedOnly {
            arrived: arrived_end(model, incoming, &shown),
            poured: poured_at(incoming, at)
                .map(|(start, end)| incoming.pieces(start, end - start))
                .unwrap_or_default(),
        }
    } else {
        let read = incoming.read_end_when(shown);
        let arrived = if incoming.wire.is_empty() {
            // Capture off: sent bytes are taken to have arrived (on
            // loopback they arrive within the send()).
            incoming.sent_end_when(shown)
        } else {
            arrived_end(model, incoming, &shown)
        };
        let waiting = arrived.saturating_sub(read);
        let taken = match model.events.get(at).map(|e| &e.kind) {
            Some(EventKind::Call(call)) if socket == Some(call.socket) => {
                match (&call.call, &call.result) {
                    (Call::Recv { bufsize }, CallResult::Data { data, offset }) => Some(Taken {
                        bufsize: *bufsize,
                        pieces: incoming.pieces(*offset, data.len() as u64),
                    }),
                    _ => None,
                }
            }
            _ => None,
        };
        let kernel = socket.and_then(|id| {
            model
                .recv_queues
                .iter()
                .rev()
                .find(|q| q.socket == id && shown(q.at))
                .map(|q| q.bytes)
        });
        Receive::Known(ReceiveBuffer {
            read,
            waiting,
            pieces: incoming.pieces(read, waiting),
            poured: poured_at(incoming, at),
            taken,
            kernel,
        })
    };
    // Without send() calls (a capture file) nothing is known to wait.
    let unsent = if seen_wire && !outgoing.sends.is_empty() {
        outgoing
            .sent_end_when(shown)
            .saturating_sub(outgoing.carried_end_when(shown))
    } else {
        0
    };
    Some(EndView {
        conversation: conversation.id,
        end,
        addr: conversation.ends[end].addr.clone(),
        socket,
        state,
        receive,
        unsent,
        counters: match info {
            Some(info) => info.counters_when(|at| model.shows(horizon, at)).cloned(),
            None => model
                .watched_counters_when(
                    &conversation.ends[end].addr,
                    &conversation.ends[1 - end].addr,
                    |at| model.shows(horizon, at),
                )
                .cloned(),
        },
    })
}

/// One past the last byte that arrived in order: the receiver can hand
/// out bytes only up to the first hole a lost segment left. One pass over
/// the segments shown (a capture may hold 100,000), setting aside only
/// those that arrived beyond a hole until a later one fills it.
fn arrived_end(model: &Model, stream: &ByteStream, shown: &impl Fn(usize) -> bool) -> u64 {
    // In time order the segments shown are a prefix, found by bisection.
    let wire = if stream.wire_order.holds() {
        &stream.wire[..stream.wire.partition_point(|w| shown(w.at))]
    } else {
        &stream.wire[..]
    };
    let lab = model.path.in_lab();
    let mut end = 0;
    let mut beyond: Vec<(u64, u64)> = Vec::new();
    for w in wire {
        if !shown(w.at)
            || (lab
                && model
                    .crossing_mark(w.at)
                    .is_some_and(|m| m.dropped.is_some()))
        {
            continue;
        }
        let (start, stop) = (w.offset, w.end());
        if start <= end {
            end = end.max(stop);
        } else {
            beyond.push((start, stop));
        }
    }
    beyond.sort_unstable();
    beyond.into_iter().fold(
        end,
        |end, (start, stop)| if start <= end { end.max(stop) } else { end },
    )
}

/// The bytes the segment at `at` carried into the stream, if it did.
fn poured_at(stream: &ByteStream, at: usize) -> Option<(u64, u64)> {
    let i = stream.wire.binary_search_by_key(&at, |w| w.at).ok()?;
    let wire = &stream.wire[i];
    Some((wire.offset, wire.end()))
}

// Tested against the reference recordings: `web/tests/buffers.rs`.
