//! The time-sequence graph of one direction of a TCP connection, as
//! tcptrace and Wireshark's "Stevens" graph draw it: time across, the
//! relative sequence number up. Each data segment is a vertical bar from
//! its first byte to one past its last; the receiver's cumulative ACK is a
//! rising step line under the bars and its advertised window a line above
//! them (the sender may not go past it); SACK blocks sit between the two.
//! A segment sent again is marked, and one a lab path dropped never
//! reaches the ACK line. "Sent again" is Wireshark's retransmission of any
//! kind, or, where the capture watched the sender (a lab's sending side, a
//! relay socket's own host), bytes that capture saw go out before, as
//! tcptrace marks them: Wireshark calls a fast retransmission "out of
//! order" when the receiver's duplicate ACKs also opened its window (they
//! are then window updates to it, not duplicates), yet the sender's
//! capture knows it sent those bytes once already. Under it, the sender's
//! kernel counters (`tcp_info`): congestion window and bytes in flight,
//! with the smoothed RTT, on the same time axis.
//!
//! A 100,000-segment capture has more segments than the graph has pixels
//! across: [`SeqGraph::columns`] folds the segments that fall in one pixel
//! column into one bar from the lowest to the highest byte they carry,
//! which is all a column can show, so drawing costs the width, not the
//! capture.

use sockscope_shared::{EventKind, Segment, SocketId, TcpAnalysis, Transport};

use super::{Model, addr};

/// What happened to a data segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DataKind {
    Sent = 0,
    /// Wireshark's analysis calls it a retransmission (of any kind).
    Retransmitted,
    /// A lab path dropped it: it never arrived.
    Dropped,
}

/// One data segment: sent at `t_us`, bytes `seq..seq + len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataMark {
    pub at: usize,
    pub t_us: u64,
    pub seq: u64,
    pub len: u64,
    pub kind: DataKind,
    /// The sender's own capture saw some of these bytes go out before
    /// (`stream::WireRange::retransmission`).
    pub resent: bool,
}

/// One segment of the other direction: what it acknowledged, and the
/// right edge of the window it advertised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckMark {
    pub at: usize,
    pub t_us: u64,
    pub ack: u64,
    pub window_edge: u64,
}

/// A SACK block an ACK carried: bytes `left..right` arrived above a hole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SackMark {
    pub t_us: u64,
    pub left: u64,
    pub right: u64,
}

/// The sender's kernel counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterMark {
    pub t_us: u64,
    /// The congestion window in bytes (segments × MSS).
    pub cwnd_bytes: u64,
    pub in_flight_bytes: u64,
    pub rtt_us: u32,
}

/// One direction of one connection, ready to draw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeqGraph {
    pub conversation: usize,
    /// 0: the bytes `ends[0]` (the end that opened) sent.
    pub direction: usize,
    /// The time of the connection's first and last packet.
    pub first_us: u64,
    pub last_us: u64,
    /// In time order, as captured.
    pub data: Vec<DataMark>,
    pub acks: Vec<AckMark>,
    pub sacks: Vec<SackMark>,
    pub counters: Vec<CounterMark>,
    /// How far into the model the graph has read, for [`SeqGraph::extend`].
    read: Read,
}

/// What a graph has read of its model so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Read {
    /// The connection's packets, and its sender's counters (its socket's,
    /// or the session's watched ones).
    segments: usize,
    counters: usize,
    /// Whose counters those are: the sender's socket, or none (watched).
    counters_of: Option<SocketId>,
    /// The sender's initial sequence number, once seen.
    data_isn: Option<u32>,
    /// SACK blocks seen before it: (time, left, right) as on the wire.
    sacks_unplaced: Vec<(u64, u32, u32)>,
    /// What the lab learnt of packets after they were sent
    /// (`Crossings::news_after_sent`).
    news: usize,
}

/// The data segments of one pixel column, folded into one bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub x: usize,
    pub low: u64,
    pub high: u64,
    /// The worst that happened to a segment in it.
    pub kind: DataKind,
    /// The first segment in it, which a click on it selects.
    pub first_at: usize,
    pub segments: usize,
}

