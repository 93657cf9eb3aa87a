//! What a page may ask of this machine: the checks a command passes before
//! any socket is touched.
//!
//! A page is code from a web site, so the relay decides which addresses its
//! sockets may reach or bind, and how big its requests may be:
//!
//! - Destinations are loopback only, unless the relay was started with
//!   `--allow-remote` for a network ([`Config::target_allowed`]). IPv4
//!   addresses written as IPv6 (`::ffff:127.0.0.1`) count as what they are.
//! - Binds may use loopback or the wildcard (`0.0.0.0`, `::`): the wildcard
//!   is how a learner writes a server, and the page can still reach it only
//!   through loopback. Binding another of this machine's addresses would
//!   open it to the network, so that too needs `--allow-remote`.
//! - Port 0 means "the kernel chooses" for a bind, and nothing at all for a
//!   destination.
//! - A host name is resolved first and its address checked like any other
//!   ([`allowed`]), so a name cannot hide a remote address. Literal
//!   addresses need no resolver ([`literal`]); names take the resolver's
//!   time, which is why the session looks them up in a task of its own.
//! - Payloads, buffers, repeats, intervals and the number of sockets stay
//!   within the limits: the protocol crate's one check ([`Limits::check`]),
//!   which the page's forms and the lessons' stand-in relay run too. A
//!   refusal for a limit carries it ([`Refusal::limit`]), so the page words
//!   it in the reader's language.
//!
//! Everything here is a pure function of the command and the settings, so
//! the rules are tested as a table below.

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use sockscope_shared::{CommandError, ErrorCode, Framing, LimitError, Limits};

use crate::Config;

/// A refusal to run a command, before any socket was touched: the code the
/// page sorts it by and a sentence saying what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    /// The limit crossed, when that is the reason.
    pub limit: Option<LimitError>,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
            limit: None,
        }
    }

    /// The `command_error` the page gets for `command`, sent as request
    /// `request`.
    pub fn to_command_error(&self, request: Option<u64>, command: &str) -> CommandError {
        match &self.limit {
            Some(limit) => limit.refusal(request, command),
            None => CommandError {
                request,
                command: Some(command.into()),
                code: self.code,
                message: format!("{command}: {}", self.message),
                field: None,
                limit: None,
            },
        }
    }
}

