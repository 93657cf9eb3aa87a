//! Live capture on this machine's loopback, checked against tshark.
//!
//! These tests open real captures, so they need CAP_NET_RAW: they run as
//! root, here and in CI. Each one makes its own traffic on ports the kernel
//! picks, so they run side by side. Waits are bounded deadlines on the
//! event channel, never sleeps standing in for an assertion.

// Helpers outside #[test] functions panic on purpose too: here a panic is
// a failed test, which is what clippy allows inside the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sockscope_capture::{
    Capture, CaptureEvent, LinkType, Packet, PacketKind, UnavailableKind, parse_packet, probe,
    read_file,
};
use tokio::sync::mpsc::Receiver;

use common::{epoch_us, flag_bits, tshark_fields};

/// How far apart two captures' timestamps of one packet may be.
const MAX_CLOCK_SKEW_US: u64 = 1000;
/// How long packets may take to show up before a test fails.
const ARRIVAL: Duration = Duration::from_secs(3);
/// After the expected packets, how long to keep listening for any extra
/// (duplicate) ones.
const SETTLE: Duration = Duration::from_millis(300);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// Collects packets until `enough` says so or `within` has passed.
fn packets_until(
    events: &mut Receiver<CaptureEvent>,
    within: Duration,
    enough: impl Fn(&[Packet]) -> bool,
) -> Vec<Packet> {
    let deadline = tokio::time::Instant::now() + within;
    runtime().block_on(async {
        let mut packets = Vec::new();
        while !enough(&packets) {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Some(CaptureEvent::Packet(packet))) => packets.push(packet),
                Ok(Some(CaptureEvent::Stats { .. })) => {}
                Ok(None) | Err(_) => break,
            }
        }
        packets
    })
}

fn start(interface: &str, ports: &[u16]) -> (Capture, Receiver<CaptureEvent>) {
    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    let capture = runtime()
        .block_on(Capture::start(interface, 4096, tx))
        .unwrap();
    runtime().block_on(capture.set_ports(ports)).unwrap();
    (capture, rx)
}

/// Numbers the files of tshark captures running side by side.
static NEXT_TSHARK: AtomicUsize = AtomicUsize::new(0);

/// A tshark capture running beside ours, writing a classic pcap file.
struct Tshark {
    child: Child,
    file: PathBuf,
}

