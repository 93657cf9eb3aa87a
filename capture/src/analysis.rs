//! Wireshark's TCP analysis: what each segment means in its connection's
//! history (a retransmission, a duplicate ACK, a zero window...), as one
//! capture point can tell it.
//!
//! An [`Analyzer`] is fed every packet of one capture, in capture order, and
//! answers with the `tcp.analysis.*` flags Wireshark would show for it. It
//! follows `tcp_analyze_sequence_number` in Wireshark's
//! `epan/dissectors/packet-tcp.c` test by test, with Wireshark's default
//! preferences (sequence analysis and relative numbers on, no checksum
//! check, no window scale assumed, fast retransmission taking precedence
//! over out-of-order), and is checked against tshark on every reference
//! capture (`capture/tests/analysis_tshark.rs`). The tests run in
//! Wireshark's order, and some end the list early:
//!
//! 1. zero window probe (ends the list), zero window, lost segment,
//!    keep-alive, window update, window full, keep-alive ACK (ends),
//!    zero window probe ACK (ends), duplicate ACK;
//! 2. ACKed unseen segment;
//! 3. for data, SYN or FIN: spurious retransmission, then fast
//!    retransmission, out-of-order, and retransmission.
//!
//! Like Wireshark, it works on the raw numbers and the raw 16-bit window
//! (a window full test shifts the receiver's window by its scale), keeps one
//! state per conversation (address and port pairs, a new SYN with a new
//! initial sequence number starting a new one) and, within it, one per
//! direction. A fast or spurious retransmission is also reported as a
//! [`TcpAnalysis::Retransmission`], as tshark's `tcp.analysis.retransmission`
//! field is present on them: a filter on retransmissions finds all three.
//!
//! Timestamps are microseconds here, nanoseconds in Wireshark: the two
//! timing tests (a fast retransmission within 20 ms of the duplicate ACKs,
//! out-of-order within the handshake's round trip, or 3 ms without one) can
//! only disagree on a packet a microsecond from the limit.
//!
//! Memory is bounded: a direction keeps its numbers and the list of its
//! segments not yet acknowledged, which Wireshark caps at 10,000 (its
//! length changes whether a FIN counts as a byte), and an analyzer keeps at
//! most [`REMEMBERED`] conversations, forgetting the quarter heard from
//! least recently when full, as the [`crate::Tracker`] does. It needs no
//! clock and no I/O, so the page runs it on imported files.

use std::collections::HashMap;
use std::net::SocketAddr;

use sockscope_shared::{TcpAnalyses, TcpAnalysis};

use crate::packet::{Packet, TcpSegment};

/// Conversations an analyzer keeps at most.
pub const REMEMBERED: usize = 1 << 16;

/// Wireshark's `TCP_MAX_UNACKED_SEGMENTS`: segments a direction remembers
/// while waiting for their acknowledgement.
const MAX_UNACKED: usize = 10_000;

/// A fast retransmission comes within this long of the last duplicate ACK.
const FAST_RETRANSMISSION_NS: u64 = 20_000_000;

/// The out-of-order threshold before the handshake gave a round-trip time.
const DEFAULT_OOO_NS: u64 = 3_000_000;

/// Wireshark's window scale: not known yet, known to be off, or a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    Unknown,
    Off,
    Shift(u8),
}

/// One direction of a conversation (Wireshark's `tcp_flow_t` and its
/// `tcp_analyze_seq_flow_info_t`). Zero means "not seen yet" for `nextseq`,
/// `maxseqtobeacked` and `lastack`, as in Wireshark, where a real zero is
/// taken for unseen too.
#[derive(Debug, Clone)]
struct Flow {
    base_seq: Option<u32>,
    scale: Scale,
    /// The raw window of the last segment; `u32::MAX` before any.
    window: u32,
    is_first_ack: bool,
    /// The highest sequence number sent plus one.
    nextseq: u32,
    nextseq_ns: u64,
    /// The highest sequence number sent with no gap before it.
    maxseqtobeacked: u32,
    lastack: u32,
    lastack_ns: u64,
    /// Duplicate ACKs in a row; -1 once an ACK for unseen data was counted.
    dupacknum: i32,
    /// What the last segment was, for the keep-alive and probe ACKs.
    last_keep_alive: bool,
    last_zero_window_probe: bool,
    /// Segments sent and not yet acknowledged: (seq, nextseq).
    unacked: Vec<(u32, u32)>,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            base_seq: None,
            scale: Scale::Unknown,
            window: u32::MAX,
            is_first_ack: false,
            nextseq: 0,
            nextseq_ns: 0,
            maxseqtobeacked: 0,
            lastack: 0,
            lastack_ns: 0,
            dupacknum: 0,
            last_keep_alive: false,
            last_zero_window_probe: false,
            unacked: Vec::new(),
        }
    }
}

