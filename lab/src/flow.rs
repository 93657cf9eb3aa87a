//! A packet's flow: protocol, addresses and ports, read leniently from the
//! IP packet a TUN device hands over.

use std::net::IpAddr;

use etherparse::{LaxNetSlice, LaxSlicedPacket, TransportSlice};

/// The five numbers that tell one conversation from another. Packets that
/// are neither TCP nor UDP (ICMP, ICMPv6's neighbour and multicast
/// listener messages) have no ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// The IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).
    pub protocol: u8,
    /// The sender's address.
    pub source: IpAddr,
    /// The sender's port, 0 without one.
    pub source_port: u16,
    /// The receiver's address.
    pub destination: IpAddr,
    /// The receiver's port, 0 without one.
    pub destination_port: u16,
}

impl FlowKey {
    /// The flow of an IP packet, or `None` if it is not one.
    #[must_use]
    pub fn of(packet: &[u8]) -> Option<FlowKey> {
        let sliced = LaxSlicedPacket::from_ip(packet).ok()?;
        let (source, destination, protocol) = match sliced.net.as_ref()? {
            LaxNetSlice::Ipv4(ip) => {
                let header = ip.header();
                (
                    IpAddr::V4(header.source_addr()),
                    IpAddr::V4(header.destination_addr()),
                    ip.payload().ip_number.0,
                )
            }
            LaxNetSlice::Ipv6(ip) => {
                let header = ip.header();
                (
                    IpAddr::V6(header.source_addr()),
                    IpAddr::V6(header.destination_addr()),
                    ip.payload().ip_number.0,
                )
            }
            LaxNetSlice::Arp(_) => return None,
        };
        let (source_port, destination_port) = match &sliced.transport {
            Some(TransportSlice::Tcp(tcp)) => (tcp.source_port(), tcp.destination_port()),
            Some(TransportSlice::Udp(udp)) => (udp.source_port(), udp.destination_port()),
            _ => (0, 0),
        };
        Some(FlowKey {
            protocol,
            source,
            source_port,
            destination,
            destination_port,
        })
    }

    /// Whether this is a flow a learner opened (TCP or UDP), rather than
    /// the kernel's own chatter.
    #[must_use]
    pub fn is_transport(&self) -> bool {
        matches!(self.protocol, 6 | 17)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    #[test]
    fn reads_a_udp_packet_and_refuses_garbage() {
        let mut packet = Vec::new();
        PacketBuilder::ipv4([10, 77, 0, 1], [10, 77, 0, 2], 64)
            .udp(4000, 5000)
            .write(&mut packet, b"hi")
            .unwrap();
        let key = FlowKey::of(&packet).unwrap();
        assert_eq!(key.protocol, 17);
        assert_eq!(key.source, IpAddr::from([10, 77, 0, 1]));
        assert_eq!((key.source_port, key.destination_port), (4000, 5000));
        assert!(key.is_transport());
        assert_eq!(FlowKey::of(&[0x45, 1, 2]), None);
        assert_eq!(FlowKey::of(&[]), None);
    }
}
