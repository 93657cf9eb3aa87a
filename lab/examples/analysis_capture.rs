//! Records the capture the TCP analysis is checked on: a lossy path, a
//! bulk transfer and a slow reader, as tshark sees them on each side.
//!
//! ```text
//! sudo cargo run -p sockscope-lab --example analysis_capture -- capture/tests/data
//! ```
//!
//! writes `lab-lossy-client.pcap` and `lab-lossy-server.pcap` there: the
//! same two connections captured on the client's device and on the
//! server's. The path loses 5% of the packets each way (seeded) and delays
//! them 5 ms. The first connection carries 200 KB read at once (loss,
//! retransmissions, duplicate ACKs, SACK, and on the far side, segments
//! never seen); the second, to a listener with a 4 KB receive buffer
//! whose reader waits, then reads a little at a time, shows a zero window,
//! the sender's window probes and the window updates. Captures keep 128
//! bytes of each packet (headers and options), so the files stay small.
//!
//! Timing varies from run to run, so each run records a different file;
//! the committed one is what the tests compare with tshark.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::sys::socket::{setsockopt, sockopt};
use nix::unistd::Pid;
use sockscope_lab::{DirectionConfig, Family, Lab, LabConfig, Loss, PathConfig, Side};

/// tshark writing one side's packets to a pcap file.
struct Recorder {
    child: Child,
    file: PathBuf,
}

impl Recorder {
    fn start(lab: &Lab, side: Side, file: PathBuf) -> Recorder {
        let namespace = lab.namespace_name(side).expect("a named lab");
        let mut child = Command::new("ip")
            .args(["netns", "exec", namespace, "tshark", "-i"])
            .arg(Lab::device_name(side))
            .args(["-s", "128", "-F", "pcap", "-f", "tcp", "-w"])
            .arg(&file)
            .stderr(Stdio::piped())
            .spawn()
            .expect("tshark must be installed (cargo xtask test installs it)");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        loop {
            let line = lines.next().expect("tshark stopped").unwrap();
            if line.contains("Capturing on") {
                break;
            }
        }
        // tshark says so a little before it really captures.
        std::thread::sleep(Duration::from_secs(1));
        std::thread::spawn(move || lines.for_each(drop));
        Recorder { child, file }
    }

    fn stop(mut self) -> PathBuf {
        std::thread::sleep(Duration::from_secs(1));
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGINT).unwrap();
        self.child.wait().unwrap();
        self.file
    }
}

/// A listener in the server namespace, with a receive buffer of `rcvbuf`
/// bytes when given (accepted sockets inherit it).
fn listen(lab: &Lab, rcvbuf: Option<usize>) -> TcpListener {
    let address = SocketAddr::new(Lab::address(Side::Server, Family::V4), 0);
    lab.in_namespace(Side::Server, || {
        let socket = std::net::TcpListener::bind(address).unwrap();
        if let Some(size) = rcvbuf {
            setsockopt(&socket, sockopt::RcvBuf, &size).unwrap();
        }
        socket
    })
    .unwrap()
}

fn connect(lab: &Lab, port: u16) -> TcpStream {
    let address = SocketAddr::new(Lab::address(Side::Server, Family::V4), port);
    lab.in_namespace(Side::Client, || TcpStream::connect(address))
        .unwrap()
        .unwrap()
}

/// Sends `len` bytes over a new connection; the server waits `first`, then
/// reads `chunk` bytes at a time, `pause` apart.
fn transfer(
    lab: &Lab,
    listener: TcpListener,
    len: usize,
    chunk: usize,
    (first, pause): (Duration, Duration),
) {
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buffer = vec![0u8; chunk];
        let mut total = 0;
        std::thread::sleep(first);
        loop {
            std::thread::sleep(pause);
            let read = stream.read(&mut buffer).unwrap();
            if read == 0 {
                return total;
            }
            total += read;
        }
    });
    let mut client = connect(lab, port);
    let data: Vec<u8> = (0..len).map(|n| (n % 251) as u8).collect();
    client.write_all(&data).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let received = server.join().unwrap();
    assert_eq!(received, len, "the data arrived whole");
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "capture/tests/data".to_owned());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    let lossy = DirectionConfig {
        delay: Duration::from_millis(5),
        loss: Loss::Random { probability: 0.05 },
        ..DirectionConfig::default()
    };
    let config = LabConfig {
        path: PathConfig::symmetric(lossy, 5),
        ..LabConfig::default()
    };
    let lab = Lab::create(config).expect("a lab (run as root)");
    let client = Recorder::start(&lab, Side::Client, dir.join("lab-lossy-client.pcap"));
    let server = Recorder::start(&lab, Side::Server, dir.join("lab-lossy-server.pcap"));
    transfer(
        &lab,
        listen(&lab, None),
        200 * 1024,
        64 * 1024,
        (Duration::ZERO, Duration::ZERO),
    );
    transfer(
        &lab,
        listen(&lab, Some(4096)),
        48 * 1024,
        2048,
        (Duration::from_millis(1500), Duration::from_millis(150)),
    );
    for file in [client.stop(), server.stop()] {
        println!("{}", file.display());
    }
}
