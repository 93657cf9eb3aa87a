//! A pcap or pcapng file as the events the relay would have sent.
//!
//! Every frame goes through the capture crate's [`parse_packet`] and one
//! [`Tracker`], as live capture does, so conversations, directions and
//! Wireshark's relative numbers come out the same; one [`Analyzer`] gives
//! each segment Wireshark's TCP analysis flags (retransmission, duplicate
//! ACK, zero window...), as tshark would for the same file. What a file from
//! anywhere lacks is the program's side: with no socket calls, the page
//! knows which segments crossed the wire but not what each recv() returned,
//! and [`Imported::notes`] says so.
//!
//! A file that sockscope exported also carries its calls and each packet's
//! socket ids in comments ([`super::comment`]); those are read back and the
//! events put in their original order, so export then import gives the
//! same model.

use serde::{Deserialize, Serialize};
use sockscope_capture::{Analyzer, LinkType, Packet, Tracked, Tracker, parse_packet};
use sockscope_shared::{
    Direction, Event, EventKind, Limits, NonZeroSocketId, SegmentEvent, TcpAnalyses,
};

use super::comment::{self, SegmentMeta};
use super::read::{self, Frame, Frames, Stop};
use super::{FileKind, OpenError};

/// A capture file read into events, with what the page should say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub events: Vec<Event>,
    /// Frames in the file.
    pub frames: usize,
    /// Frames that became segment events.
    pub segments: usize,
    /// Frames that are not TCP, UDP or ICMP port unreachable.
    pub skipped: usize,
    /// Frames on interfaces whose link type the parser does not take apart.
    pub unsupported_link: Option<(u32, usize)>,
    /// Socket-call events read back from sockscope's comments.
    pub calls: usize,
    /// sockscope comments that could not be read.
    pub broken_comments: usize,
    /// Why reading stopped before the end of the file, and after how many
    /// frames.
    pub stopped: Option<Stop>,
    /// Whether the file holds more frames than the page reads.
    pub limited: bool,
}

/// Something the page must say about an imported file, most important
/// first: the fact and its numbers, which the page words in each language
/// (`crate::i18n::capture::note`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Note {
    /// The file ends in the middle of a packet after `frames` packets.
    CutShort { frames: usize },
    /// A block after packet `frames` could not be parsed.
    Damaged { frames: usize, reason: String },
    /// The file holds more than the `frames` packets read.
    Limited { frames: usize },
    /// No socket calls: send() and recv() boundaries are unknown.
    CallsUnknown,
    /// Packets that are not TCP, UDP or ICMP port unreachable.
    Skipped { skipped: usize, frames: usize },
    /// Packets on an interface of a link type the parser does not know.
    UnsupportedLink { linktype: u32, count: usize },
    /// sockscope comments that could not be read.
    BrokenComments { count: usize },
}

impl Imported {
    /// What the page must say about the file, most important first.
    pub fn notes(&self) -> Vec<Note> {
        let mut notes = Vec::new();
        match &self.stopped {
            Some(Stop::Truncated) => notes.push(Note::CutShort {
                frames: self.frames,
            }),
            Some(Stop::Malformed(reason)) => notes.push(Note::Damaged {
                frames: self.frames,
                reason: reason.clone(),
            }),
            None => {}
        }
        if self.limited {
            notes.push(Note::Limited {
                frames: self.frames,
            });
        }
        if self.calls == 0 {
            notes.push(Note::CallsUnknown);
        }
        if self.skipped > 0 {
            notes.push(Note::Skipped {
                skipped: self.skipped,
                frames: self.frames,
            });
        }
        if let Some((linktype, count)) = self.unsupported_link {
            notes.push(Note::UnsupportedLink { linktype, count });
        }
        if self.broken_comments > 0 {
            notes.push(Note::BrokenComments {
                count: self.broken_comments,
            });
        }
        notes
    }
}

/// One event and where it goes in the log.
struct Entry {
    /// The index sockscope gave it, when the file says.
    index: Option<u64>,
    event: Event,
}