/// A time window of the graph, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from_us: u64,
    pub to_us: u64,
}

impl Window {
    /// The pixel column of `t_us` among `width`, if it is inside.
    pub fn column(self, t_us: u64, width: usize) -> Option<usize> {
        if t_us < self.from_us || t_us > self.to_us || width == 0 {
            return None;
        }
        let span = (self.to_us - self.from_us).max(1);
        let x = (t_us - self.from_us) as u128 * width as u128 / span as u128;
        Some((x as usize).min(width - 1))
    }

    /// Zoomed by `factor` (below 1 zooms in) around `anchor`, a fraction
    /// of the width, kept within `whole` and at least a microsecond a
    /// hundred pixels.
    pub fn zoomed(self, factor: f64, anchor: f64, whole: Window) -> Window {
        let span = (self.to_us - self.from_us) as f64;
        // `max` then `min` rather than `clamp`, whose check that its bounds
        // are in order brings a panic's code into the page (about 1 KB).
        let whole_span = (whole.to_us - whole.from_us).max(100) as f64;
        let new_span = (span * factor).max(100.0).min(whole_span);
        let at = self.from_us as f64 + span * anchor.clamp(0.0, 1.0);
        let from = (at - new_span * anchor.clamp(0.0, 1.0)).max(whole.from_us as f64);
        Window {
            from_us: from as u64,
            to_us: (from + new_span) as u64,
        }
        .within(whole)
    }

    /// Moved by `fraction` of its width (negative: earlier), within `whole`.
    pub fn panned(self, fraction: f64, whole: Window) -> Window {
        let span = self.to_us - self.from_us;
        let shift = (span as f64 * fraction.abs()) as u64;
        let (from, to) = if fraction < 0.0 {
            let shift = shift.min(self.from_us.saturating_sub(whole.from_us));
            (self.from_us - shift, self.to_us - shift)
        } else {
            let shift = shift.min(whole.to_us.saturating_sub(self.to_us));
            (self.from_us + shift, self.to_us + shift)
        };
        Window {
            from_us: from,
            to_us: to,
        }
    }

    fn within(self, whole: Window) -> Window {
        let span = (self.to_us - self.from_us).min(whole.to_us - whole.from_us);
        let to = self.to_us.min(whole.to_us);
        let from = to.saturating_sub(span).max(whole.from_us);
        Window {
            from_us: from,
            to_us: from + span,
        }
    }
}

impl SeqGraph {
    /// The graph of TCP conversation `conversation`, of the direction that
    /// carried more bytes (or `direction`, when given); `None` for UDP or
    /// an unknown conversation.
    pub fn of(model: &Model, conversation: usize, direction: Option<usize>) -> Option<SeqGraph> {
        let conv = model.conversations.get(conversation)?;
        if conv.transport != Transport::Tcp {
            return None;
        }
        let direction =
            direction.unwrap_or_else(|| SeqGraph::busier_direction(model, conversation));
        let mut graph = SeqGraph {
            conversation,
            direction,
            ..SeqGraph::default()
        };
        graph.extend(model);
        Some(graph)
    }

    /// The direction of `conversation` that carried more bytes so far (0
    /// on a tie, or for a conversation not known).
    pub fn busier_direction(model: &Model, conversation: usize) -> usize {
        model.conversations.get(conversation).map_or(0, |conv| {
            let sent = |d: usize| conv.streams[d].carried_end_when(|_| true);
            usize::from(sent(1) > sent(0))
        })
    }

