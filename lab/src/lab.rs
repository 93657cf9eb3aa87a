//! `Lab`: two namespaces, a TUN device in each, and the forwarder between
//! them; created whole or not at all, and removed whole when dropped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::capability;
use crate::device::{self, DeviceSpec, IPV6_MIN_MTU};
use crate::error::{ConfigError, LabError};
use crate::events::{PathEvent, PathStats};
use crate::forwarder::{Devices, Forwarder};
use crate::netns::{Namespace, PREFIX};
use crate::path::PathConfig;

/// Labs made by this process so far, for unique names.
static LABS: AtomicU32 = AtomicU32::new(0);

/// How many path events wait for a reader before new ones are counted as
/// missed.
const EVENT_QUEUE: usize = 4096;

/// One side of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The namespace where the learner's client sockets live.
    Client,
    /// The namespace where the learner's servers listen.
    Server,
}

impl Side {
    fn word(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// An address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

/// What to build.
#[derive(Debug, Clone, PartialEq)]
pub struct LabConfig {
    /// Both devices' MTU, 576..=9000. Below 1280 the path carries no IPv6.
    pub mtu: u16,
    /// What the path does to packets; changeable later with `set_path`.
    pub path: PathConfig,
    /// Name the namespaces under `/run/netns` (`sockscope-<pid>-<n>-client`
    /// and `-server`), so that `ip netns exec` can run a witness such as
    /// tshark inside them. Needs root; unnamed namespaces cannot outlive
    /// the process, even one that crashes.
    pub named: bool,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            mtu: 1500,
            path: PathConfig::default(),
            named: true,
        }
    }
}

/// Two network namespaces, client and server, each a real Linux TCP/IP
/// stack with one TUN device, joined by a path that this process forwards
/// and impairs.
///
/// Dropping the lab stops the forwarder (which closes both devices, so
/// they disappear) and removes the namespaces' names; each namespace ends
/// when its last socket closes. Creation is blocking (threads, netlink):
/// from async code, call it inside `spawn_blocking`.
#[derive(Debug)]
pub struct Lab {
    // Field order is drop order: the forwarder and its devices go first.
    forwarder: Forwarder,
    client: Namespace,
    server: Namespace,
    events: Mutex<Option<tokio::sync::mpsc::Receiver<PathEvent>>>,
    mtu: u16,
}

impl Lab {
    /// Builds a lab.
    ///
    /// # Errors
    ///
    /// `MissingCapabilities` (with the command that grants them) when the
    /// process may not create namespaces or devices, `InvalidConfig` for
    /// settings out of range, and the failing step otherwise. Whatever was
    /// made before the failure is removed. A named lab first removes the
    /// names left by sockscope processes that are gone (`cleanup_stale`).
    pub fn create(config: LabConfig) -> Result<Lab, LabError> {
        if !(576..=9000).contains(&config.mtu) {
            return Err(ConfigError::MtuOutOfRange { mtu: config.mtu }.into());
        }
        config.path.validate()?;
        capability::check()?;
        if config.named {
            // Names a crashed sockscope left would otherwise stay until the
            // next boot; only those of processes that are gone are removed.
            // Failing to read the directory is left to `Namespace::create`
            // to report.
            let _removed = crate::netns::cleanup_stale();
        }
        let number = LABS.fetch_add(1, Ordering::Relaxed);
        let name = |side: Side| {
            format!(
                "{PREFIX}{pid}-{number}-{side}",
                pid = std::process::id(),
                side = side.word()
            )
        };
        let client_name = name(Side::Client);
        let server_name = name(Side::Server);
        let client = Namespace::create(config.named.then_some(client_name.as_str()))?;
        let server = Namespace::create(config.named.then_some(server_name.as_str()))?;
        let spec = |side| DeviceSpec {
            name: Lab::device_name(side),
            mtu: config.mtu,
            ipv4: Lab::ipv4(side),
            ipv6: Lab::ipv6(side),
        };
        let client_device = client.run(|| device::create(spec(Side::Client)))??;
        let server_device = server.run(|| device::create(spec(Side::Server)))??;
        let (sender, receiver) = tokio::sync::mpsc::channel(EVENT_QUEUE);
        let forwarder = Forwarder::start(
            Devices {
                client: client_device,
                server: server_device,
            },
            config.path,
            config.mtu,
            sender,
        )?;
        Ok(Lab {
            forwarder,
            client,
            server,
            events: Mutex::new(Some(receiver)),
            mtu: config.mtu,
        })
    }

