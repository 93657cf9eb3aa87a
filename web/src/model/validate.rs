//! Checking what a learner typed into a form before anything is sent.
//!
//! The relay checks everything again, but catching a typo here lets the
//! form say exactly what is wrong, next to the field, without a round trip.
//! Each function takes the field's text and returns the value or a sentence
//! to show.

use sockscope_shared::{Bytes, Framing, Payload};

/// A port: 1..65535, or 0 (the kernel chooses) where `allow_zero`.
///
/// # Errors
/// A sentence naming the bad input.
pub fn port(text: &str, allow_zero: bool) -> Result<u16, String> {
    let text = text.trim();
    let value: u32 = text
        .parse()
        .map_err(|_| format!("port must be a number, got {text:?}"))?;
    let low = if allow_zero { 0 } else { 1 };
    if value < low || value > 65535 {
        return Err(format!("port must be between {low} and 65535, got {value}"));
    }
    u16::try_from(value).map_err(|_| format!("port {value} is too large"))
}

/// A host: an IP address or name without spaces.
///
/// # Errors
/// When it is empty or contains whitespace.
pub fn host(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("host is empty: try 127.0.0.1".to_string());
    }
    if text.chars().any(char::is_whitespace) {
        return Err(format!("host {text:?} contains a space"));
    }
    Ok(text.to_string())
}

/// A whole number in `min..=max`, for the field called `name`.
///
/// # Errors
/// When it is not a number or out of range.
pub fn number(text: &str, name: &str, min: u32, max: u32) -> Result<u32, String> {
    let text = text.trim();
    let value: u64 = text
        .parse()
        .map_err(|_| format!("{name} must be a whole number, got {text:?}"))?;
    if value < u64::from(min) || value > u64::from(max) {
        return Err(format!(
            "{name} must be between {min} and {max}, got {value}"
        ));
    }
    u32::try_from(value).map_err(|_| format!("{name} is too large"))
}

/// A recv()/recvfrom() buffer size: 1..=`max`.
///
/// # Errors
/// When it is not a number or out of range.
pub fn bufsize(text: &str, max: u32) -> Result<u32, String> {
    number(text, "buffer size", 1, max)
}

/// How the payload field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadKind {
    #[default]
    Text,
    Hex,
}

/// A payload of at most `max` bytes (after `framing`'s header is added);
/// empty only where `allow_empty` (UDP may send an empty datagram).
///
/// # Errors
/// Bad hex (with where), empty where not allowed, or too large.
pub fn payload(
    text: &str,
    kind: PayloadKind,
    framing: Framing,
    max: u32,
    allow_empty: bool,
) -> Result<Payload, String> {
    let payload = match kind {
        PayloadKind::Text => Payload::Text(text.to_string()),
        PayloadKind::Hex => Payload::Hex(Bytes::from_hex(text).map_err(|e| e.to_string())?),
    };
    if payload.is_empty() && !allow_empty {
        return Err("the message is empty: TCP would send nothing".to_string());
    }
    if payload.len() > framing.max_message_len() {
        return Err(format!(
            "{} bytes do not fit this framing's header (at most {})",
            payload.len(),
            framing.max_message_len()
        ));
    }
    let total = payload.len() + framing.header_len();
    if total > usize::try_from(max).unwrap_or(usize::MAX) {
        return Err(format!(
            "{total} bytes is more than the relay's limit of {max}"
        ));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(port(" 9527 ", false), Ok(9527));
        assert!(
            port("0", false)
                .unwrap_err()
                .contains("between 1 and 65535")
        );
        assert_eq!(port("0", true), Ok(0));
        assert!(port("65536", false).is_err());
        assert!(port("http", false).unwrap_err().contains("number"));
    }

    #[test]
    fn bufsizes_respect_the_relays_limit() {
        assert_eq!(bufsize("1024", 4096), Ok(1024));
        assert!(bufsize("0", 4096).is_err());
        assert!(bufsize("5000", 4096).unwrap_err().contains("4096"));
    }

    #[test]
    fn payloads() {
        assert_eq!(
            payload("hello", PayloadKind::Text, Framing::None, 100, false),
            Ok(Payload::Text("hello".into()))
        );
        assert!(payload("", PayloadKind::Text, Framing::None, 100, false).is_err());
        assert_eq!(
            payload("", PayloadKind::Text, Framing::None, 100, true),
            Ok(Payload::Text(String::new()))
        );
        assert!(
            payload("6g", PayloadKind::Hex, Framing::None, 100, false)
                .unwrap_err()
                .contains("not a hex digit")
        );
        assert_eq!(
            payload("00 ff", PayloadKind::Hex, Framing::None, 100, false),
            Ok(Payload::Hex(Bytes::from(vec![0, 255])))
        );
        assert!(payload("abcd", PayloadKind::Text, Framing::U32Be, 6, false).is_err());
    }

    #[test]
    fn hosts() {
        assert_eq!(host(" 127.0.0.1"), Ok("127.0.0.1".into()));
        assert!(host("").is_err());
        assert!(host("a b").is_err());
    }
}
