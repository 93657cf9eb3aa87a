//! tshark run inside a lab namespace with `ip netns exec`, as the witness
//! of what crossed a device.
//!
//! tshark prints one line per packet (`-l` flushes each at once). It says
//! "Capturing on" a little before it really captures, so readiness is
//! proven by UDP probes from the client to a port in its filter.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sockscope_lab::{Family, Lab, Side};

/// The port probes go to; nothing listens there.
const PROBE_PORT: u16 = 9;

/// One TCP packet as tshark saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub src_port: u16,
    pub dst_port: u16,
    pub len: u32,
    pub retransmission: bool,
    pub fin: bool,
}

pub struct Witness {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Witness {
    /// Starts tshark on `side`'s device, for TCP and the probes, and waits
    /// until it captures.
    pub fn start(lab: &Lab, side: Side) -> Witness {
        let namespace = lab
            .namespace_name(side)
            .expect("the witness needs a named namespace");
        let filter = format!("tcp or udp dst port {PROBE_PORT}");
        let mut child = Command::new("ip")
            .args(["netns", "exec", namespace, "tshark", "-i"])
            .arg(Lab::device_name(side))
            .args(["-B", "64", "-l", "-n", "-f", &filter, "-T", "fields"])
            .args([
                "-E",
                "separator=,",
                "-e",
                "udp.dstport",
                "-e",
                "tcp.srcport",
            ])
            .args(["-e", "tcp.dstport", "-e", "tcp.len"])
            .args(["-e", "tcp.analysis.retransmission", "-e", "tcp.flags.fin"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tshark must be installed (apt-get install tshark)");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().unwrap();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut witness = Witness { child, lines };
        let probe = lab
            .in_namespace(Side::Client, || {
                UdpSocket::bind(SocketAddr::new(Lab::address(Side::Client, Family::V4), 0))
            })
            .unwrap()
            .unwrap();
        let target = SocketAddr::new(Lab::address(Side::Server, Family::V4), PROBE_PORT);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !witness
            .lines
            .lock()
            .unwrap()
            .iter()
            .any(|line| line.starts_with("9,"))
        {
            assert!(Instant::now() < deadline, "tshark did not start capturing");
            if let Some(status) = witness.child.try_wait().unwrap() {
                panic!(
                    "tshark ended ({status}) before capturing: is it installed (apt-get install tshark)?"
                );
            }
            probe.send_to(b"probe", target).unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }
        witness
    }

    /// The TCP packets seen so far.
    pub fn tcp(&self) -> Vec<Seen> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|line| line.starts_with(','))
            .filter_map(|line| {
                let fields: Vec<&str> = line.split(',').collect();
                Some(Seen {
                    src_port: fields.get(1)?.parse().ok()?,
                    dst_port: fields.get(2)?.parse().ok()?,
                    len: fields.get(3)?.parse().ok()?,
                    retransmission: !fields.get(4)?.is_empty(),
                    fin: matches!(*fields.get(5)?, "1" | "True"),
                })
            })
            .collect()
    }

    /// The first lines tshark printed, for failure messages.
    pub fn sample(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|line| !line.starts_with("9,"))
            .take(8)
            .cloned()
            .collect()
    }

    /// Waits until tshark has seen the client's FIN to `port` and then
    /// nothing new for half a second (it trails the traffic, by seconds
    /// on a loaded machine), then returns what it saw.
    pub fn settle(&self, port: u16) -> Vec<Seen> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self
            .tcp()
            .iter()
            .any(|seen| seen.fin && seen.dst_port == port)
        {
            assert!(
                Instant::now() < deadline,
                "tshark never saw the FIN to port {port}: {:?}",
                self.sample()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut seen = self.tcp();
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let now = self.tcp();
            if now == seen {
                return now;
            }
            seen = now;
        }
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: tshark then stops the dumpcap it started.
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.child.wait();
    }
}
