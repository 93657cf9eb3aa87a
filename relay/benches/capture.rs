//! Capture under load: a bulk TCP transfer over loopback between two of the
//! relay's own sockets, with packet capture on and off, and the segments the
//! relay reported counted against tshark watching the same transfer.
//!
//! Run it with `cargo bench -p sockscope --bench capture` (root, or a relay
//! binary with CAP_NET_RAW, for the capture half), or through
//! `cargo xtask bench`. It starts the real `sockscope` binary of this build
//! (a process of its own, as a user runs it) and drives it over the
//! WebSocket as a page would:
//! `tcp_listen` with `auto_accept`, `tcp_connect`, `auto_read` (1 MiB
//! buffer) on the accepted socket, then one `send` of a 1 MiB payload
//! repeated 1000 times (the relay's `--max-repeat`).
//!
//! Throughput is the relay's own clock: bytes sent divided by the time from
//! the first send() to the recv() that read the last byte. Runs alternate
//! capture off and on, seven of each after one pair that is not counted
//! (the first transfer of a fresh machine runs cold: page cache, CPU
//! frequency, the relay binary itself); medians are compared. Then one more
//! run with capture on has tshark on `lo` with the same port filter, and the
//! relay's segment events for the connection are counted against tshark's
//! packets, with the kernel drops both report.
//!
//! Prints one line for people and one line of JSON per figure.

#![allow(clippy::print_stdout)] // A benchmark's figures are its output.

use std::{
    error::Error,
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, BufReader as AsyncBufReader},
    net::TcpStream,
};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, protocol::WebSocketConfig},
};

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

const PAYLOAD: usize = 1 << 20;
const REPEAT: u64 = 1000;
const TOTAL: u64 = PAYLOAD as u64 * REPEAT;
const RUNS: usize = 7;
/// Pairs run first and left out of the figures.
const WARM_UP: usize = 1;
/// How long a transfer may take before the benchmark gives up.
const PATIENCE: Duration = Duration::from_secs(120);

fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> Result<()> {
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for pair in 0..WARM_UP + RUNS {
        for capture in [false, true] {
            let run = transfer(capture, None).await?;
            let counted = pair >= WARM_UP;
            eprintln!(
                "  capture {}: {:.0} MB/s on the sockets, {:.0} MB/s delivered, {} sends, \
                 {} recvs, {} segments, {:.2} s of relay CPU, peak {:.0} MiB{}",
                if capture { "on " } else { "off" },
                run.mb_per_second(),
                run.delivered_mb_per_second(),
                run.sends,
                run.recvs,
                run.segments,
                run.cpu_seconds,
                run.peak_mib,
                if counted {
                    ""
                } else {
                    " (warm-up, not counted)"
                }
            );
            if !counted {
                continue;
            }
            if capture && !run.capturing {
                println!(
                    "capture: the relay cannot capture here (run as root, or setcap the \
                     binary); only the capture-off figures are meaningful"
                );
            }
            if capture { &mut on } else { &mut off }.push(run);
        }
    }
    let figure = |runs: &[Transfer], of: fn(&Transfer) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(of).collect();
        median(&mut values)
    };
    let (sockets_on, sockets_off) = (
        figure(&on, Transfer::mb_per_second),
        figure(&off, Transfer::mb_per_second),
    );
    let (delivered_on, delivered_off) = (
        figure(&on, Transfer::delivered_mb_per_second),
        figure(&off, Transfer::delivered_mb_per_second),
    );
    let (cpu_on, cpu_off) = (
        figure(&on, |t| t.cpu_seconds),
        figure(&off, |t| t.cpu_seconds),
    );
    let ratio = sockets_on / sockets_off;
    println!(
        "capture throughput      on {sockets_on:.0} MB/s, off {sockets_off:.0} MB/s: ratio \
         {ratio:.2}; delivered to the client {delivered_on:.0} vs {delivered_off:.0} MB/s; \
         relay CPU {cpu_on:.2} s vs {cpu_off:.2} s ({} MiB over loopback, medians of {RUNS})",
        TOTAL >> 20
    );
    let round = |x: f64| (x * 100.0).round() / 100.0;
    println!(
        "{}",
        json!({"bench": "capture", "case": "throughput", "bytes": TOTAL, "runs": RUNS,
               "on_mb_per_second": sockets_on.round(), "off_mb_per_second": sockets_off.round(),
               "ratio": round(ratio),
               "delivered_on_mb_per_second": delivered_on.round(),
               "delivered_off_mb_per_second": delivered_off.round(),
               "delivered_ratio": round(delivered_on / delivered_off),
               "relay_cpu_seconds_on": cpu_on, "relay_cpu_seconds_off": cpu_off})
    );

    let port = free_port()?;
    let tshark = match Tshark::start(port) {
        Ok(tshark) => tshark,
        Err(err) => {
            println!("capture: tshark is not available ({err}); no count to compare");
            return Ok(());
        }
    };
    let counted = transfer(true, Some(port)).await?;
    let witness = tshark.stop()?;
    let share = counted.segments as f64 / witness.packets.max(1) as f64 * 100.0;
    println!(
        "capture completeness    relay {} segments, tshark {} packets: {share:.1}%; \
         kernel drops: relay {}, tshark {}; events dropped by the relay: {}",
        counted.segments, witness.packets, counted.kernel_drops, witness.dropped, counted.lagged
    );
    println!(
        "{}",
        json!({"bench": "capture", "case": "completeness", "relay_segments": counted.segments,
               "tshark_packets": witness.packets, "percent": (share * 10.0).round() / 10.0,
               "relay_kernel_drops": counted.kernel_drops, "tshark_drops": witness.dropped,
               "relay_lagged": counted.lagged})
    );
    Ok(())
}

