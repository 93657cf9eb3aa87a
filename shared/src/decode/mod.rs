//! The decoders of what crosses the wire: events, and requests.
//!
//! serde's derive reads the protocol's flat, tagged objects by buffering
//! each one into an untyped tree and decoding the tree again for every
//! tagged layer, and says what was wrong only in words. The decoders here
//! read each object once, into a struct with a slot for every key any
//! variant has, and then assemble the typed value its tags name; what was
//! wrong is typed data ([`DecodeError`], [`RequestError`]: a kind, the
//! field, and what holds it), which the relay sorts into error codes by a
//! `match` and the page words in its languages.
//!
//! - `reader.rs`: what every decoder shares: read then assemble, the
//!   missing-field and unknown-name errors, tags read without a copy.
//! - `event.rs`, `call.rs`, `segment.rs`, `capture.rs`: an event, its call
//!   and result, its segment, a capture state.
//! - `request.rs`, `request_field.rs`: a request (and a command read
//!   alone, as a lesson's step), each field read without failing so that
//!   the first problem is found in the command's own order.
//! - `error.rs`: the errors.
//!
//! Serialization stays the derive's: what the relay writes is unchanged,
//! and tests hold each decoder to the derive's reading of it.

mod call;
mod capture;
mod error;
mod event;
mod reader;
mod request;
mod request_field;
mod segment;

#[cfg(test)]
mod event_tests;
#[cfg(test)]
mod request_tests;

pub use error::{DecodeError, DecodeErrorKind, Found, RequestError};
pub use request_field::Field;
