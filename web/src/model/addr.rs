//! Endpoint addresses (`ip:port` strings) and how to compare them.
//!
//! The relay reports addresses as `getsockname`/`getpeername` print them. A
//! UDP socket that was never bound to a particular address reports
//! `0.0.0.0:47267`, while the datagrams it sends leave from
//! `127.0.0.1:47267`: the same endpoint, written two ways. Everything that
//! matches a socket to the wire goes through [`same_endpoint`] so that this
//! rule lives in one place.

use std::net::SocketAddr;

/// The address, if it parses as `ip:port` (`[::1]:80` for IPv6).
pub fn parse(addr: &str) -> Option<SocketAddr> {
    addr.parse().ok()
}

/// The port of `addr`, if it parses.
pub fn port(addr: &str) -> Option<u16> {
    parse(addr).map(|a| a.port())
}

/// Whether `addr` has the wildcard IP (`0.0.0.0` or `::`).
pub fn is_wildcard(addr: &str) -> bool {
    parse(addr).is_some_and(|a| a.ip().is_unspecified())
}

/// Whether `addr` names a real endpoint: it parses and its port is not 0
/// (a socket that is not bound yet reports port 0).
pub fn is_bound(addr: &str) -> bool {
    parse(addr).is_some_and(|a| a.port() != 0)
}

/// Whether `a` and `b` are the same endpoint: equal, or the same port where
/// one of them has the wildcard IP.
pub fn same_endpoint(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => {
            x.port() == y.port()
                && x.is_ipv4() == y.is_ipv4()
                && (x.ip() == y.ip() || x.ip().is_unspecified() || y.ip().is_unspecified())
        }
        _ => false,
    }
}

/// `local` as the wire shows it: a wildcard IP is replaced by the IP of the
/// `remote` it talks to (on loopback both ends share it), so the address
/// matches the packets' source.
pub fn normalise(local: &str, remote: Option<&str>) -> String {
    match (parse(local), remote.and_then(parse)) {
        (Some(mut l), Some(r)) if l.ip().is_unspecified() && l.is_ipv4() == r.is_ipv4() => {
            l.set_ip(r.ip());
            l.to_string()
        }
        _ => local.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matches_the_wire_address() {
        assert!(same_endpoint("0.0.0.0:47267", "127.0.0.1:47267"));
        assert!(same_endpoint("127.0.0.1:1", "127.0.0.1:1"));
        assert!(!same_endpoint("127.0.0.1:1", "127.0.0.1:2"));
        assert!(!same_endpoint("127.0.0.2:1", "127.0.0.1:1"));
        assert_eq!(
            normalise("0.0.0.0:47267", Some("127.0.0.1:49733")),
            "127.0.0.1:47267"
        );
        assert_eq!(normalise("127.0.0.1:5", None), "127.0.0.1:5");
    }

    #[test]
    fn port_zero_is_not_bound() {
        assert!(!is_bound("0.0.0.0:0"));
        assert!(is_bound("0.0.0.0:9"));
        assert!(is_wildcard("0.0.0.0:9"));
        assert_eq!(port("[::1]:80"), Some(80));
    }
}
