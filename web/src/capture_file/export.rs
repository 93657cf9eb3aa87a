//! Saving a session: as a pcapng that Wireshark and tshark open, and as the
//! JSON event log the page opens again.
//!
//! The pcapng has one Ethernet interface (zero MAC addresses, as `lo`
//! gives) with nanosecond timestamps, and one packet per segment event in
//! time order, rebuilt by [`super::frame`]. The other events (socket calls,
//! state changes, the relay's hello) go in packet comments: each on the
//! first packet at or after it in time, or the last packet for those after
//! the capture ended; with no packets at all, in the file's own comment.
//! Every packet also says which sockets sent and received it. Nothing of
//! the session is lost, and [`super::import`] rebuilds the same events.

use std::borrow::Cow;
use std::time::Duration;

use byteorder_slice::BigEndian;
use pcap_file::pcapng::PcapNgBlock;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::{DataLink, Endianness};
use sockscope_shared::{Call, CallResult, Event, EventKind, Transport};

use super::comment::{self, SegmentMeta};
use super::frame;
use crate::model::{Model, addr};

/// `if_tsresol` 9: timestamps count nanoseconds. (`pcap-file` writes the
/// raw units it is given as a `Duration`'s nanoseconds.)
const NANOSECONDS: u8 = 9;

/// What to save: everything, or one conversation of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Session,
    /// A conversation by its id in the model.
    Conversation(usize),
}

/// The events of `scope`, in log order. A conversation takes its packets,
/// the calls and states of the sockets at its ends (for UDP, only the
/// datagrams to and from the other end), the accept() that made one of
/// them, and the relay's hello.
pub fn events_of(model: &Model, scope: Scope) -> Vec<Event> {
    let Scope::Conversation(id) = scope else {
        return model.events.clone();
    };
    let Some(conv) = model.conversations.get(id) else {
        return Vec::new();
    };
    let sockets: Vec<_> = conv.ends.iter().filter_map(|e| e.socket).collect();
    let other_end = |socket| {
        conv.end_of(socket)
            .map(|end| conv.ends[1 - end].addr.as_str())
    };
    let keeps = |at: usize, event: &Event| match &event.kind {
        EventKind::Hello(_) => true,
        EventKind::Segment(_) => conv.segments.binary_search(&at).is_ok(),
        EventKind::Call(call) => {
            if let CallResult::Accepted { new_socket, .. } = call.result {
                return sockets.contains(&new_socket);
            }
            if !sockets.contains(&call.socket) {
                return false;
            }
            if call.transport == Transport::Tcp {
                return true;
            }
            let peer = match (&call.call, &call.result) {
                (Call::SendTo { addr, .. }, _) => Some(addr.as_str()),
                (_, CallResult::Datagram { from, .. }) => Some(from.as_str()),
                _ => None,
            };
            match (peer, other_end(call.socket)) {
                (Some(peer), Some(other)) => addr::same_endpoint(peer, other),
                // bind, close: the socket's own life.
                (None, _) => true,
                (Some(_), None) => false,
            }
        }
        EventKind::State { socket, .. }
        | EventKind::RecvQueue { socket, .. }
        | EventKind::TcpInfo {
            socket: Some(socket),
            ..
        } => sockets.contains(socket),
        EventKind::TcpInfo {
            socket: None,
            local,
            ..
        } => local.as_deref().is_some_and(|local| {
            conv.ends
                .iter()
                .any(|end| addr::same_endpoint(&end.addr, local))
        }),
        EventKind::Waiting(waiting) => sockets.contains(&waiting.socket),
        EventKind::SendTime { socket, .. } => sockets.contains(socket),
        EventKind::CommandError(_)
        | EventKind::Capture(_)
        | EventKind::Lagged { .. }
        | EventKind::Path(_)
        | EventKind::PathDrop(_)
        | EventKind::PathStats(_) => false,
    };
    model
        .events
        .iter()
        .enumerate()
        .filter(|(at, event)| keeps(*at, event))
        .map(|(_, event)| event.clone())
        .collect()
}

/// The JSON event log: exactly the array of events the relay sent, which
/// the page's "Open capture…" reads back.
pub fn event_log(events: &[Event]) -> String {
    serde_json::to_string_pretty(events).unwrap_or_else(|_| "[]".to_string())
}

/// Why a pcapng could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError(pub String);

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not write the pcapng: {}", self.0)
    }
}