/// The most resident memory process `pid` has had, in MiB, from /proc
/// (Linux's `VmHWM`).
fn peak_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// User plus system CPU time of process `pid` so far, from /proc (Linux).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it do not.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux that sockscope runs on.
    Some(ticks as f64 / 100.0)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// What one transfer showed.
struct Transfer {
    capturing: bool,
    /// CPU time the relay process used, user and system, all threads.
    cpu_seconds: f64,
    /// The relay's peak resident memory, MiB.
    peak_mib: f64,
    /// From the first send() to the recv() of the last byte, relay clock.
    micros: u64,
    /// From sending the `send` command to receiving the event of the recv()
    /// that read the last byte: what a page waits to see the transfer.
    delivered: Duration,
    /// Segment events of the transfer's connection.
    segments: u64,
    /// send() and recv() calls the transfer took.
    sends: u64,
    recvs: u64,
    kernel_drops: u64,
    lagged: u64,
}

impl Transfer {
    fn mb_per_second(&self) -> f64 {
        TOTAL as f64 / self.micros.max(1) as f64
    }

    fn delivered_mb_per_second(&self) -> f64 {
        TOTAL as f64 / self.delivered.as_secs_f64().max(1e-6) / 1e6
    }
}

/// The fields of an event the benchmark reads. Borrowing the strings keeps
/// this client cheap: it shares the machine with the relay it measures, and
/// must not decode a gigabyte of hex to count events.
#[derive(Deserialize)]
struct Seen<'a> {
    t_us: u64,
    event: &'a str,
    #[serde(default)]
    call: Option<&'a str>,
    #[serde(default)]
    socket: Option<u32>,
    #[serde(default, borrow)]
    result: Option<SeenResult<'a>>,
    #[serde(default)]
    local: Option<&'a str>,
    #[serde(default)]
    src: Option<&'a str>,
    #[serde(default)]
    dst: Option<&'a str>,
    #[serde(default)]
    state: Option<&'a str>,
    #[serde(default)]
    dropped_by_kernel: Option<u64>,
    #[serde(default)]
    dropped: Option<u64>,
    #[serde(default, borrow)]
    capabilities: Option<SeenCapabilities<'a>>,
}

/// The hello's `capabilities.capture.state`.
#[derive(Deserialize)]
struct SeenCapabilities<'a> {
    #[serde(borrow)]
    capture: SeenCapture<'a>,
}

#[derive(Deserialize)]
struct SeenCapture<'a> {
    state: &'a str,
}

#[derive(Deserialize)]
struct SeenResult<'a> {
    kind: &'a str,
    #[serde(default)]
    offset: Option<u64>,
    #[serde(default)]
    data: Option<&'a str>,
    #[serde(default)]
    new_socket: Option<u32>,
}

/// A relay binary started for one transfer; killed when dropped.
struct RelayProcess {
    child: tokio::process::Child,
    ws_url: String,
}

