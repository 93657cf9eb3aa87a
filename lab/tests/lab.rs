//! The lab on real namespaces, as root: segment sizes and whole data on a
//! plain path, delay, seeded loss and retransmission, IPv6, and nothing
//! left behind. Without root or the capabilities, each test says why and
//! returns.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::witness::Witness;
use common::{lab, our_namespaces, pattern, transfer};
use sockscope_lab::{
    Direction, DirectionConfig, Family, Lab, LabConfig, Loss, PathConfig, PathEventKind, Side,
};

/// 200 KB.
const BULK: usize = 200 * 1024;

#[test]
fn a_plain_path_carries_mss_sized_segments_and_the_data_whole() {
    let Some(lab) = lab(LabConfig::default()) else {
        return;
    };
    let witness = Witness::start(&lab, Side::Client);
    let data = pattern(BULK);
    let done = transfer(&lab, Family::V4, &data);
    assert!(done.received == data, "the data arrived whole and in order");
    let seen = witness.settle(done.port);
    let sent: Vec<u32> = seen
        .iter()
        .filter(|packet| packet.dst_port == done.port)
        .map(|packet| packet.len)
        .collect();
    let carried: u64 = sent.iter().map(|&len| u64::from(len)).sum();
    assert!(
        carried >= BULK as u64,
        "tshark saw {carried} bytes: {:?}",
        witness.sample()
    );
    let largest = sent.iter().copied().max().unwrap();
    // 1500 - 20 (IPv4) - 20 (TCP) - 12 (timestamps) = 1448.
    assert!(
        largest <= 1460,
        "a segment of {largest} bytes crossed a 1500 MTU"
    );
    assert_eq!(largest, 1448, "full-sized segments carry 1448 bytes");
    let stats = lab.stats();
    assert_eq!(stats.client_to_server.lost, 0);
    assert_eq!(stats.client_to_server.oversize, 0);
}

#[test]
fn a_20_ms_one_way_delay_makes_connect_take_a_round_trip() {
    let delayed = DirectionConfig {
        delay: Duration::from_millis(20),
        ..DirectionConfig::default()
    };
    let config = LabConfig {
        path: PathConfig::symmetric(delayed, 1),
        ..LabConfig::default()
    };
    let Some(lab) = lab(config) else {
        return;
    };
    let done = transfer(&lab, Family::V4, b"hello");
    assert_eq!(done.received, b"hello");
    let millis = done.connect.as_secs_f64() * 1000.0;
    assert!(
        (38.0..200.0).contains(&millis),
        "connect took {millis:.2} ms over a 2 × 20 ms path"
    );
}

/// One lossy run: the indices of lost client-to-server TCP packets, and how
/// many TCP packets the client sent (as its device's tshark saw them).
struct LossyRun {
    lost: BTreeSet<u64>,
    sent: usize,
    retransmissions: usize,
}

fn lossy_run(seed: u64) -> Option<LossyRun> {
    let lossy = DirectionConfig {
        loss: Loss::Random { probability: 0.1 },
        ..DirectionConfig::default()
    };
    let config = LabConfig {
        path: PathConfig::symmetric(lossy, seed),
        ..LabConfig::default()
    };
    let lab = lab(config)?;
    let mut events = lab.take_events().unwrap();
    let witness = Witness::start(&lab, Side::Client);
    let data = pattern(BULK);
    let done = transfer(&lab, Family::V4, &data);
    assert!(done.received == data, "the data arrived whole despite loss");
    let seen = witness.settle(done.port);
    let mut lost = BTreeSet::new();
    while let Ok(event) = events.try_recv() {
        let tcp = event.flow.is_some_and(|flow| flow.protocol == 6);
        if tcp && event.direction == Direction::ClientToServer && event.kind == PathEventKind::Lost
        {
            lost.insert(event.index);
        }
    }
    assert_eq!(lab.stats().events_missed, 0);
    Some(LossyRun {
        lost,
        sent: seen
            .iter()
            .filter(|packet| packet.dst_port == done.port)
            .count(),
        retransmissions: seen.iter().filter(|packet| packet.retransmission).count(),
    })
}

#[test]
fn seeded_loss_drops_the_same_packets_and_tcp_retransmits_them() {
    let Some(first) = lossy_run(10) else {
        return;
    };
    let second = lossy_run(10).unwrap();
    // Timing decides how many packets each run sent (retransmissions, ACKs);
    // up to the shorter run, the decisions must be the same.
    let common = first.sent.min(second.sent) as u64;
    let before = |run: &LossyRun| -> BTreeSet<u64> {
        run.lost
            .iter()
            .copied()
            .filter(|&index| index < common)
            .collect()
    };
    assert!(
        before(&first).len() >= 3,
        "10% of {common} packets lost: {:?}",
        first.lost
    );
    assert_eq!(before(&first), before(&second));
    assert!(
        first.retransmissions > 0 && second.retransmissions > 0,
        "tshark saw retransmissions: {} and {}",
        first.retransmissions,
        second.retransmissions
    );
}

#[test]
fn a_link_that_goes_dark_and_comes_back_delivers_by_retransmission() {
    let Some(lab) = lab(LabConfig::default()) else {
        return;
    };
    let server_address = Lab::address(Side::Server, Family::V4);
    let listener = lab
        .in_namespace(Side::Server, || TcpListener::bind((server_address, 0)))
        .unwrap()
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut client = lab
        .in_namespace(Side::Client, || TcpStream::connect((server_address, port)))
        .unwrap()
        .unwrap();
    let (mut server, _) = listener.accept().unwrap();
    lab.set_path(PathConfig::symmetric(DirectionConfig::dark(), 0))
        .unwrap();
    client.write_all(b"through the dark").unwrap();
    server
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let mut buffer = [0u8; 64];
    assert!(
        server.read(&mut buffer).is_err(),
        "nothing crosses a dark link"
    );
    lab.set_path(PathConfig::default()).unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let read = server.read(&mut buffer).unwrap();
    assert_eq!(&buffer[..read], b"through the dark");
    assert!(lab.stats().client_to_server.lost >= 1);
}

#[test]
fn ipv6_connects_across_the_path() {
    let Some(lab) = lab(LabConfig::default()) else {
        return;
    };
    assert!(lab.has_ipv6());
    let data = pattern(10_000);
    let done = transfer(&lab, Family::V6, &data);
    assert!(done.received == data);
}

#[test]
fn nothing_remains_after_drop_even_when_the_body_fails() {
    let Some(lab) = lab(LabConfig::default()) else {
        return;
    };
    let names: Vec<String> = [Side::Client, Side::Server]
        .iter()
        .map(|&side| lab.namespace_name(side).unwrap().to_owned())
        .collect();
    // Keep each namespace open, to look inside it after the lab is gone.
    let held: Vec<File> = names
        .iter()
        .map(|name| File::open(format!("/run/netns/{name}")).unwrap())
        .collect();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _lab = lab;
        panic!("a failing test body");
    }));
    assert!(outcome.is_err());
    let left = our_namespaces();
    assert!(
        names.iter().all(|name| !left.contains(name)),
        "left behind: {left:?}"
    );
    for (namespace, side) in held.iter().zip([Side::Client, Side::Server]) {
        let device = Lab::device_name(side);
        let found = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    nix::sched::setns(namespace, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
                    nix::net::if_::if_nametoindex(device).is_ok()
                })
                .join()
                .unwrap()
        });
        assert!(!found, "{device} outlived its lab");
    }
    let host_links = std::process::Command::new("ip")
        .args(["-o", "link"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&host_links.stdout).contains("sockscope"));
}
