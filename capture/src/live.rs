//! Live capture: a libpcap handle on its own thread, turning the packets of
//! the watched ports into [`CaptureEvent`]s on a tokio channel.
//!
//! Why a thread of its own: libpcap reads block, and the relay's socket
//! tasks must never wait on capture. The thread owns the pcap handle
//! outright (libpcap handles are not safe to share between threads), so
//! everything that touches it, including replacing the BPF filter, happens
//! there: [`Capture::set_ports`] sends the new ports over a std channel and
//! wakes the thread with `pcap_breakloop`.
//!
//! Why answers come back on a `tokio::sync::oneshot`: the caller is async
//! code, and waiting on a std channel would park a tokio worker (and every
//! task queued behind it) for as long as the thread takes, up to seconds
//! when it is stuck. Awaiting a oneshot parks only the awaiting task. The
//! same holds for [`Capture::start`], which waits for the thread to open
//! the interface.
//!
//! Why immediate mode: without it libpcap on Linux hands packets over when
//! a buffer block fills or its timeout expires, so they arrive late and in
//! bursts, and "press send, see the arrow" falls apart.
//!
//! Who holds what: the caller keeps the [`Capture`] and the channel's
//! receiver; the thread keeps the sender. The channel closes when the thread
//! ends, which it does when the `Capture` is dropped, when the receiver is
//! dropped, or on a read error ([`Capture::failure`] then says why).

use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pcap::{Active, Stat};
use tokio::sync::mpsc::Sender;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::oneshot;

use crate::filter::{MATCH_NOTHING, bpf_program, wanted};
use crate::link::LinkType;
use crate::packet::Packet;
use crate::parse::{parse_packet, timestamp_us};
use crate::unavailable::Unavailable;

/// The most bytes kept of a frame: a whole 64 KiB IP packet (loopback's MTU
/// is 65536) plus room for the largest link header.
const MAX_SNAPLEN: usize = 65_535 + 256;
/// Room kept before the payload: link (at most 22 bytes), IP (60 for IPv4,
/// 40 plus extension headers for IPv6) and TCP (60) headers.
const HEADER_ROOM: usize = 512;
/// The kernel ring buffer. In immediate mode libpcap gives every frame a
/// slot of about snaplen bytes, so the libpcap default (2 MiB) would hold
/// only ~30 full-size packets of a burst.
const BUFFER_SIZE: i32 = 16 << 20;
/// How long one read may block. `pcap_breakloop` wakes a blocked read at
/// once; the timeout only bounds how late the thread notices a stop or a
/// stats tick when that wake-up is missed.
const READ_TIMEOUT_MS: i32 = 100;
/// How often kernel drop counters are reported (when they changed).
const STATS_EVERY: Duration = Duration::from_millis(500);
/// How long the future of [`Capture::set_ports`] waits for the thread to
/// apply a filter.
const CONTROL_WAIT: Duration = Duration::from_secs(2);
/// How long dropping a [`Capture`] waits for its thread to finish.
const STOP_WAIT: Duration = Duration::from_secs(2);
/// How long the thread waits before retrying a send to a full channel.
const FULL_CHANNEL_RETRY: Duration = Duration::from_millis(1);

/// What a live capture reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureEvent {
    /// A packet of one of the watched ports.
    Packet(Packet),
    /// libpcap's counters since the capture started, sent about every
    /// 500 ms when they changed, and once more when the capture stops.
    /// Packets the kernel dropped are packets the page will never see.
    Stats {
        received: u64,
        dropped_by_kernel: u64,
        dropped_by_interface: u64,
    },
}

/// The interface on which traffic to `target` travels: `lo` for loopback
/// addresses, otherwise `any`.
pub fn interface_for(target: IpAddr) -> String {
    if target.is_loopback() {
        "lo".to_owned()
    } else {
        "any".to_owned()
    }
}

/// Tries to open a live capture on `interface` and closes it again.
///
/// # Errors
///
/// [`Unavailable`] when capture is not possible: without CAP_NET_RAW its
/// `fix` is the `setcap` command to run; a missing interface and other
/// libpcap failures give their own reason.
pub fn probe(interface: &str) -> Result<(), Unavailable> {
    open(interface, snaplen(0)).map(|_| ())
}

