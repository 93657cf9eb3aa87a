//! The model's decisions, on made-up packets and a made-up clock.

use super::*;
use crate::path::{GilbertElliott, Rate};
use etherparse::PacketBuilder;

fn udp(source_port: u16, len: usize) -> Vec<u8> {
    let mut packet = Vec::new();
    PacketBuilder::ipv4([10, 77, 0, 1], [10, 77, 0, 2], 64)
        .udp(source_port, 9)
        .write(&mut packet, &vec![0; len])
        .unwrap();
    packet
}

/// The indices lost among `count` packets of one flow, with another flow's
/// packets interleaved every `interleave` packets when given.
fn lost_indices(seed: u64, count: usize, interleave: Option<usize>) -> Vec<u64> {
    let config = DirectionConfig {
        loss: Loss::Random { probability: 0.1 },
        ..DirectionConfig::default()
    };
    let mut model = DirectionModel::new(Direction::ClientToServer, config, seed, 1500);
    let now = Instant::now();
    let mut events = Vec::new();
    for n in 0..count {
        model.admit(now, udp(1000, 10), &mut events);
        if interleave.is_some_and(|every| n % every == 0) {
            model.admit(now, udp(2000, 10), &mut Vec::new());
        }
    }
    events
        .iter()
        .filter(|event| event.kind == PathEventKind::Lost)
        .map(|event| event.index)
        .collect()
}

#[test]
fn the_same_seed_drops_the_same_packets_of_a_flow() {
    let first = lost_indices(7, 1000, None);
    assert!((60..140).contains(&first.len()), "{}", first.len());
    assert_eq!(first, lost_indices(7, 1000, None));
    // Another flow started after it, its packets in between, changes
    // nothing for this one.
    assert_eq!(first, lost_indices(7, 1000, Some(3)));
    assert_ne!(first, lost_indices(8, 1000, None));
}

#[test]
fn delay_and_jitter_keep_order_and_bounds() {
    let config = DirectionConfig {
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(5),
        ..DirectionConfig::default()
    };
    let mut model = DirectionModel::new(Direction::ServerToClient, config, 1, 1500);
    let start = Instant::now();
    let mut events = Vec::new();
    for n in 0..100u16 {
        model.admit(start, udp(n, 10), &mut events);
    }
    assert_eq!(model.pop_due(start + Duration::from_millis(14)), None);
    let mut released = 0;
    let mut last_port = None;
    while let Some(packet) = model.pop_due(start + Duration::from_millis(26)) {
        let port = FlowKey::of(&packet).unwrap().source_port;
        assert!(last_port < Some(port), "order kept");
        last_port = Some(port);
        released += 1;
    }
    assert_eq!(released, 100);
    assert!(events.is_empty());
}

#[test]
fn a_rate_limit_paces_and_its_full_queue_drops_apart_from_loss() {
    let config = DirectionConfig {
        rate: Some(Rate {
            bits_per_second: 8_000_000,
            queue_bytes: 10_000,
        }),
        ..DirectionConfig::default()
    };
    let mut model = DirectionModel::new(Direction::ClientToServer, config, 1, 1500);
    let start = Instant::now();
    let mut events = Vec::new();
    // 20 packets of 1028 bytes at once: about 9 fit in 10,000 bytes.
    for _ in 0..20 {
        model.admit(start, udp(1, 1000), &mut events);
    }
    let stats = model.stats();
    assert_eq!(stats.lost, 0);
    assert_eq!(stats.queue_overflow, 11, "{stats:?}");
    // At 1 byte per microsecond, the first leaves after 1028 µs.
    assert_eq!(model.pop_due(start + Duration::from_micros(1027)), None);
    assert!(model.pop_due(start + Duration::from_micros(1028)).is_some());
}

#[test]
fn gilbert_elliott_loses_in_bursts() {
    let config = DirectionConfig {
        loss: Loss::GilbertElliott(GilbertElliott {
            enter_bad: 0.02,
            leave_bad: 0.25,
            loss_in_good: 0.0,
            loss_in_bad: 1.0,
        }),
        ..DirectionConfig::default()
    };
    let mut model = DirectionModel::new(Direction::ClientToServer, config, 3, 1500);
    let now = Instant::now();
    let mut events = Vec::new();
    for _ in 0..10_000 {
        model.admit(now, udp(1, 10), &mut events);
    }
    let lost: Vec<u64> = events.iter().map(|event| event.index).collect();
    let bursts = 1 + lost
        .windows(2)
        .filter(|pair| pair[1] != pair[0] + 1)
        .count();
    let mean_burst = lost.len() as f64 / bursts as f64;
    assert!((2.5..6.0).contains(&mean_burst), "mean burst {mean_burst}");
}

