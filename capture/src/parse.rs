//! From captured bytes to a [`Packet`]: the IP addresses, then the TCP
//! segment, UDP datagram or ICMP port-unreachable report inside.
//!
//! Captured bytes are untrusted: a frame may be cut short by the snapshot
//! length, malformed, or of a protocol this crate does not show. Parsing is
//! lenient (etherparse's lax slicers) and total: it never panics, and
//! anything it cannot read as TCP, UDP or a port-unreachable report is
//! skipped (`None`) rather than reported half-read.

use std::net::{IpAddr, SocketAddr};

use etherparse::{LaxNetSlice, LaxSlicedPacket, TcpOptionElement, TcpSlice, TransportSlice};

use crate::link::{LinkType, slice_frame};
use crate::packet::{Packet, PacketKind, SackBlock, TcpFlags, TcpOptions, TcpSegment, Timestamps};

/// ICMPv4 "destination unreachable" type, and its "port unreachable" code.
const ICMPV4_DEST_UNREACHABLE: u8 = 3;
const ICMPV4_PORT_UNREACHABLE: u8 = 3;
/// ICMPv6 "destination unreachable" type, and its "port unreachable" code.
const ICMPV6_DEST_UNREACHABLE: u8 = 1;
const ICMPV6_PORT_UNREACHABLE: u8 = 4;
/// The UDP header's length.
const UDP_HEADER_LEN: usize = 8;

/// Parses one captured frame of link type `link`, stamped `ts_us`
/// (microseconds since the Unix epoch).
///
/// At most `payload_cap` payload bytes are copied; `payload_len` always
/// gives the real length, even when the capture cut the frame short.
/// Returns `None` for frames that are not IPv4/IPv6 TCP, UDP or ICMP port
/// unreachable (ARP, other ICMP, IP fragments after the first), and for
/// frames too malformed to read.
pub fn parse_packet(
    link: LinkType,
    ts_us: u64,
    frame: &[u8],
    payload_cap: usize,
) -> Option<Packet> {
    let sliced = slice_frame(link, frame)?;
    let ip = IpEnds::of(sliced.net.as_ref()?)?;
    let (src_port, dst_port, kind) = match sliced.transport.as_ref()? {
        TransportSlice::Tcp(tcp) => (
            tcp.source_port(),
            tcp.destination_port(),
            PacketKind::Tcp(tcp_segment(tcp, ip.missing, payload_cap)),
        ),
        TransportSlice::Udp(udp) => {
            // The UDP length field counts the header too; 0 (a jumbogram) or
            // a value below the header's size says nothing, so fall back to
            // what the IP layer says.
            let payload_len = usize::from(udp.length())
                .checked_sub(UDP_HEADER_LEN)
                .unwrap_or_else(|| udp.payload().len().saturating_add(ip.missing));
            (
                udp.source_port(),
                udp.destination_port(),
                PacketKind::Udp {
                    payload_len: clamp_u32(payload_len),
                    payload: capped(udp.payload(), payload_cap),
                },
            )
        }
        TransportSlice::Icmpv4(icmp)
            if icmp.type_u8() == ICMPV4_DEST_UNREACHABLE
                && icmp.code_u8() == ICMPV4_PORT_UNREACHABLE =>
        {
            return bounced_datagram(ts_us, icmp.payload());
        }
        TransportSlice::Icmpv6(icmp)
            if icmp.type_u8() == ICMPV6_DEST_UNREACHABLE
                && icmp.code_u8() == ICMPV6_PORT_UNREACHABLE =>
        {
            return bounced_datagram(ts_us, icmp.payload());
        }
        TransportSlice::Icmpv4(_) | TransportSlice::Icmpv6(_) | TransportSlice::Igmp(_) => {
            return None;
        }
    };
    Some(Packet {
        ts_us,
        src: SocketAddr::new(ip.src, src_port),
        dst: SocketAddr::new(ip.dst, dst_port),
        kind,
        ip_id: ip.id,
    })
}

/// The addresses of an IP packet, and how many of its bytes the capture
/// did not keep.
struct IpEnds {
    src: IpAddr,
    dst: IpAddr,
    /// Bytes the IP header announces beyond those captured: a packet cut
    /// by the snapshot length still reports its real payload length.
    missing: usize,
    /// IPv4's identification.
    id: Option<u16>,
}

