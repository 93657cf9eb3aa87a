//! Reading one field of a request without failing on its value.
//!
//! serde stops at the first value it cannot read and says why in words.
//! A request is read differently: every value is read into a [`Slot`],
//! which holds the value, or says that the key was absent, or holds what
//! was wrong with it ([`DecodeErrorKind`]). Only JSON that is not JSON
//! stops the reading. Once the whole object is read, the command its `cmd`
//! names takes its fields in the order it declares them, and the first
//! absent or wrong one is the error, typed, with its field
//! (`request.rs`). Fields no command of that name has are never looked at,
//! as serde's derive ignored them.
//!
//! Each value is first read as a [`Raw`] value (a number, a string, a
//! list or object skipped over), then made into the field's type by a
//! small function that knows the type's range and names.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::error::{DecodeErrorKind, Found};
use super::reader::Word;
use crate::{Bytes, Framing, LinkSettings, PathPreset, Payload, ShutdownHow, SocketOption};

/// A key a request may carry: the fields of every command, and `id` and
/// `cmd`. Errors and refusals name the field with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Id,
    Cmd,
    Socket,
    Host,
    Port,
    Backlog,
    ReuseAddr,
    AutoAccept,
    On,
    Payload,
    Repeat,
    IntervalMs,
    Framing,
    Bufsize,
    DelayMs,
    Option,
    How,
    Ports,
    Path,
    Seed,
    Mtu,
    ClientToServer,
    ServerToClient,
}

impl Field {
    /// The key as JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Cmd => "cmd",
            Field::Socket => "socket",
            Field::Host => "host",
            Field::Port => "port",
            Field::Backlog => "backlog",
            Field::ReuseAddr => "reuse_addr",
            Field::AutoAccept => "auto_accept",
            Field::On => "on",
            Field::Payload => "payload",
            Field::Repeat => "repeat",
            Field::IntervalMs => "interval_ms",
            Field::Framing => "framing",
            Field::Bufsize => "bufsize",
            Field::DelayMs => "delay_ms",
            Field::Option => "option",
            Field::How => "how",
            Field::Ports => "ports",
            Field::Path => "path",
            Field::Seed => "seed",
            Field::Mtu => "mtu",
            Field::ClientToServer => "client_to_server",
            Field::ServerToClient => "server_to_client",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `framing` names, as the derived `Serialize` writes them.
const FRAMINGS: &[&str] = &["none", "ascii4", "u32_le", "u32_be"];
/// The `how` names of a shutdown.
const SHUTDOWNS: &[&str] = &["read", "write", "both"];
/// The `name`s of a socket option.
const OPTIONS: &[&str] = &["tcp_nodelay", "recv_buffer", "send_buffer", "linger_zero"];
/// The keys of a payload object.
const PAYLOAD_KEYS: &[&str] = &["text", "hex"];

const WHOLE_U16: &str = "a whole number from 0 to 65535";
const WHOLE_U32: &str = "a whole number from 0 to 4294967295";
const OPTION_SHAPE: &str = "an option such as {\"name\": \"tcp_nodelay\", \"value\": true}";
const PAYLOAD_SHAPE: &str = "one `text` or `hex` key, such as {\"text\": \"hello\"}";

/// One field of a request as read: absent, a value, or what was wrong.
#[derive(Default)]
pub(super) enum Slot<T> {
    #[default]
    Absent,
    Given(T),
    Wrong(DecodeErrorKind),
}

/// A type a request field holds, made from the value as read.
pub(super) trait FromRaw<'de>: Sized {
    /// Whether `null` reads as an absent key (only a request's `id`:
    /// `null` is refused for every other field).
    const TAKES_NULL: bool = false;
    fn from_raw(raw: Raw<'de>) -> Result<Self, DecodeErrorKind>;
}

impl<'de, T: FromRaw<'de>> Deserialize<'de> for Slot<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Raw::deserialize(deserializer)? {
            Raw::Null if T::TAKES_NULL => Slot::Absent,
            raw => match T::from_raw(raw) {
                Ok(value) => Slot::Given(value),
                Err(kind) => Slot::Wrong(kind),
            },
        })
    }
}