    /// Adds what `model`, the model this graph was made from grown since,
    /// holds beyond what the graph has read: the connection's new packets
    /// and its sender's new counters. A live session's graph then costs
    /// each event the same, however long the session.
    pub fn extend(&mut self, model: &Model) {
        let Some(conv) = model.conversations.get(self.conversation) else {
            return;
        };
        let direction = self.direction;
        for &at in conv.segments.get(self.read.segments..).unwrap_or_default() {
            let Some(event) = model.events.get(at) else {
                continue;
            };
            let EventKind::Segment(seg) = &event.kind else {
                continue;
            };
            let Segment::Tcp {
                flags,
                seq,
                rel_seq,
                rel_ack,
                window_scaled,
                options,
                payload_len,
                ..
            } = &seg.segment
            else {
                continue;
            };
            let t_us = event.t_us;
            if self.data.is_empty() && self.acks.is_empty() {
                self.first_us = t_us;
            }
            self.last_us = self.last_us.max(t_us);
            if conv.direction_from(&seg.src) == direction {
                self.read.data_isn.get_or_insert(seq.wrapping_sub(*rel_seq));
                if *payload_len > 0 {
                    // A capture that watched the sender (a lab's sending
                    // side, a relay socket's host) saw every byte go out:
                    // the stream knows which bytes it carried before.
                    let at_sender = seg.tap.is_some() || seg.from_socket.is_some();
                    let wire = &conv.streams[direction].wire;
                    let resent = at_sender
                        && wire
                            .binary_search_by_key(&at, |w| w.at)
                            .is_ok_and(|i| wire[i].retransmission);
                    self.data.push(DataMark {
                        at,
                        t_us,
                        seq: u64::from(*rel_seq),
                        len: u64::from(*payload_len),
                        kind: data_kind(model, at, resent),
                        resent,
                    });
                }
            } else if flags.ack {
                let ack = u64::from(*rel_ack);
                self.acks.push(AckMark {
                    at,
                    t_us,
                    ack,
                    window_edge: ack + u64::from(*window_scaled),
                });
                for block in &options.sack {
                    self.read
                        .sacks_unplaced
                        .push((t_us, block.left, block.right));
                }
            }
        }
        self.read.segments = conv.segments.len();
        // In a lab a packet's fate comes after it was sent, maybe after the
        // graph drew it: its arrived copy (whose analysis, a resend's,
        // joins the sent copy's) a path delay later, a drop a little
        // later. Those packets are looked at again; marks are in the order
        // of their events, so each is found by its position.
        let news = &model.path.crossings.news_after_sent;
        for &sent in news.get(self.read.news..).unwrap_or_default() {
            if let Ok(i) = self.data.binary_search_by_key(&sent, |m| m.at) {
                self.data[i].kind = data_kind(model, sent, self.data[i].resent);
            }
        }
        self.read.news = news.len();
        // SACK blocks count in the sender's sequence numbers, placed once
        // its first segment says where they start.
        if let Some(isn) = self.read.data_isn {
            let placed = self
                .read
                .sacks_unplaced
                .drain(..)
                .map(|(t_us, left, right)| SackMark {
                    t_us,
                    left: u64::from(left.wrapping_sub(isn)),
                    right: u64::from(right.wrapping_sub(isn)),
                });
            self.sacks.extend(placed);
        }
        // The sender's counters: its socket's, or for another program's
        // connection (a watched port) those named by its address.
        let mark = |at: usize, info: &sockscope_shared::TcpInfo| {
            Some(CounterMark {
                t_us: model.events.get(at)?.t_us,
                cwnd_bytes: u64::from(info.snd_cwnd) * u64::from(info.snd_mss),
                in_flight_bytes: info.in_flight_bytes(),
                rtt_us: info.rtt_us,
            })
        };
        let (sender, receiver) = (&conv.ends[direction], &conv.ends[1 - direction]);
        // The sender's socket may become known after its first packets.
        if sender.socket != self.read.counters_of {
            self.read.counters_of = sender.socket;
            self.read.counters = 0;
            self.counters.clear();
        }
        match sender.socket.and_then(|id| model.sockets.get(id)) {
            Some(socket) => {
                let new = socket
                    .counters
                    .get(self.read.counters..)
                    .unwrap_or_default();
                self.counters
                    .extend(new.iter().filter_map(|(at, info)| mark(*at, info)));
                self.read.counters = socket.counters.len();
            }
            None => {
                let new = model
                    .watched_counters
                    .get(self.read.counters..)
                    .unwrap_or_default();
                let ours = new.iter().filter(|c| {
                    addr::same_endpoint(&c.local, &sender.addr)
                        && c.peer
                            .as_deref()
                            .is_none_or(|p| addr::same_endpoint(p, &receiver.addr))
                });
                self.counters
                    .extend(ours.filter_map(|c| mark(c.at, &c.info)));
                self.read.counters = model.watched_counters.len();
            }
        }
    }