impl Tshark {
    /// Starts tshark on TCP packets matching `tcp_filter` and waits until
    /// it really captures.
    ///
    /// tshark prints "Capturing on" some tens of milliseconds before its
    /// capture sees packets (more on `any`), so that line alone would let a
    /// quick test run ahead of it. The capture also takes UDP datagrams to
    /// a port of its own, and this sends such probes until one shows up in
    /// the file.
    fn start(interface: &str, tcp_filter: &str) -> Tshark {
        let probe_receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        let probe_addr = probe_receiver.local_addr().unwrap();
        let filter = format!("({tcp_filter}) or udp port {}", probe_addr.port());
        let dir = std::env::temp_dir();
        let tag = format!(
            "sockscope-live-{}-{}",
            std::process::id(),
            NEXT_TSHARK.fetch_add(1, Ordering::Relaxed)
        );
        let file = dir.join(format!("{tag}.pcap"));
        let log = dir.join(format!("{tag}.log"));
        let child = Command::new("tshark")
            .args(["-i", interface, "-f", &filter, "-F", "pcap", "-w"])
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .expect("tshark is installed");
        let mut tshark = Tshark { child, file };
        let deadline = Instant::now() + Duration::from_secs(30);
        let probe_sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        loop {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            if said.contains("Capturing on") {
                probe_sender.send_to(b"probe", probe_addr).unwrap();
                let probes_seen = tshark.packets_so_far().iter().any(|p| p.dst == probe_addr);
                if probes_seen {
                    break;
                }
            }
            if let Some(status) = tshark.child.try_wait().unwrap() {
                panic!("tshark exited with {status}: {said}");
            }
            assert!(Instant::now() < deadline, "tshark did not start: {said}");
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_file(log);
        tshark
    }

    /// The TCP packets in tshark's file so far.
    fn tcp_so_far(&self) -> Vec<Packet> {
        let mut packets = self.packets_so_far();
        packets.retain(|p| p.tcp().is_some());
        packets
    }

    /// The packets of tshark's file so far, which dumpcap may be half-way
    /// through writing: a classic pcap file is a 24-byte header (the link
    /// type in its last word) and, per packet, a 16-byte record header
    /// (seconds, microseconds, captured length, length) and the frame.
    fn packets_so_far(&self) -> Vec<Packet> {
        let bytes = std::fs::read(&self.file).unwrap_or_default();
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        if bytes.len() < 24 {
            return Vec::new();
        }
        let link = LinkType::from_dlt(i32::try_from(word(20)).unwrap()).unwrap();
        let mut packets = Vec::new();
        let mut at = 24;
        while at + 16 <= bytes.len() {
            let captured = word(at + 8) as usize;
            let Some(frame) = bytes.get(at + 16..at + 16 + captured) else {
                break;
            };
            packets.extend(parse_packet(link, 0, frame, 0));
            at += 16 + captured;
        }
        packets
    }

    /// Waits until tshark's file holds at least `count` TCP packets.
    /// dumpcap hands packets over in batches, so packets we already have
    /// may not be in its file yet, and stopping it now would lose them.
    fn wait_for_tcp(&self, count: usize) {
        let deadline = Instant::now() + ARRIVAL;
        while self.tcp_so_far().len() < count && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops tshark cleanly: SIGINT, so that it finishes the file.
    fn finish(&mut self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap();
    }

    /// Stops tshark and returns the TCP packets it captured, as tshark's
    /// own dissector reads them and as `read_file` reads them.
    fn stop(mut self) -> (Vec<TsharkRow>, Vec<Packet>) {
        self.finish();
        let mut offline = read_file(&self.file).unwrap();
        offline.retain(|p| p.tcp().is_some());
        let fields = [
            "frame.time_epoch",
            "tcp.srcport",
            "tcp.dstport",
            "tcp.flags",
            "tcp.seq_raw",
            "tcp.ack_raw",
            "tcp.len",
        ];
        fn number<T: std::str::FromStr<Err = std::num::ParseIntError>>(text: &str) -> T {
            text.parse()
                .unwrap_or_else(|e| panic!("tshark printed {text:?}: {e}"))
        }
        let rows = tshark_fields(&self.file, &["-Y", "tcp"], &fields)
            .iter()
            .map(|f| TsharkRow {
                ts_us: epoch_us(&f[0]),
                ports: (number(&f[1]), number(&f[2])),
                flags: u16::from_str_radix(f[3].trim_start_matches("0x"), 16)
                    .unwrap_or_else(|e| panic!("tcp.flags {:?}: {e}", f[3])),
                seq: number(&f[4]),
                ack: number(&f[5]),
                len: number(&f[6]),
            })
            .collect();
        (rows, offline)
    }
}

impl Drop for Tshark {
    fn drop(&mut self) {
        // Ends the child we started (by its own handle) when a test failed
        // half-way; after `finish` it has already exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.file);
    }
}

/// A TCP packet in the words both sides can give.
#[derive(Debug, PartialEq, Eq)]
struct TsharkRow {
    ts_us: u64,
    ports: (u16, u16),
    flags: u16,
    seq: u32,
    ack: u32,
    len: u32,
}

fn row(packet: &Packet) -> TsharkRow {
    let segment = packet.tcp().expect("only TCP is expected here");
    TsharkRow {
        ts_us: packet.ts_us,
        ports: (packet.src.port(), packet.dst.port()),
        flags: flag_bits(segment.flags),
        seq: segment.seq,
        ack: segment.ack,
        len: segment.payload_len,
    }
}

/// Connects to `listener`, sends "hello" three times (each one read by the
/// server before the next is sent, so each leaves as its own segment),
/// then closes both ends. Returns the client's address.
fn hello_three_times(
    listener: &TcpListener,
    events: &mut Receiver<CaptureEvent>,
) -> (SocketAddr, Vec<Packet>) {
    let server_addr = listener.local_addr().unwrap();
    let mut client = TcpStream::connect(server_addr).unwrap();
    let (mut server, client_addr) = listener.accept().unwrap();
    // The handshake shows up promptly, before any data is sent: what the
    // page needs to draw the arrows as they happen.
    let handshake = packets_until(events, ARRIVAL, |seen| seen.len() >= 3);
    assert_eq!(
        handshake.len(),
        3,
        "handshake within {ARRIVAL:?}: {handshake:?}"
    );
    for _ in 0..3 {
        client.write_all(b"hello").unwrap();
        let mut buf = [0; 5];
        server.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hello");
    }
    client.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    assert_eq!(server.read_to_end(&mut rest).unwrap(), 0);
    drop(server);
    drop(client);
    (client_addr, handshake)
}

fn check_hello_conversation(interface: &str) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let tshark = Tshark::start(interface, &format!("tcp port {port}"));
    let (capture, mut events) = start(interface, &[port]);

    let (client_addr, mut ours) = hello_three_times(&listener, &mut events);
    // Wait for the whole conversation: the last ACK after both FINs.
    let server_addr = listener.local_addr().unwrap();
    ours.extend(packets_until(&mut events, ARRIVAL, |seen| {
        let fin_at = |from: SocketAddr| {
            seen.iter()
                .position(|p| p.src == from && p.tcp().is_some_and(|s| s.flags.fin))
        };
        match (fin_at(client_addr), fin_at(server_addr)) {
            (Some(a), Some(b)) => seen.len() > a.max(b) + 1,
            _ => false,
        }
    }));
    ours.extend(packets_until(&mut events, SETTLE, |_| false));
    drop(capture);
    tshark.wait_for_tcp(ours.len());
    let (theirs, offline) = tshark.stop();

    // Exactly what tshark saw, each packet once. Each capture socket takes
    // its own timestamp of a packet, so the two differ by a microsecond or
    // so; the order and the packets are the same.
    let mut our_rows: Vec<TsharkRow> = ours.iter().map(row).collect();
    assert_eq!(
        our_rows.len(),
        theirs.len(),
        "{interface}: {our_rows:#?}\nvs tshark {theirs:#?}"
    );
    for (ours, theirs) in our_rows.iter_mut().zip(&theirs) {
        assert!(
            ours.ts_us.abs_diff(theirs.ts_us) <= MAX_CLOCK_SKEW_US,
            "{ours:?} vs {theirs:?}"
        );
        ours.ts_us = theirs.ts_us;
    }
    assert_eq!(our_rows, theirs, "{interface}: ours vs tshark");

    // tshark's file, read back offline (Ethernet frames from lo, Linux
    // cooked ones from any), gives the same packets as the live capture.
    assert_eq!(offline.len(), ours.len());
    for (live, offline) in ours.iter().zip(&offline) {
        assert_eq!(
            &Packet {
                ts_us: offline.ts_us,
                ..live.clone()
            },
            offline
        );
    }

    // And what a learner should see in it.
    let flags: Vec<_> = ours.iter().map(|p| p.tcp().unwrap().flags).collect();
    assert!(flags[0].syn && !flags[0].ack, "SYN first: {flags:?}");
    assert!(flags[1].syn && flags[1].ack, "then SYN+ACK");
    assert!(!flags[2].syn && flags[2].ack, "then ACK");
    assert_eq!(ours[0].src, client_addr);
    let payloads: Vec<&[u8]> = ours
        .iter()
        .map(|p| &p.tcp().unwrap().payload[..])
        .filter(|payload| !payload.is_empty())
        .collect();
    assert_eq!(payloads, [b"hello"; 3]);
    let fin_from = |addr: SocketAddr| {
        ours.iter()
            .any(|p| p.src == addr && p.tcp().unwrap().flags.fin)
    };
    assert!(fin_from(client_addr), "FIN from the client");
    assert!(
        fin_from(listener.local_addr().unwrap()),
        "FIN from the server"
    );
}

#[test]
fn tcp_on_lo_is_seen_once_per_packet_like_tshark() {
    check_hello_conversation("lo");
}

#[test]
fn tcp_on_any_is_seen_once_per_packet_like_tshark() {
    // "any" sees lo too; libpcap drops the outgoing copies there as well.
    check_hello_conversation("any");
}

#[test]
fn udp_to_a_closed_port_comes_back_as_port_unreachable() {
    for host in ["127.0.0.1", "[::1]"] {
        check_port_unreachable(host);
    }
}

/// Sends a datagram to a closed, watched port on `host` (an IPv4 or IPv6
/// loopback address) and one to a closed port that is not watched.
fn check_port_unreachable(host: &str) {
    let closed = |socket: UdpSocket| socket.local_addr().unwrap();
    let watched = closed(UdpSocket::bind(format!("{host}:0")).unwrap());
    let unwatched = closed(UdpSocket::bind(format!("{host}:0")).unwrap());
    let (_capture, mut events) = start("lo", &[watched.port()]);

    let sender = UdpSocket::bind(format!("{host}:0")).unwrap();
    let from = sender.local_addr().unwrap();
    sender.send_to(b"nobody", unwatched).unwrap();
    sender.send_to(b"ping", watched).unwrap();
    let mut seen = packets_until(&mut events, ARRIVAL, |seen| seen.len() >= 2);
    seen.extend(packets_until(&mut events, SETTLE, |_| false));

    // Only the watched port's datagram and its ICMP report: the other
    // datagram is cut by BPF, its ICMP report by the check in Rust.
    assert_eq!(seen.len(), 2, "{host}: {seen:#?}");
    assert_eq!((seen[0].src, seen[0].dst), (from, watched));
    assert_eq!(
        seen[0].kind,
        PacketKind::Udp {
            payload_len: 4,
            payload: b"ping".to_vec()
        }
    );
    assert_eq!((seen[1].src, seen[1].dst), (from, watched));
    assert_eq!(seen[1].kind, PacketKind::IcmpPortUnreachable);
    assert!(seen[0].ts_us <= seen[1].ts_us);
}

#[test]
fn ports_can_be_changed_and_emptied() {
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = receiver.local_addr().unwrap().port();
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (capture, mut events) = start("lo", &[]);

    sender.send_to(b"before", ("127.0.0.1", port)).unwrap();
    runtime().block_on(capture.set_ports(&[port])).unwrap();
    sender.send_to(b"during", ("127.0.0.1", port)).unwrap();
    let during = packets_until(&mut events, ARRIVAL, |seen| !seen.is_empty());
    runtime().block_on(capture.set_ports(&[])).unwrap();
    sender.send_to(b"after", ("127.0.0.1", port)).unwrap();
    let after = packets_until(&mut events, SETTLE, |_| false);

    let payload = |packet: &Packet| match &packet.kind {
        PacketKind::Udp { payload, .. } => payload.clone(),
        other => panic!("expected UDP, got {other:?}"),
    };
    assert_eq!(during.iter().map(payload).collect::<Vec<_>>(), [b"during"]);
    assert!(after.is_empty(), "{after:?}");
}

#[test]
fn dropping_the_capture_stops_it_promptly_and_reports_stats() {
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = receiver.local_addr().unwrap().port();
    let (capture, mut events) = start("lo", &[port]);
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.send_to(b"x", ("127.0.0.1", port)).unwrap();
    assert_eq!(
        packets_until(&mut events, ARRIVAL, |seen| !seen.is_empty()).len(),
        1
    );

    let started = Instant::now();
    drop(capture);
    let stopped_in = started.elapsed();
    assert!(
        stopped_in < Duration::from_secs(1),
        "stop took {stopped_in:?}"
    );

    // The final counters come before the channel closes.
    let rest: Vec<CaptureEvent> = runtime().block_on(async {
        let mut rest = Vec::new();
        while let Ok(Some(event)) = tokio::time::timeout(ARRIVAL, events.recv()).await {
            rest.push(event);
        }
        rest
    });
    assert!(
        events.is_closed(),
        "the channel closes when the capture ends"
    );
    let received = rest.iter().find_map(|event| match event {
        CaptureEvent::Stats { received, .. } => Some(*received),
        CaptureEvent::Packet(_) => None,
    });
    assert!(received.is_some_and(|n| n >= 1), "{rest:?}");
}

#[test]
fn a_missing_interface_is_named() {
    let error = probe("nosuchif0").unwrap_err();
    assert_eq!(error.kind, UnavailableKind::NoSuchInterface, "{error}");
    assert!(error.reason.contains("nosuchif0"), "{error}");
    let (tx, _rx) = tokio::sync::mpsc::channel(1);
    assert!(
        runtime()
            .block_on(Capture::start("nosuchif0", 64, tx))
            .is_err()
    );
}

/// The environment variable that turns this test binary into the
/// unprivileged child of the permission test.
const CHILD: &str = "SOCKSCOPE_CAPTURE_PROBE_CHILD";

#[test]
fn without_cap_net_raw_probe_says_what_to_run() {
    if std::env::var_os(CHILD).is_some() {
        // The child: report what probe says, for the parent to check.
        match probe("lo") {
            Ok(()) => println!("PROBE ok"),
            Err(unavailable) => {
                println!("PROBE kind={:?}", unavailable.kind);
                println!("PROBE reason={}", unavailable.reason);
                println!("PROBE fix={}", unavailable.fix);
            }
        }
        return;
    }
    if !has_cap_net_raw() {
        // Already unprivileged: no child needed.
        let error = probe("lo").unwrap_err();
        assert_eq!(error.kind, UnavailableKind::NoPermission);
        assert!(error.reason.contains("CAP_NET_RAW"), "{error}");
        assert!(
            error.fix.contains("setcap cap_net_raw,cap_net_admin=eip"),
            "{error}"
        );
        return;
    }
    // Root: run this same test again as nobody, with every capability gone.
    // A copy in the temp directory makes sure nobody may execute it.
    let exe = std::env::current_exe().unwrap();
    let copy = std::env::temp_dir().join(format!("sockscope-probe-child-{}", std::process::id()));
    std::fs::copy(&exe, &copy).unwrap();
    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .args(["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"])
        .arg(&copy)
        .args(["--exact", "without_cap_net_raw_probe_says_what_to_run"])
        .args(["--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .expect("setpriv (util-linux) is installed");
    let _ = std::fs::remove_file(&copy);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = |key: &str| {
        stdout
            .lines()
            .find_map(|line| line.split_once(&format!("PROBE {key}=")))
            .map(|(_, value)| value)
            .unwrap_or_else(|| panic!("no {key} in the child's output: {stdout}"))
            .to_owned()
    };
    assert_eq!(said("kind"), "NoPermission");
    assert!(said("reason").contains("CAP_NET_RAW"), "{stdout}");
    let fix = said("fix");
    assert_eq!(
        fix,
        format!(
            "sudo setcap cap_net_raw,cap_net_admin=eip {}",
            copy.display()
        ),
    );
}

/// Whether this process may capture: bit 13 (CAP_NET_RAW) of its effective
/// capability set.
fn has_cap_net_raw() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let effective = status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .unwrap();
    let bits = u64::from_str_radix(effective.trim(), 16).unwrap();
    bits & (1 << 13) != 0
}
