//! The container formats: pcap and pcapng bytes to frames, with their link
//! type, timestamp, original length and comments. What is inside a frame
//! is [`super::import`]'s business.
//!
//! `pcap-file` does the block parsing. Two of its choices are corrected
//! here: it reads every pcapng timestamp as nanoseconds, whatever the
//! interface's `if_tsresol` says, so the raw units are converted here; and
//! its classic-pcap packet check refuses packets whose original length
//! exceeds the snapshot length, which is exactly what a snaplen-limited
//! capture holds, so raw packets are read instead.
//!
//! Damage after the first packet does not lose what came before: reading
//! stops there and [`Frames::stopped`] says why.

use std::borrow::Cow;

use pcap_file::pcap::PcapParser;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::SectionHeaderOption;
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::{PcapError, TsResolution};

use super::OpenError;

/// One captured frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The LINKTYPE number of the interface it came from.
    pub linktype: u32,
    pub ts_us: u64,
    pub data: Cow<'a, [u8]>,
    /// The frame's length on the wire (more than `data` when the capture
    /// kept only the first bytes).
    pub original_len: u32,
    pub comments: Vec<String>,
}

/// Why reading stopped before the end of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The file ends in the middle of a block or packet.
    Truncated,
    /// A block or packet could not be parsed.
    Malformed(String),
}

/// Every frame of a file, the file's own comments, and why reading
/// stopped early, if it did.
#[derive(Debug, Default)]
pub struct Frames<'a> {
    pub frames: Vec<Frame<'a>>,
    /// Section header comments (pcapng only).
    pub file_comments: Vec<String>,
    pub stopped: Option<Stop>,
    /// Whether reading stopped at the limit with more in the file.
    pub limited: bool,
}

/// The most frames read from one file. A million packets already take
/// seconds and hundreds of megabytes in the page; past that a tab would
/// rather die than show anything.
pub const MAX_FRAMES: usize = 1_000_000;

/// Why a file could not be opened at all, from a failed header.
fn open_error(error: PcapError) -> OpenError {
    match error {
        PcapError::IncompleteBuffer => OpenError::Truncated,
        other => OpenError::Malformed {
            reason: other.to_string(),
        },
    }
}

fn stop_of(error: &PcapError) -> Stop {
    match error {
        PcapError::IncompleteBuffer => Stop::Truncated,
        other => Stop::Malformed(other.to_string()),
    }
}

/// Reads a classic pcap file, at most `limit` frames.
pub fn pcap(bytes: &[u8], limit: usize) -> Result<Frames<'_>, OpenError> {
    let (mut rest, parser) = PcapParser::new(bytes).map_err(open_error)?;
    let header = parser.header();
    let linktype = u32::from(header.datalink);
    let mut out = Frames::default();
    while !rest.is_empty() {
        if out.frames.len() >= limit {
            out.limited = true;
            break;
        }
        match parser.next_raw_packet(rest) {
            Ok((remaining, packet)) => {
                rest = remaining;
                let fraction_us = match header.ts_resolution {
                    TsResolution::MicroSecond => u64::from(packet.ts_frac),
                    TsResolution::NanoSecond => u64::from(packet.ts_frac) / 1000,
                };
                out.frames.push(Frame {
                    linktype,
                    ts_us: u64::from(packet.ts_sec)
                        .saturating_mul(1_000_000)
                        .saturating_add(fraction_us),
                    original_len: packet.orig_len.max(packet.incl_len),
                    data: packet.data,
                    comments: Vec::new(),
                });
            }
            Err(error) => {
                out.stopped = Some(stop_of(&error));
                break;
            }
        }
    }
    Ok(out)
}

/// An interface's link type and clock, from its description block.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    /// `if_tsresol`: 10^-n seconds per unit, or 2^-n with the top bit set.
    tsresol: u8,
    /// `if_tsoffset`: seconds to add to every timestamp.
    offset_s: u64,
}

impl Interface {
    fn of(block: &InterfaceDescriptionBlock<'_>) -> Interface {
        let mut interface = Interface {
            linktype: u32::from(block.linktype),
            tsresol: 6,
            offset_s: 0,
        };
        for option in &block.options {
            match option {
                InterfaceDescriptionOption::IfTsResol(r) => interface.tsresol = *r,
                InterfaceDescriptionOption::IfTsOffset(s) => interface.offset_s = *s,
                _ => {}
            }
        }
        interface
    }

    /// A frame captured on this interface at `ts_us`. The original length
    /// is never less than what was captured, whatever the block claims, so
    /// the page never shows a frame longer than the wire carried.
    fn frame<'a>(
        &self,
        ts_us: u64,
        original_len: u32,
        data: Cow<'a, [u8]>,
        comments: Vec<String>,
    ) -> Frame<'a> {
        let captured = u32::try_from(data.len()).unwrap_or(u32::MAX);
        Frame {
            linktype: self.linktype,
            ts_us,
            original_len: original_len.max(captured),
            data,
            comments,
        }
    }

    /// A timestamp in the interface's units as microseconds since the epoch.
    fn micros(&self, units: u64) -> u64 {
        let units = u128::from(units);
        let us = if self.tsresol & 0x80 == 0 {
            let exponent = u32::from(self.tsresol);
            if exponent <= 6 {
                10u128
                    .checked_pow(6 - exponent)
                    .map_or(u128::MAX, |m| units.saturating_mul(m))
            } else {
                10u128.checked_pow(exponent - 6).map_or(0, |d| units / d)
            }
        } else {
            let shift = u32::from(self.tsresol & 0x7f).min(127);
            units.saturating_mul(1_000_000) >> shift
        };
        u64::try_from(us)
            .unwrap_or(u64::MAX)
            .saturating_add(self.offset_s.saturating_mul(1_000_000))
    }
}

