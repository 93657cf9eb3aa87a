//! The path between a session's sockets: loopback, or the network lab.
//!
//! On loopback both ends of every connection are one kernel talking to
//! itself over a 65,536-byte MTU, with no delay and no loss. In the lab
//! the relay puts the client and the server in two network namespaces of
//! their own, two real TCP/IP stacks joined by a path it forwards and
//! impairs: the MTU (so segments are MSS-sized), delay, jitter, loss,
//! reordering, duplication and a rate limit. A session picks its path with
//! the `set_path` command ([`PathRequest`]); the relay answers with a
//! `path` event ([`PathState`]) saying what is in force and which
//! addresses its two sides have.
//!
//! ```json
//! {"id": 1, "cmd": "set_path", "path": "internet", "seed": 7}
//! {"id": 2, "cmd": "set_path", "path": "custom", "mtu": 1500, "seed": 7,
//!  "client_to_server": {"delay_ms": 20, "loss_percent": 2, "loss_burst": 3},
//!  "server_to_client": {"delay_ms": 20}}
//! ```
//!
//! In the lab every segment is captured twice: where it was sent (the
//! sender's [`Tap`]) and where it arrived. Both copies carry the same
//! `crossing` number ([`crate::SegmentEvent`]), so its delay is the
//! difference of their times; a segment the path dropped has no arrived
//! copy, and a `path_drop` event ([`PathDrop`]) names its crossing and
//! says why.

use serde::{Deserialize, Serialize};

/// The paths a session can choose: loopback, four named paths and one of
/// the learner's own settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathPreset {
    /// This machine's loopback interface: no lab, as without one.
    #[default]
    Loopback,
    /// A wired LAN: MTU 1500, about 0.1 ms each way, no loss.
    Lan,
    /// Wi-Fi: a few milliseconds with jitter, about 1% loss in bursts,
    /// 50 Mbit/s.
    Wifi,
    /// Across the Internet: 20 ms each way (40 ms RTT), 0.5% loss,
    /// a 20 Mbit/s bottleneck.
    Internet,
    /// A LAN that loses 10% of packets at random.
    Lossy,
    /// The learner's own settings: [`PathRequest`]'s fields.
    Custom,
}

impl PathPreset {
    /// Every path, in the order a selector lists them.
    pub const ALL: [PathPreset; 6] = [
        PathPreset::Loopback,
        PathPreset::Lan,
        PathPreset::Wifi,
        PathPreset::Internet,
        PathPreset::Lossy,
        PathPreset::Custom,
    ];

    /// The name in the protocol and in lesson files.
    pub fn id(self) -> &'static str {
        match self {
            PathPreset::Loopback => "loopback",
            PathPreset::Lan => "lan",
            PathPreset::Wifi => "wifi",
            PathPreset::Internet => "internet",
            PathPreset::Lossy => "lossy",
            PathPreset::Custom => "custom",
        }
    }

    /// The path named `id`.
    pub fn from_id(id: &str) -> Option<PathPreset> {
        PathPreset::ALL.into_iter().find(|path| path.id() == id)
    }

    /// Whether this path needs the lab (everything but loopback).
    pub fn is_lab(self) -> bool {
        self != PathPreset::Loopback
    }

    /// The settings a named path stands for; `None` for loopback (no lab)
    /// and custom (the request's own).
    pub fn settings(self) -> Option<PathSettings> {
        let symmetric = |link: LinkSettings, mtu| PathSettings {
            mtu,
            client_to_server: link.clone(),
            server_to_client: link,
        };
        match self {
            PathPreset::Loopback | PathPreset::Custom => None,
            PathPreset::Lan => Some(symmetric(
                LinkSettings {
                    delay_ms: 0.1,
                    ..LinkSettings::default()
                },
                1500,
            )),
            PathPreset::Wifi => Some(symmetric(
                LinkSettings {
                    delay_ms: 3.0,
                    jitter_ms: 2.0,
                    loss_percent: 1.0,
                    loss_burst: 3.0,
                    rate_kbps: 50_000,
                    queue_bytes: 128 * 1024,
                    ..LinkSettings::default()
                },
                1500,
            )),
            PathPreset::Internet => Some(symmetric(
                LinkSettings {
                    delay_ms: 20.0,
                    loss_percent: 0.5,
                    rate_kbps: 20_000,
                    queue_bytes: 256 * 1024,
                    ..LinkSettings::default()
                },
                1500,
            )),
            PathPreset::Lossy => Some(symmetric(
                LinkSettings {
                    loss_percent: 10.0,
                    ..LinkSettings::default()
                },
                1500,
            )),
        }
    }
}

