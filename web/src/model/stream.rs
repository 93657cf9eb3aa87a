//! One direction of a TCP connection as a byte stream, seen three ways.
//!
//! TCP numbers every byte a socket sends. The same byte shows up three
//! times: in the send() that wrote it (`Call::Send` gives its `offset` in
//! the sender's outgoing stream), in the segment that carried it (its
//! stream offset is `rel_seq - 1`, because the SYN took sequence number 0),
//! and in the recv() that read it (`CallResult::Data` gives its offset in
//! the receiver's incoming stream). Laying the three on one offset axis is
//! what makes "sticky packets" visible: three sends, three segments, one
//! recv.

use sockscope_shared::{Bytes, Framing};

/// One send() call's bytes in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRange {
    /// The call event's position in the log.
    pub at: usize,
    pub offset: u64,
    /// Bytes the kernel accepted (what `Sent` reported).
    pub data: Bytes,
    /// This send's number within the direction, from 0: its colour.
    pub ordinal: usize,
    /// Which repeat of its command it was, and its framing.
    pub message: u32,
    pub framing: Framing,
}

impl SendRange {
    /// One past its last byte's offset.
    pub fn end(&self) -> u64 {
        self.offset + self.data.len() as u64
    }
}

/// A segment's payload in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRange {
    pub at: usize,
    pub offset: u64,
    /// A segment's length, as its header gives it: four bytes rather than
    /// eight, in each of a long capture's segments.
    pub len: u32,
    /// Whether an earlier segment had already carried these bytes.
    pub retransmission: bool,
    /// The payload bytes the capture kept (the relay caps them; a capture
    /// file may have cut them): the only copy of the bytes when no send()
    /// or recv() is known, as in a plain capture file.
    pub data: Bytes,
}

impl WireRange {
    /// One past its last byte's offset.
    pub fn end(&self) -> u64 {
        self.offset + u64::from(self.len)
    }
}

/// One recv() chunk: exactly what that single call returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecvChunk {
    pub at: usize,
    pub offset: u64,
    pub data: Bytes,
    /// The buffer size the program passed to recv().
    pub bufsize: u32,
}

impl RecvChunk {
    /// One past its last byte's offset.
    pub fn end(&self) -> u64 {
        self.offset + self.data.len() as u64
    }
}

/// Where the reader saw the end of the stream (recv() returned 0 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndOfStream {
    pub at: usize,
    pub offset: u64,
}

/// A run of bytes within a range that all came from the same send().
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub offset: u64,
    pub len: u64,
    /// The ordinal of the send that wrote these bytes, when known.
    pub send: Option<usize>,
}

/// How a stretch of a block is coloured: by the send that wrote it, as
/// bytes of no known send, or as several sends too narrow to draw apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shade {
    Send(usize),
    Unknown,
    Several,
}

/// A stretch of a block drawn in one shade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stretch {
    pub len: u64,
    pub shade: Shade,
}

/// The stretches to draw `pieces` as, when a byte is `cell` pixels wide:
/// each piece at least `min_px` wide is its own stretch, and runs of
/// narrower ones are drawn together as [`Shade::Several`], each run up to
/// `most_px` wide. Bytes of no known send are never drawn with known
/// sends' bytes: a narrow gap in what was captured stays its own stretch. A piece a quarter of a pixel wide cannot be seen apart
/// from its neighbours, and a long session's merged blocks held one
/// element for each of thousands of sends, so the byte streams grew with
/// the session (docs/BENCHMARKS.md, "Event latency").
pub fn stretches(pieces: &[Piece], cell: f64, min_px: f64, most_px: f64) -> Vec<Stretch> {
    let shade = |p: &Piece| p.send.map_or(Shade::Unknown, Shade::Send);
    let mut out: Vec<Stretch> = Vec::new();
    // The run of narrow pieces being gathered.
    let mut run: Option<Stretch> = None;
    for piece in pieces {
        if piece.len as f64 * cell >= min_px {
            out.extend(run.take());
            out.push(Stretch {
                len: piece.len,
                shade: shade(piece),
            });
            continue;
        }
        let unknown = |shade: Shade| shade == Shade::Unknown;
        match &mut run {
            Some(stretch)
                if (stretch.len + piece.len) as f64 * cell <= most_px
                    && unknown(stretch.shade) == unknown(shade(piece)) =>
            {
                stretch.len += piece.len;
                if stretch.shade != shade(piece) {
                    stretch.shade = Shade::Several;
                }
            }
            _ => {
                out.extend(run.take());
                run = Some(Stretch {
                    len: piece.len,
                    shade: shade(piece),
                });
            }
        }
    }
    out.extend(run);
    out
}

