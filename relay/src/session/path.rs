//! The session's path: loopback, or a network lab the session builds.
//!
//! On loopback every socket lives in the relay's own network namespace. In
//! a lab the client's sockets live in one namespace and the server's in
//! another, two real TCP/IP stacks joined by a path the lab forwards and
//! impairs ([`sockscope_lab`]). Which namespace a socket goes to follows
//! from its addresses, as on two machines:
//!
//! - bind() and listen() on an address go to the side that owns it; the
//!   wildcard (`0.0.0.0`, `::`) is the server's, as a learner's server
//!   binds it;
//! - connect() and sendto() must name one of the lab's addresses, and a
//!   connecting socket is made on the other side.
//!
//! Building a lab takes threads and netlink (milliseconds), so it runs on
//! a blocking thread, and the session holds the requests that arrive
//! meanwhile, in order, so a script may send `set_path` and its first
//! `tcp_listen` together. Changing between loopback and a lab, or the MTU,
//! rebuilds the sockets' world, so it is refused while sockets are open;
//! a lab's delay, loss and the rest change at once, from the next packet.

use std::{
    net::{IpAddr, SocketAddr},
    os::fd::AsFd,
    sync::Arc,
    time::Duration,
};

use socket2::SockRef;
use sockscope_lab::{Family, Lab, LabConfig, LabError, PathConfig, PathEvent, PathStats, Side};
use sockscope_shared::{
    ErrorCode, EventKind, LabAvailability, LabHost, LabPath, LinkCounts, PathCounts, PathPreset,
    PathRequest, PathSettings, PathState,
};
use tokio::{
    sync::mpsc,
    time::{Interval, MissedTickBehavior, interval},
};

use super::{Session, policy::Refusal, policy::Role, steps::Asked};
use crate::segments::SessionCapture;

/// How often the lab's counts are read, and held copies expired.
const TICK: Duration = Duration::from_millis(100);
/// Counts are sent at most this often.
const COUNTS_EVERY: u32 = 5;

/// Where the session's sockets live.
pub enum SessionPath {
    Loopback,
    /// A lab is being built; requests wait.
    Building,
    Lab(Box<LabNow>),
}

/// A lab in use.
pub struct LabNow {
    pub lab: Arc<Lab>,
    state: PathState,
    reports: Option<mpsc::Receiver<PathEvent>>,
    tick: Interval,
    ticks: u32,
    counts: PathCounts,
}

/// What the lab has to say, for the session's loop.
pub enum LabNews {
    Report(PathEvent),
    Tick,
}

impl SessionPath {
    /// The lab in use, if any.
    pub fn lab(&self) -> Option<&Arc<Lab>> {
        match self {
            SessionPath::Lab(now) => Some(&now.lab),
            _ => None,
        }
    }

