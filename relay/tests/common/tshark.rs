//! tshark as the independent witness of what was on the wire.
//!
//! tshark prints one line per packet (`-l` flushes each at once). It says
//! "Capturing on" a little before it really captures, so readiness is
//! proven by sending UDP probes to a port of its filter until one shows up.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// One TCP packet as tshark decoded it (relative numbers, as it shows them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub src_port: u16,
    pub dst_port: u16,
    pub flags: u16,
    pub rel_seq: u32,
    pub rel_ack: u32,
    pub len: u32,
}

pub struct Tshark {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    probe_port: u16,
}

impl Tshark {
    /// Starts tshark on `lo` for TCP on `port` and waits until it captures.
    pub fn start(port: u16) -> Tshark {
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let probe_port = probe.local_addr().unwrap().port();
        let filter = format!("tcp port {port} or udp dst port {probe_port}");
        let mut child = Command::new("tshark")
            .args([
                "-i",
                "lo",
                "-B",
                "64",
                "-l",
                "-n",
                "-f",
                &filter,
                "-T",
                "fields",
                "-E",
                "separator=,",
            ])
            .args([
                "-e",
                "udp.dstport",
                "-e",
                "tcp.srcport",
                "-e",
                "tcp.dstport",
                "-e",
                "tcp.flags",
            ])
            .args(["-e", "tcp.seq", "-e", "tcp.ack", "-e", "tcp.len"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tshark must be installed (apt-get install tshark)");
        let lines = lines_of(&mut child);
        let probe_line = probe_port.to_string();
        wait_until_capturing(
            &lines,
            "tshark",
            |line| line.starts_with(&probe_line),
            || {
                probe.send_to(b"probe", ("127.0.0.1", probe_port)).unwrap();
            },
        );
        Tshark {
            child,
            lines,
            probe_port,
        }
    }

    /// The TCP packets seen so far. A line that does not read as one is a
    /// broken witness, and fails the test rather than vanish.
    pub fn tcp(&self) -> Vec<Seen> {
        let probe = self.probe_port.to_string();
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| !l.starts_with(&probe))
            .map(|line| parse_line(line).unwrap_or_else(|| panic!("tshark printed {line:?}")))
            .collect()
    }
}

/// The lines a witness prints, gathered by a thread of their own as they
/// come.
pub fn lines_of(child: &mut Child) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stdout = child.stdout.take().unwrap();
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

/// Sends a probe every 50 ms until a line `is_probe` says is one shows up
/// (tshark captures a little after it says so); fails after 20 s.
pub fn wait_until_capturing(
    lines: &Mutex<Vec<String>>,
    witness: &str,
    is_probe: impl Fn(&str) -> bool,
    send_probe: impl Fn(),
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !lines.lock().unwrap().iter().any(|l| is_probe(l)) {
        assert!(
            Instant::now() < deadline,
            "{witness} did not start capturing"
        );
        send_probe();
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One line of tshark's fields: the probe's (empty) UDP port, then TCP's.
fn parse_line(line: &str) -> Option<Seen> {
    let f: Vec<&str> = line.split(',').collect();
    let flags = f.get(3)?.trim_start_matches("0x");
    Some(Seen {
        src_port: f.get(1)?.parse().ok()?,
        dst_port: f.get(2)?.parse().ok()?,
        flags: u16::from_str_radix(flags, 16).ok()?,
        rel_seq: f.get(4)?.parse().ok()?,
        rel_ack: f.get(5)?.parse().ok()?,
        len: f.get(6)?.parse().ok()?,
    })
}

impl Drop for Tshark {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Stops a tshark (or `ip netns exec tshark`, which becomes it) as
/// `kill -TERM` would and waits for it. Killed outright, it leaves its
/// dumpcap's capture file behind in the temporary directory, one
/// `wireshark_<device>….pcapng` each time.
pub fn stop(child: &mut Child) {
    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .is_ok_and(|status| status.success());
    if !terminated {
        let _ = child.kill();
    }
    let _ = child.wait();
}
