//! Naming the phases of a TCP connection: handshake, data, close.
//!
//! The textbook draws a close as four segments (FIN, ACK, FIN, ACK). Real
//! captures often show three, because the side that answers the first FIN
//! has nothing left to send and its ACK rides on its own FIN. A half-close
//! (shutdown write) shows data flowing the other way between the two FINs.
//! This module says which of these happened, from the segments themselves,
//! instead of forcing the picture from the book.

use sockscope_shared::{Event, EventKind, Segment, TcpFlags};

use super::conversation::Conversation;

/// What a segment is doing in its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Handshake,
    Data,
    Close,
    Reset,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Handshake => "handshake",
            Phase::Data => "data",
            Phase::Close => "close",
            Phase::Reset => "reset",
        }
    }
}

/// The fields of a TCP segment that phases depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSeg {
    pub at: usize,
    /// 0 from the side that opened the connection.
    pub dir: usize,
    pub flags: TcpFlags,
    pub rel_seq: u32,
    pub rel_ack: u32,
    pub len: u32,
}

/// How the connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseShape {
    /// FIN, FIN+ACK, ACK: the ACK of the first FIN rode on the second.
    ThreeSegments,
    /// FIN, ACK, FIN, ACK, as the textbook draws it.
    FourSegments,
    /// One side shut down writing, the other still sent `bytes` before its
    /// own FIN.
    HalfClose { bytes: u64 },
    /// A RST ended it: no FIN exchange, no TIME_WAIT.
    Reset,
    /// Only one side has sent its FIN so far.
    InProgress,
}

/// A run of segments, by log position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first_at: usize,
    pub last_at: usize,
    pub segments: usize,
}

/// What a phase band tells the learner about its run of segments: the
/// facts alone, with their numbers. The model never words them; each
/// language does, in one exhaustive `match`
/// ([`crate::i18n::words::phase_note`]), so a new fact without its
/// translation does not compile, and rewording a sentence cannot leave
/// another language behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhaseNote {
    /// SYN, SYN+ACK and ACK were all seen.
    ThreeWayHandshake,
    /// The handshake has `segments` of its three segments so far.
    HandshakeInProgress { segments: usize },
    /// The SYN was answered by RST: nothing listens on that port.
    Refused,
    /// A close in `segments` segments where the answering side had nothing
    /// left to send, so its ACK rode on its own FIN (FIN, FIN+ACK, ACK).
    AckRodeOnFin { segments: usize },
    /// A close in `segments` segments as the textbook draws it: FIN, ACK,
    /// then the other side's FIN, ACK.
    FourSegmentClose { segments: usize },
    /// After the first FIN the other side still sent `bytes`, then its own
    /// FIN.
    HalfClose { bytes: u64 },
    /// A RST ended the connection at once: no FIN exchange, no TIME_WAIT.
    Reset,
    /// One side has sent its FIN; the other has not yet.
    Closing,
}

/// The phases of one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phases {
    /// Each segment's phase, by log position.
    pub labels: Vec<(usize, Phase)>,
    pub handshake: Option<Span>,
    /// `true` once SYN, SYN+ACK and ACK were all seen.
    pub handshake_complete: bool,
    /// A SYN answered by RST: nothing listened there.
    pub refused: bool,
    pub close: Option<(Span, CloseShape)>,
    /// Which side sent the first FIN (0: the opener).
    pub first_fin_dir: Option<usize>,
}

impl Phases {
    pub fn phase_of(&self, at: usize) -> Option<Phase> {
        self.labels.iter().find(|(a, _)| *a == at).map(|(_, p)| *p)
    }

    /// What the close band says, as a fact for [`crate::i18n::words::phase_note`]
    /// to word.
    pub fn close_note(&self) -> Option<PhaseNote> {
        let (span, shape) = self.close?;
        Some(match shape {
            CloseShape::ThreeSegments => PhaseNote::AckRodeOnFin {
                segments: span.segments,
            },
            CloseShape::FourSegments => PhaseNote::FourSegmentClose {
                segments: span.segments,
            },
            CloseShape::HalfClose { bytes } => PhaseNote::HalfClose { bytes },
            CloseShape::Reset => PhaseNote::Reset,
            CloseShape::InProgress => PhaseNote::Closing,
        })
    }

    /// What the handshake band says: refused, complete, or how far it got.
    pub fn handshake_note(&self) -> Option<PhaseNote> {
        if self.refused {
            return Some(PhaseNote::Refused);
        }
        let span = self.handshake?;
        Some(if self.handshake_complete {
            PhaseNote::ThreeWayHandshake
        } else {
            PhaseNote::HandshakeInProgress {
                segments: span.segments,
            }
        })
    }
}

/// The TCP segments of a conversation, from the log.
pub fn tcp_segments(conv: &Conversation, events: &[Event]) -> Vec<TcpSeg> {
    conv.segments
        .iter()
        .filter_map(|&at| {
            let EventKind::Segment(seg) = &events.get(at)?.kind else {
                return None;
            };
            let Segment::Tcp {
                flags,
                rel_seq,
                rel_ack,
                payload_len,
                ..
            } = &seg.segment
            else {
                return None;
            };
            Some(TcpSeg {
                at,
                dir: conv.direction_from(&seg.src),
                flags: *flags,
                rel_seq: *rel_seq,
                rel_ack: *rel_ack,
                len: *payload_len,
            })
        })
        .collect()
}

fn extend(span: &mut Option<Span>, at: usize) {
    match span {
        Some(s) => {
            s.last_at = at;
            s.segments += 1;
        }
        None => {
            *span = Some(Span {
                first_at: at,
                last_at: at,
                segments: 1,
            })
        }
    }
}