    /// The whole connection's time.
    pub fn whole(&self) -> Window {
        Window {
            from_us: self.first_us,
            to_us: self.last_us.max(self.first_us + 1),
        }
    }

    /// The data segments inside `window`, folded into at most `width`
    /// columns: one pass over those segments, found by bisection.
    pub fn columns(&self, window: Window, width: usize) -> Vec<Column> {
        let first = self.data.partition_point(|d| d.t_us < window.from_us);
        let last = self.data.partition_point(|d| d.t_us <= window.to_us);
        let mut columns: Vec<Column> = Vec::new();
        for mark in &self.data[first..last] {
            let Some(x) = window.column(mark.t_us, width) else {
                continue;
            };
            let high = mark.seq + mark.len;
            match columns.last_mut() {
                Some(column) if column.x == x => {
                    column.low = column.low.min(mark.seq);
                    column.high = column.high.max(high);
                    column.kind = column.kind.max(mark.kind);
                    column.segments += 1;
                }
                _ => columns.push(Column {
                    x,
                    low: mark.seq,
                    high,
                    kind: mark.kind,
                    first_at: mark.at,
                    segments: 1,
                }),
            }
        }
        columns
    }

    /// The sequence numbers `window` shows: from the lowest byte sent or
    /// acknowledged in it to the highest byte sent, with room above for
    /// the window's edge when it is near (an edge a whole window away
    /// would squash the data to a line at the bottom; it is drawn at the
    /// top edge instead).
    pub fn seq_range(&self, window: Window) -> (u64, u64) {
        let in_window = |t: u64| t >= window.from_us && t <= window.to_us;
        let data = self.data.iter().filter(|d| in_window(d.t_us));
        let acks = self.acks.iter().filter(|a| in_window(a.t_us));
        let low = data
            .clone()
            .map(|d| d.seq)
            .chain(acks.clone().map(|a| a.ack))
            .min()
            .unwrap_or(0);
        let high = data
            .map(|d| d.seq + d.len)
            .chain(acks.clone().map(|a| a.ack))
            .max()
            .unwrap_or(1)
            .max(low + 1);
        let edge = acks.map(|a| a.window_edge).max().unwrap_or(high);
        let room = (high - low) / 4;
        let high = if edge <= high + (high - low) {
            edge.max(high + room)
        } else {
            high + room
        };
        (low, high.max(low + 1))
    }

    /// A step line through `marks`' values inside `window`, one point pair
    /// a column at most: the value in force at each column's end.
    pub fn steps<T>(
        marks: &[T],
        time: impl Fn(&T) -> u64,
        value: impl Fn(&T) -> u64,
        window: Window,
        width: usize,
    ) -> Vec<(usize, u64)> {
        let first = marks.partition_point(|m| time(m) < window.from_us);
        let last = marks.partition_point(|m| time(m) <= window.to_us);
        let mut points: Vec<(usize, u64)> = Vec::new();
        // The value in force as the window opens.
        if let Some(before) = first.checked_sub(1).and_then(|i| marks.get(i)) {
            points.push((0, value(before)));
        }
        for mark in &marks[first..last] {
            let Some(x) = window.column(time(mark), width) else {
                continue;
            };
            match points.last_mut() {
                Some(point) if point.0 == x => point.1 = value(mark),
                _ => points.push((x, value(mark))),
            }
        }
        points
    }

    /// The data segment nearest to time `t_us`, for a click.
    pub fn nearest(&self, t_us: u64) -> Option<&DataMark> {
        let i = self.data.partition_point(|d| d.t_us < t_us);
        let after = self.data.get(i);
        let before = i.checked_sub(1).and_then(|i| self.data.get(i));
        match (before, after) {
            (Some(b), Some(a)) => Some(if t_us.abs_diff(b.t_us) <= a.t_us.abs_diff(t_us) {
                b
            } else {
                a
            }),
            (b, a) => b.or(a),
        }
    }
}

