//! The lessons on the network lab's paths (`lessons/15-…` to `23-…`), run
//! on a real relay as the page runs them: each test asserts that the
//! lesson's phenomenon really happened, from the segments, path drops and
//! calls the relay reported, and that what the relay reported for each
//! side of the lab is what tshark captured inside that side's namespace.
//!
//! A lab needs CAP_SYS_ADMIN and CAP_NET_ADMIN; without them each test
//! says why it is skipped, and how to grant them, and returns. One lab at
//! a time: the tests find their lab's namespaces as the newest this
//! process made, and timing phenomena (a 40 ms delayed ACK, backed-off
//! timers) read best on a machine not also running another lab.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Test code: a failure should stop the test.

mod common;
#[path = "common/lab_witness.rs"]
mod lab_witness;
#[path = "common/lesson_run.rs"]
mod lesson_run;
#[path = "common/tshark.rs"]
mod tshark;

use std::time::Duration;

use common::Relay;
use lab_witness::{Wire, Witness, newest_lab};
use lesson_run::{LessonRun, port_of, shipped};
use sockscope_shared::{
    Call, CallResult, Command, CrossingNumber, EventKind, PathFate, Segment, SegmentEvent,
    StepAction, Tap, TcpAnalyses, TcpAnalysis,
};

/// Labs are built one at a time (see the module's documentation).
static ONE_LAB_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A lesson that ran in a lab, with the relay that ran it.
struct Ran {
    run: LessonRun,
    /// The lesson's server port: every segment of the lesson has it.
    port: u16,
    _relay: Relay,
}

/// Runs a shipped lesson in a lab and holds the relay's report to tshark's;
/// `None` (having said why) when this process cannot build labs.
async fn run_in_lab(file: &str) -> Option<Ran> {
    if let Err(missing) = sockscope_lab::check_capabilities() {
        eprintln!("{file} skipped: {missing}");
        return None;
    }
    let relay = Relay::start().await;
    let lesson = shipped(file);
    let port = lesson_port(&lesson.steps);
    let mut run = LessonRun::new(lesson, relay.client().await);
    let state = run
        .set_path()
        .await
        .unwrap_or_else(|refusal| panic!("{file}: the relay refused the lesson's path: {refusal}"));
    assert!(state.lab.is_some(), "{file}: the path event names no lab");
    let (client_ns, server_ns) = newest_lab();
    let witnesses = tokio::task::spawn_blocking(move || {
        [
            Witness::start(Tap::Client, &client_ns, &server_ns, port),
            Witness::start(Tap::Server, &server_ns, &server_ns, port),
        ]
    })
    .await
    .unwrap();
    run.run_steps().await;
    for witness in &witnesses {
        same_as_witness(&mut run, witness, port).await;
    }
    Some(Ran {
        run,
        port,
        _relay: relay,
    })
}

/// The port of the lesson's server: its first fixed listening or bound port.
fn lesson_port(steps: &[sockscope_shared::Step]) -> u16 {
    steps
        .iter()
        .find_map(|step| match &step.action {
            StepAction::Do(Command::TcpListen { port, .. } | Command::UdpBind { port, .. })
                if *port != 0 =>
            {
                Some(*port)
            }
            _ => None,
        })
        .expect("the lesson opens no fixed port")
}

