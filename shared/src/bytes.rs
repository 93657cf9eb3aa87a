//! Payload bytes, written as lowercase hex in JSON.
//!
//! JSON has no byte strings, and payloads are arbitrary (a 4-byte binary
//! length header is rarely valid UTF-8), so every payload travels as hex:
//! `"68656c6c6f"` is `hello`. Hex is also what a learner compares against the
//! hex dump of a segment.

use std::{fmt, ops::Deref, sync::Arc};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Raw bytes that serialize as a lowercase hex string.
///
/// ```json
/// "68656c6c6f"
/// ```
///
/// Immutable and shared: a clone is a reference count, not a copy. One recv
/// may return a megabyte, and the page keeps the same bytes in the event,
/// in its byte streams and in every version of its model.
///
/// A payload may also be *let go* ([`Bytes::let_go`]): its bytes dropped,
/// its length kept. A page that keeps a bounded amount of each stream does
/// this to the payloads past its bound, so that counts and offsets stay
/// exact. [`Bytes::len`] is then the payload's length, while the slice it
/// derefs to (the bytes kept) is empty; the relay never lets go.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Bytes {
    kept: Arc<[u8]>,
    /// Bytes of the payload not kept.
    let_go: usize,
}

/// Why a hex string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HexError {
    /// Hex needs two digits per byte.
    OddLength { len: usize },
    /// A character that is not a hex digit, and where it stands.
    BadDigit { position: usize, found: char },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::OddLength { len } => {
                write!(f, "hex needs two digits per byte, got {len} digits")
            }
            HexError::BadDigit { position, found } => {
                write!(f, "{found:?} at position {position} is not a hex digit")
            }
        }
    }
}

impl std::error::Error for HexError {}

impl Bytes {
    /// Decodes hex, ignoring ASCII whitespace so that `"68 65 6c"` works too.
    ///
    /// # Errors
    /// [`HexError`] when a character is not a hex digit or the digit count is odd.
    pub fn from_hex(text: &str) -> Result<Bytes, HexError> {
        let mut out = Vec::with_capacity(text.len() / 2);
        let mut high: Option<u8> = None;
        let mut digits = 0usize;
        for (position, found) in text.char_indices() {
            if found.is_ascii_whitespace() {
                continue;
            }
            let nibble = found
                .to_digit(16)
                .ok_or(HexError::BadDigit { position, found })? as u8;
            digits += 1;
            match high.take() {
                None => high = Some(nibble),
                Some(h) => out.push(h << 4 | nibble),
            }
        }
        if high.is_some() {
            return Err(HexError::OddLength { len: digits });
        }
        Ok(Bytes::from(out))
    }

    /// Lowercase hex, two digits per byte, no separators.
    pub fn to_hex(&self) -> String {
        let mut out = Vec::with_capacity(self.kept.len() * 2);
        for &b in self.kept.iter() {
            out.extend_from_slice(&hex_pair(b));
        }
        // Hex digits are ASCII, so this never falls back to the default.
        String::from_utf8(out).unwrap_or_default()
    }

    /// The payload's length, whether or not its bytes were kept.
    pub fn len(&self) -> usize {
        self.kept.len() + self.let_go
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes kept: all of them unless the payload was let go.
    pub fn as_slice(&self) -> &[u8] {
        &self.kept
    }

    /// Whether every byte of the payload is here.
    pub fn is_whole(&self) -> bool {
        self.let_go == 0
    }

    /// The same payload without its bytes: its length only.
    pub fn let_go(&self) -> Bytes {
        Bytes {
            kept: Arc::default(),
            let_go: self.len(),
        }
    }

    /// The first `len` bytes (all of them when there are fewer), shared
    /// rather than copied when that is all of them.
    pub fn prefix(&self, len: usize) -> Bytes {
        if len >= self.len() {
            self.clone()
        } else if self.is_whole() {
            Bytes::from(&self.kept[..len])
        } else {
            Bytes {
                kept: Arc::default(),
                let_go: len,
            }
        }
    }

    /// The bytes as text where they are printable ASCII, `.` elsewhere, as
    /// the right-hand column of a hex dump shows them.
    pub fn to_ascii_lossy(&self) -> String {
        ascii_lossy(&self.kept)
    }
}

/// Bytes as text where they are printable ASCII, `.` elsewhere, as the
/// right-hand column of a hex dump shows them: for any slice, such as one
/// line of a dump, not only a whole [`Bytes`].
pub fn ascii_lossy(bytes: &[u8]) -> String {
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

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes::from(v.as_slice())
    }
}

impl From<&[u8]> for Bytes {
    fn from(v: &[u8]) -> Self {
        Bytes {
            // An empty slice's `Arc::default()` is one shared value, not
            // an allocation: half of a capture's segments are bare ACKs.
            kept: if v.is_empty() {
                Arc::default()
            } else {
                v.into()
            },
            let_go: 0,
        }
    }
}

impl Deref for Bytes {
    type Target = [u8];
    /// The bytes kept.
    fn deref(&self) -> &[u8] {
        &self.kept
    }
}

impl PartialEq<[u8]> for Bytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.is_whole() && *self.kept == *other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for Bytes {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.is_whole() && *self.kept == other[..]
    }
}

impl PartialEq<Vec<u8>> for Bytes {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.is_whole() && *self.kept == other[..]
    }
}

impl PartialEq<Bytes> for Vec<u8> {
    fn eq(&self, other: &Bytes) -> bool {
        other == self
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_whole() {
            write!(f, "Bytes({:?})", self.to_ascii_lossy())
        } else {
            write!(
                f,
                "Bytes({:?} and {} let go)",
                self.to_ascii_lossy(),
                self.let_go
            )
        }
    }
}

