//! One segment event back into the bytes of an Ethernet frame, as `lo`
//! would have captured it: zero MAC addresses, an IPv4 or IPv6 header, and
//! the TCP header with its options, the UDP header, or the ICMP
//! port-unreachable message quoting the datagram that bounced.
//!
//! The relay keeps at most `segment_payload_cap` payload bytes per segment.
//! Such a segment is written like a packet cut by a capture's snapshot
//! length: the IP (and UDP) length fields and the block's original length
//! give the real size, the frame holds the bytes that were kept.
//! Checksums are computed by etherparse over what is written, so they are
//! right for whole packets; tools do not check cut ones.

use std::net::{IpAddr, SocketAddr};

use etherparse::icmpv4::DestUnreachableHeader;
use etherparse::icmpv6::DestUnreachableCode;
use etherparse::{Icmpv4Type, Icmpv6Type, Ipv4Header, PacketBuilder, TcpHeader, TcpOptionElement};
use sockscope_shared::{Segment, SegmentEvent, TcpOptions};

/// Ethernet II header length.
const ETHERNET: usize = 14;
/// Hop limit written in rebuilt packets (what Linux uses on loopback).
const TTL: u8 = 64;

/// A rebuilt frame and its length on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub data: Vec<u8>,
    pub original_len: u32,
}

/// The frame for `segment`, or `None` when its addresses do not parse or
/// mix IPv4 with IPv6 (then the event travels as a comment instead).
pub fn build(segment: &SegmentEvent) -> Option<Built> {
    let src: SocketAddr = segment.src.parse().ok()?;
    let dst: SocketAddr = segment.dst.parse().ok()?;
    match &segment.segment {
        Segment::Tcp {
            flags,
            seq,
            ack,
            window,
            options,
            payload_len,
            payload,
            ..
        } => {
            let mut header = TcpHeader::new(src.port(), dst.port(), *seq, *window);
            header.acknowledgment_number = *ack;
            header.syn = flags.syn;
            header.ack = flags.ack;
            header.fin = flags.fin;
            header.rst = flags.rst;
            header.psh = flags.psh;
            header.urg = flags.urg;
            header.ece = flags.ece;
            header.cwr = flags.cwr;
            set_options(&mut header, options);
            let mut data = Vec::new();
            ip(src.ip(), dst.ip())?
                .tcp_header(header)
                .write_to_vec(&mut data, payload.as_slice())
                .ok()?;
            Some(with_real_length(data, *payload_len, payload.len(), None))
        }
        Segment::Udp(datagram) => {
            let mut data = Vec::new();
            ip(src.ip(), dst.ip())?
                .udp(src.port(), dst.port())
                .write_to_vec(&mut data, datagram.payload.as_slice())
                .ok()?;
            let udp_at = ETHERNET + ip_header_len(src.ip());
            Some(with_real_length(
                data,
                datagram.payload_len,
                datagram.payload.len(),
                Some(udp_at),
            ))
        }
        Segment::IcmpPortUnreachable => {
            // The report goes from the closed port's host back to the
            // sender, and quotes the datagram's IP and UDP headers.
            let mut quoted = Vec::new();
            let mut data = Vec::new();
            match (src.ip(), dst.ip()) {
                (IpAddr::V4(s), IpAddr::V4(d)) => {
                    PacketBuilder::ipv4(s.octets(), d.octets(), TTL)
                        .udp(src.port(), dst.port())
                        .write_to_vec(&mut quoted, &[])
                        .ok()?;
                    PacketBuilder::ethernet2([0; 6], [0; 6])
                        .ipv4(d.octets(), s.octets(), TTL)
                        .icmpv4(Icmpv4Type::DestinationUnreachable(
                            DestUnreachableHeader::Port,
                        ))
                        .write_to_vec(&mut data, &quoted)
                        .ok()?;
                }
                (IpAddr::V6(s), IpAddr::V6(d)) => {
                    PacketBuilder::ipv6(s.octets(), d.octets(), TTL)
                        .udp(src.port(), dst.port())
                        .write_to_vec(&mut quoted, &[])
                        .ok()?;
                    PacketBuilder::ethernet2([0; 6], [0; 6])
                        .ipv6(d.octets(), s.octets(), TTL)
                        .icmpv6(Icmpv6Type::DestinationUnreachable(
                            DestUnreachableCode::Port,
                        ))
                        .write_to_vec(&mut data, &quoted)
                        .ok()?;
                }
                _ => return None,
            }
            let original_len = u32::try_from(data.len()).ok()?;
            Some(Built { data, original_len })
        }
    }
}