impl IpEnds {
    fn of(net: &LaxNetSlice<'_>) -> Option<IpEnds> {
        match net {
            LaxNetSlice::Ipv4(ip) => {
                let header = ip.header();
                let payload = ip.payload();
                let missing = if payload.incomplete {
                    let auth = ip.extensions().auth.map_or(0, |auth| auth.slice().len());
                    let captured = header
                        .slice()
                        .len()
                        .saturating_add(auth)
                        .saturating_add(payload.payload.len());
                    usize::from(header.total_len()).saturating_sub(captured)
                } else {
                    0
                };
                Some(IpEnds {
                    src: IpAddr::V4(header.source_addr()),
                    dst: IpAddr::V4(header.destination_addr()),
                    missing,
                    id: Some(header.identification()),
                })
            }
            LaxNetSlice::Ipv6(ip) => {
                let header = ip.header();
                let payload = ip.payload();
                let missing = if payload.incomplete {
                    let captured = ip
                        .extensions()
                        .slice()
                        .len()
                        .saturating_add(payload.payload.len());
                    usize::from(header.payload_length()).saturating_sub(captured)
                } else {
                    0
                };
                Some(IpEnds {
                    src: IpAddr::V6(header.source_addr()),
                    dst: IpAddr::V6(header.destination_addr()),
                    missing,
                    id: None,
                })
            }
            LaxNetSlice::Arp(_) => None,
        }
    }
}

fn tcp_segment(tcp: &TcpSlice<'_>, missing: usize, payload_cap: usize) -> TcpSegment {
    TcpSegment {
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        flags: TcpFlags {
            syn: tcp.syn(),
            ack: tcp.ack(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            psh: tcp.psh(),
            urg: tcp.urg(),
            ece: tcp.ece(),
            cwr: tcp.cwr(),
        },
        window: tcp.window_size(),
        options: tcp_options(tcp),
        payload_len: clamp_u32(tcp.payload().len().saturating_add(missing)),
        payload: capped(tcp.payload(), payload_cap),
    }
}

/// Reads the options a learner meets. A malformed option ends the list,
/// because its length byte can no longer be trusted to find the next one.
fn tcp_options(tcp: &TcpSlice<'_>) -> TcpOptions {
    let mut options = TcpOptions::default();
    for element in tcp.options_iterator() {
        let Ok(element) = element else { break };
        match element {
            TcpOptionElement::Noop => {}
            TcpOptionElement::MaximumSegmentSize(mss) => options.mss = Some(mss),
            TcpOptionElement::WindowScale(shift) => options.window_scale = Some(shift),
            TcpOptionElement::SelectiveAcknowledgementPermitted => options.sack_permitted = true,
            TcpOptionElement::SelectiveAcknowledgement(first, rest) => {
                let blocks = std::iter::once(first).chain(rest.into_iter().flatten());
                options
                    .sack
                    .extend(blocks.map(|(left, right)| SackBlock { left, right }));
            }
            TcpOptionElement::Timestamp(value, echo_reply) => {
                options.timestamps = Some(Timestamps { value, echo_reply });
            }
        }
    }
    options
}

/// The UDP datagram an ICMP port-unreachable message quotes (its IP header
/// and at least the first 8 bytes after it), as a packet whose addresses
/// are the datagram's own.
fn bounced_datagram(ts_us: u64, quoted: &[u8]) -> Option<Packet> {
    let inner = LaxSlicedPacket::from_ip(quoted).ok()?;
    let ip = IpEnds::of(inner.net.as_ref()?)?;
    match inner.transport.as_ref()? {
        TransportSlice::Udp(udp) => Some(Packet {
            ts_us,
            src: SocketAddr::new(ip.src, udp.source_port()),
            dst: SocketAddr::new(ip.dst, udp.destination_port()),
            kind: PacketKind::IcmpPortUnreachable,
            ip_id: ip.id,
        }),
        _ => None,
    }
}

/// A capture timestamp in microseconds since the Unix epoch. Negative
/// values (a clock before 1970) count as 0.
#[cfg(feature = "live")]
pub(crate) fn timestamp_us<S, U>(seconds: S, microseconds: U) -> u64
where
    u64: TryFrom<S> + TryFrom<U>,
{
    let seconds = u64::try_from(seconds).unwrap_or(0);
    let microseconds = u64::try_from(microseconds).unwrap_or(0);
    seconds
        .saturating_mul(1_000_000)
        .saturating_add(microseconds)
}

fn capped(payload: &[u8], cap: usize) -> Vec<u8> {
    payload.get(..cap).unwrap_or(payload).to_vec()
}

/// Lengths read from one packet fit in 32 bits on every real link; a
/// saturated value is still visibly wrong rather than silently wrapped.
fn clamp_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
