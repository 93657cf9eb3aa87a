//! The ladder (sequence) diagram as data: lanes, rows, phase bands.
//!
//! One lane per endpoint, address *and* port: both ends of a lesson are
//! usually 127.0.0.1, so lanes per host would put client and server on the
//! same line. A listener and the sockets it accepted share their address,
//! and so share a lane. Clients go on the left and servers on the right, as
//! textbooks draw them. Each step of the session (a packet or a call) is one
//! row; state changes are pinned to the row of the step they follow. The
//! component turns rows into pixels; everything it needs to decide what to
//! draw is computed here, where it is tested.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use sockscope_shared::{
    Call, CallResult, EventKind, Segment, SocketId, TcpState, Transport, WaitReason,
};

use super::Model;
use super::addr;
use super::describe::{Numbers, call_event_label, call_label, call_name, segment_label};
use super::phases::{self, Phase, PhaseNote};
use super::sockets::Role;

/// One vertical lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    pub addr: String,
    /// The relay's sockets at this address, with their roles.
    pub sockets: Vec<(SocketId, Role)>,
    /// Whether this end accepts rather than opens connections.
    pub server: bool,
}

/// What a row shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKind {
    /// A packet from one lane to another.
    Packet {
        from: usize,
        to: usize,
        phase: Option<Phase>,
        conversation: RowConversation,
        rst: bool,
    },
    /// A socket call, marked on its socket's lane.
    Call {
        lane: Option<usize>,
        socket: SocketId,
        failed: bool,
    },
    /// A call that began and waits in the kernel; a [`Wait`] runs down its
    /// lane until the call returns.
    Waiting {
        lane: Option<usize>,
        socket: SocketId,
        why: WaitReason,
    },
}

/// A packet row's conversation (its `Conversation::id`), if it has one,
/// in four bytes rather than an `Option<usize>`'s eight: a ladder may hold
/// a million rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowConversation(u32);

impl RowConversation {
    pub const NONE: RowConversation = RowConversation(u32::MAX);

    pub fn of(id: Option<usize>) -> RowConversation {
        id.and_then(|id| u32::try_from(id).ok())
            .filter(|&id| id != Self::NONE.0)
            .map_or(Self::NONE, RowConversation)
    }

    pub fn get(self) -> Option<usize> {
        (self != Self::NONE).then_some(self.0 as usize)
    }
}

impl RowKind {
    /// The lane a call or waiting row sits on; a packet's sender's.
    pub fn lane(&self) -> Option<usize> {
        match self {
            RowKind::Packet { from, .. } => Some(*from),
            RowKind::Call { lane, .. } | RowKind::Waiting { lane, .. } => *lane,
        }
    }
}

/// A call waiting in the kernel, from the step it began to the step it
/// returned (`None`: it still waits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    pub socket: SocketId,
    pub lane: Option<usize>,
    pub began: usize,
    pub returned: Option<usize>,
    pub why: WaitReason,
}

/// A TCP state change shown on a lane, at its step's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMark {
    pub step: usize,
    pub lane: Option<usize>,
    pub socket: SocketId,
    pub state: TcpState,
    pub at: usize,
}

/// One step of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub step: usize,
    /// The event's position in the log, where its own `index` (the key the
    /// views use) and time are read: a capture has a million rows, and
    /// each would otherwise hold sixteen bytes more of what its event
    /// already says.
    pub at: usize,
    pub kind: RowKind,
}

impl Row {
    /// What the row says: the segment's flags and numbers, or the call and
    /// its result. Worded when drawn rather than laid out: a capture has
    /// 100,000 rows, and a screen shows thirty.
    pub fn label(&self, model: &Model, numbers: Numbers) -> String {
        match model.events.get(self.at).map(|event| &event.kind) {
            Some(EventKind::Segment(seg)) => segment_label(seg, numbers),
            Some(EventKind::Call(call)) => call_event_label(call),
            Some(EventKind::Waiting(waiting)) => format!("{} …", call_label(&waiting.call)),
            _ => String::new(),
        }
    }
}

