//! Hex dump lines: offset, sixteen bytes in hex, the same as ASCII.
//!
//! The detail pane shows every payload this way, as Wireshark and `xxd` do,
//! because a length header such as `05 00 00 00` is invisible as text.
//! The ASCII column is the protocol crate's [`ascii_lossy`], the same text
//! a payload's `Debug` shows.

use sockscope_shared::ascii_lossy;

/// One line of a hex dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexLine {
    pub offset: u64,
    /// `68 65 6c 6c 6f`, with an extra space after the eighth byte.
    pub hex: String,
    /// `hello`, with `.` for bytes that do not print.
    pub ascii: String,
}

/// Bytes a hex dump draws at most: 256 lines. A recv may return a
/// megabyte, which as 65,536 lines of markup would stall the page at every
/// render; the first lines are what a reader checks a payload by.
pub const MAX_SHOWN: usize = 4096;

/// The part of `bytes` a hex dump draws, and how many bytes it leaves out.
pub fn shown(bytes: &[u8]) -> (&[u8], usize) {
    let kept = bytes.len().min(MAX_SHOWN);
    (&bytes[..kept], bytes.len() - kept)
}

/// Sixteen bytes per line, offsets counted from `start`.
pub fn lines(bytes: &[u8], start: u64) -> Vec<HexLine> {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(i, chunk)| {
            let mut hex = String::new();
            for (j, b) in chunk.iter().enumerate() {
                if j > 0 {
                    hex.push(' ');
                }
                if j == 8 {
                    hex.push(' ');
                }
                hex.push_str(&format!("{b:02x}"));
            }
            HexLine {
                offset: start + (i as u64) * 16,
                hex,
                ascii: ascii_lossy(chunk),
            }
        })
        .collect()
}

/// A short quoted preview such as `"hello"` or `"hel…"`, for labels.
pub fn preview(bytes: &[u8], max: usize) -> String {
    let text = ascii_lossy(bytes.get(..max.min(bytes.len())).unwrap_or_default());
    if bytes.len() > max {
        format!("\"{text}…\"")
    } else {
        format!("\"{text}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_hex_and_ascii() {
        let dump = lines(b"hello\x00world, how are you", 0);
        assert_eq!(dump.len(), 2);
        assert_eq!(
            dump[0].hex,
            "68 65 6c 6c 6f 00 77 6f  72 6c 64 2c 20 68 6f 77"
        );
        assert_eq!(dump[0].ascii, "hello.world, how");
        assert_eq!(dump[1].offset, 16);
        assert_eq!(preview(b"hello", 3), "\"hel…\"");
    }

    #[test]
    fn a_megabyte_is_dumped_by_its_first_lines() {
        let megabyte = vec![b'x'; 1 << 20];
        let (kept, left_out) = shown(&megabyte);
        assert_eq!((kept.len(), left_out), (MAX_SHOWN, (1 << 20) - MAX_SHOWN));
        assert_eq!(lines(kept, 0).len(), 256);
        assert_eq!(shown(b"hello"), (&b"hello"[..], 0));
    }
}
