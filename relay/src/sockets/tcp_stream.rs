//! A connected TCP socket's task: send, recv, options, shutdown, close.
//!
//! One task owns the stream and waits on several things at once: the next
//! operation from the session, the socket becoming readable (for a pending
//! or automatic recv), becoming writable (for a queued send whose time has
//! come), and a short tick to read the kernel's TCP state. Every recv is a
//! single `recv()` system call through [`TcpStream::try_read`], so the chunk
//! reported is exactly what a program calling `recv(bufsize)` would get.
//!
//! A send or recv waits while the page is behind: the events already queued
//! for it carry more data than the queue's room ([`EventTx::room`]). The
//! transfer then goes at the page's pace, and the kernel's buffers and
//! TCP's window do the rest, as they would for any slow program.
//!
//! Byte offsets: the task counts bytes sent and received since the
//! connection opened. Each send and recv event carries the offset of its
//! first byte in that direction's stream, which is what links it to the
//! segments on the wire (relative sequence number minus one).

use std::{collections::VecDeque, io, net::SocketAddr, sync::Arc, time::Duration};

use socket2::SockRef;
use sockscope_shared::{
    Bytes, Call, CallResult, Framing, SendStage, ShutdownHow, SocketId, SocketOption, TcpInfo,
    TcpState, Transport, WaitReason,
};
use tokio::{
    io::Interest,
    net::TcpStream,
    sync::mpsc,
    time::{Instant, MissedTickBehavior, interval, sleep_until},
};

use super::{
    Connection, Context, Notice, OP_QUEUE, Op, PendingRecv, Reporter, STATE_POLL, describe, kernel,
    report::After, send_times,
};
use crate::{clock::now_us, events::EventTx};

/// Starts the task for a connected stream and returns its operation queue.
pub fn spawn(
    socket: SocketId,
    stream: TcpStream,
    events: EventTx,
    notices: mpsc::Sender<Notice>,
) -> mpsc::Sender<Op> {
    let (ops_tx, ops) = mpsc::channel(OP_QUEUE);
    // Before any send, so each report's offset counts from the first byte.
    let stamping = send_times::enable(&stream).is_ok();
    let task = StreamTask {
        report: Reporter::new(socket, Transport::Tcp, events),
        local: stream.local_addr().ok(),
        peer: stream.peer_addr().ok(),
        stream,
        ops,
        notices,
        recvs: VecDeque::new(),
        auto_read: None,
        auto_due: None,
        sends: VecDeque::new(),
        sent_offset: 0,
        recv_offset: 0,
        eof: false,
        in_table: false,
        info: None,
        stamping,
    };
    tokio::spawn(task.run());
    ops_tx
}

struct PendingSend {
    request: Option<u64>,
    /// Shared by the repeats of one command: a thousand repeats of a
    /// megabyte hold one megabyte.
    data: Arc<[u8]>,
    /// Bytes of `data` already accepted by earlier send() calls.
    done: usize,
    message: u32,
    framing: Framing,
    not_before: Instant,
}

struct AutoRead {
    delay: Duration,
    bufsize: u32,
}

struct StreamTask {
    stream: TcpStream,
    local: Option<SocketAddr>,
    peer: Option<SocketAddr>,
    report: Reporter,
    ops: mpsc::Receiver<Op>,
    notices: mpsc::Sender<Notice>,
    recvs: VecDeque<PendingRecv>,
    auto_read: Option<AutoRead>,
    /// When the automatic recv waiting for its delay will run.
    auto_due: Option<Instant>,
    sends: VecDeque<PendingSend>,
    sent_offset: u64,
    recv_offset: u64,
    eof: bool,
    /// The connection has moved into a TIME_WAIT entry of the kernel's
    /// table, which the session follows; this socket no longer tells its
    /// state.
    in_table: bool,
    /// The kernel's counters as last read (by [`StreamTask::after`]).
    info: Option<TcpInfo>,
    /// The kernel stamps each send's departure and acknowledgement.
    stamping: bool,
}

