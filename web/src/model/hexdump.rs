//! Hex dump lines: offset, sixteen bytes in hex, the same as ASCII.
//!
//! The detail pane shows every payload this way, as Wireshark and `xxd` do,
//! because a length header such as `05 00 00 00` is invisible as text.

/// One line of a hex dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexLine {
    pub offset: u64,
    /// `68 65 6c 6c 6f`, with an extra space after the eighth byte.
    pub hex: String,
    /// `hello`, with `.` for bytes that do not print.
    pub ascii: String,
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
                ascii: printable(chunk),
            }
        })
        .collect()
}

/// Bytes as text where printable ASCII, `.` elsewhere.
pub fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect()
}

/// A short quoted preview such as `"hello"` or `"hel…"`, for labels.
pub fn preview(bytes: &[u8], max: usize) -> String {
    let text = printable(bytes.get(..max.min(bytes.len())).unwrap_or_default());
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
}
