//! The bounded queue between a session's tasks and its WebSocket writer.
//!
//! Socket tasks and the capture never wait for the page: they `try_send`
//! into a queue of fixed size. When a slow or stalled browser lets it fill,
//! events are dropped and counted, and the writer tells the page how many
//! it missed ([`EventKind::Lagged`]). The relay's memory stays bounded
//! whatever the page does.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use sockscope_shared::EventKind;
use tokio::sync::mpsc;

use crate::clock;

/// An event and the moment it happened (microseconds, Unix epoch).
#[derive(Debug)]
pub struct Stamped {
    pub t_us: u64,
    pub kind: EventKind,
}

/// The sending side, cloned into every task of a session.
#[derive(Debug, Clone)]
pub struct EventTx {
    tx: mpsc::Sender<Stamped>,
    dropped: Arc<AtomicU64>,
}

/// The receiving side, owned by the WebSocket writer.
#[derive(Debug)]
pub struct EventRx {
    rx: mpsc::Receiver<Stamped>,
    dropped: Arc<AtomicU64>,
}

/// A queue holding at most `capacity` events.
pub fn queue(capacity: usize) -> (EventTx, EventRx) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    (
        EventTx {
            tx,
            dropped: dropped.clone(),
        },
        EventRx { rx, dropped },
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
        match self.tx.try_send(Stamped { t_us, kind }) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            // The writer is gone: the session is ending and nobody is
            // listening any more.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Whether the writer has gone away (the page disconnected).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl EventRx {
    /// Waits for the next event; `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<Stamped> {
        self.rx.recv().await
    }

    /// The next event if one is already waiting.
    pub fn try_recv(&mut self) -> Option<Stamped> {
        self.rx.try_recv().ok()
    }

    /// Events dropped since the last call.
    pub fn take_dropped(&self) -> u64 {
        self.dropped.swap(0, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_counts_what_it_drops() {
        let (tx, mut rx) = queue(2);
        for dropped in 0..5 {
            tx.emit(EventKind::Lagged { dropped });
        }
        assert_eq!(rx.take_dropped(), 3);
        assert!(rx.recv().await.is_some());
        assert!(rx.recv().await.is_some());
        assert!(rx.try_recv().is_none());
        assert_eq!(rx.take_dropped(), 0);
    }
}