/// Why reading stops at a packet whose interface id no description block
/// gave.
fn undescribed_interface(id: u32) -> Stop {
    Stop::Malformed(format!(
        "a packet names interface {id}, which the file never described"
    ))
}

/// Reads a pcapng file: enhanced, simple and (obsolete) packet blocks, on
/// any number of interfaces and sections; at most `limit` frames.
pub fn pcapng(bytes: &[u8], limit: usize) -> Result<Frames<'_>, OpenError> {
    let (mut rest, mut parser) = PcapNgParser::new(bytes).map_err(open_error)?;
    let mut out = Frames::default();
    for option in &parser.section().options {
        if let SectionHeaderOption::Comment(text) = option {
            out.file_comments.push(text.to_string());
        }
    }
    let mut interfaces: Vec<Interface> = parser.interfaces().iter().map(Interface::of).collect();
    // A simple packet block has no timestamp: it gets the previous one.
    let mut last_us = 0u64;
    while !rest.is_empty() {
        if out.frames.len() >= limit {
            out.limited = true;
            break;
        }
        let (remaining, block) = match parser.next_block(rest) {
            Ok(next) => next,
            Err(error) => {
                out.stopped = Some(stop_of(&error));
                break;
            }
        };
        rest = remaining;
        match block {
            Block::SectionHeader(section) => {
                interfaces.clear();
                for option in &section.options {
                    if let SectionHeaderOption::Comment(text) = option {
                        out.file_comments.push(text.to_string());
                    }
                }
            }
            Block::InterfaceDescription(block) => interfaces.push(Interface::of(&block)),
            Block::EnhancedPacket(packet) => {
                let Some(interface) = usize::try_from(packet.interface_id)
                    .ok()
                    .and_then(|i| interfaces.get(i))
                else {
                    out.stopped = Some(undescribed_interface(packet.interface_id));
                    break;
                };
                let units = u64::try_from(packet.timestamp.as_nanos()).unwrap_or(u64::MAX);
                last_us = interface.micros(units);
                let comments = packet
                    .options
                    .iter()
                    .filter_map(|o| match o {
                        EnhancedPacketOption::Comment(text) => Some(text.to_string()),
                        _ => None,
                    })
                    .collect();
                out.frames.push(interface.frame(
                    last_us,
                    packet.original_len,
                    packet.data,
                    comments,
                ));
            }
            Block::SimplePacket(packet) => {
                let Some(interface) = interfaces.first() else {
                    out.stopped = Some(Stop::Malformed(
                        "a packet comes before any interface description".into(),
                    ));
                    break;
                };
                out.frames.push(interface.frame(
                    last_us,
                    packet.original_len,
                    packet.data,
                    Vec::new(),
                ));
            }
            Block::Packet(packet) => {
                let Some(interface) = interfaces.get(usize::from(packet.interface_id)) else {
                    out.stopped = Some(undescribed_interface(u32::from(packet.interface_id)));
                    break;
                };
                last_us = interface.micros(packet.timestamp);
                out.frames.push(interface.frame(
                    last_us,
                    packet.original_len,
                    packet.data,
                    Vec::new(),
                ));
            }
            // Name resolution, statistics, journal and unknown blocks say
            // nothing the diagram draws.
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_stops_at_the_limit_and_says_so() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/captures/03-sticky-small-sends.pcapng"
        );
        let bytes = std::fs::read(path).unwrap();
        let all = pcapng(&bytes, MAX_FRAMES).unwrap();
        assert_eq!((all.frames.len(), all.limited), (12, false));
        let some = pcapng(&bytes, 5).unwrap();
        assert_eq!((some.frames.len(), some.limited), (5, true));
        assert_eq!(some.frames[..], all.frames[..5]);
    }

    #[test]
    fn timestamps_follow_the_interfaces_resolution() {
        let at = |tsresol| Interface {
            linktype: 1,
            tsresol,
            offset_s: 0,
        };
        assert_eq!(at(6).micros(1_500_000), 1_500_000);
        assert_eq!(at(9).micros(1_500_000_000), 1_500_000);
        assert_eq!(at(3).micros(1_500), 1_500_000);
        // 2^-10 s per unit: 1024 units are one second.
        assert_eq!(at(0x80 | 10).micros(1024), 1_000_000);
        // Absurd resolutions saturate instead of overflowing.
        assert_eq!(at(0x7f).micros(5), 0);
        assert_eq!(at(0).micros(u64::MAX), u64::MAX);
        let shifted = Interface {
            offset_s: 2,
            ..at(6)
        };
        assert_eq!(shifted.micros(1), 2_000_001);
    }
}
