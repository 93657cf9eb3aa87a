//! The sockets of a session: what each one is, its addresses, and the TCP
//! states it went through.
//!
//! A socket is born from the call event that first names it: a `bind`
//! (listeners and UDP sockets), a `connect` (clients) or the `accepted`
//! result of an accept() (the new connected socket). Its TCP state comes
//! from the `state` field of call events and from `state` events; every
//! change is kept with the position of the event that reported it, so the
//! player can show the state as it was at any step.

use std::collections::BTreeMap;

use sockscope_shared::{
    Call, CallEvent, CallResult, OsError, SocketId, TcpInfo, TcpState, Transport,
};

use super::addr;

/// What a socket is for, as a learner names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A TCP socket that was bound (and, once `listen` is seen, listens).
    Listener,
    /// A TCP socket that called connect().
    Client,
    /// A TCP socket returned by accept().
    Accepted,
    /// A UDP socket.
    Udp,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Listener => "listener",
            Role::Client => "client",
            Role::Accepted => "accepted",
            Role::Udp => "UDP",
        }
    }
}

/// One TCP state change, at the event (by position in the log) that told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateChange {
    pub at: usize,
    pub state: TcpState,
}

/// Everything known about one socket.
#[derive(Debug, Clone, PartialEq)]
pub struct SocketInfo {
    pub id: SocketId,
    pub transport: Transport,
    pub role: Role,
    /// The socket's own address, once bound.
    pub local: Option<String>,
    /// The connected peer, for TCP.
    pub peer: Option<String>,
    /// For an accepted socket, the listener it came from.
    pub listener: Option<SocketId>,
    pub created_at: usize,
    /// When the program called close(): the kernel may keep the connection
    /// (TIME_WAIT) after that, which `states` shows.
    pub closed_at: Option<usize>,
    pub states: Vec<StateChange>,
    /// The last failed call on this socket.
    pub last_error: Option<OsError>,
    /// The kernel's counters (`tcp_info` events), at the event positions
    /// that reported them.
    pub counters: Vec<(usize, TcpInfo)>,
}

impl SocketInfo {
    /// The TCP state as of event position `at` (in arrival order).
    pub fn state_at(&self, at: usize) -> Option<TcpState> {
        self.state_when(|a| a <= at)
    }

    /// The latest state among the changes `seen` accepts (by position):
    /// the state as the player shows it.
    pub fn state_when(&self, seen: impl Fn(usize) -> bool) -> Option<TcpState> {
        self.change_when(seen).map(|change| change.state)
    }

    /// The latest state change among those `seen` accepts, with where it
    /// was reported.
    pub fn change_when(&self, seen: impl Fn(usize) -> bool) -> Option<&StateChange> {
        self.states.iter().rev().find(|change| seen(change.at))
    }

    /// The latest counters among those `seen` accepts (by position).
    pub fn counters_when(&self, seen: impl Fn(usize) -> bool) -> Option<&TcpInfo> {
        // Reported in order, so the shown ones are a prefix: bisect.
        let shown = self.counters.partition_point(|(at, _)| seen(*at));
        shown.checked_sub(1).map(|i| &self.counters[i].1)
    }

    /// The latest TCP state.
    pub fn state(&self) -> Option<TcpState> {
        self.states.last().map(|change| change.state)
    }

    /// Whether the socket existed at position `at`.
    pub fn exists_at(&self, at: usize) -> bool {
        self.created_at <= at
    }

    /// Whether the program had closed it by position `at`.
    pub fn closed_by(&self, at: usize) -> bool {
        self.closed_at.is_some_and(|closed| closed <= at)
    }

    /// The address as the wire shows it (see [`addr::normalise`]).
    pub fn wire_local(&self) -> Option<String> {
        let local = self.local.as_deref()?;
        Some(addr::normalise(local, self.peer.as_deref()))
    }

    fn record_state(&mut self, at: usize, state: TcpState) {
        if self.state() != Some(state) {
            self.states.push(StateChange { at, state });
        }
    }

    fn learn_addresses(&mut self, local: Option<&str>, peer: Option<&str>) {
        if let Some(local) = local.filter(|l| addr::is_bound(l)) {
            // Keep a precise address over a wildcard one for the same port.
            let better = match &self.local {
                Some(known) => addr::is_wildcard(known) || addr::port(known) != addr::port(local),
                None => true,
            };
            if better {
                self.local = Some(local.to_string());
            }
        }
        if let Some(peer) = peer.filter(|p| addr::is_bound(p)) {
            self.peer = Some(peer.to_string());
        }
    }
}