/// What the relay reported for one side equals what tshark captured there,
/// packet for packet in each direction, once both have stopped growing.
///
/// Each direction is compared in order; how the two directions interleave
/// is not. Two packets crossing the device in opposite directions a few
/// microseconds apart are handed to each packet socket by whichever CPU
/// carries them, so two captures of the same device may list such a pair
/// in either order (seen with Nagle's lesson on two cores: an ACK and the
/// next one-byte send swapped).
async fn same_as_witness(run: &mut LessonRun, witness: &Witness, port: u16) {
    let ours = |run: &LessonRun| -> Vec<Wire> {
        run.segments(witness.tap, port)
            .iter()
            .filter_map(|(_, s)| Wire::of(s))
            .collect()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut last = (usize::MAX, usize::MAX);
    loop {
        run.settle(Duration::from_millis(300)).await;
        let counts = (ours(run).len(), witness.packets().len());
        let settled = counts == last && counts.0 == counts.1 && counts.0 > 0;
        if settled || tokio::time::Instant::now() > deadline {
            break;
        }
        last = counts;
    }
    let (ours, theirs) = (ours(run), witness.packets());
    assert!(
        !ours.is_empty() && !theirs.is_empty(),
        "{:?} side: nothing to compare: tshark saw {}, the relay reported {}",
        witness.tap,
        theirs.len(),
        ours.len()
    );
    // Every direction either side saw, so a packet only one of them
    // reports is named with its neighbours.
    let mut directions: Vec<(u16, u16)> = theirs.iter().chain(&ours).map(Wire::direction).collect();
    directions.sort_unstable();
    directions.dedup();
    for direction in directions {
        let one_way = |packets: &[Wire]| -> Vec<Wire> {
            packets
                .iter()
                .filter(|p| p.direction() == direction)
                .cloned()
                .collect()
        };
        let (ours, theirs) = (one_way(&ours), one_way(&theirs));
        if let Some(at) = (0..ours.len().max(theirs.len())).find(|&i| ours.get(i) != theirs.get(i))
        {
            panic!(
                "{:?} side, {} → {}: relay and tshark disagree at packet {at} of {}/{}: relay {:?}, tshark {:?}",
                witness.tap,
                direction.0,
                direction.1,
                ours.len(),
                theirs.len(),
                ours.get(at),
                theirs.get(at)
            );
        }
    }
}

/// A TCP segment's payload length, payload and flags, for the assertions.
struct Tcp<'a> {
    t_us: u64,
    event: &'a SegmentEvent,
    len: u32,
    payload: Vec<u8>,
    syn: bool,
    ack: bool,
    rel_seq: u32,
    rel_ack: u32,
    window: u16,
    mss: Option<u16>,
    sacks: usize,
}

impl Ran {
    /// The relay's id of the lesson's client: the socket that connected.
    fn client_socket(&self) -> u32 {
        self.run
            .events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Call(call) if matches!(call.call, Call::Connect { .. }) => {
                    Some(call.socket)
                }
                _ => None,
            })
            .expect("the lesson's client connected")
    }

    /// The `tcp_info` readings of the lesson's client, in order.
    fn client_counters(&self) -> Vec<&sockscope_shared::TcpInfo> {
        let client = self.client_socket();
        self.run
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::TcpInfo {
                    socket: Some(s),
                    info,
                    ..
                } if *s == client => Some(&**info),
                _ => None,
            })
            .collect()
    }

    /// When the kernel stamped the send of `socket` ending at `end`.
    fn send_time(&self, socket: u32, end: u64, stage: sockscope_shared::SendStage) -> Option<u64> {
        self.run.events.iter().find_map(|e| match e.kind {
            EventKind::SendTime {
                socket: s,
                end: e_end,
                stage: e_stage,
            } if s == socket && e_end == end && e_stage == stage => Some(e.t_us),
            _ => None,
        })
    }

    /// The TCP segments one side saw, going to the server (`to_server`) or
    /// back.
    fn tcp(&self, tap: Tap, to_server: bool) -> Vec<Tcp<'_>> {
        let mut segments: Vec<(u64, &SegmentEvent)> = self
            .run
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                sockscope_shared::EventKind::Segment(s) if s.tap == Some(tap) => Some((e.t_us, s)),
                _ => None,
            })
            .collect();
        // In the order captured (see `LessonRun::segments`).
        segments.sort_by_key(|(t_us, _)| *t_us);
        segments
            .into_iter()
            .filter(|(_, s)| (port_of(&s.dst) == self.port) == to_server)
            .filter(|(_, s)| port_of(&s.dst) == self.port || port_of(&s.src) == self.port)
            .filter_map(|(t_us, event)| match &event.segment {
                Segment::Tcp {
                    flags,
                    rel_seq,
                    rel_ack,
                    window,
                    options,
                    payload_len,
                    payload,
                    ..
                } => Some(Tcp {
                    t_us,
                    event,
                    len: *payload_len,
                    payload: payload.to_vec(),
                    syn: flags.syn,
                    ack: flags.ack,
                    rel_seq: *rel_seq,
                    rel_ack: *rel_ack,
                    window: *window,
                    mss: options.mss,
                    sacks: options.sack.len(),
                }),
                _ => None,
            })
            .collect()
    }

    /// The payload lengths of the UDP datagrams one side saw going to the
    /// server, with their payloads.
    fn udp(&self, tap: Tap) -> Vec<Vec<u8>> {
        self.run
            .segments(tap, self.port)
            .into_iter()
            .filter(|(_, s)| port_of(&s.dst) == self.port)
            .filter_map(|(_, s)| match s.segment {
                Segment::Udp(datagram) => Some(datagram.payload.to_vec()),
                _ => None,
            })
            .collect()
    }

    /// What step `step` (from 1) received.
    fn received(&self, step: usize) -> String {
        String::from_utf8_lossy(&common::data_of(self.run.step(step).result())).into_owned()
    }
}

