//! The bounded queue between a session's tasks and its WebSocket writer.
//!
//! The queue is bounded twice: by how many events it holds, and by how many
//! bytes of data they carry, since one send or recv event may carry a
//! megabyte. What happens at each bound depends on who is emitting:
//!
//! - The capture never waits for the page: the kernel would drop packets
//!   meanwhile. It (and every emit) `try_send`s, and when a slow or stalled
//!   browser has let the queue fill, by count or up to [`HARD_LIMIT`] times
//!   its bytes, the event is dropped and counted, and the writer tells the
//!   page how many it missed ([`EventKind::Lagged`]).
//! - A socket task waits for [`EventTx::room`] before its next send() or
//!   recv() while the queued events carry more than the queue's byte room.
//!   A bulk transfer then runs at the pace the page reads it, its recv
//!   events arrive whole rather than dropped, and the kernel's buffers fill
//!   and TCP's flow control slows the sender, as with any slow reader.
//!
//! Either way the relay's memory stays bounded whatever the page does.

use std::sync::{
    Arc,
    atomic::{AtomicU64, AtomicUsize, Ordering},
};

use sockscope_shared::EventKind;
use tokio::sync::{Notify, mpsc};

use crate::clock;

/// Bytes of data the queue holds by default before socket tasks wait for
/// the page (`--event-queue-bytes`): sixteen 1 MiB sends, 32 MiB of JSON
/// once written as hex.
pub const ROOM_BYTES: usize = 16 << 20;

/// Beyond this many times its room, the queue drops even what cannot wait.
const HARD_LIMIT: usize = 4;

/// An event and the moment it happened (microseconds, Unix epoch).
#[derive(Debug)]
pub struct Stamped {
    pub t_us: u64,
    pub kind: EventKind,
}

/// What both ends of a queue count.
#[derive(Debug)]
struct Counters {
    /// Events dropped since the writer last asked.
    dropped: AtomicU64,
    /// Bytes of data carried by the events in the queue.
    bytes: AtomicUsize,
    /// See [`ROOM_BYTES`].
    room_bytes: usize,
    /// Wakes the socket tasks waiting for room.
    drained: Notify,
}

/// The sending side, cloned into every task of a session.
#[derive(Debug, Clone)]
pub struct EventTx {
    tx: mpsc::Sender<Stamped>,
    counters: Arc<Counters>,
}

/// The receiving side, owned by the WebSocket writer.
#[derive(Debug)]
pub struct EventRx {
    rx: mpsc::Receiver<Stamped>,
    counters: Arc<Counters>,
}

/// A queue holding at most `capacity` events, whose socket tasks wait while
/// the events carry more than `room_bytes` of data.
pub fn queue(capacity: usize, room_bytes: usize) -> (EventTx, EventRx) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let counters = Arc::new(Counters {
        dropped: AtomicU64::new(0),
        bytes: AtomicUsize::new(0),
        room_bytes: room_bytes.max(1),
        drained: Notify::new(),
    });
    (
        EventTx {
            tx,
            counters: counters.clone(),
        },
        EventRx { rx, counters },
    )
}

impl EventTx {
    /// Queues an event that happened now.
    pub fn emit(&self, kind: EventKind) {
        self.emit_at(clock::now_us(), kind);
    }

    /// Queues an event that happened at `t_us`, or counts it as dropped
    /// when the page is too far behind.
    pub fn emit_at(&self, t_us: u64, kind: EventKind) {
        let counters = &self.counters;
        let bytes = kind.carried_bytes();
        let held = counters.bytes.fetch_add(bytes, Ordering::Relaxed);
        if bytes > 0 && held + bytes > counters.room_bytes * HARD_LIMIT {
            counters.bytes.fetch_sub(bytes, Ordering::Relaxed);
            counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        match self.tx.try_send(Stamped { t_us, kind }) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                counters.bytes.fetch_sub(bytes, Ordering::Relaxed);
                counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
            // The writer is gone: the session is ending and nobody is
            // listening any more.
            Err(mpsc::error::TrySendError::Closed(_)) => {
                counters.bytes.fetch_sub(bytes, Ordering::Relaxed);
            }
        }
    }

