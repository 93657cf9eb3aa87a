//! One reference recording as the event log the relay would have sent.
//!
//! The packets go through the page's own import
//! ([`sockscope_web::capture_file::import`]): the capture crate's parser,
//! its `Tracker` and `to_segment`, the code the relay captures with, so
//! conversations, directions, relative numbers and scaled windows are
//! the relay's. The socket calls come from the recording's `calls.json`
//! ([`crate::calls`]), each segment names its sockets by the relay's rule
//! ([`crate::links`]), and the two are merged by time, a call before a
//! packet of the same microsecond, after a hello like the relay's first.
//! The TCP states come from the segments ([`crate::states`]).

use std::fmt;
use std::net::SocketAddr;

use sockscope_capture::Endpoints;
use sockscope_shared::{
    Capabilities, CaptureState, Event, EventKind, Hello, Limits, PROTOCOL_VERSION_TEXT, Segment,
    SegmentEvent, Transport,
};
use sockscope_web::capture_file::{OpenError, import::import};

use crate::calls::{self, CallsFile, WireDatagrams};
use crate::links;
use crate::states::with_states;

/// The hello comes this long before the first call or packet.
const HELLO_LEAD_US: u64 = 1000;

/// Why a recording could not be turned into an event log.
#[derive(Debug)]
pub enum ConvertError {
    /// The calls file is not JSON of the expected shape.
    Calls(serde_json::Error),
    /// The page's import refused the pcapng.
    Capture(OpenError),
    /// The import gave an event that is not a segment: a plain capture
    /// file has no other kind.
    NotASegment { index: u64 },
    /// A socket name other than `s<number>`.
    BadSocket(String),
    /// An address that is not `ip:port`.
    BadAddress(String),
    /// An errno the converter has no number for.
    UnknownErrno(String),
    /// A call result other than `"ok"` or an errno.
    UnknownResult(String),
    /// A socket option or shutdown direction the relay has no call for.
    UnknownOption(String),
    /// Bytes that are not hex.
    BadHex(String),
    /// A call without the result the relay would report.
    NoResult(String),
    /// recvfrom() read a datagram the capture does not have.
    DatagramNotOnWire { from: String, port: u16, nth: usize },
    /// The recording has neither calls nor packets.
    Empty,
    /// An event that does not serialise.
    Json(serde_json::Error),
    /// What went wrong in one recording.
    In {
        recording: String,
        source: Box<ConvertError>,
    },
    /// A file that could not be read or written.
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvertError::Calls(err) => write!(f, "the calls file does not read: {err}"),
            ConvertError::Capture(err) => write!(f, "the capture does not import: {err}"),
            ConvertError::NotASegment { index } => {
                write!(f, "the import gave event {index}, which is not a segment")
            }
            ConvertError::BadSocket(name) => write!(f, "socket {name:?} is not s<number>"),
            ConvertError::BadAddress(text) => write!(f, "{text:?} is not an ip:port address"),
            ConvertError::UnknownErrno(name) => write!(f, "no errno number known for {name}"),
            ConvertError::UnknownResult(word) => write!(f, "unknown call result {word:?}"),
            ConvertError::UnknownOption(name) => write!(f, "the relay has no call for {name}"),
            ConvertError::BadHex(text) => write!(f, "{text:?} is not hex"),
            ConvertError::NoResult(sock) => write!(f, "a call on {sock} lacks its result"),
            ConvertError::DatagramNotOnWire { from, port, nth } => write!(
                f,
                "recvfrom() read datagram {nth} from {from} to port {port}, which the capture lacks"
            ),
            ConvertError::Empty => write!(f, "the recording has no calls and no packets"),
            ConvertError::Json(err) => write!(f, "an event does not serialise: {err}"),
            ConvertError::In { recording, source } => write!(f, "{recording}: {source}"),
            ConvertError::Io { path, source } => write!(f, "{path}: {source}"),
        }
    }
}

impl std::error::Error for ConvertError {}

/// The captured segments, for recvfrom()'s real datagram lengths.
struct Wire<'a> {
    segments: &'a [(u64, SegmentEvent)],
}