impl From<LimitError> for Refusal {
    fn from(limit: LimitError) -> Refusal {
        Refusal {
            code: limit.code(),
            message: limit.to_string(),
            limit: Some(limit),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

/// What an address is for, which decides the rules it meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An address of this machine for bind().
    Bind,
    /// A destination for connect() or sendto().
    Reach,
}

/// Port 0 may be bound (the kernel picks a port) but not reached.
///
/// # Errors
/// [`ErrorCode::BadPort`] for a destination port 0.
pub fn check_port(port: u16, role: Role) -> Result<(), Refusal> {
    if port == 0 && role == Role::Reach {
        return Err(Refusal::new(
            ErrorCode::BadPort,
            "port 0 cannot be a destination: use a port from 1 to 65535",
        ));
    }
    Ok(())
}

/// The address `host` spells, if it is an IP address rather than a name.
/// Surrounding blanks are ignored, as a form field may carry them.
pub fn literal(host: &str) -> Option<IpAddr> {
    let host = host.trim();
    host.parse::<Ipv4Addr>()
        .map(IpAddr::V4)
        .or_else(|_| host.parse::<Ipv6Addr>().map(IpAddr::V6))
        .ok()
}

/// The refusal for a name that did not resolve.
pub fn unknown_host(host: &str) -> Refusal {
    Refusal::new(
        ErrorCode::BadHost,
        format!(
            "{:?} is not an IP address or a name this machine can resolve",
            host.trim()
        ),
    )
}

/// Checks that `addr` may be used for `role` under `config`.
///
/// # Errors
/// [`ErrorCode::TargetNotAllowed`] with the flag that would allow it.
pub fn allowed(config: &Config, addr: SocketAddr, role: Role) -> Result<SocketAddr, Refusal> {
    let ip = addr.ip();
    match role {
        Role::Reach if !config.target_allowed(ip) => Err(Refusal::new(
            ErrorCode::TargetNotAllowed,
            format!(
                "{ip} is not a loopback address; remote targets are off. Start sockscope \
                 with --allow-remote {ip}/32 to allow it"
            ),
        )),
        Role::Bind if !(ip.is_loopback() || ip.is_unspecified() || config.target_allowed(ip)) => {
            Err(Refusal::new(
                ErrorCode::TargetNotAllowed,
                format!(
                    "binding {ip} would open this machine to the network; use 127.0.0.1 or \
                     start sockscope with --allow-remote"
                ),
            ))
        }
        _ => Ok(addr),
    }
}

/// One send's message: its framing header, then `body`.
///
/// The command passed [`Limits::check`] already, so the header fits; were
/// it not to, the message goes without one rather than the relay failing.
pub fn framed_message(body: &[u8], framing: Framing) -> Vec<u8> {
    let mut message = framing.header(body.len()).unwrap_or_default();
    message.extend_from_slice(body);
    message
}

/// The gap between repeated sends (checked against the limits already).
pub fn interval(interval_ms: u32) -> Duration {
    Duration::from_millis(u64::from(interval_ms))
}

/// The delay before an automatic recv: anything longer than
/// [`Limits::MAX_INTERVAL_MS`] is cut to it rather than refused.
pub fn auto_read_delay(delay_ms: u32) -> Duration {
    Duration::from_millis(u64::from(delay_ms.min(Limits::MAX_INTERVAL_MS)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The outcome the table expects: allowed, refused with a code, or a
    /// name left to the resolver.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Expect {
        Allowed,
        Refused(ErrorCode),
        Name,
    }

    /// Runs one address through the checks a command makes, in their
    /// order: the port, then the literal address (names stop there, as
    /// they go to the resolver), then the rules for its role.
    fn check(allow_remote: &[&str], host: &str, port: u16, role: Role, expect: Expect) {
        let mut config = Config::for_tests();
        config.allow_remote = allow_remote.iter().map(|n| n.parse().unwrap()).collect();
        let outcome = check_port(port, role).and_then(|()| match literal(host) {
            None => Ok(None),
            Some(ip) => allowed(&config, SocketAddr::new(ip, port), role).map(Some),
        });
        let got = match &outcome {
            Ok(Some(addr)) => {
                assert_eq!(addr.port(), port);
                Expect::Allowed
            }
            Ok(None) => Expect::Name,
            Err(refusal) => {
                assert!(!refusal.message.is_empty(), "a refusal says why");
                Expect::Refused(refusal.code)
            }
        };
        assert_eq!(
            got, expect,
            "{host:?} port {port} for {role:?} with --allow-remote {allow_remote:?}: {outcome:?}"
        );
    }

    use Expect::{Allowed, Name, Refused};
    use Role::{Bind, Reach};

    #[test]
    fn destinations_are_loopback_only_by_default() {
        check(&[], "127.0.0.1", 80, Reach, Allowed);
        check(&[], "127.8.9.10", 80, Reach, Allowed);
        check(&[], "::1", 80, Reach, Allowed);
        check(&[], "::ffff:127.0.0.1", 80, Reach, Allowed);
        check(
            &[],
            "10.1.2.3",
            80,
            Reach,
            Refused(ErrorCode::TargetNotAllowed),
        );
        check(
            &[],
            "192.0.2.1",
            80,
            Reach,
            Refused(ErrorCode::TargetNotAllowed),
        );
        check(
            &[],
            "2001:db8::1",
            80,
            Reach,
            Refused(ErrorCode::TargetNotAllowed),
        );
        check(
            &[],
            "::ffff:10.0.0.1",
            80,
            Reach,
            Refused(ErrorCode::TargetNotAllowed),
        );
        // The wildcard is not a destination the page may use.
        check(
            &[],
            "0.0.0.0",
            80,
            Reach,
            Refused(ErrorCode::TargetNotAllowed),
        );
    }

    #[test]
    fn allowed_networks_open_their_addresses_and_no_others() {
        let nets = ["10.0.0.0/8", "192.168.1.7/32", "2001:db8::/32"];
        check(&nets, "10.1.2.3", 80, Reach, Allowed);
        check(&nets, "192.168.1.7", 80, Reach, Allowed);
        check(&nets, "2001:db8::1", 80, Reach, Allowed);
        check(
            &nets,
            "192.168.1.8",
            80,
            Reach,
            Refused(ErrorCode::TargetNotAllowed),
        );
        check(
            &nets,
            "11.0.0.1",
            80,
            Reach,
            Refused(ErrorCode::TargetNotAllowed),
        );
        check(&nets, "127.0.0.1", 80, Reach, Allowed);
        check(&nets, "10.1.2.3", 0, Bind, Allowed);
        check(
            &nets,
            "172.16.0.1",
            0,
            Bind,
            Refused(ErrorCode::TargetNotAllowed),
        );
    }

    #[test]
    fn binds_take_loopback_and_the_wildcard() {
        check(&[], "127.0.0.1", 0, Bind, Allowed);
        check(&[], "127.0.0.1", 9527, Bind, Allowed);
        check(&[], "::1", 0, Bind, Allowed);
        check(&[], "0.0.0.0", 0, Bind, Allowed);
        check(&[], "::", 0, Bind, Allowed);
        check(
            &[],
            "192.168.1.5",
            0,
            Bind,
            Refused(ErrorCode::TargetNotAllowed),
        );
        check(
            &[],
            "fe80::1",
            0,
            Bind,
            Refused(ErrorCode::TargetNotAllowed),
        );
    }

    #[test]
    fn port_zero_is_for_binds_only() {
        check(&[], "127.0.0.1", 0, Bind, Allowed);
        check(&[], "127.0.0.1", 0, Reach, Refused(ErrorCode::BadPort));
        // The port is checked before the name is looked up.
        check(&[], "localhost", 0, Reach, Refused(ErrorCode::BadPort));
        check(&[], "127.0.0.1", 65535, Reach, Allowed);
    }

    #[test]
    fn names_go_to_the_resolver_and_addresses_do_not() {
        check(&[], "localhost", 80, Reach, Name);
        check(&[], "example.com", 80, Reach, Name);
        check(&[], "", 80, Reach, Name);
        // Brackets belong in URLs, not in an address.
        check(&[], "[::1]", 80, Reach, Name);
        check(&[], " 127.0.0.1 ", 80, Reach, Allowed);
        check(&[], "\t::1\n", 0, Bind, Allowed);
        assert_eq!(unknown_host(" nowhere ").code, ErrorCode::BadHost);
        assert!(unknown_host(" nowhere ").message.starts_with("\"nowhere\""));
    }

    #[test]
    fn messages_carry_their_framing_header() {
        assert_eq!(framed_message(&[7, 7, 7], Framing::None), [7, 7, 7]);
        assert_eq!(
            framed_message(&[7; 3], Framing::Ascii4),
            [b'0', b'0', b'0', b'3', 7, 7, 7]
        );
        assert_eq!(interval(60_000), Duration::from_secs(60));
        assert_eq!(auto_read_delay(90_000), Duration::from_secs(60));
        assert_eq!(auto_read_delay(5), Duration::from_millis(5));
    }

    #[test]
    fn a_limit_refusal_keeps_the_limit_for_the_page() {
        let limits = Limits {
            max_sockets: 2,
            ..Limits::default()
        };
        let refusal = Refusal::from(limits.check_room(2).unwrap_err());
        assert_eq!(refusal.code, ErrorCode::LimitReached);
        let error = refusal.to_command_error(Some(4), "tcp_connect");
        assert_eq!(error.request, Some(4));
        assert_eq!(error.limit.map(|limit| limit.max), Some(2));
        let plain = Refusal::new(ErrorCode::BadPort, "port 0 cannot be watched")
            .to_command_error(None, "watch");
        assert_eq!(plain.message, "watch: port 0 cannot be watched");
        assert_eq!(plain.limit, None);
    }
}