/// A running live capture. Dropping it stops the capture thread and waits
/// (at most 2 s) for it to finish: async code should drop it on a blocking
/// thread (`tokio::task::spawn_blocking`).
#[derive(Debug)]
pub struct Capture {
    interface: String,
    control: mpsc::Sender<Control>,
    waker: Waker,
    stop: Arc<AtomicBool>,
    failure: Arc<Mutex<Option<Unavailable>>>,
    thread: Option<JoinHandle<()>>,
}

/// Messages from the [`Capture`] to its thread.
enum Control {
    SetPorts {
        ports: Vec<u16>,
        applied: oneshot::Sender<Result<(), Unavailable>>,
    },
}

/// Wakes the capture thread out of a blocking read.
struct Waker(pcap::BreakLoop);

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Waker")
    }
}

impl Capture {
    /// Opens `interface` and starts capturing on a thread named
    /// `capture <interface>`. Nothing is reported until
    /// [`Capture::set_ports`] names the ports to watch. Payloads are cut to
    /// `payload_cap` bytes (`payload_len` keeps the real length).
    ///
    /// Opening takes a few milliseconds (libpcap maps its ring buffer); the
    /// thread says when it is done through a oneshot, so awaiting this
    /// parks no tokio worker.
    ///
    /// # Errors
    ///
    /// [`Unavailable`] when the capture cannot be opened (see [`probe`]), or
    /// the interface's link type is not one this crate parses.
    pub async fn start(
        interface: &str,
        payload_cap: usize,
        events: Sender<CaptureEvent>,
    ) -> Result<Capture, Unavailable> {
        let (ready_tx, ready_rx) = oneshot::channel();
        let (control_tx, control_rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let failure = Arc::new(Mutex::new(None));
        let thread = {
            let interface = interface.to_owned();
            let stop = Arc::clone(&stop);
            let failure = Arc::clone(&failure);
            std::thread::Builder::new()
                .name(format!("capture {interface}"))
                .spawn(move || {
                    let (mut handle, link) = match open_with_link(&interface, snaplen(payload_cap))
                    {
                        Ok(opened) => opened,
                        Err(unavailable) => {
                            let _ = ready_tx.send(Err(unavailable));
                            return;
                        }
                    };
                    if ready_tx.send(Ok(handle.breakloop_handle())).is_err() {
                        return;
                    }
                    let mut worker = Worker {
                        handle,
                        link,
                        payload_cap,
                        ports: Vec::new(),
                        events,
                        stop,
                        last_stats: None,
                    };
                    // The failure is stored before the worker (and with it the
                    // events sender) is dropped, so a receiver that sees the
                    // channel close can already read why.
                    if let Err(unavailable) = worker.run(&control_rx) {
                        *failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(unavailable);
                    }
                    drop(worker);
                })
                .map_err(|error| {
                    Unavailable::failed(format!("cannot start the capture thread: {error}"))
                })?
        };
        // On failure the thread has already sent its answer and is
        // returning: it is left to end by itself, as joining it here would
        // block the caller's worker.
        match ready_rx.await {
            Ok(Ok(breaker)) => Ok(Capture {
                interface: interface.to_owned(),
                control: control_tx,
                waker: Waker(breaker),
                stop,
                failure,
                thread: Some(thread),
            }),
            Ok(Err(unavailable)) => Err(unavailable),
            Err(_) => Err(Unavailable::failed(format!(
                "the capture thread for {interface} ended before it opened"
            ))),
        }
    }

    /// The interface this capture listens on.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// Replaces the kernel filter: once the returned future resolves, TCP
    /// and UDP packets to or from any of `ports` are reported, and ICMP
    /// port-unreachable reports for datagrams that used them. No ports
    /// means nothing is reported.
    ///
    /// The request leaves when this is called, not when the future is
    /// first polled, so filters are applied in the order of the calls even
    /// if their futures are awaited later, elsewhere, or not at all. The
    /// future resolves when the thread has applied the filter, normally
    /// well under a millisecond; awaiting it parks no tokio worker.
    ///
    /// # Errors
    ///
    /// The future gives [`Unavailable`] when the capture thread has
    /// stopped, did not answer within 2 s, or libpcap refused the filter.
    pub fn set_ports(
        &self,
        ports: &[u16],
    ) -> impl Future<Output = Result<(), Unavailable>> + Send + 'static {
        let (applied_tx, applied_rx) = oneshot::channel();
        let message = Control::SetPorts {
            ports: ports.to_vec(),
            applied: applied_tx,
        };
        let sent = self.control.send(message).is_ok();
        if sent {
            self.waker.0.breakloop();
        }
        let interface = self.interface.clone();
        let failure = Arc::clone(&self.failure);
        async move {
            if !sent {
                return Err(stopped(&interface, &failure));
            }
            match tokio::time::timeout(CONTROL_WAIT, applied_rx).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err(stopped(&interface, &failure)),
                Err(_) => Err(Unavailable::failed(format!(
                    "the capture on {interface} did not apply the new filter within {} s",
                    CONTROL_WAIT.as_secs()
                ))),
            }
        }
    }

    /// Why the capture stopped on its own, if it did (a read error such as
    /// the interface going away). `None` while it runs or after a normal
    /// stop.
    pub fn failure(&self) -> Option<Unavailable> {
        read_failure(&self.failure)
    }
}

