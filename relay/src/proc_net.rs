//! TCP states of sockets the relay no longer holds, from the kernel's
//! socket table (`/proc/net/tcp` and `/proc/net/tcp6`).
//!
//! After close() the file descriptor is gone, so TCP_INFO cannot be asked,
//! yet the connection lives on in the kernel: FIN_WAIT_2, TIME_WAIT,
//! LAST_ACK. The socket table still lists it by its addresses until it
//! truly ends, which is what a learner wants to see.
//!
//! The tables are read once for all the connections being followed
//! ([`Tables::read`], a blocking file read for a blocking thread), then
//! searched for each ([`Tables::state`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use sockscope_shared::TcpState;

/// One reading of the kernel's TCP socket tables, of the address families
/// asked for.
#[derive(Debug, Default, Clone)]
pub struct Tables {
    v4: Option<String>,
    v6: Option<String>,
}

impl Tables {
    /// Reads the calling thread's network namespace's `tcp` table if
    /// `v4`, `tcp6` if `v6` (`/proc/thread-self/net`: `/proc/net` is the
    /// main thread's, which a thread inside a lab's namespace is not in).
    /// Blocks: call it on a blocking thread. A table that cannot be read
    /// lists nothing, so its connections count as gone.
    pub fn read(v4: bool, v6: bool) -> Tables {
        let read = |wanted: bool, file: &str| {
            wanted.then(|| std::fs::read_to_string(file).unwrap_or_default())
        };
        Tables {
            v4: read(v4, "/proc/thread-self/net/tcp"),
            v6: read(v6, "/proc/thread-self/net/tcp6"),
        }
    }

    /// Adds another namespace's reading to this one (their addresses
    /// differ, so a connection is found in the one that has it).
    pub fn append(&mut self, other: Tables) {
        for (mine, theirs) in [(&mut self.v4, other.v4), (&mut self.v6, other.v6)] {
            if let (Some(mine), Some(theirs)) = (mine.as_mut(), theirs) {
                mine.push_str(&theirs);
            }
        }
    }

    /// Whether this reading includes the table that lists `local`.
    pub fn covers(&self, local: SocketAddr) -> bool {
        self.table_for(local).is_some()
    }

    /// The kernel's state for the connection `local` <-> `peer`, or `None`
    /// when the kernel no longer has it (it is CLOSED) or its table was not
    /// read.
    pub fn state(&self, local: SocketAddr, peer: SocketAddr) -> Option<TcpState> {
        find(self.table_for(local)?, local, peer)
    }

    fn table_for(&self, local: SocketAddr) -> Option<&str> {
        if local.is_ipv4() {
            self.v4.as_deref()
        } else {
            self.v6.as_deref()
        }
    }
}

/// Finds the connection in the text of a socket table.
fn find(table: &str, local: SocketAddr, peer: SocketAddr) -> Option<TcpState> {
    table.lines().skip(1).find_map(|line| {
        let mut fields = line.split_whitespace().skip(1);
        let row_local = parse_endpoint(fields.next()?)?;
        let row_peer = parse_endpoint(fields.next()?)?;
        let state = u8::from_str_radix(fields.next()?, 16).ok()?;
        (row_local == local && row_peer == peer)
            .then(|| TcpState::from_kernel(state))
            .flatten()
    })
}

/// Parses `0100007F:2537`: the address as the kernel's native-endian words
/// in hex, then the port in hex.
fn parse_endpoint(text: &str) -> Option<SocketAddr> {
    let (addr, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(
            u32::from_str_radix(addr, 16).ok()?.to_ne_bytes(),
        )),
        32 => {
            let mut octets = [0u8; 16];
            for (i, chunk) in octets.chunks_mut(4).enumerate() {
                let word = addr.get(i * 8..i * 8 + 8)?;
                chunk.copy_from_slice(&u32::from_str_radix(word, 16).ok()?.to_ne_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(octets))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2537 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:B154 0100007F:2537 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0 0 0 0 0 0
";

    #[test]
    fn finds_a_time_wait_connection() {
        let local: SocketAddr = "127.0.0.1:45396".parse().unwrap();
        let peer: SocketAddr = "127.0.0.1:9527".parse().unwrap();
        assert_eq!(find(TABLE, local, peer), Some(TcpState::TimeWait));
        assert_eq!(find(TABLE, peer, local), None);
    }

    #[test]
    fn reads_ipv6_loopback() {
        let addr = parse_endpoint("00000000000000000000000001000000:0050").unwrap();
        assert_eq!(addr, "[::1]:80".parse().unwrap());
    }

    #[test]
    fn sees_a_real_listener() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let local = listener.local_addr().unwrap();
        let tables = Tables::read(true, false);
        let unspecified: SocketAddr = "0.0.0.0:0".parse().unwrap();
        assert_eq!(tables.state(local, unspecified), Some(TcpState::Listen));
    }

    #[test]
    fn a_table_not_read_is_not_searched() {
        let tables = Tables::read(true, false);
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert!(!tables.covers(v6));
        assert!(tables.covers("127.0.0.1:80".parse().unwrap()));
        assert_eq!(tables.state(v6, v6), None);
    }
}
