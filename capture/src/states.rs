//! TCP states read off the wire: for each end of a connection, the state
//! RFC 9293 gives it as its own segments leave and its peer's arrive.
//!
//! A capture sees segments, not the kernel's table, yet most of a
//! connection's life is written in its segments: a SYN leaves an end in
//! SYN_SENT, the SYN+ACK that acknowledges it makes it ESTABLISHED; the
//! first FIN leaves its sender in FIN_WAIT_1 and its receiver in CLOSE_WAIT;
//! the ACK of that FIN moves the sender to FIN_WAIT_2; the peer's FIN then
//! moves it to TIME_WAIT and the peer to LAST_ACK, and the last ACK closes
//! the peer. A [`Connection`] follows those rules over the segments of one
//! conversation in capture order (the conversation the [`crate::Tracker`]
//! numbers), and says after each segment which end changed state.
//!
//! Each segment is taken to leave its sender and reach its receiver when it
//! is captured, which is what a capture on one of the two hosts sees (on
//! loopback, both). The RFC's finer points follow from the numbers a
//! segment carries rather than from timing:
//!
//! - the ACK riding on a FIN: a FIN+ACK that acknowledges the receiver's own
//!   FIN takes it through FIN_WAIT_2 to TIME_WAIT at once, the three-segment
//!   close;
//! - a simultaneous close: a FIN reaching an end still in FIN_WAIT_1 (its
//!   own FIN not yet acknowledged) leaves it in CLOSING, and the ACK of its
//!   FIN in TIME_WAIT, so both ends wait;
//! - a simultaneous open: a SYN reaching an end in SYN_SENT leaves it in
//!   SYN_RECV;
//! - a RST closes both ends, the one that sent it and the one it reached.
//!
//! # What a capture cannot see
//!
//! A state that changes without a segment is not seen, and the machine
//! does not guess it:
//!
//! - TIME_WAIT ends after 60 s on Linux (2 MSL elsewhere), and a closed
//!   end's FIN_WAIT_2 after `tcp_fin_timeout`, with nothing on the wire.
//!   The machine runs no clock: an end stays in TIME_WAIT or FIN_WAIT_2
//!   until a segment says otherwise. A new SYN on the same ports starts a
//!   new conversation in the tracker, and so a new `Connection`.
//! - A listener is not an end: the machine knows an end only once it sends
//!   or is sent something, and cannot tell a listening port from a closed
//!   one until it answers. So a bare SYN leaves its receiver unknown; the
//!   SYN+ACK it answers with puts it in SYN_RECV (a RST, in CLOSED).
//! - A capture joined mid-stream never saw the handshake: an end first seen
//!   sending or receiving an ordinary segment is taken to be ESTABLISHED,
//!   which may be wrong for one already closing.
//! - Two FINs that cross on the wire: when the first is captured, the
//!   second may not have been sent yet, so its receiver is put in
//!   CLOSE_WAIT. If the second FIN then does not acknowledge the first, its
//!   sender had sent it before the first arrived: the machine moves that end
//!   to CLOSING, having shown CLOSE_WAIT for one segment where the kernel
//!   went through FIN_WAIT_1.
//! - Segments are believed as captured: a RST is not checked against the
//!   window (RFC 5961), and a FIN counts when seen, even if data before it
//!   was lost and the receiver will only take it after the retransmission.
//!
//! The states are this module's own [`EndState`], not the protocol crate's
//! `TcpState`: a capture never shows LISTEN, and this crate knows nothing
//! of the protocol without its `protocol` feature, where `to_tcp_state`
//! converts one into the other.

use crate::packet::{TcpFlags, TcpSegment};

/// The state of one end of a TCP connection, as RFC 9293 names it (and
/// `ss` spells it, see [`EndState::name`]). CLOSED means no connection
/// state at all: the end after a RST, or after the last ACK of its FIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndState {
    SynSent,
    SynRecv,
    Established,
    FinWait1,
    FinWait2,
    Closing,
    TimeWait,
    CloseWait,
    LastAck,
    Closed,
}

impl EndState {
    /// Every state, in the order of RFC 9293's diagram.
    pub const ALL: [EndState; 10] = [
        EndState::SynSent,
        EndState::SynRecv,
        EndState::Established,
        EndState::FinWait1,
        EndState::FinWait2,
        EndState::Closing,
        EndState::TimeWait,
        EndState::CloseWait,
        EndState::LastAck,
        EndState::Closed,
    ];