    /// Waits for the lab's next report or tick; never returns without a
    /// lab.
    pub async fn next(&mut self) -> LabNews {
        let SessionPath::Lab(now) = self else {
            return std::future::pending().await;
        };
        let report = async {
            match now.reports.as_mut() {
                Some(reports) => reports.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            report = report => match report {
                Some(report) => LabNews::Report(report),
                None => {
                    now.reports = None;
                    LabNews::Tick
                }
            },
            _ = now.tick.tick() => LabNews::Tick,
        }
    }

    /// The side a socket bound to `ip` lives on.
    fn side_of(ip: IpAddr) -> Option<Side> {
        if ip.is_unspecified() {
            return Some(Side::Server);
        }
        [Side::Client, Side::Server].into_iter().find(|&side| {
            [Family::V4, Family::V6]
                .into_iter()
                .any(|family| Lab::address(side, family) == ip)
        })
    }
}

impl Session {
    /// `set_path`: at once for a lab's settings, in a slow step for a new
    /// lab.
    pub(super) fn set_path(&mut self, asked: Asked, request: PathRequest) -> Result<(), Refusal> {
        tracing::debug!(path = request.path.id(), seed = request.seed, "set_path");
        let settings = match request.path {
            PathPreset::Loopback => None,
            PathPreset::Custom => Some(request.settings.clone()),
            named => named.settings(),
        };
        if let Some(settings) = &settings {
            settings.check().map_err(|error| Refusal {
                code: ErrorCode::BadPath,
                message: error.to_string(),
                limit: None,
            })?;
            if let LabAvailability::Off { reason, fix } = &self.lab_availability {
                return Err(Refusal::new(
                    ErrorCode::LabUnavailable,
                    format!("{reason}. To allow it: {fix}"),
                ));
            }
        }
        let config = settings
            .as_ref()
            .map(|settings| to_lab_config(settings, request.seed));
        // A lab's settings change in place when its MTU stays.
        if let (SessionPath::Lab(now), Some(settings), Some(config)) =
            (&mut self.path, &settings, &config)
            && now.lab.mtu() == settings.mtu
        {
            now.lab
                .set_path(config.path.clone())
                .map_err(|error| Refusal::new(ErrorCode::Internal, error.to_string()))?;
            now.state = path_state(asked.request, &request, Some((settings, &now.lab)));
            self.events
                .emit(EventKind::Path(Box::new(now.state.clone())));
            return Ok(());
        }
        if matches!(self.path, SessionPath::Loopback) && settings.is_none() {
            let state = path_state(asked.request, &request, None);
            self.events.emit(EventKind::Path(Box::new(state)));
            return Ok(());
        }
        let open = self.sockets.len() + self.connecting.len() + self.opening.len();
        if open > 0 {
            return Err(Refusal::new(
                ErrorCode::PathBusy,
                format!(
                    "{open} socket(s) are open on the current path: close them first (a lab's \
                     delay and loss change at any time; loopback or a lab, and the MTU, only \
                     with no socket open)"
                ),
            ));
        }
        self.leave_lab();
        let Some(config) = config else {
            self.capture =
                SessionCapture::new(&self.capture_state, &self.config, self.events.clone());
            let state = path_state(asked.request, &request, None);
            self.events.emit(EventKind::Path(Box::new(state)));
            return Ok(());
        };
        self.path = SessionPath::Building;
        let building = tokio::task::spawn_blocking(move || Lab::create(config));
        self.defer(asked, None, building, move |session, built| {
            session.path = SessionPath::Loopback;
            let lab = match built {
                Ok(Ok(lab)) => Arc::new(lab),
                Ok(Err(error)) => return Err(lab_refusal(&error)),
                Err(join) => {
                    return Err(Refusal::new(
                        ErrorCode::Internal,
                        format!("building the lab failed: {join}"),
                    ));
                }
            };
            let settings = settings.unwrap_or_default();
            let state = path_state(asked.request, &request, Some((&settings, &lab)));
            session.capture = SessionCapture::in_lab(
                &lab,
                &session.capture_state,
                &session.config,
                session.events.clone(),
            );
            let mut tick = interval(TICK);
            tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
            tracing::info!(
                path = request.path.id(),
                "a session moved onto a network lab"
            );
            session
                .events
                .emit(EventKind::Path(Box::new(state.clone())));
            session.lingering.set_lab(Some(Arc::clone(&lab)));
            session.path = SessionPath::Lab(Box::new(LabNow {
                reports: lab.take_events(),
                lab,
                state,
                tick,
                ticks: 0,
                counts: PathCounts::default(),
            }));
            Ok(())
        });
        Ok(())
    }

