//! Which socket a segment comes from and which it goes to: the sockets'
//! addresses, each owned since a moment, and the rule that links a
//! packet's two ends to them.
//!
//! Only with the `protocol` feature, as socket ids are the protocol's. The
//! relay links its live capture by this rule and the recordings generator
//! links the reference recordings by it too, so a recording names the same
//! sockets a live run does.

use std::net::SocketAddr;

use sockscope_shared::{SocketId, Transport};

/// One socket's addresses, remembered after close so that late segments
/// (the last ACK, TIME_WAIT retransmissions) are still linked to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub socket: SocketId,
    pub transport: Transport,
    pub local: SocketAddr,
    /// The other end, for a connected socket; `None` for a listener or a
    /// UDP socket, which take packets from anyone.
    pub peer: Option<SocketAddr>,
    /// When the socket came to own these addresses. A connection's first
    /// segments belong to the listener until accept() hands it over, and a
    /// client's SYN to the socket that called connect().
    pub since_us: u64,
}

/// Every socket's addresses, in the order they were learnt.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    list: Vec<Endpoint>,
}

impl Endpoints {
    pub fn new() -> Endpoints {
        Endpoints::default()
    }

    /// Remembers a socket's addresses. A later endpoint wins over an
    /// earlier one with the same addresses (a reused port).
    pub fn push(&mut self, endpoint: Endpoint) {
        self.list.push(endpoint);
    }

    /// Whether any addresses are known for `socket`.
    pub fn knows(&self, socket: SocketId) -> bool {
        self.list.iter().any(|e| e.socket == socket)
    }

    /// The socket at `local` talking to `peer` at `t_us`: the newest socket,
    /// among those that owned their addresses by then, whose local address
    /// matches and whose peer is `peer`, else one with no peer (a listener,
    /// a UDP socket). The newest, so that a port reused by a later socket
    /// is linked to that socket.
    pub fn find(
        &self,
        transport: Transport,
        local: SocketAddr,
        peer: SocketAddr,
        t_us: u64,
    ) -> Option<SocketId> {
        let rev = || {
            self.list
                .iter()
                .rev()
                .filter(|e| e.transport == transport && e.since_us <= t_us)
        };
        rev()
            .find(|e| same(e.local, local) && e.peer == Some(peer))
            .or_else(|| rev().find(|e| same(e.local, local) && e.peer.is_none()))
            .map(|e| e.socket)
    }

    /// The TCP socket connected from `local` to `peer` at `t_us`: never a
    /// listener, which only shares the address.
    pub fn connected(&self, local: SocketAddr, peer: SocketAddr, t_us: u64) -> Option<SocketId> {
        self.list
            .iter()
            .rev()
            .find(|e| {
                e.transport == Transport::Tcp
                    && e.since_us <= t_us
                    && same(e.local, local)
                    && e.peer == Some(peer)
            })
            .map(|e| e.socket)
    }
}

/// Whether a socket bound to `bound` owns packets addressed to `addr`: the
/// same port, and the same address unless bound to the wildcard.
fn same(bound: SocketAddr, addr: SocketAddr) -> bool {
    bound.port() == addr.port() && (bound.ip().is_unspecified() || bound.ip() == addr.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn endpoint(socket: SocketId, local: &str, peer: Option<&str>, since_us: u64) -> Endpoint {
        Endpoint {
            socket,
            transport: Transport::Tcp,
            local: addr(local),
            peer: peer.map(addr),
            since_us,
        }
    }

    #[test]
    fn a_connection_belongs_to_the_listener_until_accept() {
        let mut endpoints = Endpoints::new();
        endpoints.push(endpoint(1, "0.0.0.0:9527", None, 0));
        endpoints.push(endpoint(3, "127.0.0.1:9527", Some("127.0.0.1:40000"), 50));
        let local = addr("127.0.0.1:9527");
        let peer = addr("127.0.0.1:40000");
        assert_eq!(endpoints.find(Transport::Tcp, local, peer, 10), Some(1));
        assert_eq!(endpoints.find(Transport::Tcp, local, peer, 50), Some(3));
        assert_eq!(endpoints.connected(local, peer, 10), None);
        assert_eq!(endpoints.connected(local, peer, 50), Some(3));
        assert_eq!(endpoints.find(Transport::Udp, local, peer, 50), None);
        assert!(endpoints.knows(3));
        assert!(!endpoints.knows(2));
    }

    #[test]
    fn a_reused_port_goes_to_the_newest_socket() {
        let mut endpoints = Endpoints::new();
        endpoints.push(endpoint(1, "127.0.0.1:9527", None, 0));
        endpoints.push(endpoint(5, "127.0.0.1:9527", None, 100));
        let local = addr("127.0.0.1:9527");
        let peer = addr("127.0.0.1:40000");
        assert_eq!(endpoints.find(Transport::Tcp, local, peer, 99), Some(1));
        assert_eq!(endpoints.find(Transport::Tcp, local, peer, 100), Some(5));
        assert_eq!(
            endpoints.find(Transport::Tcp, addr("10.0.0.1:9527"), peer, 100),
            None
        );
    }
}