    /// The name as the kernel's tools print it: `FIN_WAIT_1`.
    pub fn name(self) -> &'static str {
        match self {
            EndState::SynSent => "SYN_SENT",
            EndState::SynRecv => "SYN_RECV",
            EndState::Established => "ESTABLISHED",
            EndState::FinWait1 => "FIN_WAIT_1",
            EndState::FinWait2 => "FIN_WAIT_2",
            EndState::Closing => "CLOSING",
            EndState::TimeWait => "TIME_WAIT",
            EndState::CloseWait => "CLOSE_WAIT",
            EndState::LastAck => "LAST_ACK",
            EndState::Closed => "CLOSED",
        }
    }
}

/// One of the two ends of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum End {
    /// The end that opened the conversation: the sender of the segments
    /// the tracker calls forward ([`crate::Tracked::forward`]).
    Initiator,
    /// The other end.
    Responder,
}

impl End {
    /// The end that sent a segment the tracker found `forward` or not.
    pub fn sender(forward: bool) -> End {
        if forward {
            End::Initiator
        } else {
            End::Responder
        }
    }

    /// The end at the other side.
    pub fn peer(self) -> End {
        match self {
            End::Initiator => End::Responder,
            End::Responder => End::Initiator,
        }
    }
}

/// What the machine reads of a TCP segment: its flags and numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Header {
    pub flags: TcpFlags,
    /// The sequence number as on the wire.
    pub seq: u32,
    /// The acknowledgement number as on the wire (meaningful with
    /// `flags.ack`).
    pub ack: u32,
    /// Payload bytes on the wire.
    pub payload_len: u32,
}

impl From<&TcpSegment> for Header {
    fn from(segment: &TcpSegment) -> Header {
        Header {
            flags: segment.flags,
            seq: segment.seq,
            ack: segment.ack,
            payload_len: segment.payload_len,
        }
    }
}

/// The new states one segment gave its two ends; `None` where an end's
/// state did not change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changed {
    pub sender: Option<EndState>,
    pub receiver: Option<EndState>,
}

/// The two ends of one TCP conversation and what the wire showed of each.
///
/// Feed it every segment of the conversation in capture order, with the end
/// that sent it; it never fails and never panics, whatever the segments.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    initiator: Side,
    responder: Side,
}

/// One end: its state and the sequence numbers that tell when its SYN and
/// its FIN are acknowledged.
#[derive(Debug, Clone, Copy, Default)]
struct Side {
    /// `None` until the end sends or receives a segment that says.
    state: Option<EndState>,
    /// The sequence number just past this end's first SYN: an ACK of it or
    /// beyond acknowledges the SYN.
    syn_next: Option<u32>,
    /// The sequence number just past this end's first FIN.
    fin_next: Option<u32>,
}

/// Whether acknowledgement number `ack` covers sequence number `next`,
/// modulo 2^32 as sequence numbers compare (RFC 9293, 3.4).
fn covers(ack: u32, next: u32) -> bool {
    ack.wrapping_sub(next) < 1 << 31
}

impl Connection {
    pub fn new() -> Connection {
        Connection::default()
    }

    /// The state of `end`, or `None` while no segment has told it.
    pub fn state(&self, end: End) -> Option<EndState> {
        self.side(end).state
    }

    /// Takes one segment sent by `from`, as it leaves `from` and reaches
    /// the other end, and returns the states that changed.
    pub fn observe(&mut self, from: End, header: &Header) -> Changed {
        let peer_fin = self.side(from.peer()).fin_next;
        let sender = self.side_mut(from);
        let sender_before = sender.state;
        sender.send(header, peer_fin);
        let sender_after = sender.state;
        let receiver = self.side_mut(from.peer());
        let receiver_before = receiver.state;
        receiver.receive(header);
        let receiver_after = receiver.state;
        Changed {
            sender: sender_after.filter(|_| sender_after != sender_before),
            receiver: receiver_after.filter(|_| receiver_after != receiver_before),
        }
    }

    fn side(&self, end: End) -> &Side {
        match end {
            End::Initiator => &self.initiator,
            End::Responder => &self.responder,
        }
    }

    fn side_mut(&mut self, end: End) -> &mut Side {
        match end {
            End::Initiator => &mut self.initiator,
            End::Responder => &mut self.responder,
        }
    }
}

