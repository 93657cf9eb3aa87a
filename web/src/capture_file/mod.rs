//! Capture files in and out: what the page opens from disk and what it
//! saves, as pure functions of bytes and events (no browser, tested natively).
//!
//! - [`open`]: the bytes of a file the user picked or dropped, whatever it
//!   is (a JSON event log, a `.pcap` or a `.pcapng`), as the events the
//!   model folds. Capture files go through [`import`], which parses every
//!   frame with the capture crate's parser and [`sockscope_capture::Tracker`]
//!   (the very code the relay captures with), so a file and a live run of
//!   the same experiment give the same segments and relative numbers.
//! - [`export::pcapng`]: a session (or one connection) as a pcapng that
//!   Wireshark opens: one packet per segment event, rebuilt from its fields,
//!   and every other event (socket calls, states) in packet comments, so
//!   nothing is lost and the page reads the file back into the same model.
//! - [`export::event_log`]: the session as the JSON array of events the
//!   relay sent, the format the page's "open" reads.
//!
//! Everything here treats file bytes as untrusted: lengths are checked
//! before slicing, nothing panics, and a broken file becomes an
//! [`OpenError`] or, when the damage comes after some packets, a warning
//! beside what could be read.

pub mod comment;
pub mod export;
mod frame;
pub mod import;
pub mod job;
mod read;

use std::fmt;

use serde::{Deserialize, Serialize};

use sockscope_shared::Event;

pub use import::{Imported, Note};

/// Files above this size are refused before parsing: the browser would
/// hold several copies while parsing, and a tab that runs out of memory
/// dies without a word.
pub const MAX_FILE_BYTES: usize = 256 << 20;

/// What a file turned out to be, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileKind {
    /// A JSON array of events (or one event), as the relay sends them.
    EventLog,
    /// libpcap's classic format (any byte order, µs or ns timestamps).
    Pcap,
    /// pcapng, as Wireshark and tshark write by default.
    Pcapng,
}

impl FileKind {
    /// Recognises a file by its magic number (or, for JSON, its first
    /// non-blank character).
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        const PCAPNG: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
        const PCAP: [[u8; 4]; 4] = [
            [0xa1, 0xb2, 0xc3, 0xd4],
            [0xd4, 0xc3, 0xb2, 0xa1],
            [0xa1, 0xb2, 0x3c, 0x4d],
            [0x4d, 0x3c, 0xb2, 0xa1],
        ];
        let head: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
        if head == PCAPNG {
            return Some(FileKind::Pcapng);
        }
        if PCAP.contains(&head) {
            return Some(FileKind::Pcap);
        }
        let first = bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace() && **b != 0xef && **b != 0xbb && **b != 0xbf)?;
        matches!(first, b'[' | b'{').then_some(FileKind::EventLog)
    }
}

/// A file the page can show.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub kind: FileKind,
    pub events: Vec<Event>,
    /// Sentences the page shows beside the file's name: what was skipped,
    /// what is unknown (recv() boundaries in a plain capture), what was
    /// cut short.
    pub notes: Vec<Note>,
}

