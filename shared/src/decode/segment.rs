//! Assembling a segment event: the packet's ends and direction, then the
//! header fields its `proto` names (TCP's flags, numbers and options, a UDP
//! datagram's length, or an ICMP port unreachable, which has none).

use super::error::DecodeError;
use super::event::WireEvent;
use super::reader::{need, unknown};
use crate::{Endpoint, EventKind, Segment, SegmentEvent, UdpDatagram};

/// The `proto` tags of a segment event.
pub(super) const PROTOS: &[&str] = &["tcp", "udp", "icmp_port_unreachable"];

impl WireEvent<'_> {
    pub(super) fn segment(&mut self) -> Result<EventKind, DecodeError> {
        let c = "segment event";
        let conn = need(self.conn.take(), c, "conn")?;
        // Shared with the packets before that named the same ends.
        let src = Endpoint::recent(&need(self.src.take(), c, "src")?);
        let dst = Endpoint::recent(&need(self.dst.take(), c, "dst")?);
        let direction = need(self.direction.take(), c, "direction")?;
        let proto = need(self.proto.take(), c, "proto")?;
        let segment = match proto.as_str() {
            "tcp" => {
                let c = "tcp segment event";
                Segment::Tcp {
                    flags: need(self.flags.take(), c, "flags")?,
                    seq: need(self.seq.take(), c, "seq")?,
                    ack: need(self.ack.take(), c, "ack")?,
                    rel_seq: need(self.rel_seq.take(), c, "rel_seq")?,
                    rel_ack: need(self.rel_ack.take(), c, "rel_ack")?,
                    window: need(self.window.take(), c, "window")?,
                    window_scaled: need(self.window_scaled.take(), c, "window_scaled")?,
                    options: need(self.options.take(), c, "options")?,
                    payload_len: need(self.payload_len.take(), c, "payload_len")?,
                    payload: need(self.payload.take(), c, "payload")?,
                }
            }
            "udp" => {
                let c = "udp segment event";
                Segment::Udp(UdpDatagram {
                    payload_len: need(self.payload_len.take(), c, "payload_len")?,
                    payload: need(self.payload.take(), c, "payload")?,
                })
            }
            "icmp_port_unreachable" => Segment::IcmpPortUnreachable,
            other => return Err(unknown(c, "proto", other, PROTOS)),
        };
        Ok(EventKind::Segment(SegmentEvent {
            conn,
            src,
            dst,
            direction,
            from_socket: self.from_socket.take(),
            to_socket: self.to_socket.take(),
            tap: self.tap.take(),
            crossing: self.crossing.take(),
            analysis: self.analysis.take().unwrap_or_default(),
            segment,
        }))
    }
}