impl Side {
    /// The segment leaves this end. `peer_fin` is where the peer's FIN ends,
    /// if the peer sent one: a FIN that does not acknowledge it crossed it.
    fn send(&mut self, header: &Header, peer_fin: Option<u32>) {
        let flags = header.flags;
        if flags.syn {
            self.syn_next.get_or_insert(header.seq.wrapping_add(1));
        }
        if flags.fin {
            let fin_seq = header
                .seq
                .wrapping_add(u32::from(flags.syn))
                .wrapping_add(header.payload_len);
            self.fin_next.get_or_insert(fin_seq.wrapping_add(1));
        }
        if flags.rst {
            self.state = Some(EndState::Closed);
            return;
        }
        if flags.syn {
            self.state = match (self.state, flags.ack) {
                // An active open; or a new one on ports whose last
                // connection this end had closed.
                (None | Some(EndState::Closed), false) => Some(EndState::SynSent),
                // Only an end that received a SYN answers with SYN+ACK: a
                // passive open, or the second half of a simultaneous one.
                (None | Some(EndState::Closed | EndState::SynSent), true) => {
                    Some(EndState::SynRecv)
                }
                // A retransmission.
                (state, _) => state,
            };
            return;
        }
        // An end only sends a segment without SYN once synchronised: one
        // first seen here joined mid-stream, and one in SYN_SENT got the
        // SYN+ACK the capture missed.
        if matches!(self.state, None | Some(EndState::SynSent)) {
            self.state = Some(EndState::Established);
        }
        if flags.fin {
            self.state = match self.state {
                Some(EndState::Established | EndState::SynRecv) => Some(EndState::FinWait1),
                // The peer's FIN came first, unless this FIN does not
                // acknowledge it: then it was sent before the peer's FIN
                // arrived, and the two crossed (a simultaneous close).
                Some(EndState::CloseWait) => {
                    let crossed =
                        flags.ack && peer_fin.is_some_and(|fin_next| !covers(header.ack, fin_next));
                    Some(if crossed {
                        EndState::Closing
                    } else {
                        EndState::LastAck
                    })
                }
                // A retransmitted FIN.
                state => state,
            };
        }
    }

