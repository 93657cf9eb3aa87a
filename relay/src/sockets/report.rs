//! Building call events: one per system call, stamped when it returned.

use std::net::SocketAddr;

use sockscope_shared::{Call, CallEvent, CallResult, EventKind, SocketId, TcpState, Transport};

use crate::{clock, events::EventTx};

/// Reports the calls of one socket, and remembers the last TCP state and
/// receive-queue size it announced so that polling only reports changes.
#[derive(Debug)]
pub struct Reporter {
    pub socket: SocketId,
    pub transport: Transport,
    pub events: EventTx,
    last_state: Option<TcpState>,
    last_queue: Option<u32>,
}

/// The addresses and state of the socket right after a call.
#[derive(Debug, Clone, Copy, Default)]
pub struct After {
    pub local: Option<SocketAddr>,
    pub peer: Option<SocketAddr>,
    pub state: Option<TcpState>,
}

impl Reporter {
    pub fn new(socket: SocketId, transport: Transport, events: EventTx) -> Reporter {
        Reporter {
            socket,
            transport,
            events,
            last_state: None,
            last_queue: None,
        }
    }

    /// Reports a call that returned now.
    pub fn call(&mut self, request: Option<u64>, call: Call, result: CallResult, after: After) {
        self.call_at(clock::now_us(), request, call, result, after);
    }

    /// Reports a call that returned at `t_us`.
    pub fn call_at(
        &mut self,
        t_us: u64,
        request: Option<u64>,
        call: Call,
        result: CallResult,
        after: After,
    ) {
        if after.state.is_some() {
            self.last_state = after.state;
        }
        self.events.emit_at(
            t_us,
            EventKind::Call(CallEvent {
                socket: self.socket,
                request,
                transport: self.transport,
                call,
                result,
                local: after.local.map(|a| a.to_string()),
                peer: after.peer.map(|a| a.to_string()),
                state: after.state,
            }),
        );
    }

    /// The TCP state last reported.
    pub fn last_state(&self) -> Option<TcpState> {
        self.last_state
    }

    /// Reports the TCP state if it differs from the last one reported.
    pub fn state(&mut self, state: Option<TcpState>) {
        if let Some(state) = state {
            if self.last_state != Some(state) {
                self.last_state = Some(state);
                self.events.emit(EventKind::State {
                    socket: self.socket,
                    state,
                });
            }
        }
    }

    /// Reports the receive queue if it differs from the last one reported.
    pub fn recv_queue(&mut self, bytes: Option<u32>) {
        if let Some(bytes) = bytes {
            if self.last_queue != Some(bytes) {
                self.last_queue = Some(bytes);
                self.events.emit(EventKind::RecvQueue {
                    socket: self.socket,
                    bytes,
                });
            }
        }
    }
}