    /// Whether the writer has gone away (the page disconnected).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Whether a socket task may make its next call: the queued events
    /// carry less than the queue's room, or nobody is reading them any more.
    pub fn has_room(&self) -> bool {
        self.counters.bytes.load(Ordering::Relaxed) < self.counters.room_bytes
            || self.tx.is_closed()
    }

    /// Waits until [`EventTx::has_room`].
    pub async fn room(&self) {
        loop {
            let drained = self.counters.drained.notified();
            tokio::pin!(drained);
            // Registered before the check, so a wake-up between the two is
            // not missed.
            drained.as_mut().enable();
            if self.has_room() {
                return;
            }
            tokio::select! {
                () = drained => {}
                // The writer went away without draining: stop waiting.
                () = self.tx.closed() => return,
            }
        }
    }
}

impl EventRx {
    /// Waits for the next event; `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<Stamped> {
        let stamped = self.rx.recv().await?;
        Some(self.taken(stamped))
    }

    /// The next event if one is already waiting.
    pub fn try_recv(&mut self) -> Option<Stamped> {
        let stamped = self.rx.try_recv().ok()?;
        Some(self.taken(stamped))
    }

    /// Events dropped since the last call.
    pub fn take_dropped(&self) -> u64 {
        self.counters.dropped.swap(0, Ordering::Relaxed)
    }

    /// Counts an event out of the queue, waking the socket tasks when that
    /// makes room.
    fn taken(&self, stamped: Stamped) -> Stamped {
        let bytes = stamped.kind.carried_bytes();
        if bytes > 0 {
            let counters = &self.counters;
            let held = counters.bytes.fetch_sub(bytes, Ordering::Relaxed);
            if held >= counters.room_bytes && held - bytes < counters.room_bytes {
                counters.drained.notify_waiters();
            }
        }
        stamped
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sockscope_shared::{Bytes, Call, CallEvent, CallResult, Framing, Transport};

    use super::*;

    /// A send() event carrying `len` bytes.
    fn send_of(len: usize) -> EventKind {
        EventKind::Call(CallEvent {
            socket: 1,
            request: None,
            transport: Transport::Tcp,
            call: Call::Send {
                data: Bytes::from(vec![b'x'; len]),
                offset: 0,
                message: 0,
                framing: Framing::None,
            },
            result: CallResult::Sent { bytes: len as u64 },
            local: None,
            peer: None,
            state: None,
        })
    }

    #[tokio::test]
    async fn a_full_queue_counts_what_it_drops() {
        let (tx, mut rx) = queue(2, ROOM_BYTES);
        for dropped in 0..5 {
            tx.emit(EventKind::Lagged { dropped });
        }
        assert_eq!(rx.take_dropped(), 3);
        assert!(rx.recv().await.is_some());
        assert!(rx.recv().await.is_some());
        assert!(rx.try_recv().is_none());
        assert_eq!(rx.take_dropped(), 0);
    }

    #[tokio::test]
    async fn socket_tasks_wait_while_the_queue_carries_its_room_in_bytes() {
        let (tx, mut rx) = queue(100, 1000);
        tx.emit(send_of(600));
        assert!(tx.has_room());
        tx.emit(send_of(600));
        assert!(!tx.has_room());
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.room().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !waiting.is_finished(),
            "room() returned while the queue was full"
        );
        // The writer takes one event: 600 bytes are left, under the room.
        assert!(rx.recv().await.is_some());
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("taking an event woke the waiting task")
            .expect("the waiting task ran to its end");
        assert!(tx.has_room());
    }

    #[tokio::test]
    async fn beyond_four_times_its_room_the_queue_drops_and_counts() {
        let (tx, rx) = queue(100, 1000);
        for _ in 0..5 {
            tx.emit(send_of(900));
        }
        // 4 × 900 fit under 4 × 1000; the fifth did not.
        assert_eq!(rx.take_dropped(), 1);
        // Events without data are bounded by count alone.
        tx.emit(EventKind::Lagged { dropped: 0 });
        assert_eq!(rx.take_dropped(), 0);
    }

    #[tokio::test]
    async fn a_page_gone_away_never_keeps_a_task_waiting() {
        let (tx, rx) = queue(100, 1000);
        tx.emit(send_of(2000));
        assert!(!tx.has_room());
        drop(rx);
        assert!(tx.has_room());
        tokio::time::timeout(Duration::from_secs(5), tx.room())
            .await
            .expect("room() returns once nobody reads the queue");
    }
}
