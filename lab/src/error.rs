//! The one error type of the lab, `LabError`, and the typed reasons inside it.
//!
//! Every failure a caller may act on has its own variant, so the relay can
//! choose what to tell the page by matching on the type, never on the words;
//! the words (`Display`) are written for a person who has to fix the machine.

use std::io;
use std::path::PathBuf;

use crate::capability::MissingCapabilities;

/// Why a lab could not be created, entered or changed.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The process lacks a capability the lab needs; the message names the
    /// missing ones and the exact `setcap` command that grants them.
    #[error(transparent)]
    MissingCapabilities(#[from] MissingCapabilities),
    /// The configuration asks for something the lab cannot build.
    #[error("invalid lab configuration: {0}")]
    InvalidConfig(#[from] ConfigError),
    /// `/run/netns` could not be written, so the namespaces cannot be named
    /// for `ip netns exec`.
    #[error(
        "cannot create the named namespace {path}: {source}; naming a namespace for `ip netns exec` \
         writes under /run/netns, which needs root: run as root, or create the lab unnamed"
    )]
    NamespaceDirectory {
        /// The file that could not be created.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A namespace system call failed.
    #[error("network namespace: {step} failed: {source}")]
    Namespace {
        /// Which call.
        step: NamespaceStep,
        /// The errno.
        source: nix::Error,
    },
    /// The TUN device could not be created or configured.
    #[error("TUN device {name}: {source}")]
    Device {
        /// The device's name.
        name: String,
        /// What the system said.
        source: io::Error,
    },
    /// A netlink request inside a namespace failed.
    #[error("netlink: {step} failed: {source}")]
    Netlink {
        /// Which request.
        step: NetlinkStep,
        /// What the kernel answered.
        source: rtnetlink::Error,
    },
    /// A thread of the lab could not be started.
    #[error("cannot start the lab's {role} thread: {source}")]
    Thread {
        /// What the thread was for.
        role: &'static str,
        /// What the system said.
        source: io::Error,
    },
    /// Work run inside a namespace panicked.
    #[error("the work run inside the lab's namespace panicked")]
    Panicked,
    /// The forwarder has stopped, so the path cannot be changed.
    #[error("the lab's forwarder has stopped")]
    ForwarderStopped,
}

/// The namespace system call that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NamespaceStep {
    /// `unshare(CLONE_NEWNET)`: creating the namespace.
    #[error("unshare(CLONE_NEWNET)")]
    Unshare,
    /// `setns(CLONE_NEWNET)`: entering it.
    #[error("setns(CLONE_NEWNET)")]
    Setns,
    /// Opening `/proc/thread-self/ns/net`.
    #[error("opening /proc/thread-self/ns/net")]
    Open,
    /// The bind mount that names it under `/run/netns`.
    #[error("bind-mounting it under /run/netns")]
    Mount,
}

/// The netlink request that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NetlinkStep {
    /// Opening the netlink socket.
    #[error("opening the socket")]
    Connect,
    /// Setting `lo` up.
    #[error("setting lo up")]
    LoopbackUp,
    /// Setting the TUN device up.
    #[error("setting the device up")]
    DeviceUp,
    /// Adding an address.
    #[error("adding an address")]
    Address,
}

/// What is wrong with a `LabConfig` or `PathConfig`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The MTU is outside 576..=9000.
    #[error("MTU {mtu} is outside 576..=9000")]
    MtuOutOfRange {
        /// The MTU asked for.
        mtu: u16,
    },
    /// A probability is not a number in 0..=1.
    #[error("{field} = {value} is not a probability in 0..=1")]
    Probability {
        /// Which field.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A rate limit of zero bits per second.
    #[error("a rate limit must be above 0 bit/s")]
    ZeroRate,
    /// A delay or jitter beyond what the lab holds (10 s).
    #[error("{field} of {millis} ms is beyond the lab's 10 s")]
    DelayTooLong {
        /// Which field.
        field: &'static str,
        /// Its value in milliseconds.
        millis: u128,
    },
}
