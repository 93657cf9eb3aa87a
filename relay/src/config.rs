//! The relay's settings after the command line has been checked: what
//! every session shares and nothing may change while it runs.
//!
//! Besides the settings it carries the two slow things a session depends
//! on, name resolution and packet capture, as trait objects: the relay
//! uses the system's resolver and libpcap, and tests put in stand-ins that
//! answer when the test says so, without any traffic off the machine.

use std::{net::IpAddr, path::PathBuf, sync::Arc};

use ipnet::IpNet;
use sockscope_shared::Limits;

use crate::{
    cli::Cli,
    segments::{Libpcap, PacketSource},
    session::{Resolve, SystemResolver},
};

/// Settings shared by every session.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the built front end lives.
    pub dist: PathBuf,
    /// The secret a WebSocket client must present as `?token=`.
    pub token: String,
    /// Networks the page's sockets may reach besides loopback.
    pub allow_remote: Vec<IpNet>,
    /// Origins besides the relay's own whose pages may open sessions.
    pub allowed_origins: Vec<String>,
    /// Bounds on what one session may ask for.
    pub limits: Limits,
    /// Most sessions served at once; more are refused with a message.
    pub max_sessions: usize,
    /// Events waiting for a slow page before the relay starts dropping
    /// them (and says so), so a stalled tab cannot grow the relay's memory.
    pub event_queue: usize,
    /// Bytes of data the queued events may carry before the session's
    /// sockets wait for the page (see [`crate::events`]).
    pub event_queue_bytes: usize,
    /// Commands one session may send per second before being throttled.
    pub commands_per_second: u32,
    /// Events sent to one session per second at most; beyond it events
    /// wait in the queue (and are dropped, counted, when it is full).
    pub events_per_second: u32,
    /// Whether to capture packets at all (`--no-capture` turns it off).
    pub capture: bool,
    /// How sessions turn host names into addresses: the system's resolver.
    pub resolver: Arc<dyn Resolve>,
    /// Where sessions' packets come from: libpcap.
    pub packet_source: Arc<dyn PacketSource>,
}

impl Config {
    /// Checks the command line.
    ///
    /// # Errors
    /// A sentence for the user when a flag is unusable (a bad CIDR, a
    /// non-loopback --listen without --expose, an empty token).
    pub fn from_cli(cli: &Cli) -> Result<Config, String> {
        if !cli.listen.ip().is_loopback() && !cli.expose {
            return Err(format!(
                "--listen {} is not a loopback address: anyone who can reach it could open \
                 sockets on this machine. Add --expose if that is what you want.",
                cli.listen
            ));
        }
        if cli.expose && !cli.listen.ip().is_loopback() {
            tracing::warn!(listen = %cli.listen, "listening beyond loopback: guard the token");
        }
        let allow_remote = cli
            .allow_remote
            .iter()
            .map(|text| parse_cidr(text))
            .collect::<Result<Vec<_>, _>>()?;
        let token = match &cli.token {
            Some(token) if token.trim().is_empty() => {
                return Err("--token must not be empty".into());
            }
            Some(token) => token.clone(),
            None => random_token()?,
        };
        Ok(Config {
            dist: cli.dist.clone(),
            token,
            allow_remote,
            allowed_origins: cli
                .allow_origin
                .iter()
                .map(|o| o.trim_end_matches('/').to_owned())
                .collect(),
            limits: Limits {
                max_payload: cli.limits.max_payload,
                max_bufsize: cli.limits.max_bufsize,
                max_sockets: cli.limits.max_sockets,
                max_repeat: cli.limits.max_repeat,
                ..Limits::default()
            },
            max_sessions: cli.limits.max_sessions.max(1),
            event_queue: cli.limits.event_queue.max(16),
            // At least one maximal send or recv, so that one can always be
            // queued.
            event_queue_bytes: cli
                .limits
                .event_queue_bytes
                .max(cli.limits.max_payload.max(cli.limits.max_bufsize) as usize),
            commands_per_second: cli.limits.commands_per_second.max(1),
            events_per_second: cli.limits.events_per_second.max(1),
            capture: !cli.no_capture,
            resolver: Arc::new(SystemResolver),
            packet_source: Arc::new(Libpcap),
        })
    }