fn flagged(segment: &Tcp<'_>, flags: &[TcpAnalysis]) -> bool {
    segment.event.analysis.iter().any(|a| flags.contains(&a))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_send_crosses_a_lan_as_mss_sized_segments_and_one_recv_takes_it_all() {
    let _one = ONE_LAB_AT_A_TIME.lock().await;
    let Some(ran) = run_in_lab("15-mss-segments.json").await else {
        return;
    };
    let syn = ran.tcp(Tap::Client, true).into_iter().find(|s| s.syn);
    assert_eq!(
        syn.and_then(|s| s.mss),
        Some(1460),
        "the SYN's MSS on a 1500-byte link"
    );
    let data: Vec<u32> = ran
        .tcp(Tap::Client, true)
        .iter()
        .map(|s| s.len)
        .filter(|&len| len > 0)
        .collect();
    assert!(data.len() >= 4, "5,000 bytes in {data:?}");
    assert!(data.iter().all(|&len| len <= 1448), "{data:?}");
    assert_eq!(data.iter().sum::<u32>(), 5000, "{data:?}");
    assert_eq!(
        ran.received(5).len(),
        5000,
        "one recv() takes all 5,000 bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nagle_coalesces_quick_small_sends_and_nodelay_sends_each_at_once() {
    let _one = ONE_LAB_AT_A_TIME.lock().await;
    let Some(ran) = run_in_lab("16-nagle.json").await else {
        return;
    };
    let data = ran.tcp(Tap::Client, true);
    let of = |byte: u8| -> Vec<u32> {
        data.iter()
            .filter(|s| s.len > 0 && s.payload.iter().all(|&b| b == byte))
            .map(|s| s.len)
            .collect()
    };
    let (nagle, nodelay) = (of(b'a'), of(b'b'));
    assert_eq!(nagle.iter().sum::<u32>(), 10, "{nagle:?}");
    assert!(
        nagle.len() < 10,
        "Nagle sent one segment per send(): {nagle:?}"
    );
    assert_eq!(nodelay, vec![1; 10], "TCP_NODELAY: one segment per send()");
    assert_eq!(ran.received(5), "aaaaaaaaaa");
    assert_eq!(ran.received(8), "bbbbbbbbbb");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_write_read_waits_for_the_delayed_ack() {
    let _one = ONE_LAB_AT_A_TIME.lock().await;
    let Some(ran) = run_in_lab("17-nagle-delayed-ack.json").await else {
        return;
    };
    let sent = ran.tcp(Tap::Client, true);
    let header = sent.iter().find(|s| s.payload.starts_with(b"HEADER;"));
    let body = sent.iter().find(|s| s.payload == b"body");
    let (Some(header), Some(body)) = (header, body) else {
        panic!("the client sent no separate header and body");
    };
    let stall = body.t_us - header.t_us;
    assert!(stall >= 30_000, "the body left {stall} µs after the header");
    let end_of_header = header.rel_seq + header.len;
    let released = ran.tcp(Tap::Client, false).into_iter().any(|s| {
        s.ack
            && s.len == 0
            && s.rel_ack == end_of_header
            && (header.t_us..=body.t_us).contains(&s.t_us)
    });
    assert!(released, "no bare ACK of the header came before the body");
    assert_eq!(ran.received(18), "HEADER;body");
    // The sender's kernel stamped the body's send leaving about as late:
    // the delay shows on the send() it held up.
    let client = ran.client_socket();
    let (body_called, body_end) = ran
        .run
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Call(call) if call.socket == client => match &call.call {
                Call::Send { data, offset, .. } if data.to_vec() == b"body" => {
                    Some((e.t_us, offset + 4))
                }
                _ => None,
            },
            _ => None,
        })
        .expect("the body's send");
    let left = ran
        .send_time(client, body_end, sockscope_shared::SendStage::Sent)
        .expect("the body's send was stamped leaving");
    assert!(
        left - body_called >= 30_000,
        "the body's send left {} µs after it was called",
        left - body_called
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_segment_is_fast_retransmitted_after_duplicate_acks_with_sack() {
    let _one = ONE_LAB_AT_A_TIME.lock().await;
    let Some(ran) = run_in_lab("18-fast-retransmit.json").await else {
        return;
    };
    let drops = ran.run.path_drops();
    let [drop] = drops.as_slice() else {
        let all: Vec<_> = ran
            .run
            .events
            .iter()
            .filter(|e| matches!(e.kind, sockscope_shared::EventKind::PathDrop(_)))
            .collect();
        let sent: Vec<(u32, u32, Option<CrossingNumber>, TcpAnalyses)> = ran
            .tcp(Tap::Client, true)
            .iter()
            .map(|s| (s.rel_seq, s.len, s.event.crossing, s.event.analysis))
            .collect();
        panic!(
            "the seed should lose exactly one packet: {drops:?}; every drop: {all:?}; sent {sent:?}"
        );
    };
    assert_eq!((drop.tap, drop.fate), (Tap::Client, PathFate::Lost));
    let sent = ran.tcp(Tap::Client, true);
    let lost = sent
        .iter()
        .find(|s| s.event.crossing.is_some() && s.event.crossing == drop.crossing)
        .expect("the drop names no segment the client sent");
    assert!(lost.len > 0, "the lost packet carried no data");
    let again = sent
        .iter()
        .find(|s| s.rel_seq == lost.rel_seq && s.t_us > lost.t_us)
        .expect("the lost segment was never sent again");
    // Wireshark calls a resend a fast retransmission after two duplicate
    // ACKs it counts as such, and out-of-order when it follows another
    // segment within 3 ms: which one depends on the microseconds.
    assert!(
        flagged(
            again,
            &[
                TcpAnalysis::FastRetransmission,
                TcpAnalysis::Retransmission,
                TcpAnalysis::OutOfOrder
            ]
        ),
        "the resend is not flagged: {:?}",
        again.event.analysis
    );
    // The server asked again for the bytes at the hole, with SACK saying
    // what came after it, before the resend.
    let asking: Vec<usize> = ran
        .tcp(Tap::Server, false)
        .iter()
        .filter(|s| s.rel_ack == lost.rel_seq && s.sacks > 0 && s.t_us < again.t_us)
        .map(|s| s.sacks)
        .collect();
    assert!(
        asking.len() >= 2,
        "duplicate ACKs with SACK before the resend: {asking:?}"
    );
    assert!(
        ran.tcp(Tap::Server, false)
            .iter()
            .any(|s| flagged(s, &[TcpAnalysis::DuplicateAck])),
        "no ACK is a duplicate ACK"
    );
    // Resent on the duplicate ACKs, long before a timeout (200 ms at least).
    let waited = again.t_us - lost.t_us;
    assert!(waited < 150_000, "resent {waited} µs after the loss");
    assert_eq!(ran.received(5).len(), 20_000);
    // The sender's kernel counted the retransmission.
    let retransmitted = ran
        .client_counters()
        .iter()
        .any(|info| info.total_retrans >= 1);
    assert!(
        retransmitted,
        "no tcp_info of the client counts the retransmission"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_syn_makes_connect_wait_for_the_retry() {
    let _one = ONE_LAB_AT_A_TIME.lock().await;
    let Some(ran) = run_in_lab("19-lost-syn.json").await else {
        return;
    };
    let syns: Vec<u64> = ran
        .tcp(Tap::Client, true)
        .iter()
        .filter(|s| s.syn && !s.ack)
        .map(|s| s.t_us)
        .collect();
    assert_eq!(syns.len(), 2, "the SYN and its retry: {syns:?}");
    // The page shows connect() waiting for an answer all that while.
    let waiting = ran.run.events.iter().any(|e| {
        matches!(&e.kind, EventKind::Waiting(w)
            if w.why == sockscope_shared::WaitReason::NoAnswer)
    });
    assert!(
        waiting,
        "connect() was not reported waiting for the SYN-ACK"
    );
    assert!(
        ran.run
            .path_drops()
            .iter()
            .any(|d| d.tap == Tap::Client && d.fate == PathFate::Lost),
        "no drop of the first SYN"
    );
    let connect = ran.run.step(3);
    assert!(
        matches!(connect.result(), CallResult::Ok),
        "{:?}",
        connect.result()
    );
    let waited = connect.last_t_us.unwrap() - syns[0];
    assert!(
        waited >= 900_000,
        "connect() returned {waited} µs after the first SYN"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retransmissions_back_off_while_the_link_is_dark() {
    let _one = ONE_LAB_AT_A_TIME.lock().await;
    let Some(ran) = run_in_lab("20-rto-backoff.json").await else {
        return;
    };
    let tries: Vec<Tcp<'_>> = ran
        .tcp(Tap::Client, true)
        .into_iter()
        .filter(|s| s.payload == b"are you there?")
        .collect();
    // Sent at about 0, 0.2 (a tail loss probe), 0.4, 0.9, 1.7 s into the
    // dark, and 3.5 s, after it.
    assert!(tries.len() >= 5, "{} transmissions", tries.len());
    assert!(
        tries[1..]
            .iter()
            .all(|s| flagged(s, &[TcpAnalysis::Retransmission])),
        "every resend is a retransmission"
    );
    let gaps: Vec<u64> = tries.windows(2).map(|w| w[1].t_us - w[0].t_us).collect();
    // After the probe, the timer doubles at each try.
    assert!(
        gaps[1..].windows(2).all(|w| w[1] * 2 >= w[0] * 3),
        "the gaps between tries do not back off: {gaps:?} µs"
    );
    assert_eq!(ran.received(7), "are you there?");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_does_not_read_closes_the_window_and_the_sender_probes() {
    let _one = ONE_LAB_AT_A_TIME.lock().await;
    let Some(ran) = run_in_lab("21-zero-window.json").await else {
        return;
    };
    let zero = ran
        .tcp(Tap::Client, false)
        .iter()
        .filter(|s| !s.syn && (s.window == 0 || flagged(s, &[TcpAnalysis::ZeroWindow])))
        .count();
    assert!(zero > 0, "the server never announced a zero window");
    let probes = ran
        .tcp(Tap::Client, true)
        .iter()
        .filter(|s| flagged(s, &[TcpAnalysis::ZeroWindowProbe, TcpAnalysis::KeepAlive]))
        .count();
    assert!(probes >= 2, "{probes} window probes");
    let sent: u64 = ran
        .run
        .step(4)
        .calls
        .iter()
        .map(|call| match call.result {
            CallResult::Sent { bytes } => bytes,
            _ => 0,
        })
        .sum();
    assert_eq!(sent, 200_000, "every byte was sent in the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_datagrams_lost_on_the_path_are_never_resent() {
    let _one = ONE_LAB_AT_A_TIME.lock().await;
    let Some(ran) = run_in_lab("22-udp-lossy.json").await else {
        return;
    };
    let (sent, arrived) = (ran.udp(Tap::Client), ran.udp(Tap::Server));
    assert_eq!(sent.len(), 10, "each sendto() once, nothing resent");
    assert_eq!(arrived.len(), 8);
    let lost: Vec<_> = ran
        .run
        .path_drops()
        .into_iter()
        .filter(|d| d.tap == Tap::Client && d.fate == PathFate::Lost)
        .collect();
    assert_eq!(lost.len(), 2, "{lost:?}");
    let got: Vec<String> = (13..=20).map(|step| ran.received(step)).collect();
    let want: Vec<String> = [1, 2, 4, 5, 6, 8, 9, 10]
        .iter()
        .map(|n| format!("datagram {n}"))
        .collect();
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ipv6_handshake_announces_mss_1440() {
    let _one = ONE_LAB_AT_A_TIME.lock().await;
    let Some(ran) = run_in_lab("23-ipv6-handshake.json").await else {
        return;
    };
    let syn = ran
        .tcp(Tap::Client, true)
        .into_iter()
        .find(|s| s.syn)
        .expect("no SYN");
    assert_eq!(syn.mss, Some(1440));
    assert!(syn.event.src.contains("fd77::1"), "{}", syn.event.src);
    let syn_ack = ran
        .tcp(Tap::Client, false)
        .into_iter()
        .find(|s| s.syn)
        .expect("no SYN+ACK");
    assert_eq!(syn_ack.mss, Some(1440));
    assert_eq!(ran.received(5), "hello over IPv6");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_start_sends_ten_segments_then_twenty_then_more_each_round_trip() {
    let _one = ONE_LAB_AT_A_TIME.lock().await;
    let Some(ran) = run_in_lab("24-slow-start.json").await else {
        return;
    };
    // The data segments the client sent, by their time, as its side saw.
    let data: Vec<u64> = ran
        .run
        .segments(Tap::Client, ran.port)
        .into_iter()
        .filter(|(_, s)| port_of(&s.dst) == ran.port && s.segment.payload_len() > 0)
        .map(|(t_us, _)| t_us)
        .collect();
    assert!(data.len() >= 100, "{} data segments", data.len());
    // Counted by round trip (50 ms) from the first data segment: the
    // initial window of 10, then 20 as the first 10 are acknowledged, then
    // more again. (How many more depends on how fast the ACKs come back:
    // the server's reads set their pace.)
    let in_round = |round: u64| {
        data.iter()
            .filter(|&&t| (t - data[0]) / 50_000 == round)
            .count()
    };
    let rounds: Vec<usize> = (0..4).map(in_round).collect();
    assert_eq!(
        rounds[0], 10,
        "the initial window, by round trip: {rounds:?}"
    );
    assert_eq!(rounds[1], 20, "twice that: {rounds:?}");
    assert!(rounds[2] > rounds[1], "more again: {rounds:?}");
    // The client's kernel said so too: its congestion window grew from 10
    // to several times that, with no loss to set ssthresh.
    let cwnds: Vec<(u32, Option<u32>)> = ran
        .client_counters()
        .iter()
        .map(|info| (info.snd_cwnd, info.snd_ssthresh))
        .collect();
    assert_eq!(cwnds.first().map(|c| c.0), Some(10), "{cwnds:?}");
    let most = cwnds.iter().map(|c| c.0).max().unwrap_or(0);
    assert!(most >= 40, "cwnd reached {most}: {cwnds:?}");
    assert!(cwnds.iter().all(|c| c.1.is_none()), "{cwnds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_loss_the_window_is_cut_and_grows_slowly() {
    let _one = ONE_LAB_AT_A_TIME.lock().await;
    let Some(ran) = run_in_lab("25-congestion-avoidance.json").await else {
        return;
    };
    let drops = ran.run.path_drops();
    assert_eq!(drops.len(), 1, "the seed loses one packet: {drops:?}");
    let infos = ran.client_counters();
    // Slow start until the loss (ssthresh unset), then the threshold: 70%
    // of the window when the loss was found, a window slow start had taken
    // well past its first 10 segments. (Readings come at most every 5 ms,
    // so the window's peak itself may fall between two.)
    let cut_at = infos
        .iter()
        .position(|i| i.snd_ssthresh.is_some())
        .unwrap_or_else(|| panic!("the loss never set ssthresh: {infos:?}"));
    assert!(
        infos[..cut_at].iter().all(|i| i.total_retrans == 0),
        "{infos:?}"
    );
    let threshold = infos[cut_at].snd_ssthresh.unwrap_or(0);
    assert!(threshold >= 20, "ssthresh {threshold}: {infos:?}");
    // Congestion avoidance: the window stays at or above the threshold
    // and grows slowly, far from doubling, for the rest of the transfer.
    let after: Vec<u32> = infos[cut_at..]
        .iter()
        .filter(|i| i.ca_state == sockscope_shared::CaState::Open)
        .map(|i| i.snd_cwnd)
        .collect();
    let (first, last) = (after.first().copied(), after.last().copied());
    let (Some(first), Some(last)) = (first, last) else {
        panic!("no reading after the recovery: {infos:?}");
    };
    assert!(first + 1 >= threshold, "{first} under ssthresh {threshold}");
    assert!(
        last > first && last < threshold + threshold / 2,
        "from {first} to {last} segments after the cut to {threshold}"
    );
}
