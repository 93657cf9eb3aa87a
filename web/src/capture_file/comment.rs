//! Events written as pcapng comments, and read back.
//!
//! A pcapng holds packets; a sockscope session also holds socket calls,
//! state changes and which socket sent each packet. Those ride in packet
//! comments (the standard `opt_comment` option, which Wireshark shows in
//! the packet's details and tshark prints as `frame.comment`), one comment
//! per event, each a line a person reads followed by the event as JSON:
//!
//! ```text
//! [-35 µs] socket #3: recv(1024) → 15 bytes "hellohellohello" · sockscope-event {"index":9,…}
//! socket #2 → socket #3 · sockscope-segment {"index":6,"conn":1,"direction":"forward",…}
//! ```
//!
//! A comment option holds at most 65,535 bytes, and one send() can carry a
//! mebibyte, so a long event is split over several comments that say
//! `sockscope-part 1/3`, … and are joined on import.

use serde::{Deserialize, Serialize};
use sockscope_shared::{Direction, Event, EventKind, SegmentEvent, SocketId};

use crate::model::describe::{call_event_label, call_label, duration};

/// What starts the JSON of a whole event.
pub const EVENT: &str = "sockscope-event ";
/// What starts the JSON of a packet's own sockscope fields.
pub const SEGMENT: &str = "sockscope-segment ";
/// What starts each piece of an event too long for one comment.
pub const PART: &str = "sockscope-part ";
/// Room for one comment's text, below the option's 16-bit length.
const MAX_COMMENT: usize = 60_000;
/// Room for the readable part: one line of the packet details.
const MAX_HUMAN: usize = 200;

/// The fields of a segment event that the packet itself cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentMeta {
    pub index: u64,
    pub conn: u32,
    pub direction: Direction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_socket: Option<SocketId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_socket: Option<SocketId>,
}

impl SegmentMeta {
    pub fn of(index: u64, segment: &SegmentEvent) -> SegmentMeta {
        SegmentMeta {
            index,
            conn: segment.conn,
            direction: segment.direction,
            from_socket: segment.sender(),
            to_socket: segment.receiver(),
        }
    }
}

/// A person's reading of an event, for the front of its comment.
pub fn describe(event: &Event) -> String {
    match &event.kind {
        EventKind::Hello(hello) => format!(
            "sockscope relay {} (protocol {})",
            hello.relay_version, hello.protocol_version
        ),
        EventKind::Call(call) => format!("socket #{}: {}", call.socket, call_event_label(call)),
        EventKind::State { socket, state } => format!("socket #{socket} is now {}", state.name()),
        EventKind::RecvQueue { socket, bytes } => {
            format!("socket #{socket}: {bytes} bytes wait in its receive buffer")
        }
        EventKind::TcpInfo {
            socket,
            local,
            info,
            ..
        } => format!(
            "{}: cwnd {} · rtt {} · {} unacked",
            socket.map_or_else(
                || local.clone().unwrap_or_default(),
                |s| format!("socket #{s}")
            ),
            info.snd_cwnd,
            duration(u64::from(info.rtt_us)),
            info.unacked
        ),
        EventKind::SendTime { socket, end, stage } => format!(
            "socket #{socket}: the send ending at byte {end} was {}",
            match stage {
                sockscope_shared::SendStage::Sent => "handed to the device",
                sockscope_shared::SendStage::Acked => "acknowledged",
            }
        ),
        EventKind::Waiting(waiting) => format!(
            "socket #{}: {} waits",
            waiting.socket,
            call_label(&waiting.call)
        ),
        EventKind::Segment(segment) => format!("segment {} → {}", segment.src, segment.dst),
        EventKind::CommandError(error) => format!("command refused: {}", error.message),
        EventKind::Capture(_) => "capture status".to_string(),
        EventKind::Lagged { dropped } => format!("{dropped} events dropped by the relay"),
        EventKind::Path(path) => format!("path: {}", path.path.id()),
        EventKind::PathDrop(drop) => format!("the path: {:?} ({} bytes)", drop.fate, drop.len),
        EventKind::PathStats(_) => "path counts".to_string(),
    }
}

/// `+35 µs` / `-1.204 ms`: when an event happened relative to the packet
/// that carries its comment.
fn offset(event_us: u64, packet_us: u64) -> String {
    let (sign, us) = if event_us >= packet_us {
        ('+', event_us - packet_us)
    } else {
        ('-', packet_us - event_us)
    };
    format!("{sign}{}", duration(us))
}

/// The comments that carry `event` on a packet stamped `packet_us` (`None`
/// for a file-level comment): usually one, more for a very long event.
pub fn event_comments(event: &Event, packet_us: Option<u64>) -> Vec<String> {
    let json = serde_json::to_string(event).unwrap_or_default();
    // The marker must not appear in the readable part, or import would
    // start the JSON there.
    let mut human = describe(event).replace("sockscope-", "sockscope\u{2011}");
    if human.len() > MAX_HUMAN {
        let mut cut = MAX_HUMAN;
        while !human.is_char_boundary(cut) {
            cut -= 1;
        }
        human.truncate(cut);
        human.push('…');
    }
    let human = match packet_us {
        Some(at) => format!("[{}] {human}", offset(event.t_us, at)),
        None => human,
    };
    let whole = format!("{human} · {EVENT}{json}");
    if whole.len() <= MAX_COMMENT {
        return vec![whole];
    }
    let pieces = split(&json, MAX_COMMENT - MAX_HUMAN * 2);
    let total = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let lead = if i == 0 {
                format!("{human} · ")
            } else {
                String::new()
            };
            format!("{lead}{PART}{}/{total} {piece}", i + 1)
        })
        .collect()
}