/// One direction of a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ByteStream {
    pub sends: Vec<SendRange>,
    pub wire: Vec<WireRange>,
    pub recvs: Vec<RecvChunk>,
    /// Whether each list's items came in time order (see [`TimeOrder`]).
    pub sends_order: TimeOrder,
    pub wire_order: TimeOrder,
    pub recvs_order: TimeOrder,
    pub end: Option<EndOfStream>,
    /// Whether this direction's SYN was seen, so `rel_seq - 1` is an offset.
    pub syn_seen: bool,
    /// The byte ranges segments have carried so far, merged and sorted, so
    /// spotting a retransmission costs a binary search, not a scan of every
    /// earlier segment (a capture file can hold 100,000 of them).
    carried: Vec<(u64, u64)>,
    /// One past the last byte any of the three lists knows of, kept as
    /// they grow: [`ByteStream::len`] is asked at every render.
    known_end: u64,
}

/// Whether the items of a list were added in time order, as they almost
/// always are: then how many of them have happened by a given moment is a
/// binary search rather than a count, which matters at every step through
/// a capture whose streams hold tens of thousands of segments. A packet
/// stamped before one already added (they do arrive late) breaks the
/// order for good, and counting takes over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeOrder {
    last: Option<u64>,
    broken: bool,
}

impl TimeOrder {
    fn note(&mut self, t_us: u64) {
        if self.last.is_some_and(|last| t_us < last) {
            self.broken = true;
        }
        self.last = Some(t_us);
    }

    pub fn holds(&self) -> bool {
        !self.broken
    }
}

impl ByteStream {
    pub fn add_send(
        &mut self,
        at: usize,
        t_us: u64,
        offset: u64,
        data: Bytes,
        message: u32,
        framing: Framing,
    ) {
        let ordinal = self.sends.len();
        self.sends_order.note(t_us);
        self.known_end = self.known_end.max(offset + data.len() as u64);
        self.sends.push(SendRange {
            at,
            offset,
            data,
            ordinal,
            message,
            framing,
        });
    }

    /// Records a segment's payload, given its relative sequence number.
    /// Without the SYN the offset is unknown and the segment is left out.
    pub fn add_segment(&mut self, at: usize, t_us: u64, rel_seq: u32, len: u32, payload: &Bytes) {
        if !self.syn_seen || len == 0 {
            return;
        }
        self.wire_order.note(t_us);
        let offset = u64::from(rel_seq.saturating_sub(1));
        let end = offset + u64::from(len);
        let retransmission = self.carry(offset, end);
        self.known_end = self.known_end.max(end);
        self.wire.push(WireRange {
            at,
            offset,
            len,
            retransmission,
            data: payload.clone(),
        });
    }

    /// Adds `start..end` to the carried ranges; true when part of it was
    /// carried before.
    fn carry(&mut self, start: u64, end: u64) -> bool {
        // The ranges that overlap or touch `start..end` form one run.
        let first = self.carried.partition_point(|&(_, e)| e < start);
        let last = self.carried.partition_point(|&(s, _)| s <= end);
        let overlapped = self.carried[first..last]
            .iter()
            .any(|&(s, e)| s < end && start < e);
        let merged = self.carried[first..last]
            .iter()
            .fold((start, end), |(s, e), &(s2, e2)| (s.min(s2), e.max(e2)));
        self.carried.splice(first..last, [merged]);
        overlapped
    }

    pub fn add_recv(&mut self, at: usize, t_us: u64, offset: u64, data: Bytes, bufsize: u32) {
        self.recvs_order.note(t_us);
        self.known_end = self.known_end.max(offset + data.len() as u64);
        self.recvs.push(RecvChunk {
            at,
            offset,
            data,
            bufsize,
        });
    }

    /// The send that wrote the byte at `offset`.
    pub fn send_at(&self, offset: u64) -> Option<&SendRange> {
        // Sends come in stream order, so their offsets only grow.
        let after = self.sends.partition_point(|s| s.offset <= offset);
        let send = self.sends.get(after.checked_sub(1)?)?;
        (offset < send.end()).then_some(send)
    }

