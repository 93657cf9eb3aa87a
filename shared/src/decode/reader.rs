//! The reading and error helpers every decoder here shares.
//!
//! An object is read whole into a wire struct, a slot per key, and then
//! assembled into the typed value its tags name ([`Assemble`]); assembly
//! errors are raised inside the deserializer's own reading of the object
//! ([`ReadThenAssemble`]), so that serde_json adds the line and column as it
//! does to its own. [`need`] and [`unknown`] make the two errors assembly
//! finds, typed ([`DecodeError`]); [`Word`] reads a tag without copying it.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use super::error::{DecodeError, DecodeErrorKind};

/// A wire struct that makes a typed value, or says what is missing.
pub(crate) trait Assemble {
    type Value;
    /// What the object is, for serde's "expected …" messages.
    const EXPECTING: &'static str;
    /// Takes what it needs out of the wire struct, field by field, rather
    /// than moving the whole struct (every field of every event) along.
    fn assemble(&mut self) -> Result<Self::Value, DecodeError>;
}

/// Reads an object into the wire struct `W` and assembles it, inside the
/// deserializer's own reading of the object, so that serde_json adds the
/// line and column to an assembly error as it does to its own.
pub(crate) struct ReadThenAssemble<W>(pub(crate) PhantomData<W>);

impl<'de, W: Deserialize<'de> + Assemble> Visitor<'de> for ReadThenAssemble<W> {
    type Value = W::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(W::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<W::Value, A::Error> {
        let mut wire = W::deserialize(MapAccessDeserializer::new(map))?;
        wire.assemble().map_err(de::Error::custom)
    }
}

/// Makes `$value` read as the wire struct `$wire` assembled by its method
/// `$assemble`, inside the deserializer's own reading of the object
/// ([`ReadThenAssemble`]): the two impls every decoded type needs, written
/// once. Nothing is added per object: the impls are what each type had by
/// hand, and the wire struct is still read in place and taken from.
macro_rules! read_then_assemble {
    ($value:ty, $wire:ident, $assemble:ident, $expecting:literal) => {
        impl<'de> ::serde::de::Deserialize<'de> for $value {
            fn deserialize<D: ::serde::de::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                deserializer.deserialize_map(super::reader::ReadThenAssemble::<$wire<'de>>(
                    ::std::marker::PhantomData,
                ))
            }
        }

        impl super::reader::Assemble for $wire<'_> {
            type Value = $value;
            const EXPECTING: &'static str = $expecting;
            fn assemble(&mut self) -> Result<$value, super::error::DecodeError> {
                self.$assemble()
            }
        }
    };
}

pub(super) use read_then_assemble;

/// A field that `context` (`send call event`; empty for any event)
/// needs, or an error naming both.
///
/// # Errors
/// [`DecodeErrorKind::Missing`] when the field was left out.
pub(crate) fn need<T>(
    value: Option<T>,
    context: &str,
    field: &'static str,
) -> Result<T, DecodeError> {
    value.ok_or_else(|| missing(context, field))
}

/// Kept out of line: `need` is made once per field type, and its error
/// need not be.
#[cold]
#[inline(never)]
fn missing(context: &str, field: &'static str) -> DecodeError {
    DecodeError {
        context: context.to_owned(),
        field,
        kind: DecodeErrorKind::Missing,
    }
}

/// A tag or name that is none of those `expected` in `field`.
#[cold]
#[inline(never)]
pub(crate) fn unknown(
    context: &str,
    field: &'static str,
    found: &str,
    expected: &'static [&'static str],
) -> DecodeError {
    DecodeError {
        context: context.to_owned(),
        field,
        kind: DecodeErrorKind::UnknownName {
            found: found.to_owned(),
            expected,
        },
    }
}

/// A string read without a copy when the input allows it (JSON without
/// escapes, read from a string in memory): the tags, of which every event
/// has one to three, a state name, and a command's `cmd`.
#[derive(Clone)]
pub(crate) struct Word<'a>(Cow<'a, str>);

impl Word<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Word<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WordVisitor;

        impl<'de> Visitor<'de> for WordVisitor {
            type Value = Word<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Word<'de>, E> {
                Ok(Word(Cow::Borrowed(text)))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Word<'de>, E> {
                Ok(Word(Cow::Owned(text.to_owned())))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Word<'de>, E> {
                Ok(Word(Cow::Owned(text)))
            }
        }

        deserializer.deserialize_str(WordVisitor)
    }
}

impl<'a> From<Cow<'a, str>> for Word<'a> {
    fn from(text: Cow<'a, str>) -> Word<'a> {
        Word(text)
    }
}
