//! What a TCP socket's kernel holds and the wire does not show: the
//! congestion window, the bytes in flight, the round-trip time, the
//! retransmission timer. Linux answers `getsockopt(TCP_INFO)` with these
//! (`struct tcp_info` in `include/uapi/linux/tcp.h`), and `ss -ti` prints
//! the same numbers through sock_diag.
//!
//! Times are microseconds, windows are segments (`snd_cwnd`,
//! `snd_ssthresh`) or bytes (`rcv_space`, `snd_wnd`, `rcv_wnd`), as the
//! kernel counts them. Fields that only newer kernels return are `None`
//! on older ones, and absent from the JSON.
//!
//! ```json
//! {"state": "ESTABLISHED", "ca_state": "open", "retransmits": 0, "backoff": 0,
//!  "rto_us": 204000, "ato_us": 40000, "snd_mss": 32768, "rcv_mss": 536,
//!  "unacked": 0, "sacked": 0, "lost": 0, "retrans": 0, "total_retrans": 0,
//!  "rtt_us": 31, "rttvar_us": 15, "min_rtt_us": 18, "snd_cwnd": 10,
//!  "rcv_space": 65483, "delivery_rate": 0, "notsent_bytes": 0,
//!  "bytes_acked": 1, "bytes_received": 0, "snd_wnd": 65536, "rcv_wnd": 65483,
//!  "total_rto": 0}
//! ```

use serde::{Deserialize, Serialize};

use crate::TcpState;

/// One reading of `TCP_INFO`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpInfo {
    pub state: TcpState,
    /// The congestion-avoidance state machine (`tcpi_ca_state`).
    pub ca_state: CaState,
    /// Retransmissions of the segment at the head of the queue, in a row.
    pub retransmits: u8,
    /// How many times the retransmission timer has doubled (exponential
    /// backoff) since the last acknowledgement.
    pub backoff: u8,
    /// The retransmission timeout.
    pub rto_us: u32,
    /// The delayed-ACK timeout.
    pub ato_us: u32,
    /// The largest segment this socket sends / has seen arrive.
    pub snd_mss: u32,
    pub rcv_mss: u32,
    /// Segments sent and not yet acknowledged: the bytes in flight, in
    /// segments.
    pub unacked: u32,
    pub sacked: u32,
    pub lost: u32,
    /// Segments retransmitted and not yet acknowledged.
    pub retrans: u32,
    pub total_retrans: u32,
    /// The smoothed round-trip time and its variation.
    pub rtt_us: u32,
    pub rttvar_us: u32,
    /// The smallest round-trip time seen (over the last few minutes).
    pub min_rtt_us: u32,
    /// The congestion window, in segments.
    pub snd_cwnd: u32,
    /// The slow-start threshold in segments; `None` until a loss sets it
    /// (the kernel's "infinite" 0x7fffffff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snd_ssthresh: Option<u32>,
    /// The receive buffer's estimate of what the application reads per RTT.
    pub rcv_space: u32,
    /// Bytes a second the sender paces at; `None` when unpaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pacing_rate: Option<u64>,
    /// Bytes a second most recently delivered.
    pub delivery_rate: u64,
    /// Bytes in the send buffer that TCP has not yet sent.
    pub notsent_bytes: u32,
    pub bytes_acked: u64,
    pub bytes_received: u64,
    /// The peer's advertised window and this socket's own (Linux 5.19+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snd_wnd: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rcv_wnd: Option<u32>,
    /// Retransmission timeouts so far (Linux 6.7+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_rto: Option<u16>,
}

/// The sender's congestion-avoidance state (`enum tcp_ca_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaState {
    /// Nothing wrong: slow start or congestion avoidance.
    Open,
    /// Duplicate ACKs or SACKs seen: something may be lost or reordered.
    Disorder,
    /// The window was reduced for an ECN congestion signal.
    Cwr,
    /// Fast retransmit: a loss is being repaired.
    Recovery,
    /// The retransmission timer fired: everything in flight is presumed lost.
    Loss,
}

impl CaState {
    /// Maps the kernel's number (`TCP_CA_Open` = 0 …).
    pub fn from_kernel(number: u8) -> Option<CaState> {
        Some(match number {
            0 => CaState::Open,
            1 => CaState::Disorder,
            2 => CaState::Cwr,
            3 => CaState::Recovery,
            4 => CaState::Loss,
            _ => return None,
        })
    }

    /// The name `ss` and the kernel's sources use.
    pub fn name(self) -> &'static str {
        match self {
            CaState::Open => "open",
            CaState::Disorder => "disorder",
            CaState::Cwr => "cwr",
            CaState::Recovery => "recovery",
            CaState::Loss => "loss",
        }
    }
}

impl TcpInfo {
    /// Bytes sent and not yet acknowledged, as the sender counts them:
    /// segments in flight (unacked, less those SACKed or lost, plus those
    /// retransmitted) times the segment size.
    pub fn in_flight_bytes(&self) -> u64 {
        let segments = (self.unacked + self.retrans).saturating_sub(self.sacked + self.lost);
        u64::from(segments) * u64::from(self.snd_mss)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_counts_retransmitted_and_not_sacked_or_lost() {
        let info: TcpInfo = serde_json::from_str(
            r#"{"state":"ESTABLISHED","ca_state":"recovery","retransmits":0,"backoff":0,
            "rto_us":204000,"ato_us":40000,"snd_mss":1448,"rcv_mss":536,"unacked":10,
            "sacked":3,"lost":2,"retrans":1,"total_retrans":1,"rtt_us":20000,"rttvar_us":5000,
            "min_rtt_us":19000,"snd_cwnd":7,"snd_ssthresh":7,"rcv_space":14480,
            "delivery_rate":70000,"notsent_bytes":0,"bytes_acked":100,"bytes_received":0}"#,
        )
        .unwrap();
        assert_eq!(info.in_flight_bytes(), 6 * 1448);
        assert_eq!(info.snd_wnd, None);
        assert_eq!(info.pacing_rate, None);
        assert_eq!(info.ca_state.name(), "recovery");
    }

    #[test]
    fn ca_states_are_the_kernels_numbers() {
        let names: Vec<_> = (0..6)
            .map(|n| CaState::from_kernel(n).map(CaState::name))
            .collect();
        assert_eq!(
            names,
            [
                Some("open"),
                Some("disorder"),
                Some("cwr"),
                Some("recovery"),
                Some("loss"),
                None
            ]
        );
    }
}