type IpStep = etherparse::PacketBuilderStep<etherparse::IpHeaders>;

fn ip(src: IpAddr, dst: IpAddr) -> Option<IpStep> {
    let link = PacketBuilder::ethernet2([0; 6], [0; 6]);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => Some(link.ipv4(s.octets(), d.octets(), TTL)),
        (IpAddr::V6(s), IpAddr::V6(d)) => Some(link.ipv6(s.octets(), d.octets(), TTL)),
        _ => None,
    }
}

fn ip_header_len(addr: IpAddr) -> usize {
    match addr {
        IpAddr::V4(_) => Ipv4Header::MIN_LEN,
        IpAddr::V6(_) => etherparse::Ipv6Header::LEN,
    }
}

/// The options in the order Linux sends them. Options that do not fit in
/// the header's 40 bytes are dropped, SACK blocks first.
fn set_options(header: &mut TcpHeader, options: &TcpOptions) {
    let mut list = Vec::new();
    if let Some(mss) = options.mss {
        list.push(TcpOptionElement::MaximumSegmentSize(mss));
    }
    if options.sack_permitted {
        list.push(TcpOptionElement::SelectiveAcknowledgementPermitted);
    }
    if let Some(ts) = options.timestamps {
        list.push(TcpOptionElement::Timestamp(ts.value, ts.echo_reply));
    }
    if let Some(shift) = options.window_scale {
        list.push(TcpOptionElement::Noop);
        list.push(TcpOptionElement::WindowScale(shift));
    }
    if let Some((first, rest)) = options.sack.split_first() {
        let mut more = [None; 3];
        for (slot, block) in more.iter_mut().zip(rest) {
            *slot = Some((block.left, block.right));
        }
        let with_sack = [
            list.as_slice(),
            &[
                TcpOptionElement::Noop,
                TcpOptionElement::Noop,
                TcpOptionElement::SelectiveAcknowledgement((first.left, first.right), more),
            ],
        ]
        .concat();
        if header.set_options(&with_sack).is_ok() {
            return;
        }
    }
    // Without SACK the list is at most 20 bytes, which always fits.
    let _ = header.set_options(&list);
}

/// Rewrites the IP length (and the UDP length at `udp_at`) so they give
/// `real` payload bytes where `kept` were written, and returns the frame
/// with its original length.
fn with_real_length(mut data: Vec<u8>, real: u32, kept: usize, udp_at: Option<usize>) -> Built {
    let kept_u32 = u32::try_from(kept).unwrap_or(u32::MAX);
    let missing = real.saturating_sub(kept_u32);
    let written = u32::try_from(data.len()).unwrap_or(u32::MAX);
    if missing == 0 {
        return Built {
            data,
            original_len: written,
        };
    }
    let add = u16::try_from(missing).unwrap_or(u16::MAX);
    match data.get(ETHERNET).map(|b| b >> 4) {
        Some(4) => {
            if let Some(Ok((mut header, _))) = data.get(ETHERNET..).map(Ipv4Header::from_slice) {
                header.total_len = header.total_len.saturating_add(add);
                header.header_checksum = header.calc_header_checksum();
                let bytes = header.to_bytes();
                if let Some(slot) = data.get_mut(ETHERNET..ETHERNET + bytes.len()) {
                    slot.copy_from_slice(&bytes);
                }
            }
        }
        Some(6) => bump_u16(&mut data, ETHERNET + 4, add),
        _ => {}
    }
    if let Some(at) = udp_at {
        bump_u16(&mut data, at + 4, add);
        // The checksum covered only the kept bytes; 0 means "not computed"
        // (allowed over IPv4), better than a wrong one.
        if data.get(ETHERNET).map(|b| b >> 4) == Some(4)
            && let Some(slot) = data.get_mut(at + 6..at + 8)
        {
            slot.copy_from_slice(&[0, 0]);
        }
    }
    Built {
        data,
        original_len: written.saturating_add(missing),
    }
}

/// Adds `add` to the big-endian 16-bit field at `at`, saturating.
fn bump_u16(data: &mut [u8], at: usize, add: u16) {
    if let Some(slot) = data.get_mut(at..at + 2) {
        let value = u16::from_be_bytes([slot[0], slot[1]]).saturating_add(add);
        slot.copy_from_slice(&value.to_be_bytes());
    }
}