/// Splits text into pieces of at most `max` bytes at character boundaries.
fn split(text: &str, max: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = max.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// The comment that carries a segment's own sockscope fields.
pub fn segment_comment(meta: &SegmentMeta) -> String {
    let sockets = match (meta.from_socket, meta.to_socket) {
        (Some(from), Some(to)) => format!("socket #{from} → socket #{to}"),
        (Some(from), None) => format!("from socket #{from}"),
        (None, Some(to)) => format!("to socket #{to}"),
        (None, None) => "sent by a program sockscope did not start".to_string(),
    };
    let json = serde_json::to_string(meta).unwrap_or_default();
    format!("{sockets} · {SEGMENT}{json}")
}

/// What one packet's (or the file's) comments held, once read back.
#[derive(Debug, Default, PartialEq)]
pub struct Decoded {
    pub events: Vec<Event>,
    pub segment: Option<SegmentMeta>,
    /// Comments that looked like sockscope's but did not parse.
    pub broken: usize,
}

/// Reads the sockscope events and segment fields out of a list of
/// comments. Other comments (a person's notes in Wireshark) are ignored.
pub fn decode(comments: &[String]) -> Decoded {
    let mut out = Decoded::default();
    let mut parts: Option<(usize, String)> = None;
    for comment in comments {
        if let Some(at) = comment.find(PART) {
            let rest = &comment[at + PART.len()..];
            let Some((count, piece)) = rest.split_once(' ') else {
                out.broken += 1;
                continue;
            };
            let Some((n, total)) = count
                .split_once('/')
                .and_then(|(n, t)| Some((n.parse::<usize>().ok()?, t.parse::<usize>().ok()?)))
            else {
                out.broken += 1;
                continue;
            };
            let mut json = match parts.take() {
                Some((expected, so_far)) if expected == n => so_far,
                Some(_) => {
                    out.broken += 1;
                    String::new()
                }
                None if n == 1 => String::new(),
                None => {
                    out.broken += 1;
                    continue;
                }
            };
            json.push_str(piece);
            if n == total {
                match serde_json::from_str::<Event>(&json) {
                    Ok(event) => out.events.push(event),
                    Err(_) => out.broken += 1,
                }
            } else {
                parts = Some((n + 1, json));
            }
        } else if let Some(at) = comment.find(EVENT) {
            match serde_json::from_str::<Event>(&comment[at + EVENT.len()..]) {
                Ok(event) => out.events.push(event),
                Err(_) => out.broken += 1,
            }
        } else if let Some(at) = comment.find(SEGMENT) {
            match serde_json::from_str::<SegmentMeta>(&comment[at + SEGMENT.len()..]) {
                Ok(meta) => out.segment = Some(meta),
                Err(_) => out.broken += 1,
            }
        }
    }
    if parts.is_some() {
        out.broken += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockscope_shared::{Bytes, Call, CallEvent, CallResult, Framing, Transport};

    fn send(data: Vec<u8>) -> Event {
        Event {
            index: 7,
            t_us: 1_000_000,
            kind: EventKind::Call(CallEvent {
                socket: 2,
                request: Some(3),
                transport: Transport::Tcp,
                call: Call::Send {
                    data: Bytes::from(&data[..]),
                    offset: 0,
                    message: 0,
                    framing: Framing::None,
                },
                result: CallResult::Sent {
                    bytes: data.len() as u64,
                },
                local: Some("127.0.0.1:40000".into()),
                peer: Some("127.0.0.1:9527".into()),
                state: None,
            }),
        }
    }

    #[test]
    fn an_event_reads_like_a_sentence_and_comes_back_whole() {
        let event = send(b"sockscope-event hello".to_vec());
        let comments = event_comments(&event, Some(1_000_035));
        assert_eq!(comments.len(), 1);
        assert!(
            comments[0].starts_with("[-35 µs] socket #2: send("),
            "{}",
            comments[0]
        );
        assert_eq!(decode(&comments).events, vec![event]);
    }

    #[test]
    fn a_mebibyte_send_is_split_over_comments_that_each_fit() {
        let event = send(vec![b'x'; 1 << 20]);
        let comments = event_comments(&event, None);
        assert!(comments.len() > 30, "{} comments", comments.len());
        assert!(comments.iter().all(|c| c.len() <= MAX_COMMENT));
        assert_eq!(decode(&comments).events, vec![event]);
        // A piece missing is reported, not misread.
        let mut gapped = comments.clone();
        gapped.remove(3);
        let decoded = decode(&gapped);
        assert!(decoded.events.is_empty());
        assert!(decoded.broken > 0);
    }

    #[test]
    fn segment_fields_round_trip_and_other_comments_are_ignored() {
        let meta = SegmentMeta {
            index: 4,
            conn: 2,
            direction: Direction::Reverse,
            from_socket: Some(3),
            to_socket: None,
        };
        let comments = vec![
            "a note someone typed in Wireshark".to_string(),
            segment_comment(&meta),
        ];
        let decoded = decode(&comments);
        assert_eq!(decoded.segment, Some(meta));
        assert_eq!(decoded.broken, 0);
        assert!(comments[1].starts_with("from socket #3 · "));
    }
}
