//! What Wireshark's TCP analysis says of a segment (`tcp.analysis.*`):
//! one [`TcpAnalysis`] flag per finding, and the [`TcpAnalyses`] a segment
//! carries.
//!
//! A segment carries a set of flags, not a list: each finding is true of it
//! or not, and a capture holds a million segments, nearly all with none.
//! The set is one word (a bit per flag, in [`TcpAnalysis::ALL`]'s order),
//! where a `Vec` took three words and, with a flag, an allocation. On the
//! wire it is a list of names, as it always was, in that order:
//!
//! ```json
//! "analysis": ["retransmission", "window_full"]
//! ```
//!
//! `null` and an absent field both read as no flags.

use std::fmt;

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Wireshark's TCP analysis flags, named as its `tcp.analysis.*` fields:
/// what a segment means in its connection's history, as a capture at one
/// point can tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpAnalysis {
    /// Sequence numbers sent before, sent again.
    Retransmission,
    /// A retransmission after duplicate ACKs asked for it.
    FastRetransmission,
    /// A retransmission of data the receiver had already acknowledged.
    SpuriousRetransmission,
    /// Sequence numbers lower than ones already seen, not sent before.
    OutOfOrder,
    /// A gap: the segment before this one was never seen here.
    LostSegment,
    /// An ACK for data never seen here.
    AckLostSegment,
    /// The same ACK again, with no data and the same window.
    DuplicateAck,
    /// A receive window of zero: the sender must stop.
    ZeroWindow,
    /// One byte sent into a zero window to ask whether it reopened.
    ZeroWindowProbe,
    /// The answer to a zero-window probe.
    ZeroWindowProbeAck,
    /// The same numbers with a different window, and no data.
    WindowUpdate,
    /// The sender has filled the receiver's advertised window.
    WindowFull,
    /// One byte (or none) below the next sequence number: are you there?
    KeepAlive,
    /// The answer to a keep-alive.
    KeepAliveAck,
}

impl TcpAnalysis {
    /// Every flag, in the order Wireshark's expert info lists them.
    pub const ALL: [TcpAnalysis; 14] = [
        TcpAnalysis::Retransmission,
        TcpAnalysis::FastRetransmission,
        TcpAnalysis::SpuriousRetransmission,
        TcpAnalysis::OutOfOrder,
        TcpAnalysis::LostSegment,
        TcpAnalysis::AckLostSegment,
        TcpAnalysis::DuplicateAck,
        TcpAnalysis::ZeroWindow,
        TcpAnalysis::ZeroWindowProbe,
        TcpAnalysis::ZeroWindowProbeAck,
        TcpAnalysis::WindowUpdate,
        TcpAnalysis::WindowFull,
        TcpAnalysis::KeepAlive,
        TcpAnalysis::KeepAliveAck,
    ];

    /// The name of Wireshark's field, without `tcp.analysis.`.
    pub fn field(self) -> &'static str {
        match self {
            TcpAnalysis::Retransmission => "retransmission",
            TcpAnalysis::FastRetransmission => "fast_retransmission",
            TcpAnalysis::SpuriousRetransmission => "spurious_retransmission",
            TcpAnalysis::OutOfOrder => "out_of_order",
            TcpAnalysis::LostSegment => "lost_segment",
            TcpAnalysis::AckLostSegment => "ack_lost_segment",
            TcpAnalysis::DuplicateAck => "duplicate_ack",
            TcpAnalysis::ZeroWindow => "zero_window",
            TcpAnalysis::ZeroWindowProbe => "zero_window_probe",
            TcpAnalysis::ZeroWindowProbeAck => "zero_window_probe_ack",
            TcpAnalysis::WindowUpdate => "window_update",
            TcpAnalysis::WindowFull => "window_full",
            TcpAnalysis::KeepAlive => "keep_alive",
            TcpAnalysis::KeepAliveAck => "keep_alive_ack",
        }
    }
}

/// The flags a segment carries.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TcpAnalyses(u16);

