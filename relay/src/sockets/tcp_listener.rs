//! A listening TCP socket's task: accept on request or automatically.
//!
//! Connections complete their handshake in the kernel whether or not
//! accept() is called: they wait in the backlog. That is why accept is a
//! separate, manual step by default, so a learner can watch SYN, SYN+ACK and
//! ACK happen before accept() returns.

use std::net::SocketAddr;

use sockscope_shared::{Call, CallResult, SocketId, Transport, WaitReason};
use tokio::{
    net::TcpListener,
    sync::mpsc,
    time::{MissedTickBehavior, interval},
};

use super::{Context, Notice, OP_QUEUE, Op, Reporter, STATE_POLL, describe, kernel, report::After};
use crate::{clock, events::EventTx};

/// Starts the task for a listener and returns its operation queue.
pub fn spawn(
    socket: SocketId,
    listener: TcpListener,
    auto_accept: bool,
    events: EventTx,
    notices: mpsc::Sender<Notice>,
) -> mpsc::Sender<Op> {
    let (ops_tx, ops) = mpsc::channel(OP_QUEUE);
    let local = listener.local_addr().ok();
    tokio::spawn(run(
        listener,
        local,
        auto_accept,
        Reporter::new(socket, Transport::Tcp, events),
        ops,
        notices,
    ));
    ops_tx
}

async fn run(
    listener: TcpListener,
    local: Option<SocketAddr>,
    mut auto_accept: bool,
    mut report: Reporter,
    mut ops: mpsc::Receiver<Op>,
    notices: mpsc::Sender<Notice>,
) {
    let mut waiting: std::collections::VecDeque<Option<u64>> = Default::default();
    let mut tick = interval(STATE_POLL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        let want_accept = auto_accept || !waiting.is_empty();
        tokio::select! {
            op = ops.recv() => match op {
                Some(Op::Accept { request }) => {
                    if !kernel::readable_now(&listener) {
                        report.waiting(request, Call::Accept, WaitReason::NoConnection);
                    }
                    waiting.push_back(request);
                }
                Some(Op::AutoAccept { on }) => auto_accept = on,
                Some(Op::Close { request }) => {
                    drop(listener);
                    report.call(request, Call::Close, CallResult::Ok, After { local, ..After::default() });
                    let _ = notices.send(Notice::Closed { socket: report.socket, tcp: None }).await;
                    return;
                }
                Some(_) => {}
                None => return,
            },
            accepted = listener.accept(), if want_accept => {
                let t_us = clock::now_us();
                let request = waiting.pop_front().flatten();
                match accepted {
                    Ok((stream, peer)) => {
                        let notice = Notice::Accepted {
                            listener: report.socket,
                            request,
                            stream,
                            peer,
                            t_us,
                        };
                        if notices.send(notice).await.is_err() {
                            return;
                        }
                    }
                    Err(err) => {
                        let after = After { local, state: kernel::tcp_state(&listener), ..After::default() };
                        report.call_at(t_us, request, Call::Accept, CallResult::Error(describe(&err, Context::Accept)), after);
                    }
                }
            }
            _ = tick.tick() => report.state(kernel::tcp_state(&listener)),
        }
    }
}
