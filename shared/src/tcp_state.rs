//! TCP connection states, as the Linux kernel names and numbers them.

use serde::{Deserialize, Serialize};

/// The state of one TCP socket, as `ss` and `netstat` print it.
///
/// ```json
/// "FIN_WAIT_2"
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TcpState {
    Established,
    SynSent,
    SynRecv,
    #[serde(rename = "FIN_WAIT_1")]
    FinWait1,
    #[serde(rename = "FIN_WAIT_2")]
    FinWait2,
    TimeWait,
    Closed,
    CloseWait,
    LastAck,
    Listen,
    Closing,
}

impl TcpState {
    /// Every state, in the kernel's order.
    pub const ALL: [TcpState; 11] = [
        TcpState::Established,
        TcpState::SynSent,
        TcpState::SynRecv,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::TimeWait,
        TcpState::Closed,
        TcpState::CloseWait,
        TcpState::LastAck,
        TcpState::Listen,
        TcpState::Closing,
    ];

    /// Maps the kernel's `tcpi_state` / `/proc/net/tcp` number
    /// (`include/net/tcp_states.h`) to a state. `NEW_SYN_RECV` (12) is a
    /// request socket the user never holds, shown as `SYN_RECV`.
    pub fn from_kernel(number: u8) -> Option<TcpState> {
        Some(match number {
            1 => TcpState::Established,
            2 => TcpState::SynSent,
            3 | 12 => TcpState::SynRecv,
            4 => TcpState::FinWait1,
            5 => TcpState::FinWait2,
            6 => TcpState::TimeWait,
            7 => TcpState::Closed,
            8 => TcpState::CloseWait,
            9 => TcpState::LastAck,
            10 => TcpState::Listen,
            11 => TcpState::Closing,
            _ => return None,
        })
    }

    /// The name as it appears in JSON and in `ss`: `FIN_WAIT_1`.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Established => "ESTABLISHED",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv => "SYN_RECV",
            TcpState::FinWait1 => "FIN_WAIT_1",
            TcpState::FinWait2 => "FIN_WAIT_2",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Closed => "CLOSED",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::LastAck => "LAST_ACK",
            TcpState::Listen => "LISTEN",
            TcpState::Closing => "CLOSING",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_match_ss() {
        for n in 1..=11 {
            let state = TcpState::from_kernel(n).unwrap();
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.name()));
        }
        assert_eq!(TcpState::from_kernel(0), None);
        let numbered: Vec<TcpState> = (1..=11).filter_map(TcpState::from_kernel).collect();
        assert_eq!(numbered, TcpState::ALL);
    }
}