impl TcpAnalyses {
    /// No flags.
    pub const NONE: TcpAnalyses = TcpAnalyses(0);

    fn bit(flag: TcpAnalysis) -> u16 {
        1 << flag as u16
    }

    pub fn contains(self, flag: TcpAnalysis) -> bool {
        self.0 & Self::bit(flag) != 0
    }

    pub fn insert(&mut self, flag: TcpAnalysis) {
        self.0 |= Self::bit(flag);
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// How many flags are set.
    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    /// The flags set, in [`TcpAnalysis::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = TcpAnalysis> {
        TcpAnalysis::ALL
            .into_iter()
            .filter(move |&flag| self.contains(flag))
    }

    /// The flags set in either.
    pub fn union(self, other: TcpAnalyses) -> TcpAnalyses {
        TcpAnalyses(self.0 | other.0)
    }
}

impl FromIterator<TcpAnalysis> for TcpAnalyses {
    fn from_iter<I: IntoIterator<Item = TcpAnalysis>>(flags: I) -> TcpAnalyses {
        let mut set = TcpAnalyses::NONE;
        set.extend(flags);
        set
    }
}

impl Extend<TcpAnalysis> for TcpAnalyses {
    fn extend<I: IntoIterator<Item = TcpAnalysis>>(&mut self, flags: I) {
        for flag in flags {
            self.insert(flag);
        }
    }
}

impl<const N: usize> From<[TcpAnalysis; N]> for TcpAnalyses {
    fn from(flags: [TcpAnalysis; N]) -> TcpAnalyses {
        flags.into_iter().collect()
    }
}

/// The same flags, whatever the array's order.
impl<const N: usize> PartialEq<[TcpAnalysis; N]> for TcpAnalyses {
    fn eq(&self, flags: &[TcpAnalysis; N]) -> bool {
        *self == TcpAnalyses::from(*flags)
    }
}

impl fmt::Debug for TcpAnalyses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for TcpAnalyses {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut list = serializer.serialize_seq(Some(self.len()))?;
        for flag in self.iter() {
            list.serialize_element(&flag)?;
        }
        list.end()
    }
}

impl<'de> Deserialize<'de> for TcpAnalyses {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TcpAnalyses, D::Error> {
        deserializer.deserialize_option(Flags)
    }
}

/// Reads a list of flag names, or `null` for none.
struct Flags;

impl<'de> Visitor<'de> for Flags {
    type Value = TcpAnalyses;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of TCP analysis flags")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<TcpAnalyses, E> {
        Ok(TcpAnalyses::NONE)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<TcpAnalyses, E> {
        Ok(TcpAnalyses::NONE)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<TcpAnalyses, D::Error> {
        deserializer.deserialize_seq(Flags)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut list: A) -> Result<TcpAnalyses, A::Error> {
        let mut set = TcpAnalyses::NONE;
        while let Some(flag) = list.next_element::<TcpAnalysis>()? {
            set.insert(flag);
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_flag_has_a_bit_of_its_own() {
        assert!(TcpAnalysis::ALL.len() <= 16);
        let mut set = TcpAnalyses::NONE;
        for (n, flag) in TcpAnalysis::ALL.into_iter().enumerate() {
            assert!(!set.contains(flag), "{flag:?}");
            set.insert(flag);
            assert!(set.contains(flag));
            assert_eq!(set.len(), n + 1);
        }
        assert_eq!(set.iter().collect::<Vec<_>>(), TcpAnalysis::ALL);
    }

    #[test]
    fn travels_as_a_list_in_wiresharks_order() {
        let set = TcpAnalyses::from([TcpAnalysis::WindowFull, TcpAnalysis::Retransmission]);
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"["retransmission","window_full"]"#);
        let back: TcpAnalyses =
            serde_json::from_str(r#"["window_full","retransmission"]"#).unwrap();
        assert_eq!(back, set);
        let none: TcpAnalyses = serde_json::from_str("null").unwrap();
        assert!(none.is_empty());
        assert!(serde_json::from_str::<TcpAnalyses>(r#"["lost"]"#).is_err());
    }
}
