//! The one clock of the timeline.
//!
//! Captured packets carry kernel timestamps on CLOCK_REALTIME. Socket-call
//! events are stamped on the same clock, so the page can merge both into one
//! timeline by `t_us` alone.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