impl RelayProcess {
    async fn start(capture: bool) -> Result<RelayProcess> {
        let binary = std::env::var("SOCKSCOPE_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_sockscope").to_owned());
        let mut command = tokio::process::Command::new(binary);
        command.args(["--listen", "127.0.0.1:0", "--token", "bench"]);
        if !capture {
            command.arg("--no-capture");
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = AsyncBufReader::new(stdout).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.trim().strip_prefix("sockscope listening on ") {
                    return Some(url.to_owned());
                }
            }
            None
        })
        .await?
        .ok_or("the relay printed no URL")?;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let ws_url = url
            .replace("http://", "ws://")
            .replace("/?token=", "/ws?token=");
        Ok(RelayProcess { child, ws_url })
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One bulk transfer through a fresh relay; `port` fixes the listener's
/// port (for tshark's filter), else the kernel picks one.
async fn transfer(capture: bool, port: Option<u16>) -> Result<Transfer> {
    let relay = RelayProcess::start(capture).await?;
    // A frame batches up to 512 events, and each send or recv event here
    // carries up to 1 MiB as hex: frames of tens of megabytes are normal.
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(relay.ws_url.as_str(), Some(config), false)
            .await?;
    let mut state = Progress::default();
    tokio::time::timeout(PATIENCE, drive(&mut ws, &mut state, port)).await??;
    // The last ACKs and the capture's counters (sent every 500 ms) follow
    // the last recv; collect them before closing.
    let _ = tokio::time::timeout(Duration::from_millis(1500), async {
        while let Some(Ok(message)) = ws.next().await {
            if state.take(message).is_err() {
                break;
            }
        }
    })
    .await;
    let cpu_seconds = relay.child.id().and_then(cpu_seconds).unwrap_or(0.0);
    let peak_mib = relay.child.id().and_then(peak_mib).unwrap_or(0.0);
    drop(ws);
    drop(relay.child);
    Ok(Transfer {
        capturing: state.capturing,
        cpu_seconds,
        peak_mib,
        micros: state.last_recv_us.saturating_sub(state.first_send_us),
        delivered: state.delivered,
        segments: state.segments,
        sends: state.sends,
        recvs: state.recvs,
        kernel_drops: state.kernel_drops,
        lagged: state.lagged,
    })
}

/// What the benchmark has learned from the events so far.
#[derive(Default)]
struct Progress {
    capturing: bool,
    listener: Option<u32>,
    listen_port: Option<u16>,
    client: Option<u32>,
    server: Option<u32>,
    first_send_us: u64,
    last_recv_us: u64,
    delivered: Duration,
    received: u64,
    segments: u64,
    sends: u64,
    recvs: u64,
    kernel_drops: u64,
    lagged: u64,
}

impl Progress {
    /// Folds one frame of events in.
    fn take(&mut self, message: Message) -> Result<()> {
        let Message::Text(text) = message else {
            return Ok(());
        };
        for event in serde_json::from_str::<Vec<Seen>>(text.as_str())? {
            self.see(&event);
        }
        Ok(())
    }

    fn see(&mut self, e: &Seen) {
        match (e.event, e.call) {
            ("hello", _) => {
                self.capturing = e.capabilities.as_ref().map(|c| c.capture.state) == Some("on");
            }
            ("call", Some("listen")) => {
                self.listener = e.socket;
                self.listen_port = e.local.and_then(port_of);
            }
            ("call", Some("connect")) => self.client = e.socket,
            ("call", Some("accept")) => {
                self.server = e.result.as_ref().and_then(|r| r.new_socket);
            }
            ("call", Some("send")) => {
                self.sends += 1;
                if self.first_send_us == 0 {
                    self.first_send_us = e.t_us;
                }
            }
            ("call", Some("recv")) => {
                self.recvs += 1;
                if let Some(SeenResult {
                    kind: "data",
                    offset: Some(offset),
                    data: Some(data),
                    ..
                }) = &e.result
                {
                    self.received = offset + data.len() as u64 / 2;
                    self.last_recv_us = e.t_us;
                }
            }
            ("segment", _) => {
                let port = self.listen_port;
                if port.is_some()
                    && (e.src.and_then(port_of) == port || e.dst.and_then(port_of) == port)
                {
                    self.segments += 1;
                }
            }
            ("capture", _) if e.state == Some("stats") => {
                self.kernel_drops = e.dropped_by_kernel.unwrap_or(0);
            }
            ("lagged", _) => self.lagged += e.dropped.unwrap_or(0),
            _ => {}
        }
    }
}

fn port_of(addr: &str) -> Option<u16> {
    addr.rsplit(':').next()?.parse().ok()
}