impl WireDatagrams for Wire<'_> {
    fn datagram_len(&self, from: &str, port: u16, nth: usize) -> Option<u32> {
        self.segments
            .iter()
            .filter_map(|(_, seg)| match &seg.segment {
                Segment::Udp(datagram)
                    if seg.src == from && seg.dst.rsplit_once(':')?.1 == port.to_string() =>
                {
                    Some(datagram.payload_len)
                }
                _ => None,
            })
            .nth(nth)
    }
}

/// One entry of the merged timeline.
enum Item {
    Call(calls::Reported),
    Segment { t_us: u64, event: SegmentEvent },
}

impl Item {
    /// Timeline order: by time, and a call before a packet of the same
    /// microsecond (the call's time is when it returned).
    fn key(&self) -> (u64, u8) {
        match self {
            Item::Call(call) => (call.t_us, 0),
            Item::Segment { t_us, .. } => (*t_us, 1),
        }
    }
}

/// The event log of one recording.
///
/// # Errors
/// [`ConvertError`] when either file does not read, or holds a call the
/// relay has no event for.
pub fn convert(pcapng: &[u8], calls_json: &[u8]) -> Result<Vec<Event>, ConvertError> {
    let file: CallsFile = serde_json::from_slice(calls_json).map_err(ConvertError::Calls)?;
    let imported = import(pcapng).map_err(ConvertError::Capture)?;
    let segments = imported
        .events
        .into_iter()
        .map(|event| match event.kind {
            EventKind::Segment(segment) => Ok((event.t_us, segment)),
            _ => Err(ConvertError::NotASegment { index: event.index }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let reported = calls::report(
        &file,
        &Wire {
            segments: &segments,
        },
    )?;
    let endpoints = links::from_calls(&file)?;

    let mut timeline: Vec<Item> = reported.into_iter().map(Item::Call).collect();
    for (t_us, mut event) in segments {
        link(&endpoints, t_us, &mut event)?;
        timeline.push(Item::Segment { t_us, event });
    }
    // A stable sort keeps the file's order among equals.
    timeline.sort_by_key(Item::key);
    let first = timeline.first().ok_or(ConvertError::Empty)?.key().0;

    // An event log is JSON text with hex payloads: version 1's form.
    let hello = EventKind::Hello(Hello {
        protocol_version: PROTOCOL_VERSION_TEXT,
        relay_version: "recording".to_owned(),
        capabilities: Capabilities {
            capture: CaptureState::On {
                interface: "lo".to_owned(),
            },
            allow_remote: false,
            lab: None,
        },
        limits: Limits::default(),
    });
    let kinds = timeline
        .into_iter()
        .map(|item| match item {
            Item::Call(call) => (call.t_us, EventKind::Call(call.event)),
            Item::Segment { t_us, event } => (t_us, EventKind::Segment(event)),
        })
        .collect();
    let kinds = with_states(kinds, &endpoints)?;
    Ok(
        std::iter::once((first.saturating_sub(HELLO_LEAD_US), hello))
            .chain(kinds)
            .zip(0..)
            .map(|((t_us, kind), index)| Event { index, t_us, kind })
            .collect(),
    )
}

/// Names the sockets at the segment's two ends.
fn link(endpoints: &Endpoints, t_us: u64, event: &mut SegmentEvent) -> Result<(), ConvertError> {
    let parse = |text: &str| {
        text.parse::<SocketAddr>()
            .map_err(|_| ConvertError::BadAddress(text.to_owned()))
    };
    let (src, dst) = (parse(&event.src)?, parse(&event.dst)?);
    let transport = match event.segment {
        Segment::Tcp { .. } => Transport::Tcp,
        Segment::Udp(_) | Segment::IcmpPortUnreachable => Transport::Udp,
    };
    event.from_socket = endpoints
        .find(transport, src, dst, t_us)
        .and_then(sockscope_shared::NonZeroSocketId::new);
    event.to_socket = endpoints
        .find(transport, dst, src, t_us)
        .and_then(sockscope_shared::NonZeroSocketId::new);
    Ok(())
}

/// The log as the page reads it: a JSON array, one event a line, so that a
/// change to a recording reads as a change to its events.
///
/// # Errors
/// [`ConvertError::Json`] if an event does not serialise.
pub fn to_log(events: &[Event]) -> Result<String, ConvertError> {
    let lines = events
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<Vec<_>, _>>()
        .map_err(ConvertError::Json)?;
    Ok(format!("[\n{}\n]\n", lines.join(",\n")))
}
