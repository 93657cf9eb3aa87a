//! Protocol version 2's binary frame: the events as JSON, their payloads
//! as raw bytes beside it.
//!
//! Version 1 writes every payload as hex inside the JSON, which doubles
//! each byte and makes the page parse two characters per byte out of a
//! string the browser first had to check and convert. A bulk transfer is
//! almost all payload, twice over (the send() that wrote it and the recv()
//! that read it), so version 2 moves the bytes out of the text:
//!
//! ```text
//! bytes 0..4        J, the JSON's length in bytes, u32 little-endian
//! bytes 4..4+J      a JSON array of events, as version 1 writes them, except
//!                   that each payload is [start, length] into the section below
//! bytes 4+J..       the payload section: the frame's payloads, one after another
//! ```
//!
//! A client asks for it by offering the WebSocket subprotocol
//! [`BINARY_SUBPROTOCOL`]; the relay's `hello` then says
//! `"protocol_version": 2`. Commands stay JSON text frames in both
//! versions.
//!
//! [`Bytes`](crate::Bytes) serializes to `[start, length]` inside
//! [`payloads_apart`] and reads it back inside [`payloads_from`]: the
//! section is kept in a thread-local for the length of one synchronous
//! (de)serialization, as serde has no way to hand a value context of its
//! own. Outside those two calls a payload is hex, as in version 1, so the
//! event logs and capture-file comments the page writes keep version 1's
//! form (a payload the page did not keep is `{"not_kept": length}` there;
//! see [`crate::Bytes`]).

use std::cell::RefCell;
use std::fmt;

/// The WebSocket subprotocol a client offers to be sent version 2 frames.
pub const BINARY_SUBPROTOCOL: &str = "sockscope.v2";

/// Bytes before the JSON: its length.
const HEADER: usize = 4;

thread_local! {
    /// Where payloads go while an event is written as version 2.
    static WRITING: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
    /// Where payloads come from while a version 2 frame is read.
    static READING: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Why a binary frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// Shorter than its own header says.
    Truncated { len: usize, json_len: usize },
    /// A payload's `[start, length]` reaches past the payload section.
    PayloadOutside {
        start: u64,
        len: u64,
        section: usize,
    },
    /// A payload given as `[start, length]` in a text frame, which has no
    /// payload section.
    NoSection,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Truncated { len, json_len } => write!(
                f,
                "a binary frame of {len} bytes cannot hold its header and {json_len} bytes of JSON"
            ),
            FrameError::PayloadOutside {
                start,
                len,
                section,
            } => write!(
                f,
                "payload [{start}, {len}] lies outside the frame's {section} payload bytes"
            ),
            FrameError::NoSection => {
                f.write_str("a payload as [start, length] belongs in a binary frame")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// One binary frame from its JSON and its payload section.
pub fn binary_frame(json: &[u8], payloads: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(HEADER + json.len() + payloads.len());
    // A frame is capped far below 4 GiB by the writer.
    let json_len = u32::try_from(json.len()).unwrap_or(u32::MAX);
    frame.extend_from_slice(&json_len.to_le_bytes());
    frame.extend_from_slice(json);
    frame.extend_from_slice(payloads);
    frame
}

/// Where a binary frame's JSON ends: `(HEADER, HEADER + J)`, checked
/// against the frame's length. Reading the header alone lets a browser
/// copy the two parts out of the message separately.
///
/// # Errors
/// [`FrameError::Truncated`] when the frame is shorter than its header says.
pub fn json_range(header: &[u8], frame_len: usize) -> Result<(usize, usize), FrameError> {
    let truncated = |json_len| FrameError::Truncated {
        len: frame_len,
        json_len,
    };
    let word: [u8; HEADER] = header
        .get(..HEADER)
        .and_then(|h| h.try_into().ok())
        .ok_or(truncated(0))?;
    let json_len = u32::from_le_bytes(word) as usize;
    let end = HEADER
        .checked_add(json_len)
        .filter(|&end| end <= frame_len)
        .ok_or(truncated(json_len))?;
    Ok((HEADER, end))
}

/// A binary frame's JSON and its payload section.
///
/// # Errors
/// [`FrameError::Truncated`] when the frame is shorter than its header says.
pub fn split_binary_frame(frame: &[u8]) -> Result<(&[u8], &[u8]), FrameError> {
    let (start, end) = json_range(frame, frame.len())?;
    Ok((&frame[start..end], &frame[end..]))
}

type Slot = std::thread::LocalKey<RefCell<Option<Vec<u8>>>>;

/// Puts back what a slot held before a scope, when the scope ends, even
/// by a panic: a scope left set would make a later version 1 writer on
/// the same thread put payloads apart, and scopes may nest.
struct Restore {
    slot: &'static Slot,
    previous: Option<Vec<u8>>,
}

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.previous.take();
        self.slot.with_borrow_mut(|slot| *slot = previous);
    }
}