    /// `offset..offset+len` cut where the send that wrote the bytes changes.
    pub fn pieces(&self, offset: u64, len: u64) -> Vec<Piece> {
        let end = offset + len;
        let mut pieces: Vec<Piece> = Vec::new();
        let mut at = offset;
        while at < end {
            let (send, run_end) = match self.send_at(at) {
                Some(send) => (Some(send.ordinal), send.end().min(end)),
                None => {
                    // Up to the next known send, or the end.
                    let next = self
                        .sends
                        .get(self.sends.partition_point(|s| s.offset <= at))
                        .map_or(end, |s| s.offset);
                    (None, next.min(end))
                }
            };
            pieces.push(Piece {
                offset: at,
                len: run_end - at,
                send,
            });
            at = run_end;
        }
        pieces
    }

    /// The ordinals of the sends whose bytes a range holds, in order.
    pub fn sends_in(&self, offset: u64, len: u64) -> Vec<usize> {
        self.pieces(offset, len)
            .into_iter()
            .filter_map(|p| p.send)
            .collect()
    }

    /// The byte at `offset`, from the send that wrote it or the recv that
    /// read it (capture may have cut segment payloads, calls never are,
    /// though the page may not have kept them), else a segment.
    pub fn byte(&self, offset: u64) -> Option<u8> {
        // A payload let go (`model::kept`) has no bytes: look further.
        let sent = self.send_at(offset).and_then(|send| {
            usize::try_from(offset - send.offset)
                .ok()
                .and_then(|i| send.data.get(i).copied())
        });
        if sent.is_some() {
            return sent;
        }
        let recv = self
            .recvs
            .iter()
            .find(|r| r.offset <= offset && offset < r.end())
            .and_then(|r| {
                usize::try_from(offset - r.offset)
                    .ok()
                    .and_then(|i| r.data.get(i).copied())
            });
        recv.or_else(|| {
            self.wire
                .iter()
                .filter(|w| w.offset <= offset && offset < w.end())
                .find_map(|w| {
                    usize::try_from(offset - w.offset)
                        .ok()
                        .and_then(|i| w.data.get(i).copied())
                })
        })
    }

    /// Where the page stopped keeping this stream's bytes: the offset of
    /// the first send() or recv() whose payload was let go
    /// (`model::kept`), if one was.
    pub fn kept_until(&self) -> Option<u64> {
        let sends = self
            .sends
            .iter()
            .filter(|s| !s.data.is_whole())
            .map(|s| s.offset);
        let recvs = self
            .recvs
            .iter()
            .filter(|r| !r.data.is_whole())
            .map(|r| r.offset);
        sends.chain(recvs).min()
    }

    /// Whether the program's side is unknown: segments crossed the wire
    /// but no send() or recv() was seen, as in a plain capture file.
    pub fn calls_unknown(&self) -> bool {
        self.sends.is_empty()
            && self.recvs.is_empty()
            && self.end.is_none()
            && !self.wire.is_empty()
    }

    /// One past the last byte any of the three views knows of.
    pub fn len(&self) -> u64 {
        self.known_end
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One past the last byte the latest send() wrote: sends come in
    /// stream order, so no send reaches further. Constant time, for a
    /// view that asks at every render.
    pub fn sends_end(&self) -> u64 {
        self.sends.last().map_or(0, SendRange::end)
    }

    /// One past the last byte a send() that `seen` accepts wrote.
    pub fn sent_end_when(&self, seen: impl Fn(usize) -> bool) -> u64 {
        self.sends
            .iter()
            .filter(|s| seen(s.at))
            .map(SendRange::end)
            .max()
            .unwrap_or(0)
    }

    /// One past the last byte a segment that `seen` accepts carried.
    pub fn carried_end_when(&self, seen: impl Fn(usize) -> bool) -> u64 {
        self.wire
            .iter()
            .filter(|w| seen(w.at))
            .map(WireRange::end)
            .max()
            .unwrap_or(0)
    }

    /// One past the last byte a recv() that `seen` accepts returned.
    pub fn read_end_when(&self, seen: impl Fn(usize) -> bool) -> u64 {
        self.recvs
            .iter()
            .filter(|r| seen(r.at))
            .map(RecvChunk::end)
            .max()
            .unwrap_or(0)
    }

    /// Bytes sent but not yet read by position `at`: what sits in the
    /// receiver's buffer (or still in flight).
    pub fn unread_at(&self, at: usize) -> u64 {
        self.unread_when(|a| a <= at)
    }

    /// Bytes sent but not yet read, counting the calls `seen` accepts.
    pub fn unread_when(&self, seen: impl Fn(usize) -> bool) -> u64 {
        let sent: u64 = self
            .sends
            .iter()
            .filter(|s| seen(s.at))
            .map(|s| s.data.len() as u64)
            .sum();
        let read: u64 = self
            .recvs
            .iter()
            .filter(|r| seen(r.at))
            .map(|r| r.data.len() as u64)
            .sum();
        sent.saturating_sub(read)
    }
}

#[cfg(test)]
mod stretch_tests {
    use super::*;

