//! A parsed packet as the protocol crate's `Segment`: the transport-level
//! content of a segment event.
//!
//! Only with the `protocol` feature. The rest of this crate knows nothing of
//! the protocol; this one conversion lives here so the relay (live packets)
//! and the page (imported files) cannot drift apart in how they report a
//! packet. Conversation numbers, direction and socket ids are the caller's:
//! they depend on what it knows beyond the wire.

use sockscope_shared::{Bytes, SackBlock, Segment, TcpFlags, TcpOptions, Timestamps, UdpDatagram};

use crate::{Packet, PacketKind, Tracked};

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