/// Runs `write` with every payload it serializes appended to `payloads`
/// and written as `[start, length]`.
pub fn payloads_apart<R>(payloads: &mut Vec<u8>, write: impl FnOnce() -> R) -> R {
    let previous = WRITING.replace(Some(std::mem::take(payloads)));
    let restore = Restore {
        slot: &WRITING,
        previous,
    };
    let written = write();
    *payloads = WRITING.with_borrow_mut(Option::take).unwrap_or_default();
    drop(restore);
    written
}

/// Runs `read` with payloads written as `[start, length]` taken from
/// `payloads`, a frame's payload section.
pub fn payloads_from<R>(payloads: Vec<u8>, read: impl FnOnce() -> R) -> R {
    let previous = READING.replace(Some(payloads));
    let _restore = Restore {
        slot: &READING,
        previous,
    };
    read()
}

/// Appends `bytes` to the payload section being written, if one is, and
/// says where they start.
pub(crate) fn put_apart(bytes: &[u8]) -> Option<u64> {
    WRITING.with_borrow_mut(|slot| {
        let section = slot.as_mut()?;
        let start = section.len() as u64;
        section.extend_from_slice(bytes);
        Some(start)
    })
}

/// The payload at `[start, length]` of the section being read.
pub(crate) fn take_from_section(start: u64, len: u64) -> Result<Vec<u8>, FrameError> {
    READING.with_borrow(|slot| {
        let section = slot.as_ref().ok_or(FrameError::NoSection)?;
        let outside = || FrameError::PayloadOutside {
            start,
            len,
            section: section.len(),
        };
        let from = usize::try_from(start).map_err(|_| outside())?;
        let to = usize::try_from(len)
            .ok()
            .and_then(|len| from.checked_add(len))
            .ok_or_else(outside)?;
        section
            .get(from..to)
            .map(<[u8]>::to_vec)
            .ok_or_else(outside)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Bytes;

    #[test]
    fn payloads_leave_the_json_and_come_back() {
        let events = vec![Bytes::from(b"hello".to_vec()), Bytes::from(vec![0, 255, 7])];
        let mut section = Vec::new();
        let json = payloads_apart(&mut section, || serde_json::to_vec(&events)).unwrap();
        assert_eq!(json, b"[[0,5],[5,3]]");
        assert_eq!(section, b"hello\x00\xff\x07");

        let frame = binary_frame(&json, &section);
        let (json, section) = split_binary_frame(&frame).unwrap();
        let read: Vec<Bytes> =
            payloads_from(section.to_vec(), || serde_json::from_slice(json)).unwrap();
        assert_eq!(read, events);
        // Outside the scope, payloads are hex again.
        assert_eq!(serde_json::to_string(&read[0]).unwrap(), "\"68656c6c6f\"");
    }

    #[test]
    fn a_payload_outside_the_section_is_refused() {
        let read = payloads_from(b"abc".to_vec(), || serde_json::from_str::<Bytes>("[2,5]"));
        let error = read.unwrap_err().to_string();
        assert!(error.contains("payload [2, 5] lies outside the frame's 3 payload bytes"));
        let read = payloads_from(b"abc".to_vec(), || {
            serde_json::from_str::<Bytes>("[18446744073709551615,2]")
        });
        assert!(read.is_err());
        let text = serde_json::from_str::<Bytes>("[0,1]")
            .unwrap_err()
            .to_string();
        assert!(text.contains("belongs in a binary frame"), "{text}");
    }

    #[test]
    fn scopes_nest_and_end_even_by_a_panic() {
        let mut outer = Vec::new();
        let json = payloads_apart(&mut outer, || {
            let mut inner = Vec::new();
            let inner_json = payloads_apart(&mut inner, || {
                serde_json::to_string(&Bytes::from(b"in".to_vec()))
            });
            assert_eq!(
                (inner_json.unwrap(), &inner[..]),
                ("[0,2]".to_owned(), &b"in"[..])
            );
            serde_json::to_string(&Bytes::from(b"out".to_vec()))
        });
        assert_eq!(
            (json.unwrap(), &outer[..]),
            ("[0,3]".to_owned(), &b"out"[..])
        );

        let panicked = std::panic::catch_unwind(|| {
            payloads_apart(&mut Vec::new(), || panic!("while writing"));
        });
        assert!(panicked.is_err());
        let hex = serde_json::to_string(&Bytes::from(b"hi".to_vec())).unwrap();
        assert_eq!(hex, "\"6869\"", "the scope ended with the panic");
    }

    #[test]
    fn a_short_frame_says_so() {
        assert_eq!(
            split_binary_frame(&[9, 0, 0, 0, b'[']),
            Err(FrameError::Truncated {
                len: 5,
                json_len: 9
            })
        );
        assert!(split_binary_frame(&[1, 0]).is_err());
        assert_eq!(
            split_binary_frame(&[2, 0, 0, 0, b'[', b']', 1]),
            Ok((&b"[]"[..], &[1u8][..]))
        );
    }
}