    fn piece(len: u64, send: Option<usize>) -> Piece {
        Piece {
            offset: 0,
            len,
            send,
        }
    }

    #[test]
    fn pieces_wide_enough_are_drawn_each_in_its_send_colour() {
        let pieces = [piece(10, Some(0)), piece(5, None), piece(20, Some(1))];
        let drawn = stretches(&pieces, 1.0, 2.0, 8.0);
        let shades: Vec<Shade> = drawn.iter().map(|s| s.shade).collect();
        assert_eq!(shades, [Shade::Send(0), Shade::Unknown, Shade::Send(1)]);
        assert_eq!(drawn.iter().map(|s| s.len).sum::<u64>(), 35);
    }

    #[test]
    fn narrow_pieces_are_drawn_together_in_runs_of_at_most_a_width() {
        // A thousand 14-byte sends at 1/64 px a byte: each about a fifth
        // of a pixel wide.
        let pieces: Vec<Piece> = (0..1000).map(|n| piece(14, Some(n))).collect();
        let drawn = stretches(&pieces, 1.0 / 64.0, 2.0, 8.0);
        assert_eq!(drawn.iter().map(|s| s.len).sum::<u64>(), 14_000);
        assert!(drawn.iter().all(|s| s.shade == Shade::Several), "{drawn:?}");
        assert!(
            drawn.iter().all(|s| s.len as f64 / 64.0 <= 8.0),
            "{drawn:?}"
        );
        // 14,000 bytes are 219 px: about 28 runs of 8 px, not 1,000.
        assert!((27..=30).contains(&drawn.len()), "{}", drawn.len());
    }

    #[test]
    fn a_run_of_one_sends_narrow_pieces_keeps_its_colour_and_a_wide_piece_ends_a_run() {
        let pieces = [
            piece(1, Some(3)),
            piece(1, Some(3)),
            piece(50, Some(4)),
            piece(1, None),
        ];
        let drawn = stretches(&pieces, 1.0, 2.0, 8.0);
        assert_eq!(
            drawn,
            [
                Stretch {
                    len: 2,
                    shade: Shade::Send(3)
                },
                Stretch {
                    len: 50,
                    shade: Shade::Send(4)
                },
                Stretch {
                    len: 1,
                    shade: Shade::Unknown
                },
            ]
        );
    }

    #[test]
    fn narrow_bytes_of_no_known_send_are_not_drawn_as_sends() {
        let pieces = [
            piece(1, Some(1)),
            piece(1, Some(2)),
            piece(1, None),
            piece(1, None),
            piece(1, Some(3)),
        ];
        let shades: Vec<(u64, Shade)> = stretches(&pieces, 1.0, 2.0, 8.0)
            .iter()
            .map(|s| (s.len, s.shade))
            .collect();
        assert_eq!(
            shades,
            [
                (2, Shade::Several),
                (2, Shade::Unknown),
                (1, Shade::Send(3))
            ]
        );
    }

