//! The counters of other programs' connections on watched ports.
//!
//! "Watch port 9527" captures the packets of programs sockscope did not
//! start; their sockets are not the relay's to ask with getsockopt. The
//! kernel's socket table answers for every socket instead: every 20 ms,
//! while ports are watched, the session reads the TCP connections on those
//! ports through sock_diag (what `ss -ti` does, `sockets/diag.rs`) and
//! reports each one's counters when they changed, named by its two
//! addresses. The relay's own sockets on those ports are left out: their
//! tasks report them already.
//!
//! A netlink round trip blocks, so it runs on a blocking thread, like the
//! reading of `/proc` for lingering connections (`lingering.rs`).

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    time::Duration,
};

use sockscope_shared::{CommandError, ErrorCode, EventKind, TcpInfo};
use tokio::{
    task::JoinHandle,
    time::{Interval, MissedTickBehavior, interval},
};

use crate::{
    events::EventTx,
    sockets::diag::{self, DiagConnection, DiagError},
};

/// How often the table is read while ports are watched.
const POLL: Duration = Duration::from_millis(20);

/// The watched ports of one session and what their connections last said.
pub struct Watched {
    ports: Vec<u16>,
    /// The `watch` request, which a failure to read the table answers.
    request: Option<u64>,
    last: HashMap<(SocketAddr, SocketAddr), TcpInfo>,
    tick: Interval,
    reading: Option<JoinHandle<Result<Vec<DiagConnection>, DiagError>>>,
    /// The table could not be read: said once, not tried again until the
    /// ports change.
    failed: bool,
}

impl Watched {
    pub fn new() -> Watched {
        let mut tick = interval(POLL);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        Watched {
            ports: Vec::new(),
            request: None,
            last: HashMap::new(),
            tick,
            reading: None,
            failed: false,
        }
    }

    /// The ports watched from now on (none: stop reading).
    pub fn set_ports(&mut self, ports: Vec<u16>, request: Option<u64>) {
        self.ports = ports;
        self.request = request;
        self.failed = false;
        self.last.clear();
        // A reading of the old ports under way says nothing of the new.
        self.reading = None;
    }

    /// Waits for the next reading of the table and reports the counters
    /// that changed, leaving out connections whose local address is one of
    /// `own` (the relay's sockets). Never returns while nothing is watched.
    /// Cancel-safe: a reading under way is kept for the next call.
    pub async fn next(&mut self, events: &EventTx, own: &HashSet<SocketAddr>) {
        if self.reading.is_none() {
            if self.ports.is_empty() || self.failed {
                return std::future::pending().await;
            }
            self.tick.tick().await;
            let ports = self.ports.clone();
            self.reading = Some(tokio::task::spawn_blocking(move || {
                diag::tcp_connections(&ports)
            }));
        }
        let Some(reading) = self.reading.as_mut() else {
            return;
        };
        let read = reading.await;
        self.reading = None;
        match read {
            Ok(Ok(connections)) => self.update(connections, events, own),
            Ok(Err(error)) => {
                self.failed = true;
                events.emit(EventKind::CommandError(CommandError {
                    request: self.request,
                    command: Some("watch".to_owned()),
                    code: ErrorCode::CountersUnavailable,
                    message: format!(
                        "sock_diag: {error}; the watched connections' counters will not show, \
                         their packets still do"
                    ),
                    field: None,
                    limit: None,
                }));
            }
            // The blocking thread panicked: read again at the next tick.
            Err(_) => {}
        }
    }

    fn update(
        &mut self,
        connections: Vec<DiagConnection>,
        events: &EventTx,
        own: &HashSet<SocketAddr>,
    ) {
        let mut seen = HashSet::new();
        for DiagConnection { local, peer, info } in connections {
            if own.contains(&local) {
                continue;
            }
            seen.insert((local, peer));
            if self.last.get(&(local, peer)) == Some(&info) {
                continue;
            }
            self.last.insert((local, peer), info.clone());
            events.emit(EventKind::TcpInfo {
                socket: None,
                local: Some(local.to_string()),
                peer: Some(peer.to_string()),
                info: Box::new(info),
            });
        }
        // Gone from the table: forgotten, so a new connection on the same
        // addresses is reported afresh.
        self.last.retain(|key, _| seen.contains(key));
    }
}
