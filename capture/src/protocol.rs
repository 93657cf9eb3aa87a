//! A parsed packet as the protocol crate's `Segment`: the transport-level
//! content of a segment event; and the way back, from a segment event to
//! what the state machine reads, and from its states to the protocol's.
//!
//! Only with the `protocol` feature. The rest of this crate knows nothing of
//! the protocol; these conversions live here so the relay (live packets)
//! and the page (imported files) cannot drift apart in how they report a
//! packet or a state. Conversation numbers, direction and socket ids are the caller's:
//! they depend on what it knows beyond the wire.

use sockscope_shared::{
    Bytes, SackBlock, Segment, TcpFlags, TcpOptions, TcpState, Timestamps, UdpDatagram,
};

use crate::{EndState, Header, Packet, PacketKind, Tracked};

/// The `Segment` of a segment event for `packet`, with the relative numbers
/// and scaled window its conversation gave it.
pub fn to_segment(packet: &Packet, tracked: &Tracked) -> Segment {
    match &packet.kind {
        PacketKind::Tcp(tcp) => Segment::Tcp {
            flags: TcpFlags {
                syn: tcp.flags.syn,
                ack: tcp.flags.ack,
                fin: tcp.flags.fin,
                rst: tcp.flags.rst,
                psh: tcp.flags.psh,
                urg: tcp.flags.urg,
                ece: tcp.flags.ece,
                cwr: tcp.flags.cwr,
            },
            seq: tcp.seq,
            ack: tcp.ack,
            rel_seq: tracked.rel_seq,
            rel_ack: tracked.rel_ack,
            window: tcp.window,
            window_scaled: tracked.window_scaled,
            options: TcpOptions {
                mss: tcp.options.mss,
                window_scale: tcp.options.window_scale,
                sack_permitted: tcp.options.sack_permitted,
                sack: tcp
                    .options
                    .sack
                    .iter()
                    .map(|b| SackBlock {
                        left: b.left,
                        right: b.right,
                    })
                    .collect(),
                timestamps: tcp.options.timestamps.map(|t| Timestamps {
                    value: t.value,
                    echo_reply: t.echo_reply,
                }),
            },
            payload_len: tcp.payload_len,
            payload: Bytes::from(&tcp.payload[..]),
        },
        PacketKind::Udp {
            payload_len,
            payload,
        } => Segment::Udp(UdpDatagram {
            payload_len: *payload_len,
            payload: Bytes::from(&payload[..]),
        }),
        PacketKind::IcmpPortUnreachable => Segment::IcmpPortUnreachable,
    }
}

/// What the state machine reads of a segment event's TCP segment: its
/// flags and numbers as on the wire. `None` for UDP and ICMP.
pub fn to_header(segment: &Segment) -> Option<Header> {
    let Segment::Tcp {
        flags,
        seq,
        ack,
        payload_len,
        ..
    } = segment
    else {
        return None;
    };
    Some(Header {
        flags: crate::TcpFlags {
            syn: flags.syn,
            ack: flags.ack,
            fin: flags.fin,
            rst: flags.rst,
            psh: flags.psh,
            urg: flags.urg,
            ece: flags.ece,
            cwr: flags.cwr,
        },
        seq: *seq,
        ack: *ack,
        payload_len: *payload_len,
    })
}

/// The protocol's name for a state the wire showed.
pub fn to_tcp_state(state: EndState) -> TcpState {
    match state {
        EndState::SynSent => TcpState::SynSent,
        EndState::SynRecv => TcpState::SynRecv,
        EndState::Established => TcpState::Established,
        EndState::FinWait1 => TcpState::FinWait1,
        EndState::FinWait2 => TcpState::FinWait2,
        EndState::Closing => TcpState::Closing,
        EndState::TimeWait => TcpState::TimeWait,
        EndState::CloseWait => TcpState::CloseWait,
        EndState::LastAck => TcpState::LastAck,
        EndState::Closed => TcpState::Closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_keeps_its_name_in_the_protocol() {
        for state in EndState::ALL {
            assert_eq!(to_tcp_state(state).name(), state.name());
        }
    }
}