const DIGITS: &[u8; 16] = b"0123456789abcdef";

fn hex_pair(b: u8) -> [u8; 2] {
    [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0x0f)]]
}

/// Hex written in chunks through a formatter, so a serializer that streams
/// strings (serde_json does) writes it straight into its output: payloads
/// are most of what the relay sends, and building each as a `String` first
/// cost a third of its time in a bulk transfer.
struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 1024];
        for chunk in self.0.chunks(buf.len() / 2) {
            for (pair, &b) in buf.chunks_exact_mut(2).zip(chunk) {
                pair.copy_from_slice(&hex_pair(b));
            }
            let text = buf.get(..chunk.len() * 2).unwrap_or_default();
            f.write_str(std::str::from_utf8(text).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

impl Serialize for Bytes {
    /// Hex, or `[start, length]` into the payload section while a binary
    /// frame is written ([`crate::frame`]); a payload that was let go is
    /// `{"not_kept": length}`, so an event log the page saves says so and
    /// reads back the same.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !self.is_whole() {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry("not_kept", &(self.len() as u64))?;
            return map.end();
        }
        match crate::frame::put_apart(&self.kept) {
            Some(start) => (start, self.kept.len() as u64).serialize(serializer),
            None => serializer.collect_str(&Hex(&self.kept)),
        }
    }
}

impl<'de> Deserialize<'de> for Bytes {
    /// Hex, or `[start, length]` into the payload section while a binary
    /// frame is read ([`crate::frame`]), or `{"not_kept": length}`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor;

        impl<'de> serde::de::Visitor<'de> for BytesVisitor {
            type Value = Bytes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a hex string, or [start, length] in a binary frame")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Bytes, E> {
                Bytes::from_hex(text).map_err(E::custom)
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Bytes, A::Error> {
                use serde::de::Error;
                let mut len: Option<u64> = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "not_kept" {
                        len = Some(map.next_value()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                let len = len.ok_or_else(|| A::Error::missing_field("not_kept"))?;
                let len =
                    usize::try_from(len).map_err(|_| A::Error::custom("not_kept is too large"))?;
                Ok(Bytes {
                    kept: Arc::default(),
                    let_go: len,
                })
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Bytes, A::Error> {
                use serde::de::Error;
                let start: u64 = seq
                    .next_element()?
                    .ok_or_else(|| A::Error::invalid_length(0, &self))?;
                let len: u64 = seq
                    .next_element()?
                    .ok_or_else(|| A::Error::invalid_length(1, &self))?;
                if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(A::Error::invalid_length(3, &self));
                }
                crate::frame::take_from_section(start, len)
                    .map(Bytes::from)
                    .map_err(A::Error::custom)
            }
        }

        // `[start, length]` is only read inside a binary frame's scope.
        deserializer.deserialize_any(BytesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_every_byte() {
        let all = Bytes::from((0..=255).collect::<Vec<u8>>());
        assert_eq!(Bytes::from_hex(&all.to_hex()), Ok(all));
    }

    #[test]
    fn empty_payloads_share_one_value() {
        let from_hex = Bytes::from_hex("").unwrap();
        let from_vec = Bytes::from(Vec::new());
        assert!(from_hex.is_empty() && from_vec.is_empty());
        assert!(Arc::ptr_eq(&from_hex.kept, &from_vec.kept));
        let some = Bytes::from(&b"x"[..]);
        assert!(!Arc::ptr_eq(&some.kept, &from_vec.kept));
    }

    #[test]
    fn hex_accepts_spaces_and_upper_case() {
        assert_eq!(
            Bytes::from_hex("68 65 6C"),
            Ok(Bytes::from(b"hel".to_vec()))
        );
    }

    #[test]
    fn bad_hex_says_where() {
        assert_eq!(
            Bytes::from_hex("6g"),
            Err(HexError::BadDigit {
                position: 1,
                found: 'g'
            })
        );
        assert_eq!(Bytes::from_hex("686"), Err(HexError::OddLength { len: 3 }));
    }

    #[test]
    fn json_form_is_a_hex_string() {
        let json = serde_json::to_string(&Bytes::from(b"hi".to_vec())).unwrap_or_default();
        assert_eq!(json, "\"6869\"");
        // Longer than one chunk of the streaming writer, and not a multiple.
        let long = Bytes::from((0..2500u32).map(|n| (n * 7) as u8).collect::<Vec<u8>>());
        let json = serde_json::to_string(&long).unwrap_or_default();
        assert_eq!(json, format!("\"{}\"", long.to_hex()));
        assert_eq!(serde_json::from_str::<Bytes>(&json).ok(), Some(long));
    }

    #[test]
    fn a_payload_let_go_keeps_its_length_only() {
        let whole = Bytes::from(b"hello".to_vec());
        let gone = whole.let_go();
        assert_eq!(
            (gone.len(), gone.as_slice(), gone.is_whole()),
            (5, &b""[..], false)
        );
        assert_ne!(gone, whole);
        assert!(gone != b"hello".to_vec() && gone != *b"".as_slice());
        assert_eq!(gone.prefix(3).len(), 3);
        assert_eq!(whole.prefix(3), Bytes::from(b"hel".to_vec()));
        assert_eq!(format!("{gone:?}"), "Bytes(\"\" and 5 let go)");
        // Saved and read back, it is still five bytes not kept.
        let json = serde_json::to_string(&gone).unwrap();
        assert_eq!(json, r#"{"not_kept":5}"#);
        assert_eq!(serde_json::from_str::<Bytes>(&json).unwrap(), gone);
    }

    #[test]
    fn ascii_column_hides_control_bytes() {
        assert_eq!(Bytes::from(b"a\x00\nb".to_vec()).to_ascii_lossy(), "a..b");
    }
}