/// What happened to the data segment at `at`; `resent` when its sender's
/// own capture saw its bytes go out before.
fn data_kind(model: &Model, at: usize, resent: bool) -> DataKind {
    if model
        .crossing_mark(at)
        .is_some_and(|mark| mark.dropped.is_some())
    {
        return DataKind::Dropped;
    }
    let again = model.analysis_of(at).iter().any(|a| {
        matches!(
            a,
            TcpAnalysis::Retransmission
                | TcpAnalysis::FastRetransmission
                | TcpAnalysis::SpuriousRetransmission
        )
    });
    if again || resent {
        DataKind::Retransmitted
    } else {
        DataKind::Sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(from_us: u64, to_us: u64) -> Window {
        Window { from_us, to_us }
    }

    #[test]
    fn segments_in_one_pixel_column_fold_into_one_bar() {
        let mark = |t_us, seq, kind| DataMark {
            at: t_us as usize,
            t_us,
            seq,
            len: 100,
            kind,
            resent: false,
        };
        let graph = SeqGraph {
            data: vec![
                mark(0, 0, DataKind::Sent),
                mark(5, 100, DataKind::Retransmitted),
                mark(10, 200, DataKind::Sent),
                mark(95, 300, DataKind::Sent),
                mark(200, 400, DataKind::Sent),
            ],
            ..SeqGraph::default()
        };
        // 100 µs across 10 columns: 10 µs a column; the last is outside.
        let columns = graph.columns(window(0, 100), 10);
        assert_eq!(columns.len(), 3);
        assert_eq!(
            (
                columns[0].x,
                columns[0].low,
                columns[0].high,
                columns[0].segments
            ),
            (0, 0, 200, 2)
        );
        assert_eq!(columns[0].kind, DataKind::Retransmitted);
        assert_eq!((columns[1].x, columns[1].first_at), (1, 10));
        assert_eq!((columns[2].x, columns[2].low), (9, 300));
        assert_eq!(graph.nearest(140).map(|d| d.t_us), Some(95));
        assert_eq!(graph.nearest(160).map(|d| d.t_us), Some(200));
    }

    /// A lab session over the "internet" path, drops and resends included.
    fn lab_internet_events() -> Vec<sockscope_shared::Event> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/live/lab-internet.events.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn a_graph_grown_event_by_event_is_the_graph_of_the_whole() {
        let events = lab_internet_events();
        let mut model = Model::default();
        let mut grown: Option<SeqGraph> = None;
        for event in events {
            model.apply(event);
            match &mut grown {
                Some(graph) => graph.extend(&model),
                None => grown = SeqGraph::of(&model, 0, Some(0)),
            }
            assert_eq!(grown, SeqGraph::of(&model, 0, Some(0)));
        }
        let grown = grown.unwrap();
        assert!(
            grown.data.iter().any(|d| d.kind == DataKind::Dropped),
            "{grown:?}"
        );
    }

    #[test]
    fn a_drop_reported_after_its_packet_was_drawn_marks_it_as_the_whole_graph_does() {
        let events = lab_internet_events();
        // Every drop reported after everything else, the graph grown at
        // each event: each dropped packet was drawn as sent first.
        let (drops, mut events): (Vec<_>, Vec<_>) = events
            .into_iter()
            .partition(|e| matches!(e.kind, EventKind::PathDrop(_)));
        assert!(!drops.is_empty(), "the recording has drops");
        events.extend(drops);
        let mut model = Model::default();
        let mut grown: Option<SeqGraph> = None;
        let mut drawn_as_sent = false;
        for event in events {
            let drop = matches!(event.kind, EventKind::PathDrop(_));
            model.apply(event);
            match &mut grown {
                Some(graph) => {
                    drawn_as_sent |= drop && graph.data.iter().all(|d| d.kind != DataKind::Dropped);
                    graph.extend(&model);
                }
                None => grown = SeqGraph::of(&model, 0, Some(0)),
            }
        }
        assert!(
            drawn_as_sent,
            "the drops came after their packets were drawn"
        );
        let grown = grown.unwrap();
        let whole = SeqGraph::of(&model, 0, Some(0)).unwrap();
        assert!(grown.data.iter().any(|d| d.kind == DataKind::Dropped));
        assert_eq!(grown, whole);
    }

    /// The lab recording's resend as Wireshark may call it when the
    /// duplicate ACKs before it also opened the window: out of order.
    fn resends_called_out_of_order() -> Vec<sockscope_shared::Event> {
        let mut events = lab_internet_events();
        let mut changed = 0;
        for event in &mut events {
            if let EventKind::Segment(seg) = &mut event.kind
                && seg.analysis.contains(TcpAnalysis::Retransmission)
            {
                seg.analysis = [TcpAnalysis::OutOfOrder].into();
                changed += 1;
            }
        }
        assert!(changed > 0, "the recording has a resend");
        events
    }

    fn graph_of(events: Vec<sockscope_shared::Event>) -> SeqGraph {
        let mut model = Model::default();
        for event in events {
            model.apply(event);
        }
        SeqGraph::of(&model, 0, Some(0)).unwrap()
    }

    #[test]
    fn bytes_the_senders_capture_saw_go_out_before_are_drawn_as_sent_again() {
        let graph = graph_of(resends_called_out_of_order());
        let seqs = |kind: DataKind| -> Vec<u64> {
            graph
                .data
                .iter()
                .filter(|d| d.kind == kind)
                .map(|d| d.seq)
                .collect()
        };
        let (again, dropped) = (seqs(DataKind::Retransmitted), seqs(DataKind::Dropped));
        assert!(!again.is_empty(), "{graph:?}");
        assert!(
            again.iter().all(|seq| dropped.contains(seq)),
            "{again:?} {dropped:?}"
        );
        // Grown event by event, the same graph.
        let mut model = Model::default();
        let mut grown: Option<SeqGraph> = None;
        for event in resends_called_out_of_order() {
            model.apply(event);
            match &mut grown {
                Some(graph) => graph.extend(&model),
                None => grown = SeqGraph::of(&model, 0, Some(0)),
            }
        }
        assert_eq!(grown.as_ref(), Some(&graph));
    }

    #[test]
    fn a_capture_of_unknown_place_leaves_sent_again_to_wiresharks_analysis() {
        // A file: no lab side, no relay socket. Its capture may have been
        // the receiver's, where an early byte can be a reordering.
        let mut events = resends_called_out_of_order();
        for event in &mut events {
            if let EventKind::Segment(seg) = &mut event.kind {
                seg.tap = None;
                seg.crossing = None;
                seg.from_socket = None;
                seg.to_socket = None;
            }
        }
        let graph = graph_of(events);
        assert!(!graph.data.is_empty());
        assert!(
            graph.data.iter().all(|d| d.kind == DataKind::Sent),
            "{graph:?}"
        );
    }

    #[test]
    fn zooming_keeps_the_anchor_and_panning_stays_inside() {
        let whole = window(1_000, 11_000);
        let zoomed = whole.zoomed(0.5, 0.5, whole);
        assert_eq!(zoomed, window(3_500, 8_500));
        // Zooming out past the whole gives the whole.
        assert_eq!(zoomed.zoomed(10.0, 0.2, whole), whole);
        assert_eq!(zoomed.panned(-1.0, whole), window(1_000, 6_000));
        assert_eq!(zoomed.panned(0.2, whole), window(4_500, 9_500));
        assert_eq!(zoomed.panned(5.0, whole), window(6_000, 11_000));
        // Never narrower than 100 µs.
        assert_eq!(whole.zoomed(0.000_001, 0.0, whole).to_us - 1_000, 100);
    }

    #[test]
    fn a_step_line_keeps_the_value_in_force_and_one_point_a_column() {
        let acks = [(0u64, 1u64), (3, 5), (4, 9), (50, 20), (500, 30)];
        let points = SeqGraph::steps(&acks, |a| a.0, |a| a.1, window(2, 102), 10);
        // The 1 in force at the start is overtaken in the first column.
        assert_eq!(points, vec![(0, 9), (4, 20)]);
    }
}