/// A JSON value as read for a field: scalars kept, a list or an object
/// kept only where a field takes one (a payload, a socket option, ports),
/// otherwise skipped over and remembered as such.
pub(super) enum Raw<'de> {
    Null,
    Bool(bool),
    Integer(i128),
    Float(f64),
    Text(Cow<'de, str>),
    Ports(Result<Vec<u16>, DecodeErrorKind>),
    Object(Object<'de>),
}

/// An object's keys as a payload or a socket option reads them: its
/// `text`, `hex`, `name` and `value`, the first other key, and how many
/// keys there were. Other values are skipped over.
#[derive(Default)]
pub(super) struct Object<'de> {
    text: Option<Box<Raw<'de>>>,
    hex: Option<Box<Raw<'de>>>,
    name: Option<Box<Raw<'de>>>,
    value: Option<Box<Raw<'de>>>,
    other: Option<Word<'de>>,
    /// The other keys' values, for a link's settings; at most
    /// [`MAX_OTHER_KEYS`] are kept.
    others: Vec<(Word<'de>, Raw<'de>)>,
    keys: usize,
}

/// The most keys of an object kept beyond the named ones: a link's
/// settings have eight.
const MAX_OTHER_KEYS: usize = 16;

impl Raw<'_> {
    /// What this is, for a message saying it is of the wrong type.
    fn found(&self) -> Found {
        match self {
            Raw::Null => Found::Null,
            Raw::Bool(value) => Found::Bool(*value),
            Raw::Integer(value) => Found::Integer(*value),
            Raw::Float(value) => Found::Float(*value),
            Raw::Text(text) => Found::Text(text.as_ref().to_owned()),
            Raw::Ports(_) => Found::Array,
            Raw::Object(_) => Found::Object,
        }
    }

    fn wrong(&self, expected: &'static str) -> DecodeErrorKind {
        DecodeErrorKind::WrongType {
            found: self.found(),
            expected,
        }
    }
}

impl<'de> Deserialize<'de> for Raw<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Raw<'de>, E> {
        Ok(Raw::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Raw<'de>, E> {
        Ok(Raw::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw<'de>, D::Error> {
        Raw::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Raw<'de>, E> {
        Ok(Raw::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Raw<'de>, E> {
        Ok(Raw::Integer(i128::from(value)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Raw<'de>, E> {
        Ok(Raw::Integer(i128::from(value)))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Raw<'de>, E> {
        Ok(Raw::Float(value))
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Raw<'de>, E> {
        Ok(Raw::Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Raw<'de>, E> {
        Ok(Raw::Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Raw<'de>, E> {
        Ok(Raw::Text(Cow::Owned(text)))
    }

    /// Lists are read as ports, the one list a request has; any element
    /// that is not a port is remembered and the rest skipped over.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw<'de>, A::Error> {
        let mut ports = Ok(Vec::new());
        while let Some(raw) = seq.next_element::<Raw<'de>>()? {
            if let Ok(list) = &mut ports {
                match u16::from_raw(raw) {
                    Ok(port) => list.push(port),
                    Err(kind) => ports = Err(kind),
                }
            }
        }
        Ok(Raw::Ports(ports))
    }

    /// Objects are read as a payload or a socket option needs them.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw<'de>, A::Error> {
        let mut object = Object::default();
        while let Some(key) = map.next_key::<Word<'de>>()? {
            object.keys += 1;
            let slot = match key.as_str() {
                "text" => &mut object.text,
                "hex" => &mut object.hex,
                "name" => &mut object.name,
                "value" => &mut object.value,
                _ => {
                    if object.others.len() < MAX_OTHER_KEYS {
                        object.other.get_or_insert_with(|| key.clone());
                        let value = map.next_value::<Raw<'de>>()?;
                        object.others.push((key, value));
                    } else {
                        object.other.get_or_insert(key);
                        map.next_value::<IgnoredAny>()?;
                    }
                    continue;
                }
            };
            *slot = Some(Box::new(map.next_value()?));
        }
        Ok(Raw::Object(object))
    }
}

/// A whole number no larger than `max`.
fn whole(raw: &Raw<'_>, max: u64, expected: &'static str) -> Result<u64, DecodeErrorKind> {
    match *raw {
        Raw::Integer(found) => u64::try_from(found)
            .ok()
            .filter(|value| *value <= max)
            .ok_or(DecodeErrorKind::OutOfRange { found, max }),
        _ => Err(raw.wrong(expected)),
    }
}

impl FromRaw<'_> for u64 {
    fn from_raw(raw: Raw<'_>) -> Result<u64, DecodeErrorKind> {
        whole(&raw, u64::MAX, "a whole number")
    }
}

impl FromRaw<'_> for u32 {
    fn from_raw(raw: Raw<'_>) -> Result<u32, DecodeErrorKind> {
        let value = whole(&raw, u64::from(u32::MAX), WHOLE_U32)?;
        u32::try_from(value).map_err(|_| raw.wrong(WHOLE_U32))
    }
}

