//! Reading messages back out of a TCP byte stream with a length header.
//!
//! TCP delivers bytes, not messages: one recv() may hold several sends, or
//! part of one. A reader that knows the framing keeps a buffer, appends each
//! recv() chunk, and takes whole messages off the front while the buffer
//! holds a complete header and that many bytes after it. What remains is a
//! partial frame that waits for the next chunk. An incomplete frame is not
//! an error; a header that cannot be one (a non-digit in an ASCII header, a
//! length beyond the cap) is, and decoding stops there because the reader
//! has lost its place.

use sockscope_shared::Framing;

/// The largest message the decoder accepts, so a corrupt header cannot make
/// it wait for (and buffer) gigabytes.
pub const MAX_MESSAGE: usize = 1 << 20;

/// One whole message taken off the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Where the message (its header) starts in the stream.
    pub offset: u64,
    pub header: Vec<u8>,
    pub body: Vec<u8>,
}

/// Why decoding stopped. The page words it in each language
/// (`i18n::words::frame_error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The header bytes are not a header of this framing.
    BadHeader { offset: u64, header: Vec<u8> },
    /// The header announces more than [`MAX_MESSAGE`] bytes.
    TooLong { offset: u64, len: usize },
}

/// What one recv() chunk did to the decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Messages this chunk completed (zero, one or several).
    pub messages: Vec<Message>,
    /// Bytes left waiting for the next chunk.
    pub pending: Vec<u8>,
    pub error: Option<FrameError>,
}

/// A length-prefix decoder fed one recv() chunk at a time.
#[derive(Debug, Clone)]
pub struct Decoder {
    framing: Framing,
    buffer: Vec<u8>,
    /// Stream offset of `buffer[0]`.
    offset: u64,
    error: Option<FrameError>,
}

impl Decoder {
    pub fn new(framing: Framing) -> Decoder {
        Decoder {
            framing,
            buffer: Vec::new(),
            offset: 0,
            error: None,
        }
    }

    /// Appends a chunk and takes off every whole message.
    ///
    /// With [`Framing::None`] the reader cannot tell where messages end, so
    /// each chunk counts as one "message": exactly the mistake the sticky
    /// packet lessons show.
    pub fn feed(&mut self, chunk: &[u8]) -> Step {
        let messages = self.take(chunk, true);
        self.step(messages)
    }

    /// Appends a chunk and takes off its messages, as [`Decoder::feed`],
    /// keeping only the decoder's state: for the chunks before those a view
    /// lists, whose messages nobody looks at.
    pub fn skip(&mut self, chunk: &[u8]) {
        self.take(chunk, false);
    }

    /// The messages `chunk` completes; without `keep`, bodies of unframed
    /// chunks are not copied (framed ones come off the buffer either way).
    fn take(&mut self, chunk: &[u8], keep: bool) -> Vec<Message> {
        if self.error.is_some() {
            return Vec::new();
        }
        if self.framing == Framing::None {
            let message = Message {
                offset: self.offset,
                header: Vec::new(),
                body: if keep { chunk.to_vec() } else { Vec::new() },
            };
            self.offset += chunk.len() as u64;
            return vec![message];
        }
        self.buffer.extend_from_slice(chunk);
        let header_len = self.framing.header_len();
        let mut messages = Vec::new();
        while let Some(header) = self.buffer.get(..header_len) {
            let Some(len) = self.framing.parse_header(header) else {
                self.error = Some(FrameError::BadHeader {
                    offset: self.offset,
                    header: header.to_vec(),
                });
                break;
            };
            if len > MAX_MESSAGE {
                self.error = Some(FrameError::TooLong {
                    offset: self.offset,
                    len,
                });
                break;
            }
            let Some(total) = header_len.checked_add(len) else {
                break;
            };
            if self.buffer.len() < total {
                break;
            }
            let rest = self.buffer.split_off(total);
            let mut frame = std::mem::replace(&mut self.buffer, rest);
            let body = frame.split_off(header_len);
            messages.push(Message {
                offset: self.offset,
                header: frame,
                body,
            });
            self.offset += total as u64;
        }
        messages
    }

    fn step(&self, messages: Vec<Message>) -> Step {
        Step {
            messages,
            pending: self.buffer.clone(),
            error: self.error.clone(),
        }
    }
}

/// Decodes a sequence of chunks, one [`Step`] per chunk.
pub fn decode<'a>(framing: Framing, chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<Step> {
    let mut decoder = Decoder::new(framing);
    chunks.into_iter().map(|c| decoder.feed(c)).collect()
}

/// Where a reader stands after the first chunks of a stream: the decoder
/// that took them, and how many it took. Kept from one render to the next,
/// it lets [`decode_last`] read only the chunks a live stream gained since,
/// rather than the whole stream again at every event.
#[derive(Debug, Clone)]
pub struct ReadSoFar {
    pub chunks: usize,
    pub decoder: Decoder,
}

