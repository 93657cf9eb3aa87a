//! The lab's costs: bulk TCP throughput across a plain path (MTU 1500),
//! the latency the forwarder adds, and how exactly a 20 ms delay is kept.
//!
//! Run it as root with `cargo bench -p sockscope-lab --bench lab`.
//!
//! - Throughput: one connection from the client namespace to the server
//!   namespace, 128 KiB writes for three seconds, bytes read divided by
//!   time.
//! - Added latency: UDP ping-pong, one 64-byte datagram at a time, across
//!   the lab and, as the baseline, over loopback inside the client
//!   namespace (same stack, no forwarder). The difference of medians is
//!   what two crossings of the forwarder cost (a round trip crosses it
//!   twice).
//! - Delay accuracy: with 20 ms one-way from client to server, datagrams
//!   one per millisecond; both ends are threads of this process, so each
//!   datagram's one-way time is read on one monotonic clock. Percentiles of
//!   its error against 20 ms, beside the same measure with no delay, whose
//!   spread (threads waiting for a CPU) is the measurement's, not the
//!   delay line's. The same datagrams are also timed by the kernel as they
//!   enter the server's stack (`SO_TIMESTAMPNS`, against the sender's
//!   realtime clock just before `send`): that one-way time leaves out the
//!   receiving thread's wake-up, so its error is the delay line's own (the
//!   forwarder's wake-up and write) plus the client stack and TUN read.
//!
//! Prints one line per figure and never fails on a figure.

#![allow(clippy::print_stdout)] // A benchmark's figures are its output.

use std::error::Error;
use std::io::IoSliceMut;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant, SystemTime};

use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg, setsockopt, sockopt};
use nix::sys::time::TimeValLike;

use sockscope_lab::{DirectionConfig, Family, Lab, LabConfig, PathConfig, Side};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() -> Result<()> {
    if let Err(missing) = sockscope_lab::check_capabilities() {
        println!("skipped: {missing}");
        return Ok(());
    }
    let plain = Lab::create(LabConfig {
        named: false,
        ..LabConfig::default()
    })?;
    let mbits = throughput(&plain, Duration::from_secs(3))?;
    println!("lab throughput, one TCP connection, MTU 1500: {mbits:.0} Mbit/s");

    let through = ping_pong(&plain, Side::Server, 5000)?;
    let baseline = ping_pong(&plain, Side::Client, 5000)?;
    println!(
        "UDP round trip: lab p50 {:.1} µs, p99 {:.1} µs; loopback in one namespace p50 {:.1} µs",
        percentile(&through, 0.50),
        percentile(&through, 0.99),
        percentile(&baseline, 0.50)
    );
    let added = percentile(&through, 0.50) - percentile(&baseline, 0.50);
    println!(
        "forwarder's added latency, p50: {added:.1} µs per round trip ({:.1} µs per crossing)",
        added / 2.0
    );
    let (mut plain_one_way, mut plain_kernel) = one_way(&plain, 2000)?;
    plain_one_way.sort_by(f64::total_cmp);
    plain_kernel.sort_by(f64::total_cmp);
    println!(
        "one-way time with no delay (the measurement's own spread): p50 {:.1} µs, p99 {:.1} µs; \
         to the server's stack (kernel timestamp): p50 {:.1} µs, p99 {:.1} µs",
        percentile(&plain_one_way, 0.50),
        percentile(&plain_one_way, 0.99),
        percentile(&plain_kernel, 0.50),
        percentile(&plain_kernel, 0.99)
    );
    drop(plain);

    let delayed = Lab::create(LabConfig {
        named: false,
        path: PathConfig {
            client_to_server: DirectionConfig {
                delay: Duration::from_millis(20),
                ..DirectionConfig::default()
            },
            ..PathConfig::default()
        },
        ..LabConfig::default()
    })?;
    let (user, kernel) = one_way(&delayed, 2000)?;
    let error = |times: Vec<f64>| {
        let mut errors: Vec<f64> = times.into_iter().map(|micros| micros - 20_000.0).collect();
        errors.sort_by(f64::total_cmp);
        errors
    };
    let errors = error(user);
    let kernel_errors = error(kernel);
    for (what, errors) in [
        ("at the receiving thread", &errors),
        ("into the server's stack", &kernel_errors),
    ] {
        println!(
            "20 ms one-way delay, error {what}: p1 {:+.1} µs, p50 {:+.1} µs, p99 {:+.1} µs, max {:+.1} µs",
            percentile(errors, 0.01),
            percentile(errors, 0.50),
            percentile(errors, 0.99),
            errors.last().copied().unwrap_or(f64::NAN)
        );
    }
    // One line of JSON for `cargo xtask bench`, which keeps the figures.
    println!(
        "{{\"bench\":\"lab\",\"throughput_mbit_s\":{mbits:.0},\"added_latency_p50_us\":{added:.1},\
         \"delay_20ms_error_p50_us\":{:.1},\"delay_20ms_error_p99_us\":{:.1},\"spread_one_way_p99_us\":{:.1},\
         \"delay_20ms_kernel_error_p50_us\":{:.1},\"delay_20ms_kernel_error_p99_us\":{:.1}}}",
        percentile(&errors, 0.50),
        percentile(&errors, 0.99),
        percentile(&plain_one_way, 0.99),
        percentile(&kernel_errors, 0.50),
        percentile(&kernel_errors, 0.99)
    );
    Ok(())
}

