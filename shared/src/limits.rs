//! The relay's limits, announced in the hello so the page can validate
//! forms before sending anything.

use serde::{Deserialize, Serialize};

/// Bounds on what one session may ask for.
///
/// ```json
/// {"max_payload": 1048576, "max_bufsize": 1048576, "max_sockets": 64,
///  "max_repeat": 1000, "segment_payload_cap": 4096}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest payload of one send or sendto, in bytes.
    pub max_payload: u32,
    /// Largest recv/recvfrom buffer, in bytes.
    pub max_bufsize: u32,
    /// Sockets one session may hold open at once.
    pub max_sockets: u32,
    /// Largest `repeat` of one send command.
    pub max_repeat: u32,
    /// Payload bytes carried in a segment event; the rest is counted, not sent.
    pub segment_payload_cap: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_payload: 1 << 20,
            max_bufsize: 1 << 20,
            max_sockets: 64,
            max_repeat: 1000,
            segment_payload_cap: 4096,
        }
    }
}