/// A labelled run of rows: a handshake or a close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    pub first_step: usize,
    pub last_step: usize,
    pub phase: Phase,
    /// What the band says, worded by the page in its language.
    pub note: PhaseNote,
    pub conversation: usize,
}

/// The whole diagram.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ladder {
    pub lanes: Vec<Lane>,
    pub rows: Vec<Row>,
    pub bands: Vec<Band>,
    /// Calls that waited, in the order they began.
    pub waits: Vec<Wait>,
    /// State changes, by step and then by event ([`Ladder::states_at`]):
    /// beside the rows rather than in each, as a capture has a million
    /// rows and a few dozen changes.
    pub states: Vec<StateMark>,
    /// What it was laid out from, for [`extend`].
    from: LaidOutFrom,
}

impl Ladder {
    /// The state changes at `step`'s row, in the order of their events.
    pub fn states_at(&self, step: usize) -> &[StateMark] {
        let first = self.states.partition_point(|m| m.step < step);
        let end = first + self.states[first..].partition_point(|m| m.step == step);
        &self.states[first..end]
    }
}

/// What a diagram was laid out from: enough to tell whether the model has
/// since only grown rows at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LaidOutFrom {
    /// The model's steps and events then, and the last step's event.
    steps: usize,
    events: usize,
    last_at: Option<usize>,
    /// What decides the lanes: the sockets' wire addresses and roles, and
    /// the conversations' ends.
    lanes_from: LanesFrom,
    /// Per conversation: whether a segment without SYN, FIN or RST would
    /// be a data segment that changes no band (TCP with its handshake
    /// complete or never seen, and no close begun).
    plain_is_data: Vec<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LanesFrom {
    sockets: Vec<(SocketId, Option<String>, Role)>,
    ends: Vec<[String; 2]>,
}

impl LanesFrom {
    fn of(model: &Model) -> LanesFrom {
        LanesFrom {
            sockets: model
                .sockets
                .iter()
                .map(|s| (s.id, s.wire_local(), s.role))
                .collect(),
            ends: model
                .conversations
                .list
                .iter()
                .map(|c| [c.ends[0].addr.clone(), c.ends[1].addr.clone()])
                .collect(),
        }
    }
}

/// The address a call happened at: its socket's, or for a socket that never
/// got one (a failed connect or bind), the one the call names.
fn call_endpoint(model: &Model, socket: SocketId, call: &Call) -> Option<String> {
    let info = model.sockets.get(socket)?;
    let remote = match call {
        Call::Connect { addr } | Call::SendTo { addr, .. } => Some(addr.as_str()),
        _ => info.peer.as_deref(),
    };
    if let Some(local) = info.local.as_deref() {
        return Some(addr::normalise(local, remote.or(info.peer.as_deref())));
    }
    match call {
        Call::Bind { addr, .. } => Some(addr.clone()),
        _ => None,
    }
}

struct LaneSet {
    lanes: Vec<Lane>,
}

impl LaneSet {
    fn find(&self, endpoint: &str) -> Option<usize> {
        self.lanes
            .iter()
            .position(|l| addr::same_endpoint(&l.addr, endpoint))
    }

    fn add(&mut self, endpoint: &str) {
        match self.find(endpoint) {
            // A precise address beats the wildcard form of the same port.
            Some(i) if addr::is_wildcard(&self.lanes[i].addr) && !addr::is_wildcard(endpoint) => {
                self.lanes[i].addr = endpoint.to_string();
            }
            Some(_) => {}
            None => self.lanes.push(Lane {
                addr: endpoint.to_string(),
                sockets: Vec::new(),
                server: false,
            }),
        }
    }
}