fn read_failure(failure: &Mutex<Option<Unavailable>>) -> Option<Unavailable> {
    failure
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Why a capture no longer answers: its own failure, or that it stopped.
fn stopped(interface: &str, failure: &Mutex<Option<Unavailable>>) -> Unavailable {
    read_failure(failure)
        .unwrap_or_else(|| Unavailable::failed(format!("the capture on {interface} has stopped")))
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.waker.0.breakloop();
        let Some(thread) = self.thread.take() else {
            return;
        };
        // std offers no join with a timeout; polling is_finished bounds the
        // wait, and a thread still stuck after it is left to end by itself
        // (it checks the stop flag on every wake-up).
        let deadline = Instant::now() + STOP_WAIT;
        while !thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
    }
}

/// Bytes to keep of each frame for payloads cut to `payload_cap`: the
/// headers and the payload up to the cap, no more. `payload_len` does not
/// depend on it (it comes from the IP header's length). Keeping only this
/// much matters under load: each frame takes a ring slot of about the
/// snaplen, so with 64 KiB loopback packets a full snaplen leaves room for
/// only ~250 of them in the ring (and the kernel copies every byte kept),
/// where a 4 KiB cap leaves room for ~3,500.
fn snaplen(payload_cap: usize) -> i32 {
    let keep = payload_cap.saturating_add(HEADER_ROOM).min(MAX_SNAPLEN);
    i32::try_from(keep).unwrap_or(i32::MAX)
}

/// Opens a live handle with the settings every capture here uses, and the
/// match-nothing filter so nothing is seen before ports are chosen.
fn open(interface: &str, snaplen: i32) -> Result<pcap::Capture<Active>, Unavailable> {
    let inactive = pcap::Capture::from_device(interface)
        .map_err(|error| Unavailable::from_open_error(interface, &error))?;
    let mut handle = inactive
        .immediate_mode(true)
        .snaplen(snaplen)
        .buffer_size(BUFFER_SIZE)
        .timeout(READ_TIMEOUT_MS)
        .promisc(false)
        .open()
        .map_err(|error| Unavailable::from_open_error(interface, &error))?;
    handle
        .filter(MATCH_NOTHING, true)
        .map_err(|error| Unavailable::from_open_error(interface, &error))?;
    Ok(handle)
}

/// Opens a live handle and works out how to read its frames.
fn open_with_link(
    interface: &str,
    snaplen: i32,
) -> Result<(pcap::Capture<Active>, LinkType), Unavailable> {
    let handle = open(interface, snaplen)?;
    let dlt = handle.get_datalink().0;
    let link = LinkType::from_dlt(dlt).ok_or_else(|| {
        Unavailable::failed(format!(
            "cannot capture on {interface}: its link type {dlt} is not supported"
        ))
    })?;
    Ok((handle, link))
}

/// The capture thread's state.
struct Worker {
    handle: pcap::Capture<Active>,
    link: LinkType,
    payload_cap: usize,
    /// The ports of the filter in force, for the checks BPF leaves to Rust.
    ports: Vec<u16>,
    events: Sender<CaptureEvent>,
    stop: Arc<AtomicBool>,
    last_stats: Option<Stat>,
}

/// Whether the thread goes on after a step.
enum Flow {
    Continue,
    Stop,
}