    #[test]
    fn no_pieces_draw_nothing() {
        assert!(stretches(&[], 1.0, 2.0, 8.0).is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The length kept as the lists grow is the furthest byte any of
        /// them holds, as going through them all finds it.
        #[test]
        fn the_length_kept_is_the_furthest_byte_known(
            adds in proptest::collection::vec((0u8..3, 0u64..500, 0usize..40), 0..60),
        ) {
            let mut stream = ByteStream {
                syn_seen: true,
                ..ByteStream::default()
            };
            for (i, &(kind, offset, len)) in adds.iter().enumerate() {
                let data = Bytes::from(vec![b'x'; len]);
                match kind {
                    0 => stream.add_send(i, i as u64, offset, data, 0, Framing::None),
                    1 => stream.add_segment(i, i as u64, offset as u32 + 1, len as u32, &data),
                    _ => stream.add_recv(i, i as u64, offset, data, 1024),
                }
            }
            let sends = stream.sends.iter().map(SendRange::end);
            let wire = stream.wire.iter().map(WireRange::end);
            let recvs = stream.recvs.iter().map(RecvChunk::end);
            let furthest = sends.chain(wire).chain(recvs).max().unwrap_or(0);
            proptest::prop_assert_eq!(stream.len(), furthest);
        }
    }

    fn three_sends() -> ByteStream {
        let mut stream = ByteStream {
            syn_seen: true,
            ..ByteStream::default()
        };
        for (i, word) in ["hello", "world", "sticky"].iter().enumerate() {
            let offset = stream.len();
            stream.add_send(
                i,
                i as u64,
                offset,
                word.as_bytes().to_vec().into(),
                0,
                Framing::None,
            );
        }
        stream
    }

    #[test]
    fn a_recv_spanning_three_sends_is_cut_into_three_pieces() {
        let mut stream = three_sends();
        stream.add_recv(9, 9, 0, b"helloworldsticky".to_vec().into(), 1024);
        let pieces = stream.pieces(0, 16);
        let sends: Vec<_> = pieces.iter().map(|p| (p.offset, p.len, p.send)).collect();
        assert_eq!(
            sends,
            vec![(0, 5, Some(0)), (5, 5, Some(1)), (10, 6, Some(2))]
        );
        assert_eq!(stream.byte(10), Some(b's'));
    }

    #[test]
    fn bytes_without_a_known_send_are_one_unknown_piece() {
        let mut stream = ByteStream::default();
        stream.add_recv(1, 1, 0, b"abc".to_vec().into(), 3);
        assert_eq!(
            stream.pieces(0, 3),
            vec![Piece {
                offset: 0,
                len: 3,
                send: None
            }]
        );
        assert_eq!(stream.byte(1), Some(b'b'));
    }

    #[test]
    fn segments_need_the_syn_and_spot_retransmissions() {
        let mut stream = ByteStream::default();
        stream.add_segment(1, 1, 1, 5, &Bytes::default());
        assert!(stream.wire.is_empty(), "no SYN seen: offset unknown");
        stream.syn_seen = true;
        stream.add_segment(2, 2, 1, 5, &Bytes::default());
        stream.add_segment(3, 3, 1, 5, &Bytes::default());
        assert_eq!(stream.wire[0].offset, 0);
        assert!(!stream.wire[0].retransmission);
        assert!(stream.wire[1].retransmission);
    }

    #[test]
    fn out_of_order_segments_are_not_retransmissions_until_they_overlap() {
        let mut stream = ByteStream {
            syn_seen: true,
            ..ByteStream::default()
        };
        stream.add_segment(1, 1, 11, 5, &Bytes::default()); // bytes 10..15 first
        stream.add_segment(2, 2, 1, 5, &Bytes::default()); // then 0..5, the hole before it
        stream.add_segment(3, 3, 6, 5, &Bytes::default()); // 5..10 fills the gap exactly
        stream.add_segment(4, 4, 4, 9, &Bytes::default()); // 3..12 again
        let flags: Vec<bool> = stream.wire.iter().map(|w| w.retransmission).collect();
        assert_eq!(flags, [false, false, false, true]);
    }

    #[test]
    fn a_plain_capture_shows_the_bytes_its_segments_carried() {
        let mut stream = ByteStream {
            syn_seen: true,
            ..ByteStream::default()
        };
        assert!(!stream.calls_unknown(), "nothing at all yet");
        stream.add_segment(1, 1, 1, 5, &b"hello".to_vec().into());
        assert!(stream.calls_unknown());
        assert_eq!(stream.byte(4), Some(b'o'));
        assert_eq!(stream.byte(5), None);
        stream.add_recv(2, 2, 0, b"he".to_vec().into(), 2);
        assert!(!stream.calls_unknown());
    }

    #[test]
    fn unread_bytes_are_sent_minus_read() {
        let mut stream = three_sends();
        assert_eq!(stream.unread_at(2), 16);
        stream.add_recv(5, 5, 0, b"hellowor".to_vec().into(), 8);
        assert_eq!(stream.unread_at(4), 16);
        assert_eq!(stream.unread_at(5), 8);
    }
}