/// One conversation (Wireshark's `tcp_analysis`): its two directions,
/// indexed by [`direction`], and the handshake's timing.
#[derive(Debug, Clone, Default)]
struct Conversation {
    flows: [Flow; 2],
    /// When the last SYN was sent, in ns; 0 before any.
    syn_ns: u64,
    /// The handshake's round trip (SYN to the first pure ACK); 0 unknown.
    first_rtt_ns: u64,
    /// The analyzer's packet count when this conversation was last heard.
    heard: u64,
}

/// Wireshark's TCP sequence analysis for one capture point.
///
/// ```
/// # use sockscope_capture::{Analyzer, Packet};
/// # fn example(packets: Vec<Packet>) {
/// let mut analyzer = Analyzer::new();
/// for packet in &packets {
///     let flags = analyzer.observe(packet); // e.g. [DuplicateAck]
///     let _ = flags;
/// }
/// # }
/// ```
///
/// One analyzer per capture: a packet seen at two capture points (both
/// ends of the lab's path) is analyzed by each point's own analyzer, since
/// "lost" and "out of order" depend on where one looks.
#[derive(Debug, Default)]
pub struct Analyzer {
    conversations: HashMap<(SocketAddr, SocketAddr), Conversation>,
    /// Packets observed so far.
    heard: u64,
}

impl Analyzer {
    /// An analyzer that has seen nothing yet.
    pub fn new() -> Analyzer {
        Analyzer::default()
    }

    /// The flags Wireshark would set on `packet`, the next packet of this
    /// capture; empty for UDP and ICMP packets and for unremarkable
    /// segments.
    pub fn observe(&mut self, packet: &Packet) -> TcpAnalyses {
        let Some(segment) = packet.tcp() else {
            return TcpAnalyses::NONE;
        };
        self.heard += 1;
        if self.conversations.len() >= REMEMBERED {
            self.forget_quiet();
        }
        let key = key(packet.src, packet.dst);
        let forward = direction(packet.src, packet.dst);
        let now_ns = packet.ts_us.saturating_mul(1000);
        let flags = segment.flags;
        let conversation = self.conversations.entry(key).or_default();
        // A SYN with a new initial sequence number on a conversation that
        // already has one: the ports were reused, a new conversation begins.
        // The same SYN again restores the next sequence number (a RST may
        // have moved it), to be called a retransmission below.
        if flags.syn && !flags.ack {
            let fwd = &mut conversation.flows[forward];
            match fwd.base_seq {
                Some(base) if base != segment.seq => *conversation = Conversation::default(),
                Some(_) => fwd.nextseq = fwd.maxseqtobeacked,
                None => {}
            }
        }
        if flags.syn && flags.ack {
            let fwd = &mut conversation.flows[forward];
            if fwd.base_seq.is_some_and(|base| base != segment.seq) {
                fwd.base_seq = Some(segment.seq);
            }
        }
        conversation.heard = self.heard;
        let found = conversation.analyze(forward, segment, now_ns);
        conversation.after_analysis(forward, segment, now_ns);
        found
    }

    /// Conversations remembered now.
    pub fn remembered(&self) -> usize {
        self.conversations.len()
    }

    /// Forgets the quarter of the conversations heard from least recently.
    fn forget_quiet(&mut self) {
        let mut heard: Vec<u64> = self.conversations.values().map(|c| c.heard).collect();
        let quarter = heard.len() / 4;
        let (_, &mut cutoff, _) = heard.select_nth_unstable(quarter);
        self.conversations.retain(|_, c| c.heard > cutoff);
    }
}

/// The conversation's key, the same whichever way a packet goes.
fn key(src: SocketAddr, dst: SocketAddr) -> (SocketAddr, SocketAddr) {
    if src <= dst { (src, dst) } else { (dst, src) }
}

/// Which of the conversation's two flows a packet belongs to.
fn direction(src: SocketAddr, dst: SocketAddr) -> usize {
    usize::from(src > dst)
}

/// Wireshark's `GT_SEQ(a, b)`: `a` after `b`, modulo 2^32.
fn gt_seq(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) < 0
}