/// Decodes every chunk of `chunks` (the reader's place depends on all of
/// them) but makes [`Step`]s only for the last `shown`: a bulk transfer's
/// thousands of recv() calls would otherwise copy every byte, and every
/// pending buffer, at each render.
///
/// `so_far`, when given, must be where a reader of the same stream with the
/// same framing stood after its first `so_far.chunks` chunks; if it stood
/// past the chunks before the steps (the player went back), it is not
/// used. Returns how many chunks came before the steps, the steps, and
/// where the reader stands after the chunks before them, for the next call.
pub fn decode_last<T>(
    framing: Framing,
    (chunks, bytes): (&[T], impl Fn(&T) -> &[u8]),
    shown: usize,
    so_far: Option<ReadSoFar>,
) -> (usize, Vec<Step>, ReadSoFar) {
    let before = chunks.len().saturating_sub(shown);
    let ReadSoFar {
        chunks: taken,
        mut decoder,
    } = so_far
        .filter(|s| s.chunks <= before && s.decoder.framing == framing)
        .unwrap_or(ReadSoFar {
            chunks: 0,
            decoder: Decoder::new(framing),
        });
    for chunk in &chunks[taken..before] {
        decoder.skip(bytes(chunk));
    }
    let read_so_far = ReadSoFar {
        chunks: before,
        decoder: decoder.clone(),
    };
    let steps = chunks[before..]
        .iter()
        .map(|c| decoder.feed(bytes(c)))
        .collect();
    (before, steps, read_so_far)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bodies(step: &Step) -> Vec<String> {
        step.messages
            .iter()
            .map(|m| String::from_utf8_lossy(&m.body).into_owned())
            .collect()
    }

    #[test]
    fn ascii_header_split_across_chunks() {
        let steps = decode(
            Framing::Ascii4,
            [&b"0005hel"[..], b"lo0003", b"abc0002x", b"y"],
        );
        assert_eq!(bodies(&steps[0]), Vec::<String>::new());
        assert_eq!(steps[0].pending, b"0005hel");
        assert_eq!(bodies(&steps[1]), vec!["hello"]);
        assert_eq!(steps[1].pending, b"0003");
        assert_eq!(bodies(&steps[2]), vec!["abc"]);
        assert_eq!(steps[2].pending, b"0002x");
        assert_eq!(bodies(&steps[3]), vec!["xy"]);
        assert_eq!(steps[3].messages[0].offset, 16);
        assert!(steps[3].pending.is_empty());
    }

    #[test]
    fn one_chunk_with_three_binary_frames_gives_three_messages() {
        let mut chunk = Vec::new();
        for word in ["hello", "world", "sticky"] {
            chunk.extend(Framing::U32Be.header(word.len()).unwrap());
            chunk.extend(word.as_bytes());
        }
        let steps = decode(Framing::U32Be, [&chunk[..]]);
        assert_eq!(bodies(&steps[0]), vec!["hello", "world", "sticky"]);
        let le = decode(Framing::U32Le, [&[2u8, 0, 0, 0, b'o', b'k'][..]]);
        assert_eq!(bodies(&le[0]), vec!["ok"]);
    }

    #[test]
    fn no_framing_takes_each_chunk_as_it_comes() {
        let steps = decode(Framing::None, [&b"helloworldsticky"[..]]);
        assert_eq!(bodies(&steps[0]), vec!["helloworldsticky"]);
    }

    #[test]
    fn the_last_steps_are_those_of_a_whole_decode() {
        let chunks: [&[u8]; 4] = [b"0005hel", b"lo0003", b"abc0002x", b"y"];
        for framing in [Framing::Ascii4, Framing::None] {
            let whole = decode(framing, chunks);
            for shown in 0..=5 {
                let (before, steps, _) = decode_last(framing, (&chunks, |c| *c), shown, None);
                assert_eq!(before, 4usize.saturating_sub(shown));
                assert_eq!(steps, whole[before..], "{framing:?}, last {shown}");
            }
        }
    }

    #[test]
    fn a_reader_resumed_where_it_stood_reads_as_one_that_read_everything() {
        let chunks: [&[u8]; 6] = [b"0005hel", b"lo0003", b"abc0002x", b"y", b"0001", b"z"];
        for framing in [Framing::Ascii4, Framing::None] {
            let whole = decode(framing, chunks);
            // A stream growing a chunk at a time, its last two listed.
            let mut so_far = None;
            for len in 0..=chunks.len() {
                let (before, steps, now) =
                    decode_last(framing, (&chunks[..len], |c| *c), 2, so_far);
                assert_eq!(steps, whole[before..len], "{framing:?}, {len} chunks");
                assert_eq!(now.chunks, before);
                so_far = Some(now);
            }
            // The player gone back before where the reader stood: read again.
            let (before, steps, _) =
                decode_last(framing, (&chunks[..3], |c| *c), 2, so_far.clone());
            assert_eq!(steps, whole[before..3]);
            // A reader with another framing is not resumed.
            let other = if framing == Framing::None {
                Framing::Ascii4
            } else {
                Framing::None
            };
            let (_, steps, _) = decode_last(other, (&chunks, |c| *c), 2, so_far);
            assert_eq!(steps, decode(other, chunks)[4..]);
        }
    }

    #[test]
    fn a_bad_header_stops_decoding() {
        let steps = decode(Framing::Ascii4, [&b"12a4rest"[..], b"0001x"]);
        assert!(matches!(
            steps[0].error,
            Some(FrameError::BadHeader { offset: 0, .. })
        ));
        assert!(steps[1].messages.is_empty());
        let huge = decode(Framing::U32Be, [&[0xff, 0xff, 0xff, 0xff][..]]);
        assert!(matches!(huge[0].error, Some(FrameError::TooLong { .. })));
    }
}
