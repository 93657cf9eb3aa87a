//! Reading a saved capture (pcap or pcapng) with libpcap, offline.
//!
//! The same parser as live capture reads every frame, so a recording and a
//! live run of the same experiment give the same [`Packet`]s. Frames that
//! are not TCP, UDP or ICMP port unreachable are skipped, as live capture
//! skips them; a file whose link type this crate cannot parse at all is an
//! error rather than an empty list, so a user learns why nothing shows.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::link::LinkType;
use crate::packet::Packet;
use crate::parse::{parse_packet, timestamp_us};

/// Why a capture file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub path: PathBuf,
    /// What went wrong, as a sentence.
    pub reason: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read {}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for FileError {}

/// Reads every packet of the pcap or pcapng file at `path`, in file order,
/// with whole payloads (as much as the file holds).
///
/// # Errors
///
/// [`FileError`] when the file cannot be opened, is not a capture file, has
/// a link type this crate does not parse, or is corrupt part-way through.
pub fn read_file(path: impl AsRef<Path>) -> Result<Vec<Packet>, FileError> {
    let path = path.as_ref();
    let error = |reason: String| FileError {
        path: path.to_owned(),
        reason,
    };
    let mut handle = pcap::Capture::from_file(path).map_err(|e| error(e.to_string()))?;
    let dlt = handle.get_datalink().0;
    let link = LinkType::from_dlt(dlt)
        .ok_or_else(|| error(format!("its link type {dlt} is not supported")))?;
    let mut packets = Vec::new();
    loop {
        match handle.next_packet() {
            Ok(frame) => {
                let ts = frame.header.ts;
                let ts_us = timestamp_us(ts.tv_sec, ts.tv_usec);
                packets.extend(parse_packet(link, ts_us, frame.data, usize::MAX));
            }
            Err(pcap::Error::NoMorePackets) => return Ok(packets),
            Err(e) => return Err(error(e.to_string())),
        }
    }
}
