//! tshark inside a lab's namespace, as the independent witness of what
//! crossed one side's device, and the comparison with what the relay
//! reported for that side (its segments of the same `tap`).
//!
//! The lab's namespaces are `sockscope-<pid>-<n>-client` and `-server`
//! (under `/run/netns`), each with one device, `sockscope-cli` or
//! `sockscope-srv`. tshark says "Capturing on" a little before it really
//! captures, so readiness is proven by sending UDP probes to the discard
//! port until one shows up. Probes always go from the server's side to the
//! client's: the path numbers each direction's flows in the order they
//! appear and draws their losses from that number (`lab/src/model.rs`), so
//! the client's flows, the ones the lessons' seeds choose losses for, keep
//! their numbers. A probe the path drops is simply sent again.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
};

use sockscope_shared::{Segment, SegmentEvent, Tap};

use super::lesson_run::port_of;
use super::tshark::{lines_of, stop, wait_until_capturing};

/// One packet as both witnesses can describe it: TCP with relative
/// numbers, or a UDP datagram's ports and payload length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    Tcp {
        src_port: u16,
        dst_port: u16,
        flags: u16,
        rel_seq: u32,
        rel_ack: u32,
        len: u32,
    },
    Udp {
        src_port: u16,
        dst_port: u16,
        len: u32,
    },
}

impl Wire {
    /// The packet's source and destination ports.
    pub fn direction(&self) -> (u16, u16) {
        match *self {
            Wire::Tcp {
                src_port, dst_port, ..
            }
            | Wire::Udp {
                src_port, dst_port, ..
            } => (src_port, dst_port),
        }
    }

    /// The relay's segment as tshark would print it.
    pub fn of(segment: &SegmentEvent) -> Option<Wire> {
        let (src_port, dst_port) = (port_of(&segment.src), port_of(&segment.dst));
        match &segment.segment {
            Segment::Tcp {
                flags,
                rel_seq,
                rel_ack,
                payload_len,
                ..
            } => {
                let bits = [
                    flags.fin, flags.syn, flags.rst, flags.psh, flags.ack, flags.urg, flags.ece,
                    flags.cwr,
                ];
                let flags = bits
                    .iter()
                    .enumerate()
                    .fold(0u16, |acc, (bit, on)| acc | (u16::from(*on) << bit));
                Some(Wire::Tcp {
                    src_port,
                    dst_port,
                    flags,
                    rel_seq: *rel_seq,
                    rel_ack: *rel_ack,
                    len: *payload_len,
                })
            }
            Segment::Udp(datagram) => Some(Wire::Udp {
                src_port,
                dst_port,
                len: datagram.payload_len,
            }),
            Segment::IcmpPortUnreachable => None,
        }
    }
}

/// The newest lab this process's relay built: its client and server
/// namespaces.
pub fn newest_lab() -> (String, String) {
    let prefix = format!("sockscope-{}-", std::process::id());
    let newest = std::fs::read_dir("/run/netns")
        .expect("/run/netns: the lab's namespaces are not there")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| {
            let n = name
                .strip_prefix(&prefix)?
                .strip_suffix("-client")?
                .parse::<u64>()
                .ok()?;
            Some(n)
        })
        .max()
        .unwrap_or_else(|| panic!("no namespace {prefix}N-client in /run/netns"));
    (
        format!("{prefix}{newest}-client"),
        format!("{prefix}{newest}-server"),
    )
}

/// The port probes go to: discard, which nothing in a lab listens on.
const PROBE_PORT: u16 = 9;

/// tshark in one side's namespace.
pub struct Witness {
    pub tap: Tap,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Witness {
    /// Starts tshark on the device of `tap`'s namespace `netns`, for TCP
    /// and UDP on `port`, and waits until it captures (probing from the
    /// server's namespace, `server_netns`).
    pub fn start(tap: Tap, netns: &str, server_netns: &str, port: u16) -> Witness {
        let device = match tap {
            Tap::Client => "sockscope-cli",
            Tap::Server => "sockscope-srv",
        };
        let filter = format!("tcp port {port} or udp port {port} or udp dst port {PROBE_PORT}");
        let mut child = Command::new("ip")
            .args([
                "netns", "exec", netns, "tshark", "-i", device, "-B", "64", "-l", "-n",
            ])
            .args([
                "-f",
                &filter,
                "-T",
                "fields",
                "-E",
                "separator=/t",
                "-E",
                "occurrence=f",
            ])
            .args(["-e", "tcp.srcport", "-e", "tcp.dstport"])
            .args([
                "-e",
                "tcp.flags",
                "-e",
                "tcp.seq",
                "-e",
                "tcp.ack",
                "-e",
                "tcp.len",
            ])
            .args(["-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.length"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ip and tshark must be installed (apt-get install iproute2 tshark)");
        let lines = lines_of(&mut child);
        // bash's /dev/udp: one datagram, with no tool beyond the shell.
        let probe = format!("echo probe > /dev/udp/10.77.0.1/{PROBE_PORT}");
        wait_until_capturing(&lines, &format!("tshark in {netns}"), is_probe, || {
            let _ = Command::new("ip")
                .args(["netns", "exec", server_netns, "bash", "-c", &probe])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        });
        Witness { tap, child, lines }
    }

    /// The TCP and UDP packets seen so far. A line that does not read as
    /// one is a broken witness, and fails the test rather than vanish.
    pub fn packets(&self) -> Vec<Wire> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| !is_probe(l))
            .map(|line| parse_line(line).unwrap_or_else(|| panic!("tshark printed {line:?}")))
            .collect()
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

fn is_probe(line: &str) -> bool {
    line.split('\t').nth(7) == Some(PROBE_PORT.to_string().as_str())
}

fn parse_line(line: &str) -> Option<Wire> {
    let f: Vec<&str> = line.split('\t').collect();
    let field = |i: usize| f.get(i).copied().unwrap_or_default();
    if !field(0).is_empty() {
        let flags = field(2).trim_start_matches("0x");
        return Some(Wire::Tcp {
            src_port: field(0).parse().ok()?,
            dst_port: field(1).parse().ok()?,
            flags: u16::from_str_radix(flags, 16).ok()?,
            rel_seq: field(3).parse().ok()?,
            rel_ack: field(4).parse().ok()?,
            len: field(5).parse().ok()?,
        });
    }
    let length: u32 = field(8).parse().ok()?;
    Some(Wire::Udp {
        src_port: field(6).parse().ok()?,
        dst_port: field(7).parse().ok()?,
        len: length.checked_sub(8)?,
    })
}