/// The `set_path` command's arguments: a named path, or `custom` with the
/// settings given here, and the seed of the path's random decisions. The
/// same seed gives the same drops at the same packets of the same flow,
/// so a lesson replays identically.
///
/// The relay reads it as part of a command (`decode/request.rs`); a
/// lesson's `path` ([`crate::Lesson`]) is the same object without `cmd`,
/// read by the derive with the same defaults.
///
/// Read through [`FlatPathRequest`]: serde's `flatten` would buffer the
/// object into an untyped tree first, machinery that costs the page
/// kilobytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "FlatPathRequest")]
pub struct PathRequest {
    pub path: PathPreset,
    #[serde(default)]
    pub seed: u64,
    /// For `custom`: the settings; ignored for named paths.
    #[serde(flatten)]
    pub settings: PathSettings,
}

/// [`PathRequest`] as JSON spells it: the settings' fields beside the
/// path's.
#[derive(Deserialize)]
struct FlatPathRequest {
    path: PathPreset,
    #[serde(default)]
    seed: u64,
    #[serde(default = "PathSettings::default_mtu")]
    mtu: u16,
    #[serde(default)]
    client_to_server: LinkSettings,
    #[serde(default)]
    server_to_client: LinkSettings,
}

impl From<FlatPathRequest> for PathRequest {
    fn from(flat: FlatPathRequest) -> PathRequest {
        PathRequest {
            path: flat.path,
            seed: flat.seed,
            settings: PathSettings {
                mtu: flat.mtu,
                client_to_server: flat.client_to_server,
                server_to_client: flat.server_to_client,
            },
        }
    }
}

impl PathRequest {
    /// Back to loopback: no lab.
    pub fn loopback() -> PathRequest {
        PathRequest {
            path: PathPreset::Loopback,
            seed: 0,
            settings: PathSettings::default(),
        }
    }
}

/// What a lab path does: both devices' MTU and each direction's link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathSettings {
    /// The MTU of both ends, 576 to 9000. Below 1280 the path carries no
    /// IPv6 (IPv6 needs at least 1280).
    #[serde(default = "PathSettings::default_mtu")]
    pub mtu: u16,
    #[serde(default)]
    pub client_to_server: LinkSettings,
    #[serde(default)]
    pub server_to_client: LinkSettings,
}

impl PathSettings {
    /// Ethernet's MTU, when a request names none.
    fn default_mtu() -> u16 {
        1500
    }
}

impl Default for PathSettings {
    fn default() -> PathSettings {
        PathSettings {
            mtu: PathSettings::default_mtu(),
            client_to_server: LinkSettings::default(),
            server_to_client: LinkSettings::default(),
        }
    }
}

/// One direction of a lab path. Every field may be left out (zero: no
/// such impairment); a key that is none of these is refused, so that a
/// misspelt setting is not silently ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinkSettings {
    /// The one-way delay, in milliseconds (0 to 10,000).
    pub delay_ms: f64,
    /// Each packet's delay varies by up to this much either way; packets
    /// still leave in order.
    pub jitter_ms: f64,
    /// The share of packets lost, in percent (0 to 100).
    pub loss_percent: f64,
    /// The mean length of a loss burst, in packets: 1 (or 0) loses packets
    /// independently; more loses them in bursts (the Gilbert–Elliott
    /// model), at the same average rate.
    pub loss_burst: f64,
    /// The share of packets held back and sent after the next one, in
    /// percent.
    pub reorder_percent: f64,
    /// The share of packets sent twice, in percent.
    pub duplicate_percent: f64,
    /// A bottleneck's speed in kilobits per second; 0 for none.
    pub rate_kbps: u32,
    /// The bottleneck's queue, in bytes; a packet that does not fit is
    /// dropped and reported as a queue overflow, apart from the loss.
    pub queue_bytes: u32,
}

/// A setting of a lab path out of its range.
#[derive(Debug, Clone, PartialEq)]
pub struct PathSettingError {
    /// The request's key: `mtu`, or `client_to_server.loss_percent`.
    pub field: String,
    pub found: f64,
    pub min: f64,
    pub max: f64,
}

impl std::fmt::Display for PathSettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let PathSettingError {
            field,
            found,
            min,
            max,
        } = self;
        write!(f, "{field} must be from {min} to {max}, not {found}")
    }
}

impl std::error::Error for PathSettingError {}

