//! Checking what a learner typed into a form before anything is sent.
//!
//! The relay checks everything again, but catching a typo here lets the
//! form say exactly what is wrong, next to the field, without a round trip.
//! Each function takes the field's text and returns the value or a sentence
//! to show. Values the relay bounds (payloads, buffer sizes, repeats,
//! intervals) are checked by the protocol crate's own checks of its
//! [`Limits`], the ones the relay runs, so a form sends nothing the relay
//! would refuse for a limit and refuses nothing it would run.

use sockscope_shared::{Bytes, Framing, LimitError, Limits, Payload};

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

/// A whole number, for the field called `name`.
fn whole(text: &str, name: &str) -> Result<u32, String> {
    let text = text.trim();
    text.parse()
        .map_err(|_| format!("{name} must be a whole number, got {text:?}"))
}

/// A limit's refusal, as the form shows it.
fn refused(error: LimitError) -> String {
    error.to_string()
}

/// A recv()/recvfrom() buffer size, within the relay's `limits`.
///
/// # Errors
/// When it is not a number or out of range.
pub fn bufsize(text: &str, limits: &Limits) -> Result<u32, String> {
    let value = whole(text, "buffer size")?;
    limits.check_bufsize(value).map_err(refused)?;
    Ok(value)
}

/// How many times a send repeats, within the relay's `limits`.
///
/// # Errors
/// When it is not a number or out of range.
pub fn repeat(text: &str, limits: &Limits) -> Result<u32, String> {
    let value = whole(text, "repeat")?;
    limits.check_repeat(value).map_err(refused)?;
    Ok(value)
}

/// The wait between repeated sends, in milliseconds.
///
/// # Errors
/// When it is not a number or above [`Limits::MAX_INTERVAL_MS`].
pub fn interval(text: &str) -> Result<u32, String> {
    let value = whole(text, "interval")?;
    Limits::check_interval(value).map_err(refused)?;
    Ok(value)
}

/// How the payload field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadKind {
    #[default]
    Text,
    Hex,
}

/// A payload the relay's `limits` allow, and `framing`'s header can
/// describe; empty only where `allow_empty` (UDP may send an empty
/// datagram).
///
/// # Errors
/// Bad hex (with where), empty where not allowed, or too large.
pub fn payload(
    text: &str,
    kind: PayloadKind,
    framing: Framing,
    limits: &Limits,
    allow_empty: bool,
) -> Result<Payload, String> {
    let payload = match kind {
        PayloadKind::Text => Payload::Text(text.to_string()),
        PayloadKind::Hex => Payload::Hex(Bytes::from_hex(text).map_err(|e| e.to_string())?),
    };
    if payload.is_empty() && !allow_empty {
        return Err("the message is empty: TCP would send nothing".to_string());
    }
    limits
        .check_payload(payload.len(), framing)
        .map_err(refused)?;
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

    fn limits() -> Limits {
        Limits {
            max_payload: 100,
            max_bufsize: 4096,
            max_repeat: 10,
            ..Limits::default()
        }
    }

    #[test]
    fn bufsizes_respect_the_relays_limit() {
        assert_eq!(bufsize("1024", &limits()), Ok(1024));
        assert!(bufsize("0", &limits()).is_err());
        assert!(bufsize("5000", &limits()).unwrap_err().contains("4096"));
        assert!(
            bufsize("lots", &limits())
                .unwrap_err()
                .contains("whole number")
        );
    }

    #[test]
    fn repeats_and_intervals_respect_the_relays_limits() {
        assert_eq!(repeat("10", &limits()), Ok(10));
        assert!(repeat("0", &limits()).is_err());
        assert!(repeat("11", &limits()).unwrap_err().contains("10"));
        assert_eq!(interval("60000"), Ok(60_000));
        assert!(interval("60001").unwrap_err().contains("60000"));
    }

    /// What the form lets through is what the relay's own check takes.
    #[test]
    fn the_form_and_the_relay_agree_on_every_payload_size() {
        for len in [0, 1, 99, 100, 101] {
            for framing in Framing::ALL {
                let text = "x".repeat(len);
                let form = payload(&text, PayloadKind::Text, framing, &limits(), true);
                let relay = limits().check(&sockscope_shared::Command::Send {
                    socket: 1,
                    payload: Payload::Text(text.clone()),
                    repeat: 1,
                    interval_ms: 0,
                    framing,
                });
                assert_eq!(form.is_ok(), relay.is_ok(), "{len} {framing:?}");
            }
        }
    }

    #[test]
    fn payloads() {
        assert_eq!(
            payload("hello", PayloadKind::Text, Framing::None, &limits(), false),
            Ok(Payload::Text("hello".into()))
        );
        assert!(payload("", PayloadKind::Text, Framing::None, &limits(), false).is_err());
        assert_eq!(
            payload("", PayloadKind::Text, Framing::None, &limits(), true),
            Ok(Payload::Text(String::new()))
        );
        assert!(
            payload("6g", PayloadKind::Hex, Framing::None, &limits(), false)
                .unwrap_err()
                .contains("not a hex digit")
        );
        assert_eq!(
            payload("00 ff", PayloadKind::Hex, Framing::None, &limits(), false),
            Ok(Payload::Hex(Bytes::from(vec![0, 255])))
        );
        let small = Limits {
            max_payload: 3,
            ..limits()
        };
        assert!(payload("abcd", PayloadKind::Text, Framing::U32Be, &small, false).is_err());
        assert!(
            payload(
                "x".repeat(10_000).as_str(),
                PayloadKind::Text,
                Framing::Ascii4,
                &Limits::default(),
                false
            )
            .is_err()
        );
    }

    #[test]
    fn hosts() {
        assert_eq!(host(" 127.0.0.1"), Ok("127.0.0.1".into()));
        assert!(host("").is_err());
        assert!(host("a b").is_err());
    }
}