/// All sockets of a session, by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sockets {
    map: BTreeMap<SocketId, SocketInfo>,
}

impl Sockets {
    pub fn get(&self, id: SocketId) -> Option<&SocketInfo> {
        self.map.get(&id)
    }

    /// Sockets in id order (the order they were created).
    pub fn iter(&self) -> impl Iterator<Item = &SocketInfo> {
        self.map.values()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Records a call event at log position `at`.
    pub fn on_call(&mut self, at: usize, call: &CallEvent) {
        let role = match (&call.call, call.transport) {
            (_, Transport::Udp) => Role::Udp,
            (Call::Connect { .. }, _) => Role::Client,
            _ => Role::Listener,
        };
        let socket = self.map.entry(call.socket).or_insert_with(|| SocketInfo {
            id: call.socket,
            transport: call.transport,
            role,
            local: None,
            peer: None,
            listener: None,
            created_at: at,
            closed_at: None,
            states: Vec::new(),
            last_error: None,
            counters: Vec::new(),
        });
        // accept() reports the new connection's addresses and state; they
        // belong to the accepted socket, not to the listener.
        let accepting = matches!(call.result, CallResult::Accepted { .. });
        if !accepting {
            socket.learn_addresses(call.local.as_deref(), call.peer.as_deref());
        } else if socket.local.is_none() {
            socket.learn_addresses(call.local.as_deref(), None);
        }
        if let Call::Bind { addr, .. } = &call.call
            && socket.local.is_none()
            && !matches!(call.result, CallResult::Error(_))
        {
            socket.local = Some(addr.clone());
        }
        if let Some(state) = call.state.filter(|_| !accepting) {
            socket.record_state(at, state);
        }
        match &call.result {
            CallResult::Error(error) => {
                socket.last_error = Some(error.clone());
                // A failed connect or bind leaves a socket that will never
                // carry traffic: say so even if the relay sent no state.
                if matches!(call.call, Call::Connect { .. } | Call::Bind { .. })
                    && call.transport == Transport::Tcp
                {
                    socket.record_state(at, TcpState::Closed);
                }
            }
            CallResult::Accepted { new_socket, peer } => {
                let local = socket.local.clone();
                let listener = socket.id;
                let accepted = self.map.entry(*new_socket).or_insert_with(|| SocketInfo {
                    id: *new_socket,
                    transport: Transport::Tcp,
                    role: Role::Accepted,
                    local: None,
                    peer: None,
                    listener: Some(listener),
                    created_at: at,
                    closed_at: None,
                    states: Vec::new(),
                    last_error: None,
                    counters: Vec::new(),
                });
                let local = local.filter(|l| !addr::is_wildcard(l));
                accepted.learn_addresses(local.as_deref(), Some(peer));
                // accept() only returns established connections.
                if accepted.states.is_empty() {
                    accepted.record_state(at, TcpState::Established);
                }
            }
            _ => {}
        }
        if let (Call::Close, CallResult::Ok) = (&call.call, &call.result)
            && let Some(socket) = self.map.get_mut(&call.socket)
        {
            socket.closed_at.get_or_insert(at);
        }
    }

    /// Records a `state` event.
    pub fn on_state(&mut self, at: usize, id: SocketId, state: TcpState) {
        if let Some(socket) = self.map.get_mut(&id) {
            socket.record_state(at, state);
        }
    }

    /// Records a `tcp_info` event.
    pub fn on_tcp_info(&mut self, at: usize, id: SocketId, info: &TcpInfo) {
        if let Some(socket) = self.map.get_mut(&id) {
            socket.counters.push((at, info.clone()));
        }
    }

    /// The socket whose wire address is `endpoint`, preferring one connected
    /// to `remote` (a listener and its accepted sockets share an address).
    pub fn find_endpoint(&self, endpoint: &str, remote: Option<&str>) -> Option<SocketId> {
        let matches = |s: &&SocketInfo| {
            s.wire_local()
                .is_some_and(|local| addr::same_endpoint(&local, endpoint))
        };
        let connected = self.iter().filter(matches).find(|s| {
            matches!(
                (s.peer.as_deref(), remote),
                (Some(peer), Some(remote)) if addr::same_endpoint(peer, remote)
            )
        });
        connected
            .or_else(|| {
                self.iter()
                    .filter(matches)
                    .find(|s| s.peer.is_none() && s.role != Role::Listener)
            })
            .map(|s| s.id)
    }
}
