//! A UDP socket's task: sendto and recvfrom, datagram by datagram.
//!
//! To report truncation honestly the task first peeks at the waiting
//! datagram with a buffer big enough for any datagram, learning its real
//! length, and then makes the one `recvfrom(bufsize)` the learner asked for.
//! When the datagram is longer than `bufsize`, the kernel discards the rest:
//! the event says how many bytes that was.

use std::{collections::VecDeque, io};

use sockscope_shared::{Bytes, Call, CallResult, SocketId, Transport, WaitReason};
use tokio::{net::UdpSocket, sync::mpsc};

use super::{
    Context, Notice, OP_QUEUE, Op, PendingRecv, Reporter, describe, kernel, report::After,
};
use crate::events::EventTx;

/// The largest UDP payload there can be, for the peek.
const MAX_DATAGRAM: usize = 65_535;

/// Starts the task for a bound UDP socket and returns its operation queue.
pub fn spawn(
    socket: SocketId,
    udp: UdpSocket,
    events: EventTx,
    notices: mpsc::Sender<Notice>,
) -> mpsc::Sender<Op> {
    let (ops_tx, ops) = mpsc::channel(OP_QUEUE);
    tokio::spawn(run(
        udp,
        Reporter::new(socket, Transport::Udp, events),
        ops,
        notices,
    ));
    ops_tx
}

async fn run(
    udp: UdpSocket,
    mut report: Reporter,
    mut ops: mpsc::Receiver<Op>,
    notices: mpsc::Sender<Notice>,
) {
    let local = udp.local_addr().ok();
    let after = After {
        local,
        ..After::default()
    };
    let mut recvs: VecDeque<PendingRecv> = VecDeque::new();
    let mut peek = vec![0u8; MAX_DATAGRAM];
    loop {
        tokio::select! {
            op = ops.recv() => match op {
                Some(Op::SendTo { request, to, data }) => {
                    // Stamped as the call starts, before its datagram.
                    let called_us = crate::clock::now_us();
                    let result = match udp.send_to(&data, to).await {
                        Ok(n) => CallResult::Sent { bytes: n as u64 },
                        Err(err) => CallResult::Error(describe(&err, Context::SendTo(to))),
                    };
                    let call = Call::SendTo { addr: to.to_string(), data: Bytes::from(data) };
                    report.call_at(called_us, request, call, result, after);
                }
                Some(Op::RecvFrom { request, bufsize }) => {
                    if !kernel::readable_now(&udp) {
                        report.waiting(request, Call::RecvFrom { bufsize }, WaitReason::NoData);
                    }
                    recvs.push_back(PendingRecv { request, bufsize });
                }
                Some(Op::Close { request }) => {
                    drop(udp);
                    report.call(request, Call::Close, CallResult::Ok, after);
                    let _ = notices.send(Notice::Closed { socket: report.socket, tcp: None }).await;
                    return;
                }
                Some(_) => {}
                None => return,
            },
            ready = udp.readable(), if !recvs.is_empty() => {
                if ready.is_err() {
                    continue;
                }
                let Some(&PendingRecv { request, bufsize }) = recvs.front() else { continue };
                let datagram_len = match udp.try_peek_from(&mut peek) {
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => continue,
                    Ok((n, _)) => n,
                    // An error waiting on the socket (ICMP port unreachable
                    // from an earlier sendto) is what this recvfrom returns.
                    Err(_) => 0,
                };
                let mut buf = vec![0u8; bufsize as usize];
                let result = match udp.try_recv_from(&mut buf) {
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => continue,
                    Ok((n, from)) => {
                        buf.truncate(n);
                        CallResult::Datagram {
                            from: from.to_string(),
                            data: Bytes::from(buf),
                            datagram_len: u32::try_from(datagram_len.max(n)).unwrap_or(u32::MAX),
                        }
                    }
                    Err(err) => CallResult::Error(describe(&err, Context::RecvFrom)),
                };
                recvs.pop_front();
                report.call(request, Call::RecvFrom { bufsize }, result, after);
            }
        }
    }
}