impl FromRaw<'_> for u16 {
    fn from_raw(raw: Raw<'_>) -> Result<u16, DecodeErrorKind> {
        let value = whole(&raw, u64::from(u16::MAX), WHOLE_U16)?;
        u16::try_from(value).map_err(|_| raw.wrong(WHOLE_U16))
    }
}

impl FromRaw<'_> for bool {
    fn from_raw(raw: Raw<'_>) -> Result<bool, DecodeErrorKind> {
        match raw {
            Raw::Bool(value) => Ok(value),
            other => Err(other.wrong("true or false")),
        }
    }
}

impl FromRaw<'_> for String {
    fn from_raw(raw: Raw<'_>) -> Result<String, DecodeErrorKind> {
        match raw {
            Raw::Text(text) => Ok(text.into_owned()),
            other => Err(other.wrong("a string")),
        }
    }
}

impl<'de> FromRaw<'de> for Word<'de> {
    fn from_raw(raw: Raw<'de>) -> Result<Word<'de>, DecodeErrorKind> {
        match raw {
            Raw::Text(text) => Ok(Word::from(text)),
            other => Err(other.wrong("a command name (a string)")),
        }
    }
}

/// One of `names`, by position.
fn named(raw: Raw<'_>, names: &'static [&'static str]) -> Result<usize, DecodeErrorKind> {
    match raw {
        Raw::Text(text) => names
            .iter()
            .position(|name| *name == text.as_ref())
            .ok_or_else(|| DecodeErrorKind::UnknownName {
                found: text.into_owned(),
                expected: names,
            }),
        other => Err(other.wrong("a name (a string)")),
    }
}

impl FromRaw<'_> for Framing {
    fn from_raw(raw: Raw<'_>) -> Result<Framing, DecodeErrorKind> {
        let framings = [
            Framing::None,
            Framing::Ascii4,
            Framing::U32Le,
            Framing::U32Be,
        ];
        let at = named(raw, FRAMINGS)?;
        framings.get(at).copied().ok_or(DecodeErrorKind::Missing)
    }
}

impl FromRaw<'_> for ShutdownHow {
    fn from_raw(raw: Raw<'_>) -> Result<ShutdownHow, DecodeErrorKind> {
        let hows = [ShutdownHow::Read, ShutdownHow::Write, ShutdownHow::Both];
        let at = named(raw, SHUTDOWNS)?;
        hows.get(at).copied().ok_or(DecodeErrorKind::Missing)
    }
}

impl FromRaw<'_> for Vec<u16> {
    fn from_raw(raw: Raw<'_>) -> Result<Vec<u16>, DecodeErrorKind> {
        match raw {
            Raw::Ports(ports) => ports,
            other => Err(other.wrong("a list of ports")),
        }
    }
}

impl FromRaw<'_> for Payload {
    /// `{"text": …}` or `{"hex": …}`: exactly one key.
    fn from_raw(raw: Raw<'_>) -> Result<Payload, DecodeErrorKind> {
        let object = match raw {
            Raw::Object(object) if object.keys == 1 => object,
            other => return Err(other.wrong(PAYLOAD_SHAPE)),
        };
        if let Some(text) = object.text {
            return match *text {
                Raw::Text(text) => Ok(Payload::Text(text.into_owned())),
                other => Err(other.wrong("a string")),
            };
        }
        if let Some(hex) = object.hex {
            return match *hex {
                Raw::Text(text) => Bytes::from_hex(&text)
                    .map(Payload::Hex)
                    .map_err(DecodeErrorKind::InvalidHex),
                other => Err(other.wrong("a hex string")),
            };
        }
        let found = match (object.other, object.name.is_some()) {
            (Some(key), _) => key.as_str().to_owned(),
            (None, true) => "name".to_owned(),
            (None, false) => "value".to_owned(),
        };
        Err(DecodeErrorKind::UnknownName {
            found,
            expected: PAYLOAD_KEYS,
        })
    }
}