impl PathSettings {
    /// The smallest MTU a path takes: IPv4's minimum datagram size.
    pub const MIN_MTU: u16 = 576;
    /// The largest: a jumbo frame.
    pub const MAX_MTU: u16 = 9000;

    /// Checks every setting against its range; the page's form and the
    /// relay both ask this.
    ///
    /// # Errors
    /// The first setting out of range, named as the request names it.
    pub fn check(&self) -> Result<(), PathSettingError> {
        within(
            "mtu".into(),
            f64::from(self.mtu),
            f64::from(PathSettings::MIN_MTU),
            f64::from(PathSettings::MAX_MTU),
        )?;
        self.client_to_server.check("client_to_server")?;
        self.server_to_client.check("server_to_client")
    }
}

impl LinkSettings {
    /// The longest delay or jitter, in milliseconds.
    pub const MAX_DELAY_MS: f64 = 10_000.0;
    /// The longest mean loss burst, in packets.
    pub const MAX_LOSS_BURST: f64 = 1000.0;
    /// The largest queue, in bytes.
    pub const MAX_QUEUE_BYTES: u32 = 64 << 20;

    fn check(&self, direction: &str) -> Result<(), PathSettingError> {
        let key = |name: &str| format!("{direction}.{name}");
        let ms = LinkSettings::MAX_DELAY_MS;
        for (name, value, max) in [
            ("delay_ms", self.delay_ms, ms),
            ("jitter_ms", self.jitter_ms, ms),
            ("loss_percent", self.loss_percent, 100.0),
            ("loss_burst", self.loss_burst, LinkSettings::MAX_LOSS_BURST),
            ("reorder_percent", self.reorder_percent, 100.0),
            ("duplicate_percent", self.duplicate_percent, 100.0),
            (
                "queue_bytes",
                f64::from(self.queue_bytes),
                f64::from(LinkSettings::MAX_QUEUE_BYTES),
            ),
        ] {
            within(key(name), value, 0.0, max)?;
        }
        Ok(())
    }
}

fn within(field: String, found: f64, min: f64, max: f64) -> Result<(), PathSettingError> {
    // NaN is never within.
    if found >= min && found <= max {
        Ok(())
    } else {
        Err(PathSettingError {
            field,
            found,
            min,
            max,
        })
    }
}

/// One of the lab's two sides, and where a segment was captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tap {
    /// The client's namespace: `tcp_connect` and client sockets.
    Client,
    /// The server's namespace: `tcp_listen` and servers.
    Server,
}

/// The `path` event: the path now in force, sent after `set_path` (with
/// its `request`) and when the lab goes away.
///
/// ```json
/// {"event": "path", "request": 1, "path": "lan", "seed": 7,
///  "lab": {"mtu": 1500, "client_to_server": {"delay_ms": 0.1}, "server_to_client": {"delay_ms": 0.1},
///          "client": {"ipv4": "10.77.0.1", "ipv6": "fd77::1"},
///          "server": {"ipv4": "10.77.0.2", "ipv6": "fd77::2"}}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<u64>,
    pub path: PathPreset,
    pub seed: u64,
    /// The lab's settings and addresses; absent on loopback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<LabPath>,
}

/// A lab path in force. Read through [`FlatLabPath`], as
/// [`PathRequest`] is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "FlatLabPath")]
pub struct LabPath {
    #[serde(flatten)]
    pub settings: PathSettings,
    pub client: LabHost,
    pub server: LabHost,
}

/// [`LabPath`] as JSON spells it.
#[derive(Deserialize)]
struct FlatLabPath {
    #[serde(default = "PathSettings::default_mtu")]
    mtu: u16,
    #[serde(default)]
    client_to_server: LinkSettings,
    #[serde(default)]
    server_to_client: LinkSettings,
    client: LabHost,
    server: LabHost,
}

impl From<FlatLabPath> for LabPath {
    fn from(flat: FlatLabPath) -> LabPath {
        LabPath {
            settings: PathSettings {
                mtu: flat.mtu,
                client_to_server: flat.client_to_server,
                server_to_client: flat.server_to_client,
            },
            client: flat.client,
            server: flat.server,
        }
    }
}

/// One side's addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabHost {
    pub ipv4: String,
    /// Absent when the MTU is below IPv6's 1280.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<String>,
}

/// Whether this relay can build labs; in the hello's capabilities.
///
/// ```json
/// {"state": "off", "reason": "creating network namespaces needs CAP_SYS_ADMIN and CAP_NET_ADMIN",
///  "fix": "sudo setcap cap_net_raw,cap_net_admin,cap_sys_admin=eip target/release/sockscope"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LabAvailability {
    On,
    Off { reason: String, fix: String },
}