    /// Runs `work` on a short-lived thread inside `side`'s namespace and
    /// returns its result: a socket created there stays there, wherever it
    /// is used afterwards (hand it to tokio with `from_std`). The calling
    /// thread waits for it (a thread's start and end, tens of
    /// microseconds) and never changes namespace itself.
    ///
    /// # Errors
    ///
    /// `Thread` or `Namespace` if the thread cannot start or enter the
    /// namespace, `Panicked` if `work` panics.
    pub fn in_namespace<T: Send>(
        &self,
        side: Side,
        work: impl FnOnce() -> T + Send,
    ) -> Result<T, LabError> {
        self.namespace(side).run(work)
    }

    /// The name `ip netns` knows `side`'s namespace by, if named.
    #[must_use]
    pub fn namespace_name(&self, side: Side) -> Option<&str> {
        self.namespace(side).name()
    }

    /// The TUN device's name inside `side`'s namespace.
    #[must_use]
    pub fn device_name(side: Side) -> &'static str {
        match side {
            Side::Client => "sockscope-cli",
            Side::Server => "sockscope-srv",
        }
    }

    /// `side`'s address: every lab uses the same ones (they live in its own
    /// namespaces), so lessons can print them. 10.77.0.0/24 and fd77::/64
    /// are private ranges that sockscope's hosts do not route.
    #[must_use]
    pub fn address(side: Side, family: Family) -> IpAddr {
        match family {
            Family::V4 => IpAddr::V4(Lab::ipv4(side)),
            Family::V6 => IpAddr::V6(Lab::ipv6(side)),
        }
    }

    fn ipv4(side: Side) -> Ipv4Addr {
        match side {
            Side::Client => Ipv4Addr::new(10, 77, 0, 1),
            Side::Server => Ipv4Addr::new(10, 77, 0, 2),
        }
    }

    fn ipv6(side: Side) -> Ipv6Addr {
        match side {
            Side::Client => Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, 0, 1),
            Side::Server => Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, 0, 2),
        }
    }

    /// Whether the path carries IPv6 (its MTU is at least 1280).
    #[must_use]
    pub fn has_ipv6(&self) -> bool {
        self.mtu >= IPV6_MIN_MTU
    }

    /// The devices' MTU.
    #[must_use]
    pub fn mtu(&self) -> u16 {
        self.mtu
    }

    /// Changes what the path does, from the next packet on (packets already
    /// delayed keep their times). With the same seed, flows keep their
    /// random streams: a link that goes dark for three seconds and comes
    /// back resumes the same pattern.
    ///
    /// # Errors
    ///
    /// `InvalidConfig` for settings out of range, `ForwarderStopped` if the
    /// forwarder has ended.
    pub fn set_path(&self, path: PathConfig) -> Result<(), LabError> {
        path.validate()?;
        self.forwarder.set_path(path)
    }

    /// The path's counts.
    #[must_use]
    pub fn stats(&self) -> PathStats {
        self.forwarder.stats()
    }

    /// The stream of what the path did to packets (drops, duplicates,
    /// reorderings), for one reader: the first call gets it, later calls
    /// `None`. Events nobody reads in time are counted in
    /// `PathStats::events_missed`, never waited for.
    pub fn take_events(&self) -> Option<tokio::sync::mpsc::Receiver<PathEvent>> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn namespace(&self, side: Side) -> &Namespace {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }
}