impl std::error::Error for ExportError {}

/// One packet to write: its frame, time and comments.
struct Packet {
    t_us: u64,
    frame: frame::Built,
    comments: Vec<String>,
}

/// The events as a pcapng file.
///
/// # Errors
/// [`ExportError`] if the writer refuses a block (it does not for the
/// blocks built here; the error is kept rather than hidden).
pub fn pcapng(events: &[Event]) -> Result<Vec<u8>, ExportError> {
    let mut packets: Vec<(u64, u64, Packet)> = Vec::new();
    let mut others: Vec<&Event> = Vec::new();
    for event in events {
        let built = match &event.kind {
            EventKind::Segment(segment) => frame::build(segment).map(|f| (f, segment)),
            _ => None,
        };
        match built {
            Some((frame, segment)) => packets.push((
                event.t_us,
                event.index,
                Packet {
                    t_us: event.t_us,
                    frame,
                    comments: vec![comment::segment_comment(&SegmentMeta::of(
                        event.index,
                        segment,
                    ))],
                },
            )),
            None => others.push(event),
        }
    }
    packets.sort_by_key(|(t, index, _)| (*t, *index));
    let mut packets: Vec<Packet> = packets.into_iter().map(|(_, _, p)| p).collect();
    others.sort_by_key(|e| (e.t_us, e.index));

    let calls = others
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Call(_)))
        .count();
    let mut file_comments = vec![format!(
        "Saved by sockscope: {} packets and {calls} socket calls. Each call is a comment on the first packet at or after it (the last packet for calls after the capture ended); the page reads them back from 'sockscope-event'.",
        packets.len()
    )];
    // Each event to the first packet at or after it, in order.
    let mut to_packet: Vec<Vec<String>> = vec![Vec::new(); packets.len()];
    for event in others {
        let first_after = packets.partition_point(|p| p.t_us < event.t_us);
        match first_after.min(packets.len().saturating_sub(1)) {
            at if !packets.is_empty() => {
                let t = packets[at].t_us;
                to_packet[at].extend(comment::event_comments(event, Some(t)));
            }
            _ => file_comments.extend(comment::event_comments(event, None)),
        }
    }
    for (packet, mut before) in packets.iter_mut().zip(to_packet) {
        before.append(&mut packet.comments);
        packet.comments = before;
    }
    write(&file_comments, &packets).map_err(|e| ExportError(e.to_string()))
}

/// The file, big-endian (`pcap-file`'s default section, as the page has
/// always written it). Each block is written by `pcap-file` for that one
/// byte order: its `PcapNgWriter` picks the order at run time, which puts
/// its block writer in the page twice, once for each order.
fn write(file_comments: &[String], packets: &[Packet]) -> std::io::Result<Vec<u8>> {
    let mut options = vec![SectionHeaderOption::UserApplication(Cow::Borrowed(
        "sockscope",
    ))];
    options.extend(
        file_comments
            .iter()
            .map(|c| SectionHeaderOption::Comment(Cow::Borrowed(c.as_str()))),
    );
    let section = SectionHeaderBlock {
        endianness: Endianness::Big,
        options,
        ..SectionHeaderBlock::default()
    };
    let mut out = Vec::new();
    section.into_block().write_to::<BigEndian, _>(&mut out)?;
    InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0,
        options: vec![
            InterfaceDescriptionOption::IfName(Cow::Borrowed("sockscope")),
            InterfaceDescriptionOption::IfTsResol(NANOSECONDS),
        ],
    }
    .into_block()
    .write_to::<BigEndian, _>(&mut out)?;
    for packet in packets {
        // Interface 0 is the one written just above.
        EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_micros(packet.t_us),
            original_len: packet.frame.original_len,
            data: Cow::Borrowed(&packet.frame.data),
            options: packet
                .comments
                .iter()
                .map(|c| EnhancedPacketOption::Comment(Cow::Borrowed(c.as_str())))
                .collect(),
        }
        .into_block()
        .write_to::<BigEndian, _>(&mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_big_endian_as_it_always_was() {
        let file = pcapng(&[]).unwrap();
        // A section header block, then the byte-order magic in big-endian.
        assert_eq!(file.get(..4), Some(&[0x0a, 0x0d, 0x0d, 0x0a][..]));
        assert_eq!(file.get(8..12), Some(&[0x1a, 0x2b, 0x3c, 0x4d][..]));
    }
}