/// A packet's crossing number in the network lab, counting from 1: the
/// copies of one packet and a `path_drop` about it share it. Never zero,
/// so that an absent one takes no room of its own (`Option<CrossingNumber>` is
/// eight bytes, where an `Option<u64>` is sixteen), in each of a capture's
/// segments.
pub type CrossingNumber = std::num::NonZeroU64;

/// The `path_drop` event: a packet the path did not deliver, or delivered
/// twice or late.
///
/// ```json
/// {"event": "path_drop", "crossing": 57, "tap": "client", "fate": "lost", "len": 1500}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathDrop {
    /// The crossing number of the sent copy's segment event, when the
    /// capture saw it (packets of ports nobody watches are not captured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crossing: Option<CrossingNumber>,
    /// The side that sent it.
    pub tap: Tap,
    pub fate: PathFate,
    /// The packet's length, IP header included.
    pub len: u32,
}

/// What the path did to a packet it did not deliver as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathFate {
    /// Dropped by the configured loss.
    Lost,
    /// Dropped because the rate limit's queue was full.
    QueueOverflow,
    /// Dropped because it was longer than the path's MTU.
    Oversize,
    /// Dropped because the delay line held its most bytes.
    DelayLineFull,
    /// Delivered twice.
    Duplicated,
    /// Held back and delivered after the packet that followed it.
    Reordered,
}

impl PathFate {
    /// Whether the packet never arrived.
    pub fn is_drop(self) -> bool {
        matches!(
            self,
            PathFate::Lost | PathFate::QueueOverflow | PathFate::Oversize | PathFate::DelayLineFull
        )
    }
}

/// The `path_stats` event: the path's counts, when they changed (at most
/// twice a second).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathCounts {
    pub client_to_server: LinkCounts,
    pub server_to_client: LinkCounts,
}

/// One direction's counts since the lab was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkCounts {
    pub received: u64,
    pub delivered: u64,
    /// Dropped by the configured loss.
    pub lost: u64,
    /// Dropped because the queue was full: congestion, not the loss
    /// setting.
    pub queue_overflow: u64,
    pub oversize: u64,
    pub delay_line_full: u64,
    pub duplicated: u64,
    pub reordered: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_found_by_its_id_and_named_paths_have_settings() {
        for path in PathPreset::ALL {
            assert_eq!(PathPreset::from_id(path.id()), Some(path));
            let has_settings = !matches!(path, PathPreset::Loopback | PathPreset::Custom);
            assert_eq!(path.settings().is_some(), has_settings, "{path:?}");
        }
        assert_eq!(PathPreset::from_id("moon"), None);
        for path in PathPreset::ALL {
            if let Some(settings) = path.settings() {
                assert_eq!(settings.check(), Ok(()), "{path:?}");
            }
        }
        let internet = PathPreset::Internet.settings().map(|s| s.client_to_server);
        assert_eq!(internet.map(|link| link.delay_ms), Some(20.0));
    }

    #[test]
    fn a_path_event_reads_back() {
        let state = PathState {
            request: Some(1),
            path: PathPreset::Lan,
            seed: 7,
            lab: Some(LabPath {
                settings: PathPreset::Lan.settings().unwrap_or_default(),
                client: LabHost {
                    ipv4: "10.77.0.1".into(),
                    ipv6: Some("fd77::1".into()),
                },
                server: LabHost {
                    ipv4: "10.77.0.2".into(),
                    ipv6: None,
                },
            }),
        };
        let json = serde_json::to_string(&state).unwrap_or_default();
        assert!(json.contains(r#""mtu":1500"#), "{json}");
        let back: Result<PathState, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(state));
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;

    #[test]
    fn each_setting_refuses_one_past_its_range() {
        let fine = PathSettings::default();
        assert_eq!(fine.check(), Ok(()));
        let mut small = fine.clone();
        small.mtu = 575;
        assert_eq!(small.check().map_err(|e| e.field), Err("mtu".to_owned()));
        let mut lossy = fine.clone();
        lossy.server_to_client.loss_percent = 100.5;
        let error = lossy.check().err();
        assert_eq!(
            error.as_ref().map(|e| e.field.as_str()),
            Some("server_to_client.loss_percent")
        );
        assert_eq!(
            error.map(|e| e.to_string()).unwrap_or_default(),
            "server_to_client.loss_percent must be from 0 to 100, not 100.5"
        );
        let mut late = fine;
        late.client_to_server.delay_ms = -1.0;
        assert!(late.check().is_err());
    }
}
