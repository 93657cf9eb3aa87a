//! Assembling a capture state: capture on (and on which interface), off
//! (why, and the command that fixes it), or its counters. A capture event
//! carries one at its top level, a hello inside `capabilities.capture`.

use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer};

use super::error::DecodeError;
use super::reader::{Assemble, ReadThenAssemble, Word, need, unknown};
use crate::CaptureState;

/// The `state` tags of a capture state.
pub(super) const CAPTURE_STATES: &[&str] = &["on", "off", "stats"];

impl<'de> Deserialize<'de> for CaptureState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ReadThenAssemble::<WireCapture<'de>>(PhantomData))
    }
}

impl Assemble for WireCapture<'_> {
    type Value = CaptureState;
    const EXPECTING: &'static str = "a capture state object";
    fn assemble(&mut self) -> Result<CaptureState, DecodeError> {
        CaptureParts {
            interface: self.interface.take(),
            reason: self.reason.take(),
            fix: self.fix.take(),
            received: self.received.take(),
            dropped_by_kernel: self.dropped_by_kernel.take(),
            dropped_by_interface: self.dropped_by_interface.take(),
        }
        .into_state(self.state.take(), "capture state")
    }
}

/// A capture state object (the hello's `capabilities.capture`), as read.
#[derive(serde::Deserialize)]
struct WireCapture<'a> {
    #[serde(borrow)]
    state: Option<Word<'a>>,
    interface: Option<String>,
    reason: Option<String>,
    fix: Option<String>,
    received: Option<u64>,
    dropped_by_kernel: Option<u64>,
    dropped_by_interface: Option<u64>,
}

/// The fields of a capture state apart from its tag, which a capture event
/// carries at its top level and a hello inside `capabilities.capture`.
pub(super) struct CaptureParts {
    pub(super) interface: Option<String>,
    pub(super) reason: Option<String>,
    pub(super) fix: Option<String>,
    pub(super) received: Option<u64>,
    pub(super) dropped_by_kernel: Option<u64>,
    pub(super) dropped_by_interface: Option<u64>,
}

impl CaptureParts {
    /// The capture state tagged `state`; `owner` names what holds it
    /// (`capture event`, `capture state`). Rare, so its messages are
    /// put together here rather than kept ready.
    pub(super) fn into_state(
        self,
        state: Option<Word<'_>>,
        owner: &str,
    ) -> Result<CaptureState, DecodeError> {
        let state = need(state, owner, "state")?;
        let c = format!("{owner} ({})", state.as_str());
        let c = c.as_str();
        Ok(match state.as_str() {
            "on" => CaptureState::On {
                interface: need(self.interface, c, "interface")?,
            },
            "off" => CaptureState::Off {
                reason: need(self.reason, c, "reason")?,
                fix: need(self.fix, c, "fix")?,
            },
            "stats" => CaptureState::Stats {
                received: need(self.received, c, "received")?,
                dropped_by_kernel: need(self.dropped_by_kernel, c, "dropped_by_kernel")?,
                dropped_by_interface: need(self.dropped_by_interface, c, "dropped_by_interface")?,
            },
            other => return Err(unknown(owner, "state", other, CAPTURE_STATES)),
        })
    }
}