    /// Drops the lab in use, if any, off the async workers (its forwarder
    /// thread is joined), and goes back to loopback.
    pub(super) fn leave_lab(&mut self) {
        if let SessionPath::Lab(now) = std::mem::replace(&mut self.path, SessionPath::Loopback) {
            // The captures inside the lab go first, then the lab.
            self.capture =
                SessionCapture::new(&self.capture_state, &self.config, self.events.clone());
            self.lingering.set_lab(None);
            let LabNow { lab, .. } = *now;
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn_blocking(move || drop(lab));
                }
                Err(_) => drop(lab),
            }
        }
    }

    /// What the lab reported.
    pub(super) fn on_lab_news(&mut self, news: LabNews) {
        match news {
            LabNews::Report(report) => self.capture.on_path_event(&report),
            LabNews::Tick => {
                if self.capture.is_pairing() {
                    self.capture.expire();
                }
                let SessionPath::Lab(now) = &mut self.path else {
                    return;
                };
                now.ticks += 1;
                if now.ticks % COUNTS_EVERY != 0 {
                    return;
                }
                let counts = to_counts(now.lab.stats());
                if counts != now.counts {
                    now.counts = counts;
                    self.events.emit(EventKind::PathStats(Box::new(counts)));
                }
            }
        }
    }

    /// Checks an address for `role` on the session's path: the relay's
    /// policy on loopback, the lab's own addresses in a lab.
    pub(super) fn allowed(&self, addr: SocketAddr, role: Role) -> Result<SocketAddr, Refusal> {
        let Some(lab) = self.path.lab() else {
            return super::policy::allowed(&self.config, addr, role);
        };
        let ip = addr.ip();
        let known = SessionPath::side_of(ip).is_some()
            && !(ip.is_unspecified() && role == Role::Reach)
            && (ip.is_ipv4() || lab.has_ipv6());
        if known {
            return Ok(addr);
        }
        let v6 = if lab.has_ipv6() {
            format!(
                " (IPv6: {} and {})",
                Lab::address(Side::Client, Family::V6),
                Lab::address(Side::Server, Family::V6)
            )
        } else {
            String::new()
        };
        Err(Refusal::new(
            ErrorCode::TargetNotAllowed,
            format!(
                "{ip} is not in this session's network lab: its client is {} and its server {}{v6}; \
                 servers listen on the server's address, clients connect to it",
                Lab::address(Side::Client, Family::V4),
                Lab::address(Side::Server, Family::V4),
            ),
        ))
    }

    /// Makes a socket with `make` in the namespace of the side that owns
    /// `local` (bind) or the side opposite `remote` (connect); on
    /// loopback, here.
    ///
    /// In a lab this starts a short-lived thread inside the namespace and
    /// waits for it (tens of microseconds): a socket takes its namespace
    /// from the thread that creates it.
    pub(super) fn make_socket<T: Send + AsFd>(
        &self,
        at: Placement,
        make: impl FnOnce() -> std::io::Result<T> + Send,
    ) -> std::io::Result<T> {
        let Some(lab) = self.path.lab() else {
            return make();
        };
        // The lab's TCP sockets use CUBIC, Linux's own default, whatever
        // this host chose: a lesson's window, its cut after a loss and its
        // slow-start threshold are then the same on every machine (a host
        // set to BBR keeps no threshold and undoes the cut). A namespace's
        // default may only be an algorithm the host allows to all users,
        // so it is set on each socket, which the relay's CAP_NET_ADMIN may
        // (an accepted socket takes its listener's). A UDP socket, or a
        // kernel without CUBIC, keeps what it has.
        let make = move || {
            let made = make()?;
            let _kept = SockRef::from(&made).set_tcp_congestion(LAB_CONGESTION_CONTROL);
            Ok(made)
        };
        let side = match at {
            Placement::Bound(local) => SessionPath::side_of(local.ip()),
            Placement::Reaching(remote) => {
                SessionPath::side_of(remote.ip()).map(|side| match side {
                    Side::Client => Side::Server,
                    Side::Server => Side::Client,
                })
            }
        };
        let side = side.unwrap_or(Side::Client);
        lab.in_namespace(side, make)
            .map_err(std::io::Error::other)
            .and_then(|made| made)
    }
}

/// The congestion control of the lab's TCP sockets.
pub const LAB_CONGESTION_CONTROL: &[u8] = b"cubic";

/// Where a new socket's addresses place it.
#[derive(Debug, Clone, Copy)]
pub enum Placement {
    /// Bound to this local address.
    Bound(SocketAddr),
    /// Connecting to this address.
    Reaching(SocketAddr),
}

/// The refusal for a lab that could not be built.
fn lab_refusal(error: &LabError) -> Refusal {
    match error {
        LabError::MissingCapabilities(missing) => {
            Refusal::new(ErrorCode::LabUnavailable, format!("{missing}"))
        }
        other => Refusal::new(
            ErrorCode::LabUnavailable,
            format!("the network lab could not be built: {other}"),
        ),
    }
}

/// The lab's settings in the lab crate's terms.
fn to_lab_config(settings: &PathSettings, seed: u64) -> LabConfig {
    LabConfig {
        mtu: settings.mtu,
        path: PathConfig::from_settings(settings, seed),
        named: true,
    }
}

/// The `path` event for `request`, in a lab or not.
fn path_state(
    request: Option<u64>,
    asked: &PathRequest,
    lab: Option<(&PathSettings, &Arc<Lab>)>,
) -> PathState {
    let host = |side: Side, lab: &Lab| LabHost {
        ipv4: Lab::address(side, Family::V4).to_string(),
        ipv6: lab
            .has_ipv6()
            .then(|| Lab::address(side, Family::V6).to_string()),
    };
    PathState {
        request,
        path: if lab.is_some() {
            asked.path
        } else {
            PathPreset::Loopback
        },
        seed: asked.seed,
        lab: lab.map(|(settings, lab)| LabPath {
            settings: settings.clone(),
            client: host(Side::Client, lab),
            server: host(Side::Server, lab),
        }),
    }
}

/// The lab's counts in the protocol's terms.
fn to_counts(stats: PathStats) -> PathCounts {
    let link = |d: sockscope_lab::DirectionStats| LinkCounts {
        received: d.received,
        delivered: d.delivered,
        lost: d.lost,
        queue_overflow: d.queue_overflow,
        oversize: d.oversize,
        delay_line_full: d.delay_line_full,
        duplicated: d.duplicated,
        reordered: d.reordered,
    };
    PathCounts {
        client_to_server: link(stats.client_to_server),
        server_to_client: link(stats.server_to_client),
    }
}