async fn send(ws: &mut Ws, command: serde_json::Value) -> Result<()> {
    ws.send(Message::Text(command.to_string().into())).await?;
    Ok(())
}

/// Waits until `done` holds, folding events in.
async fn until(ws: &mut Ws, state: &mut Progress, done: impl Fn(&Progress) -> bool) -> Result<()> {
    while !done(state) {
        let message = ws.next().await.ok_or("the relay closed the WebSocket")??;
        state.take(message)?;
    }
    Ok(())
}

async fn drive(ws: &mut Ws, state: &mut Progress, port: Option<u16>) -> Result<()> {
    send(
        ws,
        json!({"cmd": "tcp_listen", "host": "127.0.0.1", "port": port.unwrap_or(0),
                    "reuse_addr": true, "auto_accept": true}),
    )
    .await?;
    until(ws, state, |s| s.listen_port.is_some()).await?;
    let listen_port = state.listen_port.ok_or("no listening port")?;
    send(
        ws,
        json!({"cmd": "tcp_connect", "host": "127.0.0.1", "port": listen_port}),
    )
    .await?;
    until(ws, state, |s| s.client.is_some() && s.server.is_some()).await?;
    let (client, server) = (
        state.client.ok_or("no client")?,
        state.server.ok_or("no server")?,
    );
    send(
        ws,
        json!({"cmd": "auto_read", "socket": server, "on": true, "bufsize": PAYLOAD}),
    )
    .await?;
    let payload = "ab".repeat(PAYLOAD);
    let asked = Instant::now();
    send(
        ws,
        json!({"cmd": "send", "socket": client, "payload": {"hex": payload}, "repeat": REPEAT}),
    )
    .await?;
    until(ws, state, |s| s.received >= TOTAL).await?;
    state.delivered = asked.elapsed();
    Ok(())
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// tshark on `lo` with the transfer's port filter, as the independent count.
struct Tshark {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    errors: Arc<Mutex<String>>,
}

/// What tshark saw.
struct Witness {
    packets: u64,
    dropped: u64,
}

impl Tshark {
    /// Starts tshark and waits until it really captures: it says so a
    /// little before it does, so UDP probes to a port of its filter are sent
    /// until one shows up.
    fn start(port: u16) -> Result<Tshark> {
        let probe = std::net::UdpSocket::bind("127.0.0.1:0")?;
        let probe_port = probe.local_addr()?.port();
        let filter = format!("tcp port {port} or udp dst port {probe_port}");
        // Headers are all it needs (-s 128): a lighter witness disturbs
        // the transfer less.
        let mut child = Command::new("tshark")
            .args([
                "-i", "lo", "-B", "64", "-s", "128", "-l", "-n", "-f", &filter,
            ])
            .args(["-T", "fields", "-e", "udp.dstport", "-e", "tcp.srcport"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                if let Ok(mut lines) = sink.lock() {
                    lines.push(line);
                }
            }
        });
        let sink = errors.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
                if let Ok(mut errors) = sink.lock() {
                    errors.push_str(&line);
                    errors.push('\n');
                }
            }
        });
        let probe_text = probe_port.to_string();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = lines
                .lock()
                .map_err(|_| "poisoned")?
                .iter()
                .any(|l| l.starts_with(&probe_text));
            if ready {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err("tshark did not start capturing within 20 s".into());
            }
            probe.send_to(b"probe", ("127.0.0.1", probe_port))?;
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Tshark {
            child,
            lines,
            errors,
        })
    }

    /// Stops tshark as Ctrl-C would, so it prints its drop count.
    fn stop(mut self) -> Result<Witness> {
        Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()?;
        self.child.wait()?;
        // Let the reader threads take the last lines.
        std::thread::sleep(Duration::from_millis(200));
        let packets = self
            .lines
            .lock()
            .map_err(|_| "poisoned")?
            .iter()
            .filter(|l| l.starts_with('\t') || l.starts_with(','))
            .count() as u64;
        let errors = self.errors.lock().map_err(|_| "poisoned")?.clone();
        // "N packets dropped from Loopback: lo" or "... (N dropped)".
        let dropped = errors
            .lines()
            .filter(|l| l.contains("dropped"))
            .filter_map(|l| {
                l.split(|c: char| !c.is_ascii_digit())
                    .find(|w| !w.is_empty())
                    .and_then(|w| w.parse::<u64>().ok())
            })
            .sum();
        Ok(Witness { packets, dropped })
    }
}