#[test]
fn a_reordered_packet_leaves_after_its_successor_or_alone_after_a_wait() {
    let config = DirectionConfig {
        reorder: 1.0,
        ..DirectionConfig::default()
    };
    let mut model = DirectionModel::new(Direction::ClientToServer, config, 1, 1500);
    let now = Instant::now();
    let mut events = Vec::new();
    model.admit(now, udp(1, 10), &mut events);
    assert_eq!(model.pop_due(now), None);
    model.admit(now, udp(2, 10), &mut events);
    let ports: Vec<u16> = std::iter::from_fn(|| model.pop_due(now))
        .map(|packet| FlowKey::of(&packet).unwrap().source_port)
        .collect();
    assert_eq!(ports, vec![2, 1]);
    assert_eq!(model.stats().reordered, 1);
    // The third is held too; with no fourth it leaves after the wait.
    model.admit(now, udp(3, 10), &mut events);
    assert_eq!(model.pop_due(now + Duration::from_millis(9)), None);
    assert!(model.pop_due(now + REORDER_WAIT).is_some());
    assert_eq!(model.stats().reordered, 1);
}

#[test]
fn duplicates_and_oversize_are_counted() {
    let config = DirectionConfig {
        duplicate: 1.0,
        ..DirectionConfig::default()
    };
    let mut model = DirectionModel::new(Direction::ClientToServer, config, 1, 576);
    let now = Instant::now();
    let mut events = Vec::new();
    model.admit(now, udp(1, 10), &mut events);
    model.admit(now, udp(1, 600), &mut events);
    assert_eq!(std::iter::from_fn(|| model.pop_due(now)).count(), 2);
    let stats = model.stats();
    assert_eq!(
        (stats.duplicated, stats.oversize, stats.delivered),
        (1, 1, 2)
    );
}

#[test]
fn the_delay_line_is_bounded() {
    let config = DirectionConfig {
        delay: Duration::from_secs(10),
        ..DirectionConfig::default()
    };
    let mut model = DirectionModel::new(Direction::ClientToServer, config, 1, 9000);
    let now = Instant::now();
    let mut events = Vec::new();
    for _ in 0..5000 {
        model.admit(now, udp(1, 8000), &mut events);
    }
    let stats = model.stats();
    // 32 MiB hold 4,179 packets of 8,028 bytes.
    assert_eq!(stats.delay_line_full, 5000 - 4179, "{stats:?}");
    let released = std::iter::from_fn(|| model.pop_due(now + Duration::from_secs(10))).count();
    assert_eq!(released, 4179);
    // Emptied, it takes packets again.
    model.admit(now, udp(1, 8000), &mut events);
    assert_eq!(model.stats().delay_line_full, 821);
}

#[test]
fn every_event_carries_the_head_of_its_packet() {
    let config = DirectionConfig {
        loss: Loss::Random { probability: 1.0 },
        ..DirectionConfig::default()
    };
    let mut model = DirectionModel::new(Direction::ClientToServer, config, 1, 1500);
    let now = Instant::now();
    let mut events = Vec::new();
    let long = udp(4321, 1000);
    let short = udp(4322, 10);
    model.admit(now, long.clone(), &mut events);
    model.admit(now, short.clone(), &mut events);
    let [lost_long, lost_short] = events.as_slice() else {
        panic!("two losses, not {events:?}");
    };
    assert_eq!(lost_long.head.as_slice(), &long[..HEAD_BYTES]);
    assert_eq!(lost_long.len, long.len());
    assert_eq!(lost_short.head, short, "a short packet comes whole");
    // The head is enough to read the ports, as the relay does.
    let flow = FlowKey::of(&lost_long.head).unwrap();
    assert_eq!((flow.source_port, flow.destination_port), (4321, 9));

    // Duplicated and reordered packets carry theirs too.
    model.set_config(
        DirectionConfig {
            duplicate: 1.0,
            reorder: 1.0,
            ..DirectionConfig::default()
        },
        1,
    );
    events.clear();
    let first = udp(1, 10);
    model.admit(now, first.clone(), &mut events);
    model.admit(now, udp(2, 10), &mut events);
    let kinds: Vec<(PathEventKind, u16)> = events
        .iter()
        .map(|event| (event.kind, FlowKey::of(&event.head).unwrap().source_port))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (PathEventKind::Duplicated, 1),
            (PathEventKind::Duplicated, 2),
            (PathEventKind::Reordered, 1),
        ]
    );
    assert!(events.iter().all(|event| event.head.len() == event.len));
}
