//! Building call events: one per system call, stamped when it returned.

use std::net::SocketAddr;

use sockscope_shared::{
    Call, CallEvent, CallResult, EventKind, SendStage, SocketId, TCP_INFO_EVERY_US, TcpInfo,
    TcpState, Transport, WaitReason, WaitingCall,
};

use crate::{clock, events::EventTx};

/// Reports the calls of one socket, and remembers the last TCP state,
/// counters and receive-queue size it announced so that polling only
/// reports changes.
#[derive(Debug)]
pub struct Reporter {
    pub socket: SocketId,
    pub transport: Transport,
    pub events: EventTx,
    last_state: Option<TcpState>,
    last_queue: Option<u32>,
    last_info: Option<TcpInfo>,
    last_info_us: u64,
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
            last_info: None,
            last_info_us: 0,
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

    /// Reports when the kernel stamped the last byte of the send that
    /// ends at `end` (one past its last byte).
    pub fn send_time(&mut self, t_us: u64, end: u64, stage: SendStage) {
        self.events.emit_at(
            t_us,
            EventKind::SendTime {
                socket: self.socket,
                end,
                stage,
            },
        );
    }

    /// Reports a call that waits in the kernel; its call event follows
    /// when it returns.
    pub fn waiting(&mut self, request: Option<u64>, call: Call, why: WaitReason) {
        self.events.emit(EventKind::Waiting(WaitingCall {
            socket: self.socket,
            request,
            call,
            why,
        }));
    }

    /// Reports the TCP counters if they differ from the last ones
    /// reported, at most once per [`TCP_INFO_EVERY_US`]: a change that
    /// comes sooner is dropped, and the next poll reads the counters again.
    /// The `last` reading of a socket (at close) is always reported.
    pub fn tcp_info(&mut self, info: Option<TcpInfo>, last: bool) {
        let Some(info) = info else { return };
        if self.last_info.as_ref() == Some(&info) {
            return;
        }
        let now = clock::now_us();
        if !last && now.saturating_sub(self.last_info_us) < TCP_INFO_EVERY_US {
            return;
        }
        self.last_info_us = now;
        self.last_info = Some(info.clone());
        self.events.emit_at(
            now,
            EventKind::TcpInfo {
                socket: Some(self.socket),
                local: None,
                peer: None,
                info: Box::new(info),
            },
        );
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
