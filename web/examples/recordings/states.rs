//! The TCP states the wire shows, as the relay's `state` events.
//!
//! A recording never asked the kernel for its sockets' states, but its
//! segments tell most of them: the capture crate's state machine
//! (`sockscope_capture::Connection`, held to the kernel's own reports by
//! `relay/tests/states.rs`) follows each end of each conversation, and a
//! socket's state is its end's. A `state` event follows the segment that
//! changed it, as the relay reports a change soon after the packet that
//! caused it.
//!
//! Only sockets the log has named are given states, as the relay reports
//! states only for sockets the page knows: a client's SYN_SENT comes
//! before its connect() returns and is not shown, and an accepted socket
//! starts from accept() (ESTABLISHED, unless its peer had already sent
//! more). A state the machine cannot see (CLOSED after TIME_WAIT's 60 s)
//! is not invented: a socket left in TIME_WAIT stays there in the log.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use sockscope_capture::{Connection, End, Endpoints, to_header, to_tcp_state};
use sockscope_shared::{CallResult, Direction, EventKind, SocketId, TcpState};

use crate::convert::ConvertError;

fn addr(text: &str) -> Result<SocketAddr, ConvertError> {
    text.parse()
        .map_err(|_| ConvertError::BadAddress(text.to_owned()))
}

/// What the walk through the log remembers.
#[derive(Default)]
struct Walk {
    /// The machine of each conversation, by the import's number.
    connections: HashMap<u32, Connection>,
    /// Each end's state as the wire last showed it, by (local, peer).
    ends: HashMap<(SocketAddr, SocketAddr), TcpState>,
    /// The sockets the log has named so far.
    known: HashSet<SocketId>,
    /// The state the log last gave each socket.
    shown: HashMap<SocketId, TcpState>,
}

impl Walk {
    /// Records `state` for `socket`; `Some` when the log should say so.
    fn show(&mut self, socket: SocketId, state: TcpState) -> Option<EventKind> {
        let changed = self.known.contains(&socket) && self.shown.get(&socket) != Some(&state);
        changed.then(|| {
            self.shown.insert(socket, state);
            EventKind::State { socket, state }
        })
    }
}

/// The log with a `state` event after each call or segment that changed a
/// socket's state.
///
/// # Errors
/// [`ConvertError::BadAddress`] for a segment or call address that does
/// not parse.
pub fn with_states(
    kinds: Vec<(u64, EventKind)>,
    endpoints: &Endpoints,
) -> Result<Vec<(u64, EventKind)>, ConvertError> {
    let mut walk = Walk::default();
    let mut out = Vec::with_capacity(kinds.len());
    for (t_us, kind) in kinds {
        let mut after = Vec::new();
        match &kind {
            EventKind::Call(call) => {
                walk.known.insert(call.socket);
                if let Some(state) = call.state {
                    walk.shown.insert(call.socket, state);
                }
                if let (CallResult::Accepted { new_socket, peer }, Some(local)) =
                    (&call.result, &call.local)
                {
                    // accept() returns an established connection, which
                    // the wire may have taken further already.
                    walk.known.insert(*new_socket);
                    walk.shown.insert(*new_socket, TcpState::Established);
                    let now = walk.ends.get(&(addr(local)?, addr(peer)?)).copied();
                    after.extend(now.and_then(|state| walk.show(*new_socket, state)));
                }
            }
            EventKind::Segment(segment) => {
                if let Some(header) = to_header(&segment.segment) {
                    let (src, dst) = (addr(&segment.src)?, addr(&segment.dst)?);
                    let from = End::sender(segment.direction == Direction::Forward);
                    let connection = walk.connections.entry(segment.conn).or_default();
                    connection.observe(from, &header);
                    let states = [
                        (connection.state(from), src, dst),
                        (connection.state(from.peer()), dst, src),
                    ];
                    for (state, local, peer) in states {
                        let Some(state) = state.map(to_tcp_state) else {
                            continue;
                        };
                        walk.ends.insert((local, peer), state);
                        if let Some(socket) = endpoints.connected(local, peer, t_us) {
                            after.extend(walk.show(socket, state));
                        }
                    }
                }
            }
            _ => {}
        }
        out.push((t_us, kind));
        out.extend(after.into_iter().map(|state| (t_us, state)));
    }
    Ok(out)
}
