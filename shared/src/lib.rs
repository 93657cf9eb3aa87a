//! The language the sockscope relay and its page speak over the WebSocket.
//!
//! Everything here is plain data with serde derives: no I/O, no async, no
//! browser. The relay (native) and the page (wasm) both depend on this crate,
//! so a type changed here changes both ends in the same commit.
//!
//! - [`Request`] and [`Command`]: what the page asks the relay to do.
//!   Written by serde's derive and read by a decoder of their own
//!   (`decode/request.rs`), which reads each object once and says what was
//!   wrong as a typed [`RequestError`].
//! - [`Event`] and [`EventKind`]: what the relay reports back, one JSON text
//!   frame per event, ordered by [`Event::index`]. Events are written by
//!   serde's derive and read by a decoder of their own
//!   (`decode/event.rs`), which reads each object once.
//! - [`Limits`]: what one session may ask for, and the one check of a
//!   command against them ([`Limits::check`]), shared by the relay, the
//!   page's forms and the lessons' stand-in relay.
//! - [`Bytes`]: payloads, carried as lowercase hex in JSON (version 1), or
//!   as raw bytes beside it in a binary frame ([`frame`], version 2).
//! - [`Lesson`]: an experiment as a script of commands, for the page to run
//!   (not part of the WebSocket protocol; it is here so teachers' tools can
//!   read and write lessons with the same types).
//!
//! `docs/PROTOCOL.md` documents the same types for people scripting the relay
//! from another language.

mod bytes;
mod command;
mod decode;
mod endpoint;
mod error;
mod event;
pub mod frame;
mod lesson;
mod limits;
mod path;
mod segment;
mod tcp_analysis;
mod tcp_info;
mod tcp_state;
#[cfg(test)]
mod wrong_answers;

pub use bytes::{Bytes, HexError, ascii_lossy};
pub use command::{Command, Framing, Payload, Request, ShutdownHow, SocketOption};
pub use decode::{DecodeError, DecodeErrorKind, Field, Found, RequestError};
pub use endpoint::Endpoint;
pub use error::{CommandError, ErrorCode, Limit, OsError};
pub use event::{
    Call, CallEvent, CallResult, Capabilities, CaptureState, Event, EventKind, Hello,
    NonZeroSocketId, SendStage, SocketId, TCP_INFO_EVERY_US, Transport, WaitReason, WaitingCall,
};
pub use lesson::{Lesson, RecvBody, Reply, Step, StepAction, Text, Transform};
pub use limits::{Bound, LimitError, Limits};
pub use path::{
    CrossingNumber, LabAvailability, LabHost, LabPath, LinkCounts, LinkSettings, PathCounts,
    PathDrop, PathFate, PathPreset, PathRequest, PathSettingError, PathSettings, PathState, Tap,
};
pub use segment::{
    Direction, SackBlock, Segment, SegmentEvent, TcpFlags, TcpOptions, Timestamps, UdpDatagram,
};
pub use tcp_analysis::{TcpAnalyses, TcpAnalysis};
pub use tcp_info::{CaState, TcpInfo};
pub use tcp_state::TcpState;

/// The newest protocol version. It changes whenever a command or event
/// changes shape in a way an older page or script would misread. A client
/// is spoken [`PROTOCOL_VERSION_TEXT`] unless it offers
/// [`frame::BINARY_SUBPROTOCOL`]; the [`Hello`] says which one it got.
pub const PROTOCOL_VERSION: u32 = 2;

/// Version 1: every frame JSON text, payloads as hex.
pub const PROTOCOL_VERSION_TEXT: u32 = 1;