/// Megabits per second of one TCP connection across the lab.
fn throughput(lab: &Lab, duration: Duration) -> Result<f64> {
    let server = Lab::address(Side::Server, Family::V4);
    let listener = lab.in_namespace(Side::Server, || TcpListener::bind((server, 0)))??;
    let port = listener.local_addr()?.port();
    let reader = std::thread::spawn(move || -> std::io::Result<(u64, Instant)> {
        let (mut stream, _) = listener.accept()?;
        let mut buffer = vec![0u8; 1 << 17];
        let mut total = 0u64;
        loop {
            let read = stream.read(&mut buffer)?;
            if read == 0 {
                return Ok((total, Instant::now()));
            }
            total += read as u64;
        }
    });
    let mut stream = lab.in_namespace(Side::Client, || TcpStream::connect((server, port)))??;
    let chunk = vec![7u8; 1 << 17];
    let start = Instant::now();
    while start.elapsed() < duration {
        stream.write_all(&chunk)?;
    }
    drop(stream);
    let (bytes, end) = reader.join().map_err(|_| "the reader panicked")??;
    Ok(bytes as f64 * 8.0 / end.duration_since(start).as_secs_f64() / 1e6)
}

/// Sorted round-trip times in microseconds between a client socket and an
/// echo on `echo_side`: the server side goes across the lab, the client
/// side stays on the client namespace's loopback.
fn ping_pong(lab: &Lab, echo_side: Side, rounds: usize) -> Result<Vec<f64>> {
    let (echo_address, client_address) = match echo_side {
        Side::Server => (
            Lab::address(Side::Server, Family::V4),
            Lab::address(Side::Client, Family::V4),
        ),
        Side::Client => ([127, 0, 0, 1].into(), [127, 0, 0, 1].into()),
    };
    let echo = lab.in_namespace(echo_side, || UdpSocket::bind((echo_address, 0)))??;
    let echo_at = echo.local_addr()?;
    echo.set_read_timeout(Some(Duration::from_secs(2)))?;
    let echoer = std::thread::spawn(move || {
        let mut buffer = [0u8; 64];
        while let Ok((len, from)) = echo.recv_from(&mut buffer) {
            if echo
                .send_to(buffer.get(..len).unwrap_or_default(), from)
                .is_err()
            {
                return;
            }
        }
    });
    let client = lab.in_namespace(Side::Client, || UdpSocket::bind((client_address, 0)))??;
    client.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut times = Vec::with_capacity(rounds);
    let payload = [1u8; 64];
    let mut buffer = [0u8; 64];
    for round in 0..rounds + 100 {
        let start = Instant::now();
        client.send_to(&payload, echo_at)?;
        client.recv_from(&mut buffer)?;
        // The first hundred warm caches and the CPU's clock; not counted.
        if round >= 100 {
            times.push(start.elapsed().as_secs_f64() * 1e6);
        }
    }
    drop(client);
    echoer.join().map_err(|_| "the echo panicked")?;
    times.sort_by(f64::total_cmp);
    Ok(times)
}