/// Labels each segment and summarises the handshake and the close.
pub fn analyse(segs: &[TcpSeg]) -> Phases {
    let mut phases = Phases::default();
    let mut handshake: Option<Span> = None;
    let mut close: Option<Span> = None;
    let mut syn_dir: Option<usize> = None;
    let mut syn_ack_seen = false;
    // The sequence number just past each side's FIN, once sent.
    let mut fin_end: [Option<u32>; 2] = [None, None];
    let mut fin_acked = [false, false];
    let mut reset = false;
    let mut bytes_after_fin = 0u64;
    let mut ack_rode_on_fin = false;
    for seg in segs {
        let f = seg.flags;
        let other = 1 - seg.dir;
        let phase = if f.rst {
            if handshake.is_some() && !phases.handshake_complete {
                phases.refused = true;
            }
            reset = true;
            extend(&mut close, seg.at);
            Phase::Reset
        } else if f.syn {
            if !f.ack {
                syn_dir = Some(seg.dir);
            } else {
                syn_ack_seen = true;
            }
            extend(&mut handshake, seg.at);
            Phase::Handshake
        } else if syn_ack_seen
            && !phases.handshake_complete
            && Some(seg.dir) == syn_dir
            && f.ack
            && seg.len == 0
            && !f.fin
        {
            phases.handshake_complete = true;
            extend(&mut handshake, seg.at);
            Phase::Handshake
        } else if f.fin {
            let first = fin_end.iter().all(Option::is_none);
            if first {
                phases.first_fin_dir = Some(seg.dir);
            }
            if let Some(end) = fin_end[other]
                && f.ack
                && seg.rel_ack > end
                && !fin_acked[other]
            {
                fin_acked[other] = true;
                ack_rode_on_fin = true;
            }
            fin_end[seg.dir] = Some(seg.rel_seq + seg.len);
            if seg.len > 0 && !first {
                bytes_after_fin += u64::from(seg.len);
            }
            extend(&mut close, seg.at);
            Phase::Close
        } else if seg.len > 0 {
            if fin_end[other].is_some() {
                bytes_after_fin += u64::from(seg.len);
            }
            Phase::Data
        } else if let Some(end) = fin_end[other]
            && f.ack
            && seg.rel_ack > end
            && !fin_acked[other]
        {
            fin_acked[other] = true;
            extend(&mut close, seg.at);
            Phase::Close
        } else if fin_end.iter().all(Option::is_some) {
            extend(&mut close, seg.at);
            Phase::Close
        } else {
            Phase::Data
        };
        phases.labels.push((seg.at, phase));
    }
    phases.handshake = handshake;
    let shape = if reset {
        CloseShape::Reset
    } else if fin_end.iter().any(Option::is_none) {
        CloseShape::InProgress
    } else if bytes_after_fin > 0 {
        CloseShape::HalfClose {
            bytes: bytes_after_fin,
        }
    } else if ack_rode_on_fin {
        CloseShape::ThreeSegments
    } else {
        CloseShape::FourSegments
    };
    phases.close = close.map(|span| (span, shape));
    phases
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(at: usize, dir: usize, flags: &str, rel_seq: u32, rel_ack: u32, len: u32) -> TcpSeg {
        let has = |name: &str| flags.split('+').any(|f| f == name);
        TcpSeg {
            at,
            dir,
            flags: TcpFlags {
                syn: has("S"),
                ack: has("A"),
                fin: has("F"),
                rst: has("R"),
                psh: has("P"),
                ..TcpFlags::default()
            },
            rel_seq,
            rel_ack,
            len,
        }
    }

    #[test]
    fn close_where_the_ack_rides_on_the_fin_takes_three_segments() {
        // Experiment 03's shape.
        let segs = [
            seg(0, 0, "S", 0, 0, 0),
            seg(1, 1, "S+A", 0, 1, 0),
            seg(2, 0, "A", 1, 1, 0),
            seg(3, 0, "P+A", 1, 1, 5),
            seg(4, 1, "A", 1, 6, 0),
            seg(5, 0, "F+A", 6, 1, 0),
            seg(6, 1, "F+A", 1, 7, 0),
            seg(7, 0, "A", 7, 2, 0),
        ];
        let phases = analyse(&segs);
        assert!(phases.handshake_complete);
        assert_eq!(phases.handshake.map(|s| s.segments), Some(3));
        assert_eq!(phases.phase_of(3), Some(Phase::Data));
        assert_eq!(phases.phase_of(4), Some(Phase::Data));
        let (span, shape) = phases.close.unwrap();
        assert_eq!((span.segments, shape), (3, CloseShape::ThreeSegments));
        assert_eq!(
            phases.close_note(),
            Some(PhaseNote::AckRodeOnFin { segments: 3 })
        );
    }

    #[test]
    fn separate_ack_makes_four() {
        let segs = [
            seg(0, 0, "F+A", 1, 1, 0),
            seg(1, 1, "A", 1, 2, 0),
            seg(2, 1, "F+A", 1, 2, 0),
            seg(3, 0, "A", 2, 2, 0),
        ];
        let (span, shape) = analyse(&segs).close.unwrap();
        assert_eq!((span.segments, shape), (4, CloseShape::FourSegments));
    }

    #[test]
    fn refused_connect_is_syn_then_rst() {
        let segs = [seg(0, 0, "S", 0, 0, 0), seg(1, 1, "R+A", 1, 1, 0)];
        let phases = analyse(&segs);
        assert!(phases.refused);
        assert_eq!(phases.close.map(|c| c.1), Some(CloseShape::Reset));
        assert_eq!(phases.handshake_note(), Some(PhaseNote::Refused));
    }
}