    /// Defaults with a fixed token, for in-process tests.
    pub fn for_tests() -> Config {
        Config {
            dist: PathBuf::from("dist"),
            token: "test-token".into(),
            allow_remote: Vec::new(),
            allowed_origins: Vec::new(),
            limits: Limits::default(),
            max_sessions: 64,
            event_queue: 100_000,
            event_queue_bytes: crate::events::ROOM_BYTES,
            commands_per_second: 200,
            events_per_second: 1_000_000,
            capture: true,
            resolver: Arc::new(SystemResolver),
            packet_source: Arc::new(Libpcap),
        }
    }

    /// Whether the page's sockets may talk to `ip`.
    pub fn target_allowed(&self, ip: IpAddr) -> bool {
        ip.is_loopback()
            || ip.to_canonical().is_loopback()
            || self.allow_remote.iter().any(|net| net.contains(&ip))
    }
}

fn parse_cidr(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!("--allow-remote {text}: not a network (write it as 10.0.0.0/8 or 192.168.1.7)")
        })
}

/// 128 random bits as hex: enough that a web page cannot guess it.
fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| format!("cannot make a random token: {err}"))?;
    Ok(sockscope_shared::Bytes::from(&bytes[..]).to_hex())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn config(args: &[&str]) -> Result<Config, String> {
        let mut argv = vec!["sockscope"];
        argv.extend_from_slice(args);
        Config::from_cli(&Cli::parse_from(argv))
    }

    #[test]
    fn non_loopback_listen_needs_expose() {
        let err = config(&["--listen", "0.0.0.0:7878"]).unwrap_err();
        assert!(err.contains("--expose"), "{err}");
        assert!(config(&["--listen", "0.0.0.0:7878", "--expose"]).is_ok());
    }

    #[test]
    fn targets_are_loopback_only_unless_allowed() {
        let plain = config(&[]).unwrap();
        assert!(plain.target_allowed("127.0.0.1".parse().unwrap()));
        assert!(plain.target_allowed("127.3.2.1".parse().unwrap()));
        assert!(plain.target_allowed("::1".parse().unwrap()));
        assert!(!plain.target_allowed("10.1.2.3".parse().unwrap()));
        let widened = config(&["--allow-remote", "10.0.0.0/8", "192.168.1.7"]).unwrap();
        assert!(widened.target_allowed("10.1.2.3".parse().unwrap()));
        assert!(widened.target_allowed("192.168.1.7".parse().unwrap()));
        assert!(!widened.target_allowed("192.168.1.8".parse().unwrap()));
        assert!(config(&["--allow-remote", "ten"]).is_err());
    }

    #[test]
    fn limits_come_from_the_command_line() {
        let config = config(&[
            "--max-sockets",
            "3",
            "--max-payload",
            "10",
            "--max-sessions",
            "2",
        ])
        .unwrap();
        assert_eq!(config.limits.max_sockets, 3);
        assert_eq!(config.limits.max_payload, 10);
        assert_eq!(config.max_sessions, 2);
        assert_eq!(config.event_queue_bytes, 16 << 20);
    }

    #[test]
    fn the_event_queue_has_room_for_one_maximal_recv_at_least() {
        let small = config(&[
            "--event-queue-bytes",
            "1000",
            "--max-payload",
            "10",
            "--max-bufsize",
            "65536",
        ])
        .unwrap();
        assert_eq!(small.event_queue_bytes, 65536);
    }

    #[test]
    fn each_launch_has_its_own_token() {
        let a = config(&[]).unwrap().token;
        let b = config(&[]).unwrap().token;
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert_eq!(config(&["--token", "abc"]).unwrap().token, "abc");
    }
}