/// Reads a pcap or pcapng file.
///
/// # Errors
/// [`OpenError`] when the file is not a capture, is damaged or cut short
/// before its first packet, or has nothing that can be drawn.
pub fn import(bytes: &[u8]) -> Result<Imported, OpenError> {
    let frames: Frames<'_> = match FileKind::sniff(bytes) {
        Some(FileKind::Pcap) => read::pcap(bytes, read::MAX_FRAMES)?,
        Some(FileKind::Pcapng) => read::pcapng(bytes, read::MAX_FRAMES)?,
        _ => {
            return Err(OpenError::NotRecognised {
                head: format!("{:02x?}", bytes.get(..4).unwrap_or(bytes)),
            });
        }
    };
    let mut entries: Vec<Entry> = Vec::new();
    let mut broken = 0;
    let file = comment::decode(&frames.file_comments);
    broken += file.broken;
    entries.extend(file.events.into_iter().map(|event| Entry {
        index: Some(event.index),
        event,
    }));
    // The relay's payload cap, so re-imported segments keep what it kept.
    let decoded: Vec<comment::Decoded> = frames
        .frames
        .iter()
        .map(|f| comment::decode(&f.comments))
        .collect();
    let cap = entries
        .iter()
        .map(|e| &e.event)
        .chain(decoded.iter().flat_map(|d| d.events.iter()))
        .find_map(|e| match &e.kind {
            EventKind::Hello(hello) => Some(hello.limits.segment_payload_cap),
            _ => None,
        })
        .unwrap_or(Limits::default().segment_payload_cap);
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);

    let mut out = Imported {
        events: Vec::new(),
        frames: frames.frames.len(),
        segments: 0,
        skipped: 0,
        unsupported_link: None,
        calls: 0,
        broken_comments: 0,
        stopped: frames.stopped.clone(),
        limited: frames.limited,
    };
    let mut tracker = Tracker::new();
    // A file is one capture point: one analyzer follows all of it.
    let mut analyzer = Analyzer::new();
    for (frame, decoded) in frames.frames.iter().zip(decoded) {
        broken += decoded.broken;
        entries.extend(decoded.events.into_iter().map(|event| Entry {
            index: Some(event.index),
            event,
        }));
        match packet_of(frame, cap) {
            Ok(Some(packet)) => {
                let tracked = tracker.observe(&packet);
                let analysis = analyzer.observe(&packet);
                let meta = decoded.segment;
                out.segments += 1;
                entries.push(Entry {
                    index: meta.as_ref().map(|m| m.index),
                    event: Event {
                        index: 0,
                        t_us: packet.ts_us,
                        kind: EventKind::Segment(segment_event(
                            &packet,
                            tracked,
                            analysis,
                            meta.as_ref(),
                        )),
                    },
                });
            }
            Ok(None) => out.skipped += 1,
            Err(linktype) => {
                let count = out.unsupported_link.map_or(0, |(_, n)| n);
                out.unsupported_link = Some((linktype, count + 1));
            }
        }
    }
    out.broken_comments = broken;
    out.events = in_order(entries);
    out.calls = out
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Call(_)))
        .count();
    if out.events.is_empty() {
        return Err(match (&out.stopped, out.unsupported_link) {
            (_, Some((linktype, _))) if out.segments == 0 && out.skipped == 0 => {
                OpenError::UnsupportedLink { linktype }
            }
            (Some(Stop::Truncated), _) if out.frames == 0 => OpenError::Truncated,
            (Some(Stop::Malformed(reason)), _) if out.frames == 0 => OpenError::Malformed {
                reason: reason.clone(),
            },
            _ => OpenError::NoPackets {
                skipped: out.skipped,
            },
        });
    }
    Ok(out)
}

/// The parsed packet of a frame: `Ok(None)` for a frame that is not TCP,
/// UDP or ICMP port unreachable, `Err(linktype)` when the link type is not
/// one the parser takes apart.
fn packet_of(frame: &Frame<'_>, cap: usize) -> Result<Option<Packet>, u32> {
    let link = i32::try_from(frame.linktype)
        .ok()
        .and_then(LinkType::from_dlt)
        .ok_or(frame.linktype)?;
    Ok(parse_packet(link, frame.ts_us, &frame.data, cap))
}

/// The events in sockscope's order where the file gives it, then the rest
/// in file order, numbered from where the known ones end.
fn in_order(mut entries: Vec<Entry>) -> Vec<Event> {
    // A stable sort keeps file order among equal and unknown indices.
    entries.sort_by_key(|e| e.index.map_or((1, 0), |i| (0, i)));
    let mut next = entries
        .iter()
        .filter_map(|e| e.index)
        .max()
        .map_or(0, |i| i.saturating_add(1));
    entries
        .into_iter()
        .map(|entry| {
            let mut event = entry.event;
            event.index = entry.index.unwrap_or_else(|| {
                let index = next;
                next = next.saturating_add(1);
                index
            });
            event
        })
        .collect()
}

/// The segment event the relay would have sent for this packet, with
/// Wireshark's analysis of it; `meta` (from an exported file's comment)
/// supplies what the wire cannot say.
fn segment_event(
    packet: &Packet,
    tracked: Tracked,
    analysis: TcpAnalyses,
    meta: Option<&SegmentMeta>,
) -> SegmentEvent {
    let segment = sockscope_capture::to_segment(packet, &tracked);
    SegmentEvent {
        conn: meta.map_or(tracked.conn, |m| m.conn),
        src: packet.src.to_string().into(),
        dst: packet.dst.to_string().into(),
        direction: meta.map_or(
            if tracked.forward {
                Direction::Forward
            } else {
                Direction::Reverse
            },
            |m| m.direction,
        ),
        from_socket: meta
            .and_then(|m| m.from_socket)
            .and_then(NonZeroSocketId::new),
        to_socket: meta
            .and_then(|m| m.to_socket)
            .and_then(NonZeroSocketId::new),
        tap: None,
        crossing: None,
        analysis,
        segment,
    }
}
