//! Closed TCP connections, followed through the kernel's table until they
//! are gone (FIN_WAIT_2, TIME_WAIT, LAST_ACK, then CLOSED).
//!
//! Once the page closes a TCP socket its task ends, yet the connection
//! lives on in the kernel for up to a minute, and that afterlife is part of
//! what a learner came to see. A socket still open can lose its connection
//! to the table too: a FIN received in FIN_WAIT_2 moves the connection into
//! a TIME_WAIT entry and leaves the socket reading CLOSED. Every 20 ms the session reads the kernel's
//! socket tables once for all the connections it follows, and reports each
//! one's state when it changes.
//!
//! Reading `/proc` is a blocking file read, so it runs on a blocking
//! thread, and the session only picks up the result: like every slow step,
//! it never holds up the session's other work.

use std::{sync::Arc, time::Duration};

use sockscope_lab::{Lab, Side};

use sockscope_shared::{EventKind, SocketId, TcpState};
use tokio::{
    task::JoinHandle,
    time::{Instant, Interval, MissedTickBehavior, interval},
};

use crate::{events::EventTx, proc_net::Tables, sockets::Connection};

/// How often the kernel's tables are read while connections linger.
const POLL: Duration = Duration::from_millis(20);

/// How long a closed connection is followed at most: TIME_WAIT lasts 60 s
/// on Linux; stop looking a little after.
const FOLLOW_FOR: Duration = Duration::from_secs(75);

/// The closed connections of one session.
pub struct Lingering {
    entries: Vec<Entry>,
    /// The lab the session's sockets live in, whose namespaces' tables
    /// are read as well.
    lab: Option<Arc<Lab>>,
    tick: Interval,
    /// A reading of the tables under way on a blocking thread.
    reading: Option<JoinHandle<Tables>>,
    /// Read at once rather than at the next tick: a connection has just
    /// closed, and its first state after close should show without delay.
    due: bool,
}

struct Entry {
    socket: SocketId,
    connection: Connection,
    last: Option<TcpState>,
    until: Instant,
}

impl Lingering {
    pub fn new() -> Lingering {
        let mut tick = interval(POLL);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        Lingering {
            entries: Vec::new(),
            lab: None,
            tick,
            reading: None,
            due: false,
        }
    }

    /// The lab whose namespaces hold the session's sockets from now on,
    /// or none. Connections followed in a lab that goes away end with it.
    pub fn set_lab(&mut self, lab: Option<Arc<Lab>>) {
        self.lab = lab;
    }

    /// Whether the connection of `socket` is followed already.
    pub fn follows(&self, socket: SocketId) -> bool {
        self.entries.iter().any(|e| e.socket == socket)
    }

    /// Starts following `connection`, which `socket` has just closed, or
    /// which the kernel moved into TIME_WAIT while `socket` is still open.
    pub fn follow(&mut self, socket: SocketId, connection: Connection) {
        self.entries.push(Entry {
            socket,
            connection,
            last: None,
            until: Instant::now() + FOLLOW_FOR,
        });
        self.due = true;
    }

    /// Waits for the next reading of the kernel's tables and reports what
    /// changed. Never returns while nothing lingers. Cancel-safe: a reading
    /// under way is kept, and picked up by the next call.
    pub async fn next(&mut self, events: &EventTx) {
        if self.reading.is_none() {
            if self.entries.is_empty() {
                return std::future::pending().await;
            }
            if !self.due {
                self.tick.tick().await;
            }
            self.due = false;
            let v4 = self.entries.iter().any(|e| e.connection.local.is_ipv4());
            let v6 = self.entries.iter().any(|e| e.connection.local.is_ipv6());
            let lab = self.lab.clone();
            self.reading = Some(tokio::task::spawn_blocking(move || {
                let mut tables = Tables::read(v4, v6);
                for side in [Side::Client, Side::Server] {
                    let inside = lab
                        .as_ref()
                        .and_then(|lab| lab.in_namespace(side, || Tables::read(v4, v6)).ok());
                    if let Some(inside) = inside {
                        tables.append(inside);
                    }
                }
                tables
            }));
        }
        let Some(reading) = self.reading.as_mut() else {
            return;
        };
        // A reading that panicked lists nothing, like an unreadable table.
        let tables = reading.await.unwrap_or_default();
        self.reading = None;
        self.update(&tables, events);
    }

    /// Reports the state of each connection the reading covers if it
    /// changed, and CLOSED when the kernel has forgotten it.
    fn update(&mut self, tables: &Tables, events: &EventTx) {
        let now = Instant::now();
        self.entries.retain_mut(|entry| {
            let Connection { local, peer } = entry.connection;
            // Followed since this reading began: the next one will tell.
            if !tables.covers(local) {
                return true;
            }
            let state = tables.state(local, peer).unwrap_or(TcpState::Closed);
            if entry.last != Some(state) {
                entry.last = Some(state);
                events.emit(EventKind::State {
                    socket: entry.socket,
                    state,
                });
            }
            state != TcpState::Closed && now < entry.until
        });
    }
}