impl StreamTask {
    async fn run(mut self) {
        let mut tick = interval(STATE_POLL);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            let room = self.report.events.has_room();
            let want_read = room
                && (!self.recvs.is_empty()
                    || (self.auto_read.is_some() && self.auto_due.is_none()));
            let next_send = self.sends.front().map(|s| s.not_before).filter(|_| room);
            tokio::select! {
                op = self.ops.recv() => match op {
                    Some(Op::Close { request }) => return self.close(request).await,
                    Some(op) => self.handle(op),
                    // The session is gone: drop the socket without a word.
                    None => return,
                },
                ready = self.stream.readable(), if want_read => {
                    if ready.is_ok() {
                        self.on_readable();
                    }
                }
                () = sleep_until(self.auto_due.unwrap_or_else(Instant::now)), if room && self.auto_due.is_some() => {
                    self.auto_due = None;
                    if let Some(auto) = &self.auto_read {
                        let bufsize = auto.bufsize;
                        self.recv_once(None, bufsize);
                    }
                }
                ready = send_ready(&self.stream, next_send), if next_send.is_some() => {
                    if ready.is_ok() {
                        self.send_once();
                    }
                }
                ready = self.stream.ready(Interest::ERROR), if self.stamping => {
                    if ready.is_ok() {
                        self.on_send_times();
                    }
                }
                () = self.report.events.room(), if !room => {}
                _ = tick.tick() => self.poll_kernel(),
            }
        }
    }

    fn after(&mut self) -> After {
        After {
            local: self.local,
            peer: self.peer,
            state: self.connection_state(),
        }
    }

    /// Reports a call that returned (or, for send, was called) at `t_us`,
    /// with the socket's addresses, state and counters just after it.
    fn report_call(&mut self, t_us: u64, request: Option<u64>, call: Call, result: CallResult) {
        let after = self.after();
        self.report.call_at(t_us, request, call, result, after);
        self.report.tcp_info(self.info.take(), false);
    }

    /// The connection's TCP state, as this socket reads it; its counters
    /// are kept in `self.info` for the caller to report.
    ///
    /// When a FIN arrives in FIN_WAIT_2 (or the last ACK in CLOSING), Linux
    /// moves the connection into a TIME_WAIT entry of its socket table and
    /// leaves the socket the program holds in CLOSE. The connection is in
    /// TIME_WAIT, not closed: from then on the session reads its state from
    /// the table, as it does after close() (`session/lingering.rs`), and
    /// this socket says nothing more of it.
    fn connection_state(&mut self) -> Option<TcpState> {
        if self.in_table {
            return None;
        }
        // Before Linux 4.9 the counters are too short to read, the state is not.
        self.info = kernel::tcp_info(&self.stream);
        let state = match &self.info {
            Some(info) => Some(info.state),
            None => kernel::tcp_state(&self.stream),
        };
        let was_closing = matches!(
            self.report.last_state(),
            Some(TcpState::FinWait1 | TcpState::FinWait2 | TcpState::Closing)
        );
        if state == Some(TcpState::Closed)
            && was_closing
            && let Some((local, peer)) = self.local.zip(self.peer)
        {
            let handed = self.notices.try_send(Notice::Lingers {
                socket: self.report.socket,
                tcp: Connection { local, peer },
            });
            // A full queue is tried again at the next poll: saying CLOSED
            // meanwhile would be wrong, and would end the hand-over.
            self.in_table = handed.is_ok();
            self.info = None;
            return None;
        }
        state
    }

    fn handle(&mut self, op: Op) {
        match op {
            Op::Send {
                request,
                message,
                repeat,
                interval,
                framing,
            } => {
                let start = self
                    .sends
                    .back()
                    .map_or_else(Instant::now, |last| last.not_before);
                let message: Arc<[u8]> = message.into();
                for n in 0..repeat {
                    self.sends.push_back(PendingSend {
                        request,
                        data: message.clone(),
                        done: 0,
                        message: n,
                        framing,
                        not_before: start + interval * n,
                    });
                }
            }
            Op::Recv { request, bufsize } => {
                // A recv() with nothing to take waits in the kernel: the
                // page shows it waiting rather than nothing at all.
                if !self.eof && !kernel::readable_now(&self.stream) {
                    self.report
                        .waiting(request, Call::Recv { bufsize }, WaitReason::NoData);
                }
                self.recvs.push_back(PendingRecv { request, bufsize });
            }
            Op::AutoRead { on, delay, bufsize } => {
                self.auto_read = on.then_some(AutoRead { delay, bufsize });
                self.auto_due = None;
            }
            Op::SetOption { request, option } => {
                let result = set_option(&self.stream, option);
                let result = match result {
                    Ok(()) => CallResult::Ok,
                    Err(err) => CallResult::Error(describe(&err, Context::SetOption)),
                };
                self.report_call(now_us(), request, Call::SetOption { option }, result);
            }
            Op::Shutdown { request, how } => {
                let std_how = match how {
                    ShutdownHow::Read => std::net::Shutdown::Read,
                    ShutdownHow::Write => std::net::Shutdown::Write,
                    ShutdownHow::Both => std::net::Shutdown::Both,
                };
                let result = match SockRef::from(&self.stream).shutdown(std_how) {
                    Ok(()) => CallResult::Ok,
                    Err(err) => CallResult::Error(describe(&err, Context::Shutdown)),
                };
                self.report_call(now_us(), request, Call::Shutdown { how }, result);
            }
            // Listener and UDP operations are refused by the session.
            Op::Accept { .. }
            | Op::AutoAccept { .. }
            | Op::SendTo { .. }
            | Op::RecvFrom { .. }
            | Op::Close { .. } => {}
        }
    }

    fn on_readable(&mut self) {
        if let Some(PendingRecv { request, bufsize }) = self.recvs.front().copied() {
            if self.recv_once(request, bufsize) {
                self.recvs.pop_front();
            }
        } else if let Some(auto) = &self.auto_read {
            if auto.delay.is_zero() {
                let bufsize = auto.bufsize;
                self.recv_once(None, bufsize);
            } else {
                self.auto_due = Some(Instant::now() + auto.delay);
            }
        }
    }

    /// One recv() system call. Returns false when the socket was not
    /// really readable (the call would have blocked), so the request stays.
    fn recv_once(&mut self, request: Option<u64>, bufsize: u32) -> bool {
        let mut buf = vec![0u8; bufsize as usize];
        let result = match self.stream.try_read(&mut buf) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return false,
            Ok(0) => {
                self.eof = true;
                // recv() keeps returning 0 after end of stream; reading
                // automatically would spin on it.
                self.auto_read = None;
                CallResult::EndOfStream {
                    offset: self.recv_offset,
                }
            }
            Ok(n) => {
                buf.truncate(n);
                let offset = self.recv_offset;
                self.recv_offset += n as u64;
                CallResult::Data {
                    data: Bytes::from(buf),
                    offset,
                }
            }
            Err(err) => {
                self.auto_read = None;
                CallResult::Error(describe(&err, Context::Recv))
            }
        };
        self.report_call(now_us(), request, Call::Recv { bufsize }, result);
        self.report.recv_queue(kernel::recv_queue(&self.stream));
        true
    }

    /// One send() system call for the message at the head of the queue,
    /// stamped when it was called rather than when it returned.
    fn send_once(&mut self) {
        let Some(pending) = self.sends.front_mut() else {
            return;
        };
        let rest = pending.data.get(pending.done..).unwrap_or_default();
        // Stamped as the call starts: on loopback the kernel sends the
        // segment inside send(), and the timeline should show the call
        // that caused the segment before it.
        let called_us = now_us();
        let (result, written) = match self.stream.try_write(rest) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
            Ok(n) => (CallResult::Sent { bytes: n as u64 }, n),
            Err(err) => (CallResult::Error(describe(&err, Context::Send)), 0),
        };
        let failed = matches!(result, CallResult::Error(_));
        // A failed call shows what it tried to send; a successful one what
        // the kernel took.
        let shown = if failed { rest.len() } else { written };
        let data = Bytes::from(rest.get(..shown).unwrap_or_default());
        let call = Call::Send {
            data,
            offset: self.sent_offset,
            message: pending.message,
            framing: pending.framing,
        };
        let request = pending.request;
        pending.done += written;
        self.sent_offset += written as u64;
        let finished = failed || pending.done >= pending.data.len();
        if failed {
            // A failed send (EPIPE, ECONNRESET) fails every repeat after it.
            self.sends.clear();
        } else if finished {
            self.sends.pop_front();
        }
        self.report_call(called_us, request, call, result);
    }

    /// Reports the send timestamps waiting on the error queue.
    fn on_send_times(&mut self) {
        loop {
            let read = self
                .stream
                .try_io(Interest::ERROR, || send_times::read_one(&self.stream));
            match read {
                Ok(Some(time)) => {
                    // The kernel counts in 32 bits: the send this is is
                    // the one whose last byte has these low bits, at or
                    // below the bytes sent so far.
                    let wrapped = self.sent_offset.saturating_sub(1);
                    let mut last = (wrapped & !0xffff_ffff) | time.last_byte;
                    if last > wrapped {
                        last = last.saturating_sub(1 << 32);
                    }
                    let stage = match time.stage {
                        send_times::Stage::Sent => SendStage::Sent,
                        send_times::Stage::Acked => SendStage::Acked,
                    };
                    self.report.send_time(time.t_us, last + 1, stage);
                }
                Ok(None) => {}
                // Empty (WouldBlock), or a socket that cannot say.
                Err(_) => return,
            }
        }
    }

    fn poll_kernel(&mut self) {
        let state = self.connection_state();
        self.report.state(state);
        self.report.tcp_info(self.info.take(), false);
        self.report.recv_queue(kernel::recv_queue(&self.stream));
    }

    async fn close(mut self, request: Option<u64>) {
        // The stamps already queued, before the socket and they are gone.
        if self.stamping {
            self.on_send_times();
        }
        let StreamTask {
            stream,
            mut report,
            local,
            peer,
            notices,
            in_table,
            ..
        } = self;
        // The last counters, before the socket and they are gone.
        if !in_table {
            report.tcp_info(kernel::tcp_info(&stream), true);
        }
        drop(stream);
        report.call(
            request,
            Call::Close,
            CallResult::Ok,
            After {
                local,
                peer,
                state: None,
            },
        );
        // A connection handed to the table already is followed there; its
        // end (CLOSED) is the follower's to report, once.
        let tcp = local
            .zip(peer)
            .filter(|_| !in_table)
            .map(|(local, peer)| Connection { local, peer });
        let _ = notices
            .send(Notice::Closed {
                socket: report.socket,
                tcp,
            })
            .await;
    }
}

/// Waits until `not_before`, then until the socket can take more bytes.
async fn send_ready(stream: &TcpStream, not_before: Option<Instant>) -> io::Result<()> {
    if let Some(at) = not_before {
        sleep_until(at).await;
    }
    stream.writable().await
}

fn set_option(stream: &TcpStream, option: SocketOption) -> io::Result<()> {
    let sock = SockRef::from(stream);
    match option {
        SocketOption::TcpNodelay(on) => sock.set_tcp_nodelay(on),
        SocketOption::RecvBuffer(bytes) => sock.set_recv_buffer_size(bytes as usize),
        SocketOption::SendBuffer(bytes) => sock.set_send_buffer_size(bytes as usize),
        SocketOption::LingerZero => sock.set_linger(Some(Duration::ZERO)),
    }
}