/// Lays out the whole session.
pub fn layout<'m>(model: &'m Model) -> Ladder {
    let mut lanes = LaneSet { lanes: Vec::new() };
    // Big captures repeat a few addresses many times: each is matched once.
    let mut added: HashSet<&str> = HashSet::new();
    let mut last_ends = ("", "");
    for &at in &model.steps {
        match model.events.get(at).map(|e| &e.kind) {
            Some(EventKind::Call(call)) => {
                if let Some(endpoint) = call_endpoint(model, call.socket, &call.call) {
                    lanes.add(&endpoint);
                }
            }
            Some(EventKind::Segment(seg)) => {
                // A connection's packets come in runs: its two ends again.
                let ends = (seg.src.as_str(), seg.dst.as_str());
                if ends == last_ends || (ends.1, ends.0) == last_ends {
                    continue;
                }
                last_ends = ends;
                for endpoint in [ends.0, ends.1] {
                    if added.insert(endpoint) {
                        lanes.add(endpoint);
                    }
                }
            }
            _ => {}
        }
    }
    // Which lane each socket lives on.
    let mut socket_lane: HashMap<SocketId, usize> = HashMap::new();
    for socket in model.sockets.iter() {
        let endpoint = socket.wire_local();
        if let Some(lane) = endpoint.as_deref().and_then(|e| lanes.find(e)) {
            socket_lane.insert(socket.id, lane);
            lanes.lanes[lane].sockets.push((socket.id, socket.role));
        }
    }
    for lane in &mut lanes.lanes {
        let listens = lane.sockets.iter().any(|(_, r)| *r == Role::Listener);
        let opens = model
            .conversations
            .list
            .iter()
            .any(|c| addr::same_endpoint(&c.ends[0].addr, &lane.addr));
        let answers = model
            .conversations
            .list
            .iter()
            .any(|c| addr::same_endpoint(&c.ends[1].addr, &lane.addr));
        lane.server = listens || (answers && !opens);
    }
    // Clients left, servers right, each in order of appearance; renumber.
    let mut order: Vec<usize> = (0..lanes.lanes.len()).collect();
    order.sort_by_key(|&i| lanes.lanes[i].server);
    let mut renumber = vec![0; order.len()];
    for (new, &old) in order.iter().enumerate() {
        renumber[old] = new;
    }
    let ordered: Vec<Lane> = order.iter().map(|&i| lanes.lanes[i].clone()).collect();
    // Each endpoint is looked up once; the last two found are checked
    // before hashing, a connection's packets coming in runs.
    let found: RefCell<HashMap<&'m str, Option<usize>>> = RefCell::default();
    let recent: RefCell<[(&'m str, Option<usize>); 2]> = RefCell::new([("", None); 2]);
    let lane_of = |endpoint: &'m str| {
        let mut recent = recent.borrow_mut();
        if let Some(&(_, lane)) = recent.iter().find(|(e, _)| *e == endpoint && !e.is_empty()) {
            return lane;
        }
        let lane = *found
            .borrow_mut()
            .entry(endpoint)
            .or_insert_with(|| lanes.find(endpoint).map(|i| renumber[i]));
        recent[1] = recent[0];
        recent[0] = (endpoint, lane);
        lane
    };
    // The conversation and phase of each packet, by log position: indexed
    // rather than hashed, a capture having a million of them.
    let mut conversation_of = vec![RowConversation::NONE; model.events.len()];
    for conv in &model.conversations.list {
        for &at in &conv.segments {
            if let Some(slot) = conversation_of.get_mut(at) {
                *slot = RowConversation::of(Some(conv.id));
            }
        }
    }
    for lane in socket_lane.values_mut() {
        *lane = renumber[*lane];
    }

    // Phases of each TCP conversation, by packet position.
    let mut phase_at: Vec<Option<Phase>> = vec![None; model.events.len()];
    let mut bands = Vec::new();
    let mut plain_is_data = vec![true; model.conversations.list.len()];
    for conv in &model.conversations.list {
        if conv.transport != Transport::Tcp {
            continue;
        }
        let analysed = phases::analyse(&phases::tcp_segments(conv, &model.events));
        if let Some(slot) = plain_is_data.get_mut(conv.id) {
            *slot = analysed.close.is_none()
                && (analysed.handshake.is_none() || analysed.handshake_complete);
        }
        for &(at, phase) in &analysed.labels {
            if let Some(slot) = phase_at.get_mut(at) {
                *slot = Some(phase);
            }
        }
        let spans = [
            (
                analysed.handshake,
                Phase::Handshake,
                analysed.handshake_note(),
            ),
            (
                analysed.close.map(|c| c.0),
                Phase::Close,
                analysed.close_note(),
            ),
        ];
        for (span, phase, note) in spans {
            if let (Some(span), Some(note)) = (span, note)
                && let (Some(first_step), Some(last_step)) =
                    (model.step_of(span.first_at), model.step_of(span.last_at))
            {
                bands.push(Band {
                    first_step,
                    last_step,
                    phase,
                    note,
                    conversation: conv.id,
                });
            }
        }
    }

    // State changes, pinned to their step.
    let mut states = Vec::new();
    for socket in model.sockets.iter() {
        for change in &socket.states {
            if let Some(step) = model.step_of(change.at) {
                states.push(StateMark {
                    step,
                    lane: socket_lane.get(&socket.id).copied(),
                    socket: socket.id,
                    state: change.state,
                    at: change.at,
                });
            }
        }
    }
    states.sort_by_key(|m| (m.step, m.at));

    // Every step but state changes and the like is a row: room for them
    // at once, since a million rows grown by doubling would leave the
    // page's memory, which never shrinks, at the last two copies' sum.
    let mut rows = Vec::with_capacity(model.steps.len());
    for (step, &at) in model.steps.iter().enumerate() {
        let Some(event) = model.events.get(at) else {
            continue;
        };
        let kind = match &event.kind {
            EventKind::Segment(seg) => {
                // An ICMP error travels back to the datagram's sender.
                let (from, to) = match seg.segment {
                    Segment::IcmpPortUnreachable => (lane_of(&seg.dst), lane_of(&seg.src)),
                    _ => (lane_of(&seg.src), lane_of(&seg.dst)),
                };
                let (Some(from), Some(to)) = (from, to) else {
                    continue;
                };
                let rst = matches!(&seg.segment, Segment::Tcp { flags, .. } if flags.rst);
                RowKind::Packet {
                    from,
                    to,
                    phase: phase_at.get(at).copied().flatten(),
                    conversation: conversation_of
                        .get(at)
                        .copied()
                        .unwrap_or(RowConversation::NONE),
                    rst,
                }
            }
            EventKind::Call(call) => RowKind::Call {
                lane: socket_lane.get(&call.socket).copied().or_else(|| {
                    call_endpoint(model, call.socket, &call.call)
                        .and_then(|e| lanes.find(&e).map(|i| renumber[i]))
                }),
                socket: call.socket,
                failed: matches!(call.result, CallResult::Error(_)),
            },
            EventKind::Waiting(waiting) => RowKind::Waiting {
                lane: socket_lane.get(&waiting.socket).copied(),
                socket: waiting.socket,
                why: waiting.why,
            },
            _ => continue,
        };
        rows.push(Row { step, at, kind });
    }
    let mut waits = Vec::new();
    for row in &rows {
        follow_waits(&mut waits, row, model);
    }
    Ladder {
        lanes: ordered,
        rows,
        bands,
        waits,
        states,
        from: LaidOutFrom {
            steps: model.steps.len(),
            events: model.events.len(),
            last_at: model.steps.last().copied(),
            lanes_from: LanesFrom::of(model),
            plain_is_data,
        },
    }
}

/// Adds to `ladder`, laid out from `model` when it was smaller, the rows
/// of the steps `model` has gained since, and the state changes; `false`
/// (and `ladder` untouched) when more changed than rows at the end, and
/// only [`layout`] can say what the diagram is now.
///
/// A live session grows by one data segment or call at a time, and laying
/// out every row again for each would make each event cost as much as the
/// session so far. The rows added are those [`layout`] would add: new
/// steps after the last one laid out, on lanes that already exist, whose
/// sockets and conversations are unchanged, segments that open, close or
/// reset nothing (so no band moves and each is data), in conversations
/// whose handshake is over.
pub fn extend(ladder: &mut Ladder, model: &Model) -> bool {
    let from = &ladder.from;
    let grew_at_the_end = from.steps > 0
        && model.steps.len() >= from.steps
        && model.steps.get(from.steps - 1) == from.last_at.as_ref();
    if !grew_at_the_end || LanesFrom::of(model) != from.lanes_from {
        return false;
    }
    let lane_of = |endpoint: &str| existing_lane(&ladder.lanes, endpoint);
    let socket_lane = |socket: SocketId| {
        ladder
            .lanes
            .iter()
            .position(|l| l.sockets.iter().any(|(id, _)| *id == socket))
    };
    let mut rows = Vec::with_capacity(model.steps.len() - from.steps);
    for (step, &at) in model.steps.iter().enumerate().skip(from.steps) {
        let Some(event) = model.events.get(at) else {
            return false;
        };
        let kind = match &event.kind {
            EventKind::Segment(seg) => {
                let opens_or_closes = matches!(&seg.segment, Segment::Tcp { flags, .. } if flags.syn || flags.fin || flags.rst);
                if opens_or_closes {
                    return false;
                }
                let (from_end, to_end) = match seg.segment {
                    Segment::IcmpPortUnreachable => (&seg.dst, &seg.src),
                    _ => (&seg.src, &seg.dst),
                };
                let (Some(from_lane), Some(to_lane)) = (lane_of(from_end), lane_of(to_end)) else {
                    return false;
                };
                let conversation = model.conversation_at(at);
                let tcp = conversation
                    .and_then(|c| model.conversations.get(c))
                    .is_some_and(|c| c.transport == Transport::Tcp);
                let phase = match conversation {
                    Some(c) if tcp => {
                        if !from.plain_is_data.get(c).copied().unwrap_or(false) {
                            return false;
                        }
                        Some(Phase::Data)
                    }
                    _ => None,
                };
                RowKind::Packet {
                    from: from_lane,
                    to: to_lane,
                    phase,
                    conversation: RowConversation::of(conversation),
                    rst: false,
                }
            }
            EventKind::Waiting(waiting) => RowKind::Waiting {
                lane: socket_lane(waiting.socket),
                socket: waiting.socket,
                why: waiting.why,
            },
            EventKind::Call(call) => {
                let endpoint = call_endpoint(model, call.socket, &call.call);
                let endpoint_lane = match endpoint.as_deref() {
                    Some(endpoint) => match lane_of(endpoint) {
                        Some(lane) => Some(lane),
                        None => return false,
                    },
                    None => None,
                };
                RowKind::Call {
                    lane: socket_lane(call.socket).or(endpoint_lane),
                    socket: call.socket,
                    failed: matches!(call.result, CallResult::Error(_)),
                }
            }
            _ => return false,
        };
        rows.push(Row { step, at, kind });
    }
    // State changes since, each pinned to its step's row, old or new.
    let mut marks = Vec::new();
    for socket in model.sockets.iter() {
        let new = socket
            .states
            .iter()
            .rev()
            .take_while(|c| c.at >= from.events);
        for change in new {
            if let Some(step) = model.step_of(change.at) {
                marks.push(StateMark {
                    step,
                    lane: socket_lane(socket.id),
                    socket: socket.id,
                    state: change.state,
                    at: change.at,
                });
            }
        }
    }
    ladder.from.steps = model.steps.len();
    ladder.from.events = model.events.len();
    ladder.from.last_at = model.steps.last().copied();
    for row in &rows {
        follow_waits(&mut ladder.waits, row, model);
    }
    ladder.rows.extend(rows);
    for mark in marks {
        // By step and then event, as `layout` sorts them.
        let place = ladder
            .states
            .partition_point(|m| (m.step, m.at) < (mark.step, mark.at));
        ladder.states.insert(place, mark);
    }
    true
}

/// Opens a [`Wait`] at a waiting row, and closes the one its socket's
/// call has open when that call returns.
fn follow_waits(waits: &mut Vec<Wait>, row: &Row, model: &Model) {
    match (&row.kind, model.events.get(row.at).map(|e| &e.kind)) {
        (RowKind::Waiting { lane, socket, why }, _) => {
            waits.push(Wait {
                socket: *socket,
                lane: *lane,
                began: row.step,
                returned: None,
                why: *why,
            });
        }
        (RowKind::Call { socket, .. }, Some(EventKind::Call(call))) => {
            // close() ends every call still waiting on the socket: the
            // relay drops them with it.
            if matches!(call.call, Call::Close) {
                for wait in waits.iter_mut().filter(|w| w.socket == *socket) {
                    wait.returned.get_or_insert(row.step);
                }
                return;
            }
            let waiting_of = |w: &Wait| {
                model
                    .steps
                    .get(w.began)
                    .and_then(|&at| model.events.get(at))
                    .and_then(|e| match &e.kind {
                        EventKind::Waiting(waiting) => Some(waiting),
                        _ => None,
                    })
            };
            // The call's own wait when its request names it, else the
            // oldest of its kind: a socket serves its calls in order.
            let is_open = |w: &Wait| w.socket == *socket && w.returned.is_none();
            let by_request = call.request.and_then(|request| {
                waits.iter().position(|w| {
                    is_open(w)
                        && waiting_of(w).is_some_and(|waiting| waiting.request == Some(request))
                })
            });
            let found = by_request.or_else(|| {
                waits.iter().position(|w| {
                    is_open(w)
                        && waiting_of(w).is_some_and(|waiting| {
                            call_name(&waiting.call) == call_name(&call.call)
                        })
                })
            });
            if let Some(wait) = found.and_then(|i| waits.get_mut(i)) {
                wait.returned = Some(row.step);
                // A connect() learns its lane when it returns.
                wait.lane = wait.lane.or(row.kind.lane());
            }
        }
        _ => {}
    }
}

/// The lane of `endpoint` among `lanes`, unless laying it out would add a
/// lane or make a lane's wildcard address precise.
fn existing_lane(lanes: &[Lane], endpoint: &str) -> Option<usize> {
    let lane = lanes
        .iter()
        .position(|l| addr::same_endpoint(&l.addr, endpoint))?;
    let sharpens = addr::is_wildcard(&lanes[lane].addr) && !addr::is_wildcard(endpoint);
    (!sharpens).then_some(lane)
}

/// The diagram of one conversation alone, as Wireshark's conversation
/// filter shows it: its packets, the calls on its two sockets and the
/// accept() that made one of them, on its own two lanes, with its own
/// handshake and close. Three clients of one server draw three lanes and a
/// server lane far to the right; one of them at a time fits the screen.
///
/// Rows keep their steps, so the player's cursor, the selection and the
/// bands still find them; `conversation` out of range gives the whole
/// diagram back.
pub fn focus(diagram: &Ladder, model: &Model, conversation: usize) -> Ladder {
    let Some(conv) = model.conversations.get(conversation) else {
        return diagram.clone();
    };
    let sockets: Vec<SocketId> = conv.ends.iter().filter_map(|end| end.socket).collect();
    let ours = |socket: SocketId| sockets.contains(&socket);
    let made_one_of_ours = |at: usize| {
        matches!(
            model.events.get(at).map(|e| &e.kind),
            Some(EventKind::Call(call))
                if matches!(call.result, CallResult::Accepted { new_socket, .. } if ours(new_socket))
        )
    };
    let kept: Vec<&Row> = diagram
        .rows
        .iter()
        .filter(|row| match &row.kind {
            RowKind::Packet {
                conversation: c, ..
            } => c.get() == Some(conversation),
            RowKind::Call { socket, .. } => ours(*socket) || made_one_of_ours(row.at),
            RowKind::Waiting { socket, .. } => ours(*socket),
        })
        .collect();

    // The lanes those rows use, renumbered in their order.
    let mut used = vec![false; diagram.lanes.len()];
    let mut use_lane = |lane: usize| {
        if let Some(slot) = used.get_mut(lane) {
            *slot = true;
        }
    };
    for row in &kept {
        match &row.kind {
            RowKind::Packet { from, to, .. } => {
                use_lane(*from);
                use_lane(*to);
            }
            RowKind::Call {
                lane: Some(lane), ..
            }
            | RowKind::Waiting {
                lane: Some(lane), ..
            } => use_lane(*lane),
            RowKind::Call { lane: None, .. } | RowKind::Waiting { lane: None, .. } => {}
        }
    }
    let mut renumber = vec![None; used.len()];
    let mut lanes = Vec::new();
    for (old, lane) in diagram.lanes.iter().enumerate() {
        if used[old] {
            renumber[old] = Some(lanes.len());
            let mut lane = lane.clone();
            lane.sockets
                .retain(|(id, role)| ours(*id) || *role == Role::Listener);
            lanes.push(lane);
        }
    }
    let moved = |lane: usize| renumber.get(lane).copied().flatten();

    let rows = kept
        .into_iter()
        .filter_map(|row| {
            let mut row = row.clone();
            match &mut row.kind {
                RowKind::Packet { from, to, .. } => {
                    *from = moved(*from)?;
                    *to = moved(*to)?;
                }
                RowKind::Call { lane, .. } | RowKind::Waiting { lane, .. } => {
                    *lane = lane.and_then(moved);
                }
            }
            Some(row)
        })
        .collect();
    let states = diagram
        .states
        .iter()
        .filter(|mark| ours(mark.socket))
        .map(|mark| StateMark {
            lane: mark.lane.and_then(moved),
            ..mark.clone()
        })
        .collect();
    let waits = diagram
        .waits
        .iter()
        .filter(|wait| ours(wait.socket))
        .map(|wait| Wait {
            lane: wait.lane.and_then(moved),
            ..wait.clone()
        })
        .collect();
    Ladder {
        lanes,
        rows,
        waits,
        states,
        from: LaidOutFrom::default(),
        bands: diagram
            .bands
            .iter()
            .filter(|band| band.conversation == conversation)
            .cloned()
            .collect(),
    }
}

/// The rows to draw when only part of a tall diagram is in view: those
/// between `top` and `top + height` pixels (measured from the first row),
/// plus `overscan` rows either side so a quick scroll shows no gap.
/// Drawing 100,000 rows of SVG would freeze the page; drawing the few
/// dozen in view costs the same whatever the capture's size.
pub fn rows_in_view(
    rows: usize,
    top: f64,
    height: f64,
    row_height: f64,
    overscan: usize,
) -> std::ops::Range<usize> {
    if rows == 0 || row_height <= 0.0 {
        return 0..0;
    }
    let first = (top.max(0.0) / row_height).floor() as usize;
    let last = ((top.max(0.0) + height.max(0.0)) / row_height).ceil() as usize;
    let start = first.saturating_sub(overscan).min(rows);
    let end = last.saturating_add(overscan).min(rows);
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_rows_in_view_and_a_margin_are_drawn() {
        // 100,000 rows of 46 px, a 900 px view scrolled to row 1,000.
        let range = rows_in_view(100_000, 46_000.0, 900.0, 46.0, 10);
        assert_eq!(range, 990..1030);
        assert_eq!(rows_in_view(100_000, 0.0, 900.0, 46.0, 10), 0..30);
        // Scrolled past the end (the list just shrank): nothing, no panic.
        assert_eq!(rows_in_view(5, 46_000.0, 900.0, 46.0, 10), 5..5);
        assert_eq!(rows_in_view(0, 0.0, 900.0, 46.0, 10), 0..0);
    }
}