/// One-way times in microseconds of `count` datagrams from the client to
/// the server, sent one per millisecond: as the receiving thread sees them
/// (monotonic clock), and as the kernel stamped them entering the server's
/// stack (realtime clock, against the sender's realtime clock).
fn one_way(lab: &Lab, count: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let server = Lab::address(Side::Server, Family::V4);
    let receiver = lab.in_namespace(Side::Server, || UdpSocket::bind((server, 0)))??;
    let target: SocketAddr = receiver.local_addr()?;
    receiver.set_read_timeout(Some(Duration::from_secs(2)))?;
    setsockopt(&receiver, sockopt::ReceiveTimestampns, &true)?;
    let origin = Instant::now();
    let collector = std::thread::spawn(move || {
        let mut arrivals = Vec::new();
        let mut kernel = Vec::new();
        let mut buffer = [0u8; 16];
        let mut space = nix::cmsg_space!(nix::sys::time::TimeSpec);
        loop {
            let mut iov = [IoSliceMut::new(&mut buffer)];
            let Ok(message) = recvmsg::<()>(
                receiver.as_raw_fd(),
                &mut iov,
                Some(&mut space),
                MsgFlags::empty(),
            ) else {
                break;
            };
            let now = origin.elapsed().as_secs_f64() * 1e6;
            let stamped = message.cmsgs().ok().and_then(|mut cmsgs| {
                cmsgs.find_map(|cmsg| match cmsg {
                    ControlMessageOwned::ScmTimestampns(at) => {
                        Some(at.num_nanoseconds() as f64 / 1e3)
                    }
                    _ => None,
                })
            });
            let len = message.bytes;
            if let Some(sent) = buffer.get(..len).and_then(|bytes| bytes.get(..16)) {
                let field = |range: std::ops::Range<usize>| {
                    sent.get(range)
                        .and_then(|bytes| bytes.try_into().ok())
                        .map(f64::from_le_bytes)
                };
                if let (Some(monotonic), Some(realtime)) = (field(0..8), field(8..16)) {
                    arrivals.push(now - monotonic);
                    if let Some(stamped) = stamped {
                        kernel.push(stamped - realtime);
                    }
                }
            }
        }
        (arrivals, kernel)
    });
    let sender = lab.in_namespace(Side::Client, || {
        UdpSocket::bind((Lab::address(Side::Client, Family::V4), 0))
    })??;
    for _ in 0..count {
        let mut stamps = [0u8; 16];
        let (monotonic, realtime) = stamps.split_at_mut(8);
        realtime.copy_from_slice(&realtime_micros().to_le_bytes());
        monotonic.copy_from_slice(&(origin.elapsed().as_secs_f64() * 1e6).to_le_bytes());
        sender.send_to(&stamps, target)?;
        std::thread::sleep(Duration::from_millis(1));
    }
    let (times, kernel) = collector.join().map_err(|_| "the collector panicked")?;
    if times.len() < count || kernel.len() < count {
        return Err(format!(
            "{} of {count} datagrams arrived, {} with a kernel timestamp",
            times.len(),
            kernel.len()
        )
        .into());
    }
    Ok((times, kernel))
}

/// The realtime clock in microseconds, the clock of kernel receive
/// timestamps.
fn realtime_micros() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64() * 1e6)
}

/// The `fraction` percentile of sorted values.
fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    let at = ((last as f64) * fraction).round() as usize;
    sorted.get(at).copied().unwrap_or(f64::NAN)
}
