//! The props the two views of one byte stream share: the lanes
//! ([`super::stream_lanes`]) and the framing decoder
//! ([`super::framing_panel`]) both draw one direction of one TCP
//! connection up to the player's step, and both should render again only
//! when what they draw of it changes.

use crate::model::{Horizon, StreamShown};
use crate::state::ModelRef;

/// One direction of one connection, and how much of it the player shows.
#[derive(Clone)]
pub struct ShownStream {
    pub model: ModelRef,
    pub conversation: usize,
    pub direction: usize,
    /// What the player shows.
    pub horizon: Horizon,
    /// What `horizon` shows of this stream.
    pub shown: StreamShown,
}

/// `horizon` is left out: `shown` already says what it shows of this
/// stream, so a step that changes only other streams renders neither view
/// again.
impl PartialEq for ShownStream {
    fn eq(&self, other: &Self) -> bool {
        self.model == other.model
            && (self.conversation, self.direction) == (other.conversation, other.direction)
            && self.shown == other.shown
    }
}
