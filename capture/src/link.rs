//! Link layers: which kinds of frame the capture can meet, and where the IP
//! packet starts inside each.
//!
//! libpcap tells every capture (and every file) its link type. On Linux,
//! `lo` gives Ethernet frames with zero MAC addresses, the `any` pseudo
//! interface gives Linux "cooked" SLL or SLL2 headers, and tunnels give raw
//! IP. Files from other systems can hold BSD loopback (`NULL`/`LOOP`)
//! frames, such as macOS `lo0`. Anything else is refused up front rather
//! than misread.

use etherparse::{EtherType, LaxSlicedPacket};

/// A link-layer framing this crate can take apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// Ethernet II (and 802.1Q VLAN tags), as on `lo` and real NICs.
    Ethernet,
    /// Linux cooked capture v1: a 16-byte header ending in the EtherType.
    LinuxSll,
    /// Linux cooked capture v2: a 20-byte header starting with the EtherType.
    LinuxSll2,
    /// No link header: the frame is an IPv4 or IPv6 packet.
    RawIp,
    /// BSD loopback: a 4-byte address family (in the capturing host's byte
    /// order for `Null`, in network order for `Loop`), then the IP packet.
    BsdLoopback,
}

impl LinkType {
    /// The link type for a libpcap DLT or LINKTYPE number, if supported.
    ///
    /// Live captures report DLT values and files LINKTYPE values; the two
    /// agree except for raw IP (DLT 12 or 14 on Linux, LINKTYPE 101 in
    /// files), so both spellings are accepted.
    pub fn from_dlt(dlt: i32) -> Option<LinkType> {
        match dlt {
            1 => Some(LinkType::Ethernet),
            113 => Some(LinkType::LinuxSll),
            276 => Some(LinkType::LinuxSll2),
            12 | 14 | 101 | 228 | 229 => Some(LinkType::RawIp),
            0 | 108 => Some(LinkType::BsdLoopback),
            _ => None,
        }
    }
}

/// Length of the Linux cooked v1 header.
const SLL_LEN: usize = 16;
/// Length of the Linux cooked v2 header.
const SLL2_LEN: usize = 20;
/// Length of the BSD loopback address-family word.
const BSD_LOOPBACK_LEN: usize = 4;

/// Slices `frame` down through the link layer, leniently: headers that
/// cannot be read end the slicing, and `None` means not even the link or IP
/// header could be read.
pub(crate) fn slice_frame(link: LinkType, frame: &[u8]) -> Option<LaxSlicedPacket<'_>> {
    match link {
        LinkType::Ethernet => LaxSlicedPacket::from_ethernet(frame).ok(),
        LinkType::LinuxSll => {
            let ether_type = be_u16(frame, 14)?;
            Some(LaxSlicedPacket::from_ether_type(
                EtherType(ether_type),
                frame.get(SLL_LEN..)?,
            ))
        }
        LinkType::LinuxSll2 => {
            let ether_type = be_u16(frame, 0)?;
            Some(LaxSlicedPacket::from_ether_type(
                EtherType(ether_type),
                frame.get(SLL2_LEN..)?,
            ))
        }
        LinkType::RawIp => LaxSlicedPacket::from_ip(frame).ok(),
        // The family word's byte order depends on the machine that wrote
        // the file and its values for IPv6 differ between BSDs, so the IP
        // version nibble that follows is the reliable guide.
        LinkType::BsdLoopback => LaxSlicedPacket::from_ip(frame.get(BSD_LOOPBACK_LEN..)?).ok(),
    }
}

/// The big-endian 16-bit word at `at`, if the frame is long enough.
fn be_u16(frame: &[u8], at: usize) -> Option<u16> {
    let bytes: [u8; 2] = frame.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_be_bytes(bytes))
}