impl<'de> FromRaw<'de> for SocketOption {
    /// `{"name": …, "value": …}`, the value as the name needs it.
    fn from_raw(raw: Raw<'de>) -> Result<SocketOption, DecodeErrorKind> {
        let object = match raw {
            Raw::Object(object) => object,
            other => return Err(other.wrong(OPTION_SHAPE)),
        };
        let Some(name) = object.name.map(|name| *name) else {
            return Err(DecodeErrorKind::WrongType {
                found: Found::Object,
                expected: OPTION_SHAPE,
            });
        };
        let value = object.value.map(|value| *value);
        let needs_value = |value: Option<Raw<'de>>| {
            value.ok_or(DecodeErrorKind::WrongType {
                found: Found::Object,
                expected: OPTION_SHAPE,
            })
        };
        Ok(match named(name, OPTIONS)? {
            0 => SocketOption::TcpNodelay(bool::from_raw(needs_value(value)?)?),
            1 => SocketOption::RecvBuffer(u32::from_raw(needs_value(value)?)?),
            2 => SocketOption::SendBuffer(u32::from_raw(needs_value(value)?)?),
            _ => match value {
                None | Some(Raw::Null) => SocketOption::LingerZero,
                Some(other) => return Err(other.wrong("nothing (linger_zero takes no value)")),
            },
        })
    }
}

/// A request's `id`: a whole number, or `null` for none.
pub(super) struct RequestId(pub(super) u64);

impl FromRaw<'_> for RequestId {
    const TAKES_NULL: bool = true;
    fn from_raw(raw: Raw<'_>) -> Result<RequestId, DecodeErrorKind> {
        whole(&raw, u64::MAX, "a request id (a whole number)").map(RequestId)
    }
}

/// The `path` names of `set_path`.
const PATHS: &[&str] = &["loopback", "lan", "wifi", "internet", "lossy", "custom"];
/// The keys of a link's settings.
const LINK_KEYS: &[&str] = &[
    "delay_ms",
    "jitter_ms",
    "loss_percent",
    "loss_burst",
    "reorder_percent",
    "duplicate_percent",
    "rate_kbps",
    "queue_bytes",
];
const LINK_SHAPE: &str = "a link's settings such as {\"delay_ms\": 20, \"loss_percent\": 1}";

impl FromRaw<'_> for PathPreset {
    fn from_raw(raw: Raw<'_>) -> Result<PathPreset, DecodeErrorKind> {
        let at = named(raw, PATHS)?;
        PathPreset::ALL
            .get(at)
            .copied()
            .ok_or(DecodeErrorKind::Missing)
    }
}

/// A number, whole or not.
fn number(raw: &Raw<'_>) -> Result<f64, DecodeErrorKind> {
    match *raw {
        #[allow(clippy::cast_precision_loss)] // settings are far below 2^52
        Raw::Integer(value) => Ok(value as f64),
        Raw::Float(value) => Ok(value),
        _ => Err(raw.wrong("a number")),
    }
}

impl FromRaw<'_> for LinkSettings {
    /// An object of the keys in [`LINK_KEYS`], each optional; ranges are
    /// checked by `PathSettings::check`.
    fn from_raw(raw: Raw<'_>) -> Result<LinkSettings, DecodeErrorKind> {
        let object = match raw {
            Raw::Object(object) => object,
            other => return Err(other.wrong(LINK_SHAPE)),
        };
        if let Some(first) = [
            (object.text.is_some(), "text"),
            (object.hex.is_some(), "hex"),
            (object.name.is_some(), "name"),
            (object.value.is_some(), "value"),
        ]
        .into_iter()
        .find_map(|(given, key)| given.then_some(key))
        {
            return Err(DecodeErrorKind::UnknownName {
                found: first.to_owned(),
                expected: LINK_KEYS,
            });
        }
        if object.keys > object.others.len() {
            let found = object
                .other
                .map_or_else(String::new, |k| k.as_str().to_owned());
            return Err(DecodeErrorKind::UnknownName {
                found,
                expected: LINK_KEYS,
            });
        }
        let mut link = LinkSettings::default();
        for (key, value) in object.others {
            match key.as_str() {
                "delay_ms" => link.delay_ms = number(&value)?,
                "jitter_ms" => link.jitter_ms = number(&value)?,
                "loss_percent" => link.loss_percent = number(&value)?,
                "loss_burst" => link.loss_burst = number(&value)?,
                "reorder_percent" => link.reorder_percent = number(&value)?,
                "duplicate_percent" => link.duplicate_percent = number(&value)?,
                "rate_kbps" => link.rate_kbps = u32::from_raw(value)?,
                "queue_bytes" => link.queue_bytes = u32::from_raw(value)?,
                other => {
                    return Err(DecodeErrorKind::UnknownName {
                        found: other.to_owned(),
                        expected: LINK_KEYS,
                    });
                }
            }
        }
        Ok(link)
    }
}