impl Worker {
    /// Reads until told to stop. `Err` is a failure the owner should hear
    /// of; a normal stop is `Ok`.
    fn run(&mut self, control: &Receiver<Control>) -> Result<(), Unavailable> {
        let mut next_stats = Instant::now() + STATS_EVERY;
        loop {
            if let Flow::Stop = self.handle_control(control) {
                self.send_stats_on_stop();
                return Ok(());
            }
            match self.handle.next_packet() {
                Ok(frame) => {
                    let ts_us = timestamp_us(frame.header.ts.tv_sec, frame.header.ts.tv_usec);
                    let packet = parse_packet(self.link, ts_us, frame.data, self.payload_cap);
                    if let Some(packet) = packet.filter(|packet| wanted(&self.ports, packet)) {
                        if let Flow::Stop = self.send(CaptureEvent::Packet(packet)) {
                            return Ok(());
                        }
                    }
                }
                // A read timeout, or pcap_breakloop (which libpcap reports
                // like the end of a file): look at the control channel.
                Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => {}
                Err(error) => {
                    self.send_stats_on_stop();
                    return Err(Unavailable::failed(format!(
                        "capture stopped: reading packets failed: {error}"
                    )));
                }
            }
            if Instant::now() >= next_stats {
                next_stats = Instant::now() + STATS_EVERY;
                if let Flow::Stop = self.send_stats_if_changed() {
                    return Ok(());
                }
            }
        }
    }

    fn handle_control(&mut self, control: &Receiver<Control>) -> Flow {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Flow::Stop;
            }
            match control.try_recv() {
                Ok(Control::SetPorts { ports, applied }) => {
                    let program = bpf_program(&ports);
                    let result = self.handle.filter(&program, true).map_err(|error| {
                        Unavailable::failed(format!(
                            "libpcap refused the filter {program:?}: {error}"
                        ))
                    });
                    if result.is_ok() {
                        self.ports = ports;
                    }
                    // The caller may have given up waiting; that is fine.
                    let _ = applied.send(result);
                }
                Err(TryRecvError::Empty) => return Flow::Continue,
                Err(TryRecvError::Disconnected) => return Flow::Stop,
            }
        }
    }

    /// Sends one event, waiting while the channel is full. A blocking send
    /// could not be interrupted, so the wait is a short retry loop that also
    /// watches the stop flag: dropping the `Capture` must not hang because
    /// the receiver fell behind. Meanwhile the kernel keeps queueing, and
    /// counts what it has to drop.
    fn send(&self, event: CaptureEvent) -> Flow {
        let mut event = event;
        loop {
            match self.events.try_send(event) {
                Ok(()) => return Flow::Continue,
                Err(TrySendError::Closed(_)) => return Flow::Stop,
                Err(TrySendError::Full(back)) => {
                    if self.stop.load(Ordering::Relaxed) {
                        return Flow::Stop;
                    }
                    event = back;
                    std::thread::sleep(FULL_CHANNEL_RETRY);
                }
            }
        }
    }

    fn send_stats_if_changed(&mut self) -> Flow {
        match self.changed_stats() {
            Some(event) => self.send(event),
            None => Flow::Continue,
        }
    }

    /// The last counters are worth a try when stopping, but not a wait.
    fn send_stats_on_stop(&mut self) {
        if let Some(event) = self.changed_stats() {
            let _ = self.events.try_send(event);
        }
    }

    fn changed_stats(&mut self) -> Option<CaptureEvent> {
        let stats = self.handle.stats().ok()?;
        if self.last_stats == Some(stats) {
            return None;
        }
        self.last_stats = Some(stats);
        Some(CaptureEvent::Stats {
            received: u64::from(stats.received),
            dropped_by_kernel: u64::from(stats.dropped),
            dropped_by_interface: u64::from(stats.if_dropped),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_can_be_shared_between_tasks() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Capture>();
    }

    #[test]
    fn the_snaplen_keeps_headers_and_the_capped_payload() {
        assert_eq!(snaplen(4096), 4096 + 512);
        assert_eq!(snaplen(0), 512);
        assert_eq!(snaplen(usize::MAX), 65_535 + 256);
    }

    #[test]
    fn loopback_targets_use_lo() {
        assert_eq!(interface_for("127.0.0.1".parse().unwrap()), "lo");
        assert_eq!(interface_for("127.8.9.10".parse().unwrap()), "lo");
        assert_eq!(interface_for("::1".parse().unwrap()), "lo");
        assert_eq!(interface_for("192.0.2.1".parse().unwrap()), "any");
        assert_eq!(interface_for("2001:db8::1".parse().unwrap()), "any");
    }
}
