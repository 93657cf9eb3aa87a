//! Assembling a capture state: capture on (and on which interface), off
//! (why, and the command that fixes it), or its counters. A capture event
//! carries one at its top level, a hello inside `capabilities.capture`.

use super::error::DecodeError;
use super::reader::{Word, need, read_then_assemble, unknown};
use crate::CaptureState;

/// The `state` tags of a capture state.
pub(super) const CAPTURE_STATES: &[&str] = &["on", "off", "stats"];

read_then_assemble!(
    CaptureState,
    WireCapture,
    take_state,
    "a capture state object"
);

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

impl WireCapture<'_> {
    /// The capture state this object makes, or what it lacks.
    fn take_state(&mut self) -> Result<CaptureState, DecodeError> {
        take_capture_parts!(self).into_state(self.state.take(), "capture state")
    }
}

/// Takes the fields of a capture state apart from its tag out of a wire
/// struct that holds them under their own names (a capture state object,
/// or an event), moving each value rather than copying it.
macro_rules! take_capture_parts {
    ($wire:expr) => {
        super::capture::CaptureParts {
            interface: $wire.interface.take(),
            reason: $wire.reason.take(),
            fix: $wire.fix.take(),
            received: $wire.received.take(),
            dropped_by_kernel: $wire.dropped_by_kernel.take(),
            dropped_by_interface: $wire.dropped_by_interface.take(),
        }
    };
}

pub(super) use take_capture_parts;

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