/// Wireshark's `LT_SEQ(a, b)`.
fn lt_seq(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// Wireshark's `LE_SEQ(a, b)`.
fn le_seq(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}

impl Conversation {
    /// `tcp_analyze_sequence_number`: the flags of one segment, updating
    /// both directions' state as Wireshark does.
    fn analyze(&mut self, forward: usize, segment: &TcpSegment, now_ns: u64) -> TcpAnalyses {
        let [first, second] = &mut self.flows;
        let (fwd, rev) = if forward == 0 {
            (first, second)
        } else {
            (second, first)
        };
        let seq = segment.seq;
        let ack = segment.ack;
        let seglen = segment.payload_len;
        let window = u32::from(segment.window);
        let f = segment.flags;
        let syn_fin_rst = f.syn || f.fin || f.rst;
        let mut ta = TcpAnalyses::NONE;

        if fwd.base_seq.is_none() {
            fwd.base_seq = Some(if f.syn { seq } else { seq.wrapping_sub(1) });
        }
        if rev.base_seq.is_none() && f.ack {
            rev.base_seq = Some(ack.wrapping_sub(1));
        }

        // The tests on this direction's own numbers; some end them early.
        'own: {
            if seglen == 1 && seq == fwd.nextseq && rev.window == 0 {
                ta.insert(TcpAnalysis::ZeroWindowProbe);
                break 'own;
            }
            if window == 0 && !syn_fin_rst {
                ta.insert(TcpAnalysis::ZeroWindow);
            }
            if fwd.nextseq != 0 && gt_seq(seq, fwd.nextseq) && !f.rst {
                ta.insert(TcpAnalysis::LostSegment);
            }
            if seglen <= 1 && seq == fwd.nextseq.wrapping_sub(1) && !syn_fin_rst {
                ta.insert(TcpAnalysis::KeepAlive);
            }
            let same_numbers =
                seglen == 0 && seq == fwd.nextseq && ack == fwd.lastack && !syn_fin_rst;
            if same_numbers && window != 0 && window != fwd.window {
                ta.insert(TcpAnalysis::WindowUpdate);
            }
            if seglen > 0 && rev.scale != Scale::Unknown && !syn_fin_rst {
                let shift = match rev.scale {
                    Scale::Shift(shift) if !rev.is_first_ack => shift,
                    _ => 0,
                };
                let edge = rev.lastack.wrapping_add(rev.window << shift);
                if seq.wrapping_add(seglen) == edge {
                    ta.insert(TcpAnalysis::WindowFull);
                }
            }
            if same_numbers && window != 0 && window == fwd.window && rev.last_keep_alive {
                ta.insert(TcpAnalysis::KeepAliveAck);
                break 'own;
            }
            if same_numbers && window == 0 && window == fwd.window && rev.last_zero_window_probe {
                ta.insert(TcpAnalysis::ZeroWindowProbeAck);
                break 'own;
            }
            if same_numbers && window != 0 && window == fwd.window {
                fwd.dupacknum = if fwd.dupacknum == -1 {
                    1
                } else {
                    fwd.dupacknum + 1
                };
                ta.insert(TcpAnalysis::DuplicateAck);
            }
        }
        if ack != fwd.lastack {
            fwd.dupacknum = 0;
        }

        // An ACK beyond what the other direction was seen to send.
        if rev.maxseqtobeacked != 0 && gt_seq(ack, rev.maxseqtobeacked) && f.ack {
            // A plain comparison in Wireshark, not a sequence-space one.
            if rev.maxseqtobeacked > rev.nextseq {
                rev.maxseqtobeacked = rev.nextseq;
                ta.insert(TcpAnalysis::AckLostSegment);
            } else {
                if rev.dupacknum == 0 {
                    ta.insert(TcpAnalysis::AckLostSegment);
                }
                rev.dupacknum = -1;
            }
        }

        // Data, a SYN or a FIN that does not advance the sequence number.
        'resent: {
            if !(seglen > 0 || f.syn || f.fin) || ta.contains(TcpAnalysis::KeepAlive) {
                break 'resent;
            }
            let mut not_advanced = fwd.nextseq != 0 && lt_seq(seq, fwd.nextseq);
            // More than one byte from one below nextseq: new data after
            // what may have been a zero window probe.
            if seglen > 1 && fwd.nextseq.wrapping_sub(1) == seq {
                not_advanced = false;
            }
            if seglen > 0 && rev.lastack != 0 && le_seq(seq.wrapping_add(seglen), rev.lastack) {
                ta.insert(TcpAnalysis::SpuriousRetransmission);
                ta.insert(TcpAnalysis::Retransmission);
                break 'resent;
            }
            let since_ack = now_ns.wrapping_sub(rev.lastack_ns);
            if not_advanced
                && rev.dupacknum >= 2
                && rev.lastack == seq
                && since_ack < FAST_RETRANSMISSION_NS
            {
                ta.insert(TcpAnalysis::FastRetransmission);
                ta.insert(TcpAnalysis::Retransmission);
                break 'resent;
            }
            let since_highest = now_ns.wrapping_sub(fwd.nextseq_ns);
            let threshold = if self.first_rtt_ns == 0 {
                DEFAULT_OOO_NS
            } else {
                self.first_rtt_ns
            };
            let end = seq
                .wrapping_add(seglen)
                .wrapping_add(u32::from(f.syn || f.fin));
            if not_advanced && since_highest < threshold && fwd.nextseq != end {
                ta.insert(TcpAnalysis::OutOfOrder);
                break 'resent;
            }
            if not_advanced {
                ta.insert(TcpAnalysis::Retransmission);
            }
        }

        let probe = ta.contains(TcpAnalysis::ZeroWindowProbe);
        let mut nextseq = seq.wrapping_add(seglen);
        // A SYN or FIN counts as a byte only when the segment is listed.
        if (seglen > 0 || f.syn || f.fin) && fwd.unacked.len() < MAX_UNACKED {
            if f.syn || f.fin {
                nextseq = nextseq.wrapping_add(1);
            }
            fwd.unacked.push((seq, nextseq));
        }
        if (gt_seq(nextseq, fwd.nextseq) || fwd.nextseq == 0) && !probe {
            fwd.nextseq = nextseq;
            fwd.nextseq_ns = now_ns;
        }
        if (seq == fwd.maxseqtobeacked || fwd.maxseqtobeacked == 0) && !probe {
            fwd.maxseqtobeacked = fwd.nextseq;
        }
        fwd.window = window;
        fwd.lastack = ack;
        fwd.lastack_ns = now_ns;
        fwd.last_keep_alive = ta.contains(TcpAnalysis::KeepAlive);
        fwd.last_zero_window_probe = probe;
        // The other direction's segments this acknowledges are done with
        // (the ACK flag is not looked at, as in Wireshark); one it covers
        // in part keeps its unacknowledged end.
        rev.unacked.retain_mut(|(start, end)| {
            if ack == *end {
                return false;
            }
            if gt_seq(ack, *start) && le_seq(ack, *end) {
                *start = ack;
                return true;
            }
            gt_seq(*end, ack)
        });
        ta
    }

    /// What `dissect_tcp` learns after the analysis: the handshake's round
    /// trip, whether a direction's first ACK is still to come, and window
    /// scaling from the options.
    fn after_analysis(&mut self, forward: usize, segment: &TcpSegment, now_ns: u64) {
        let f = segment.flags;
        if f.syn {
            if !f.ack {
                self.syn_ns = now_ns;
            }
            self.flows[forward].is_first_ack = true;
        }
        let pure_ack = f.ack && !f.syn;
        if pure_ack && self.syn_ns != 0 && self.first_rtt_ns == 0 {
            self.first_rtt_ns = now_ns.wrapping_sub(self.syn_ns);
        }
        if pure_ack {
            self.flows[forward].is_first_ack = false;
        }
        if let Some(shift) = segment.options.window_scale {
            self.flows[forward].scale = Scale::Shift(shift.min(14));
        }
        if f.syn {
            let reverse = 1 - forward;
            if self.flows[forward].scale == Scale::Unknown {
                self.flows[forward].scale = Scale::Off;
                self.flows[reverse].scale = Scale::Off;
            } else if f.ack && self.flows[reverse].scale == Scale::Off {
                self.flows[forward].scale = Scale::Off;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{PacketKind, TcpFlags, TcpOptions};

    const CLIENT: &str = "127.0.0.1:40000";
    const SERVER: &str = "127.0.0.1:9527";

    fn tcp(src: &str, dst: &str, flags: &str, seq: u32, ack: u32, len: u32, ts_us: u64) -> Packet {
        let mut f = TcpFlags::default();
        for name in flags.split('+') {
            match name {
                "SYN" => f.syn = true,
                "ACK" => f.ack = true,
                "FIN" => f.fin = true,
                "RST" => f.rst = true,
                "PSH" => f.psh = true,
                other => panic!("unknown flag {other}"),
            }
        }
        Packet {
            ts_us,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            kind: PacketKind::Tcp(TcpSegment {
                seq,
                ack,
                flags: f,
                window: 512,
                options: TcpOptions::default(),
                payload_len: len,
                payload: Vec::new(),
            }),
            ip_id: None,
        }
    }

    fn handshake(analyzer: &mut Analyzer) {
        for packet in [
            tcp(CLIENT, SERVER, "SYN", 1000, 0, 0, 1_000),
            tcp(SERVER, CLIENT, "SYN+ACK", 5000, 1001, 0, 1_100),
            tcp(CLIENT, SERVER, "ACK", 1001, 5001, 0, 1_200),
        ] {
            assert!(analyzer.observe(&packet).is_empty());
        }
    }

    #[test]
    fn the_same_data_sent_again_later_is_a_retransmission() {
        let mut analyzer = Analyzer::new();
        handshake(&mut analyzer);
        let data = tcp(CLIENT, SERVER, "PSH+ACK", 1001, 5001, 100, 2_000);
        assert!(analyzer.observe(&data).is_empty());
        let again = Packet {
            ts_us: 300_000,
            ..data
        };
        assert_eq!(analyzer.observe(&again), [TcpAnalysis::Retransmission]);
    }

    #[test]
    fn a_gap_then_duplicate_acks_then_the_missing_segment() {
        let mut analyzer = Analyzer::new();
        handshake(&mut analyzer);
        // Bytes 1..=100 are never seen; 101..=200 arrive.
        let later = tcp(CLIENT, SERVER, "ACK", 1101, 5001, 100, 2_000);
        assert_eq!(analyzer.observe(&later), [TcpAnalysis::LostSegment]);
        // The SYN+ACK already acknowledged byte 1 with the same window: the
        // server's first ACK repeats it.
        for n in 0..3 {
            let dup = tcp(SERVER, CLIENT, "ACK", 5001, 1001, 0, 2_200 + n);
            assert_eq!(analyzer.observe(&dup), [TcpAnalysis::DuplicateAck]);
        }
        let resent = tcp(CLIENT, SERVER, "ACK", 1001, 5001, 100, 2_500);
        assert_eq!(
            analyzer.observe(&resent),
            [TcpAnalysis::FastRetransmission, TcpAnalysis::Retransmission]
        );
    }

    #[test]
    fn a_zero_window_its_probe_and_the_probe_ack() {
        let mut analyzer = Analyzer::new();
        handshake(&mut analyzer);
        analyzer.observe(&tcp(CLIENT, SERVER, "ACK", 1001, 5001, 100, 2_000));
        let mut full = tcp(SERVER, CLIENT, "ACK", 5001, 1101, 0, 2_100);
        if let PacketKind::Tcp(segment) = &mut full.kind {
            segment.window = 0;
        }
        assert_eq!(analyzer.observe(&full), [TcpAnalysis::ZeroWindow]);
        let probe = tcp(CLIENT, SERVER, "ACK", 1101, 5001, 1, 300_000);
        assert_eq!(analyzer.observe(&probe), [TcpAnalysis::ZeroWindowProbe]);
        let answer = Packet {
            ts_us: 300_100,
            ..full
        };
        assert_eq!(
            analyzer.observe(&answer),
            [TcpAnalysis::ZeroWindow, TcpAnalysis::ZeroWindowProbeAck]
        );
    }

    #[test]
    fn udp_has_no_analysis_and_quiet_conversations_are_forgotten() {
        let mut analyzer = Analyzer::new();
        let udp = Packet {
            ts_us: 1,
            src: CLIENT.parse().unwrap(),
            dst: SERVER.parse().unwrap(),
            kind: PacketKind::Udp {
                payload_len: 0,
                payload: Vec::new(),
            },
            ip_id: None,
        };
        assert!(analyzer.observe(&udp).is_empty());
        for n in 0..REMEMBERED + 10 {
            let client = format!(
                "127.1.{}.{}:{}",
                n >> 16,
                (n >> 8) & 0xff,
                1024 + (n & 0xff)
            );
            analyzer.observe(&tcp(&client, SERVER, "SYN", 1, 0, 0, 1));
            assert!(analyzer.remembered() <= REMEMBERED);
        }
    }
}
