//! sockscope's network lab: a client namespace and a server namespace, each
//! a real Linux TCP/IP stack, joined by a path that this process forwards
//! and impairs (delay, jitter, loss, bursts, reordering, duplication, a
//! rate limit with a bounded queue, the MTU), so that learners see what
//! loopback hides: MSS-sized segments, Nagle, delayed ACKs, loss and
//! retransmission.
//!
//! ```text
//!  client netns                    this process                   server netns
//!  sockets ── sockscope-cli ══ TUN fd ─▶ forwarder thread ─▶ TUN fd ══ sockscope-srv ── sockets
//!   10.77.0.1, fd77::1                (model per direction)             10.77.0.2, fd77::2
//! ```
//!
//! - `lab.rs`: `Lab`, its creation, `in_namespace`, `set_path`, drop.
//! - `netns.rs`: namespaces, named for `ip netns exec`; `cleanup_stale`,
//!   `remove_all_of_this_process`.
//! - `device.rs`: the TUN devices, configured over netlink from inside.
//! - `forwarder.rs`: the thread between the devices; `alarm.rs` its timer
//!   and how it wakes on time.
//! - `model.rs`: the impairment model, sans I/O; `path.rs` its settings;
//!   `flow.rs` a packet's flow; `events.rs` what the path reports.
//! - `capability.rs`: what is needed, and the command that grants it.
//! - `settings.rs`: `PathConfig::from_settings`, from the protocol's
//!   `PathSettings` (the named paths are the protocol's `PathPreset`).
//!
//! # How the relay is meant to use it
//!
//! - A session asks for a lab: `Lab::create` inside `spawn_blocking` (it
//!   starts threads and talks netlink), named so a witness can use
//!   `ip netns exec`; a refusal (`LabError::MissingCapabilities`) goes to
//!   the page with its command. Dropping the session drops the lab.
//! - Sockets: `lab.in_namespace(Side::Client, || socket2::Socket::new(…))`
//!   (or `Side::Server` for listeners), then `tokio::net::TcpStream::
//!   from_std` and the usual socket task: the socket stays in its
//!   namespace, the task runs on any worker. `Lab::address` gives the
//!   addresses to bind and connect to.
//! - Capture: open libpcap on `Lab::device_name(side)` the same way, from
//!   `in_namespace`, so its socket lives in that namespace; the capture
//!   thread then runs as it does on loopback.
//! - The page's path selector: `PathPreset::settings()` (or the custom
//!   `PathSettings`), checked with `PathSettings::check`, then
//!   `lab.set_path(PathConfig::from_settings(&settings, seed))`; the MTU
//!   is the lab's (`LabConfig::mtu`), fixed when it is created.
//!   `take_events` gives the drops to draw where the capture cannot see
//!   them, each with its packet's head to match it to a captured copy.
//! - Shutdown: dropping the `Lab` removes it. A relay that exits on a
//!   signal without unwinding calls `remove_all_of_this_process()` (see
//!   `netns.rs`) from its shutdown path.
//!
//! # Choices, and why
//!
//! - **TUN devices, not a veth pair.** A veth pair joins two namespaces in
//!   the kernel, where this process cannot delay or drop a packet without
//!   netem, which these kernels lack; impairing it from user space needs
//!   raw sockets on both ends and a bridge or XDP. A TUN device gives this
//!   process each IP packet to hold or drop, with no link layer (no ARP,
//!   no neighbour discovery to forward). Opened without offloads, it makes
//!   the kernel segment TCP before the device: captures show MSS-sized
//!   segments with no `gso_max_*` tuning.
//! - **Our own model, not str0m-netem 0.2.0.** str0m-netem is sans-I/O and
//!   seeded, but its one random stream per direction is consumed by every
//!   packet, so the kernel's own packets (IPv6 reports at unpredictable
//!   times) shift every later decision; `set_config` reseeds, restarting
//!   the pattern when a link goes dark and back; its queue-overflow drops
//!   are silent (not counted apart from loss), and its byte bound counts
//!   packets in the delay line as well as those in the rate queue;
//!   reordering is every Nth packet, not a percentage. Here every flow has
//!   its own ChaCha8 stream (`model.rs`).
//! - **Not rattan-core 0.1.1.** A whole emulator: it builds its own veth
//!   namespaces by running `ip`, `ethtool` (absent here) and `arp`, keeps
//!   global state, brings its own runtime and fifty dependencies.
//! - **tun-rs** (without its address management) opens the devices;
//!   **rtnetlink** sets links and addresses from a socket opened inside
//!   each namespace; **nix** makes and enters namespaces. No command is
//!   run, and nothing of the host's (links, routes, firewall, qdiscs) is
//!   named, let alone changed.

mod alarm;
mod capability;
mod device;
mod error;
mod events;
mod flow;
mod forwarder;
mod lab;
mod model;
mod netns;
mod path;
mod settings;

pub use capability::{Capability, MissingCapabilities};
pub use error::{ConfigError, LabError, NamespaceStep, NetlinkStep};
pub use events::{Direction, DirectionStats, HEAD_BYTES, PathEvent, PathEventKind, PathStats};
pub use flow::FlowKey;
pub use lab::{Family, Lab, LabConfig, Side};
pub use model::DirectionModel;
pub use netns::{NETNS_DIR, PREFIX, cleanup_stale, remove_all_of_this_process};
pub use path::{DirectionConfig, GilbertElliott, Loss, PathConfig, Rate};
pub use settings::DEFAULT_QUEUE_BYTES;

/// Checks, without creating anything, that this process may build labs.
///
/// # Errors
///
/// `MissingCapabilities`, whose message gives the command that fixes it.
pub fn check_capabilities() -> Result<(), MissingCapabilities> {
    capability::check()
}