/// Why a file could not be opened at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpenError {
    Empty,
    TooLarge {
        bytes: usize,
    },
    /// Neither JSON nor a capture: the first bytes, in hex, for whoever
    /// wonders what it was.
    NotRecognised {
        head: String,
    },
    /// A JSON file that is not an event log.
    NotAnEventLog {
        reason: String,
    },
    /// The capture's header or first block is broken.
    Malformed {
        reason: String,
    },
    /// The file ends before its first packet is complete.
    Truncated,
    /// The link layer is one the parser does not take apart.
    UnsupportedLink {
        linktype: u32,
    },
    /// A well-formed file with nothing to show.
    NoPackets {
        skipped: usize,
    },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Empty => write!(f, "the file is empty"),
            OpenError::TooLarge { bytes } => write!(
                f,
                "the file is {} MiB; the page opens files up to {} MiB (cut it with `editcap -c` or filter it in Wireshark first)",
                bytes >> 20,
                MAX_FILE_BYTES >> 20
            ),
            OpenError::NotRecognised { head } => write!(
                f,
                "this is not a .pcap, .pcapng or JSON event log (it starts with bytes {head})"
            ),
            OpenError::NotAnEventLog { reason } => {
                write!(f, "this JSON is not a sockscope event log: {reason}")
            }
            OpenError::Malformed { reason } => {
                write!(f, "the capture file is damaged: {reason}")
            }
            OpenError::Truncated => write!(
                f,
                "the capture file is cut short: it ends before its first packet is complete"
            ),
            OpenError::UnsupportedLink { linktype } => write!(
                f,
                "the capture's link type {linktype} is not supported (Ethernet, Linux cooked, raw IP and BSD loopback are)"
            ),
            OpenError::NoPackets { skipped: 0 } => {
                write!(f, "the capture file holds no packets")
            }
            OpenError::NoPackets { skipped } => write!(
                f,
                "none of the file's {skipped} packets is TCP, UDP or ICMP port unreachable, so there is nothing to draw"
            ),
        }
    }
}

impl std::error::Error for OpenError {}

/// What [`unpack`] found in a file: an event log as it is, for the page to
/// decode, or a capture already taken apart into events.
#[derive(Debug)]
pub enum Contents<'a> {
    EventLog(&'a [u8]),
    Capture(import::Imported),
}

/// The part of opening a file that needs the capture parser: checks its
/// size, recognises its kind and imports a capture. The file worker runs
/// this ([`job`]), so the page itself carries no capture parser.
///
/// # Errors
/// [`OpenError`] when the file is empty, too large, of an unknown kind,
/// damaged before its first packet, or holds nothing to draw.
pub fn unpack(bytes: &[u8]) -> Result<(FileKind, Contents<'_>), OpenError> {
    if bytes.is_empty() {
        return Err(OpenError::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(OpenError::TooLarge { bytes: bytes.len() });
    }
    let kind = FileKind::sniff(bytes).ok_or_else(|| OpenError::NotRecognised {
        head: bytes
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" "),
    })?;
    let contents = match kind {
        FileKind::EventLog => Contents::EventLog(bytes),
        FileKind::Pcap | FileKind::Pcapng => Contents::Capture(import::import(bytes)?),
    };
    Ok((kind, contents))
}

/// The events of a JSON event log, the part of opening a file the page
/// does itself (it decodes the relay's frames with the same code).
///
/// # Errors
/// [`OpenError::NotAnEventLog`] for text that is not UTF-8, not an event
/// log, or holds no events.
pub fn read_event_log(bytes: &[u8]) -> Result<Vec<Event>, OpenError> {
    let text = std::str::from_utf8(bytes).map_err(|e| OpenError::NotAnEventLog {
        reason: format!("it is not UTF-8 text ({e})"),
    })?;
    let events = crate::relay::parse_frame(text.trim_start_matches('\u{feff}')).map_err(|e| {
        OpenError::NotAnEventLog {
            reason: e.to_string(),
        }
    })?;
    if events.is_empty() {
        return Err(OpenError::NotAnEventLog {
            reason: "it holds no events".into(),
        });
    }
    Ok(events)
}

/// Opens a file's bytes as events: [`unpack`], then [`read_event_log`] for a
/// log. The page splits the two between its worker and itself.
///
/// # Errors
/// [`OpenError`] as [`unpack`] and [`read_event_log`] give it.
pub fn open(bytes: &[u8]) -> Result<Opened, OpenError> {
    let (kind, contents) = unpack(bytes)?;
    Ok(match contents {
        Contents::EventLog(log) => Opened {
            kind,
            events: read_event_log(log)?,
            notes: Vec::new(),
        },
        Contents::Capture(imported) => Opened {
            kind,
            notes: imported.notes(),
            events: imported.events,
        },
    })
}