    /// The segment reaches this end.
    fn receive(&mut self, header: &Header) {
        let flags = header.flags;
        if flags.rst {
            self.state = Some(EndState::Closed);
            return;
        }
        let acks =
            |next: Option<u32>| flags.ack && next.is_none_or(|next| covers(header.ack, next));
        if flags.syn {
            self.state = match (self.state, flags.ack) {
                // Crossing SYNs: a simultaneous open.
                (Some(EndState::SynSent), false) => Some(EndState::SynRecv),
                // A bare SYN to an end not yet seen: a listener or a closed
                // port, which only its answer will tell.
                (state, false) => state,
                (None | Some(EndState::SynSent | EndState::SynRecv), true)
                    if acks(self.syn_next) =>
                {
                    Some(EndState::Established)
                }
                (state, true) => state,
            };
            // A SYN with FIN is not a close the RFC reads (a SYN_SENT end
            // drops the FIN): nothing more to do.
            return;
        }
        if self.state.is_none() {
            self.state = Some(EndState::Established);
        }
        // The ACK first, as RFC 9293 processes a segment: it may acknowledge
        // this end's SYN or FIN...
        self.state = match self.state {
            Some(EndState::SynRecv) if acks(self.syn_next) => Some(EndState::Established),
            Some(EndState::FinWait1) if acks(self.fin_next) => Some(EndState::FinWait2),
            Some(EndState::Closing) if acks(self.fin_next) => Some(EndState::TimeWait),
            Some(EndState::LastAck) if acks(self.fin_next) => Some(EndState::Closed),
            state => state,
        };
        // ...then the FIN, in the state the ACK left: a FIN+ACK that
        // acknowledges this end's FIN goes through FIN_WAIT_2 to TIME_WAIT.
        if flags.fin {
            self.state = match self.state {
                Some(EndState::Established | EndState::SynRecv) => Some(EndState::CloseWait),
                Some(EndState::FinWait1) => Some(EndState::Closing),
                Some(EndState::FinWait2) => Some(EndState::TimeWait),
                // A retransmitted FIN: the ACK for it was lost.
                state => state,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(name: &str) -> Option<EndState> {
        if name == "-" {
            return None;
        }
        let found = EndState::ALL.into_iter().find(|s| s.name() == name);
        Some(found.unwrap_or_else(|| panic!("no state {name}")))
    }

    /// Runs one conversation, a segment a line, and checks both ends'
    /// states after each: `"I FIN+ACK 101 501 0 => FIN_WAIT_1 CLOSE_WAIT"`
    /// is a segment from the initiator (`I`; `R` the responder) with its
    /// flags, seq, ack and payload length, then the initiator's state and
    /// the responder's (`-` for none yet). What `observe` returns must be
    /// exactly the states that changed.
    fn check(steps: &[&str]) {
        assert!(!steps.is_empty(), "a check with no segments proves nothing");
        let mut connection = Connection::new();
        for step in steps {
            let (segment, expected) = step.split_once("=>").unwrap_or_else(|| panic!("{step}"));
            let fields: Vec<&str> = segment.split_whitespace().collect();
            let [from, flag_names, seq, ack, len] = fields[..] else {
                panic!("{step}: expected `from flags seq ack len`");
            };
            let from = match from {
                "I" => End::Initiator,
                "R" => End::Responder,
                other => panic!("{step}: no end {other}"),
            };
            let mut flags = TcpFlags::default();
            for flag in flag_names.split('+') {
                match flag {
                    "SYN" => flags.syn = true,
                    "ACK" => flags.ack = true,
                    "FIN" => flags.fin = true,
                    "RST" => flags.rst = true,
                    "PSH" => flags.psh = true,
                    other => panic!("{step}: no flag {other}"),
                }
            }
            let header = Header {
                flags,
                seq: seq.parse().unwrap(),
                ack: ack.parse().unwrap(),
                payload_len: len.parse().unwrap(),
            };
            let expected: Vec<Option<EndState>> = expected.split_whitespace().map(state).collect();
            let [initiator, responder] = expected[..] else {
                panic!("{step}: expected two states");
            };
            let before = |end| connection.state(end);
            let (sender_before, receiver_before) = (before(from), before(from.peer()));
            let changed = connection.observe(from, &header);
            let after = [
                connection.state(End::Initiator),
                connection.state(End::Responder),
            ];
            assert_eq!(after, [initiator, responder], "after {step}");
            let (sender_after, receiver_after) =
                (connection.state(from), connection.state(from.peer()));
            let expected_change = Changed {
                sender: sender_after.filter(|_| sender_after != sender_before),
                receiver: receiver_after.filter(|_| receiver_after != receiver_before),
            };
            assert_eq!(changed, expected_change, "changes reported by {step}");
        }
    }

    const HANDSHAKE: [&str; 3] = [
        "I SYN     100   0 0 => SYN_SENT    -",
        "R SYN+ACK 500 101 0 => ESTABLISHED SYN_RECV",
        "I ACK     101 501 0 => ESTABLISHED ESTABLISHED",
    ];

    fn with_handshake(rest: &[&'static str]) -> Vec<&'static str> {
        HANDSHAKE.iter().chain(rest).copied().collect()
    }

    #[test]
    fn a_close_in_four_segments_leaves_the_first_to_close_in_time_wait() {
        check(&with_handshake(&[
            "I ACK+PSH 101 501 5 => ESTABLISHED ESTABLISHED",
            "R ACK     501 106 0 => ESTABLISHED ESTABLISHED",
            "I FIN+ACK 106 501 0 => FIN_WAIT_1  CLOSE_WAIT",
            "R ACK     501 107 0 => FIN_WAIT_2  CLOSE_WAIT",
            "R FIN+ACK 501 107 0 => TIME_WAIT   LAST_ACK",
            "I ACK     107 502 0 => TIME_WAIT   CLOSED",
        ]));
    }

    #[test]
    fn the_ack_riding_on_a_fin_goes_straight_to_time_wait() {
        check(&with_handshake(&[
            "I FIN+ACK 101 501 0 => FIN_WAIT_1 CLOSE_WAIT",
            "R FIN+ACK 501 102 0 => TIME_WAIT  LAST_ACK",
            "I ACK     102 502 0 => TIME_WAIT  CLOSED",
        ]));
    }

    #[test]
    fn a_half_closed_end_still_receives_until_the_peer_closes() {
        check(&with_handshake(&[
            "I FIN+ACK 101 501 0 => FIN_WAIT_1 CLOSE_WAIT",
            "R ACK     501 102 0 => FIN_WAIT_2 CLOSE_WAIT",
            "R ACK+PSH 501 102 3 => FIN_WAIT_2 CLOSE_WAIT",
            "I ACK     102 504 0 => FIN_WAIT_2 CLOSE_WAIT",
            // A retransmitted FIN changes nothing.
            "I FIN+ACK 101 504 0 => FIN_WAIT_2 CLOSE_WAIT",
            "R FIN+ACK 504 102 0 => TIME_WAIT  LAST_ACK",
            // An ACK short of the FIN does not close the end that sent it.
            "I ACK     102 504 0 => TIME_WAIT  LAST_ACK",
            "I ACK     102 505 0 => TIME_WAIT  CLOSED",
        ]));
    }

    #[test]
    fn the_responder_may_close_first_and_then_it_waits() {
        check(&with_handshake(&[
            "R FIN+ACK 501 101 0 => CLOSE_WAIT FIN_WAIT_1",
            "I ACK     101 502 0 => CLOSE_WAIT FIN_WAIT_2",
            "I FIN+ACK 101 502 0 => LAST_ACK   TIME_WAIT",
            "R ACK     502 102 0 => CLOSED     TIME_WAIT",
        ]));
    }

    #[test]
    fn an_ack_of_data_alone_leaves_a_fin_unacknowledged() {
        // The FIN rides on data: it is acknowledged only past both.
        check(&with_handshake(&[
            "I FIN+ACK 101 501 4 => FIN_WAIT_1 CLOSE_WAIT",
            "R ACK     501 105 0 => FIN_WAIT_1 CLOSE_WAIT",
            "R ACK     501 106 0 => FIN_WAIT_2 CLOSE_WAIT",
        ]));
    }

    #[test]
    fn fins_that_cross_leave_both_ends_closing_then_waiting() {
        // Each FIN was sent before the other arrived: neither acknowledges
        // the other. The responder shows CLOSE_WAIT until its own FIN tells
        // that it had not received the first (see the module's limits).
        check(&with_handshake(&[
            "I FIN+ACK 101 501 0 => FIN_WAIT_1 CLOSE_WAIT",
            "R FIN+ACK 501 101 0 => CLOSING    CLOSING",
            "I ACK     102 502 0 => CLOSING    TIME_WAIT",
            "R ACK     502 102 0 => TIME_WAIT  TIME_WAIT",
        ]));
    }

    #[test]
    fn crossing_syns_open_through_syn_recv() {
        check(&[
            "I SYN     100   0 0 => SYN_SENT    -",
            "R SYN     500   0 0 => SYN_RECV    SYN_SENT",
            "R SYN+ACK 500 101 0 => ESTABLISHED SYN_RECV",
            "I SYN+ACK 100 501 0 => ESTABLISHED ESTABLISHED",
        ]);
    }

    #[test]
    fn a_reset_closes_both_ends() {
        check(&with_handshake(&[
            "I RST+ACK 101 501 0 => CLOSED CLOSED",
            // Whatever comes after, a closed end stays closed.
            "R ACK     501 101 0 => CLOSED CLOSED",
        ]));
    }

    #[test]
    fn a_reset_answering_a_syn_is_a_refusal() {
        check(&[
            "I SYN     100   0 0 => SYN_SENT -",
            "R RST+ACK   0 101 0 => CLOSED   CLOSED",
        ]);
    }

    #[test]
    fn a_syn_ack_that_does_not_acknowledge_the_syn_does_not_establish() {
        check(&[
            "I SYN     100   0 0 => SYN_SENT -",
            "R SYN+ACK 500 100 0 => SYN_SENT SYN_RECV",
        ]);
    }

    #[test]
    fn a_capture_joined_mid_stream_takes_both_ends_as_established() {
        check(&[
            "R ACK+PSH 7000 3000 5 => ESTABLISHED ESTABLISHED",
            "I FIN+ACK 3000 7005 0 => FIN_WAIT_1  CLOSE_WAIT",
        ]);
    }

    #[test]
    fn sequence_numbers_wrap_around() {
        check(&[
            "I SYN     4294967294          0 0 => SYN_SENT    -",
            "R SYN+ACK 4294967295 4294967295 0 => ESTABLISHED SYN_RECV",
            "I ACK     4294967295          0 0 => ESTABLISHED ESTABLISHED",
            "I FIN+ACK 4294967295          0 1 => FIN_WAIT_1  CLOSE_WAIT",
            "R ACK              0          0 0 => FIN_WAIT_1  CLOSE_WAIT",
            "R ACK              0          1 0 => FIN_WAIT_2  CLOSE_WAIT",
        ]);
    }
}
