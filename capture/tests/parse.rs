//! `parse_packet` on real frames, byte for byte.
//!
//! Each fixture is a frame captured on this project's Linux machines with
//! tshark (on `lo` for Ethernet, on `any` for the cooked SLL and SLL2
//! headers); the expected values were read off the same frames with
//! tshark. Raw IP and BSD loopback frames are the same packets with their
//! link header swapped, which is all those formats differ by.

// Helpers outside #[test] functions panic on purpose too: here a panic is
// a failed test, which is what clippy allows inside the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use sockscope_capture::{
    LinkType, Packet, PacketKind, TcpFlags, TcpOptions, TcpSegment, Timestamps, parse_packet,
};

fn hex(parts: &[&str]) -> Vec<u8> {
    let text: String = parts.concat();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// testdata/captures/01-handshake.pcapng frame 1: the client's SYN on lo.
fn ipv4_syn() -> Vec<u8> {
    hex(&[
        "00000000000000000000000008004500003cf10a400040064baf7f0000017f00",
        "0001804c960dbfe6fc6600000000a002ffd7fe3000000204ffd70402080a530a",
        "63eb000000000103030a",
    ])
}

/// IPv6 on lo: the client sends "hi6" (PSH, ACK).
fn ipv6_data() -> Vec<u8> {
    hex(&[
        "00000000000000000000000086dd600a6fcd0023064000000000000000000000",
        "00000000000100000000000000000000000000000001844c9da50de7f3c3b8d0",
        "de3180180040002b00000101080a737ef619f80064d3686936",
    ])
}

/// ICMP port unreachable on lo for a 4-byte datagram 48046 -> 9.
fn icmpv4_port_unreachable() -> Vec<u8> {
    hex(&[
        "000000000000000000000000080045c0003cb06300004001cb9b7f0000017f00",
        "0001030364480000000045000020f5894000401147417f0000017f000001bbae",
        "0009000cfe1f70696e67",
    ])
}

/// ICMPv6 port unreachable on lo for a 5-byte datagram [::1]:45789 -> [::1]:9.
fn icmpv6_port_unreachable() -> Vec<u8> {
    hex(&[
        "00000000000000000000000086dd600ef594003d3a4000000000000000000000",
        "0000000000010000000000000000000000000000000101042cd000000000600a",
        "9874000d11400000000000000000000000000000000100000000000000000000",
        "000000000001b2dd0009000d002070696e6736",
    ])
}

/// A UDP datagram "hello udp" on lo, 48046 -> 59621.
fn udp_hello() -> Vec<u8> {
    hex(&[
        "000000000000000000000000080045000025f58a40004011473b7f0000017f00",
        "0001bbaee8e50011fe2468656c6c6f20756470",
    ])
}

fn tcp(packet: &Packet) -> &TcpSegment {
    packet.tcp().expect("a TCP segment")
}

#[test]
fn ipv4_syn_on_ethernet() {
    let packet = parse_packet(LinkType::Ethernet, 7, &ipv4_syn(), 100).unwrap();
    assert_eq!(packet.ts_us, 7);
    assert_eq!(packet.src, addr("127.0.0.1:32844"));
    assert_eq!(packet.dst, addr("127.0.0.1:38413"));
    let segment = tcp(&packet);
    assert_eq!(segment.seq, 3_219_586_150);
    assert_eq!(segment.ack, 0);
    assert_eq!(
        segment.flags,
        TcpFlags {
            syn: true,
            ..TcpFlags::default()
        }
    );
    assert_eq!(segment.window, 65495);
    assert_eq!(
        segment.options,
        TcpOptions {
            mss: Some(65495),
            window_scale: Some(10),
            sack_permitted: true,
            sack: vec![],
            timestamps: Some(Timestamps {
                value: 1_393_189_867,
                echo_reply: 0
            }),
        }
    );
    assert_eq!(segment.payload_len, 0);
    assert!(segment.payload.is_empty());
}

#[test]
fn ipv6_data_on_ethernet() {
    let packet = parse_packet(LinkType::Ethernet, 0, &ipv6_data(), 100).unwrap();
    assert_eq!(packet.src, addr("[::1]:33868"));
    assert_eq!(packet.dst, addr("[::1]:40357"));
    let segment = tcp(&packet);
    assert_eq!(segment.seq, 0x0de7_f3c3);
    assert_eq!(segment.ack, 0xb8d0_de31);
    assert!(segment.flags.psh && segment.flags.ack && !segment.flags.syn);
    assert_eq!(segment.window, 64);
    assert_eq!(segment.options.mss, None);
    assert_eq!(
        segment.options.timestamps,
        Some(Timestamps {
            value: 0x737e_f619,
            echo_reply: 0xf800_64d3
        })
    );
    assert_eq!(segment.payload_len, 3);
    assert_eq!(segment.payload, b"hi6");
}

#[test]
fn payloads_are_capped_but_their_length_is_not() {
    let packet = parse_packet(LinkType::Ethernet, 0, &udp_hello(), 4).unwrap();
    assert_eq!(
        packet.kind,
        PacketKind::Udp {
            payload_len: 9,
            payload: b"hell".to_vec()
        }
    );
    let packet = parse_packet(LinkType::Ethernet, 0, &ipv6_data(), 0).unwrap();
    assert_eq!(tcp(&packet).payload_len, 3);
    assert!(tcp(&packet).payload.is_empty());
}

#[test]
fn a_frame_cut_short_by_the_snapshot_length_keeps_its_real_length() {
    let mut frame = udp_hello();
    frame.truncate(frame.len() - 5);
    let packet = parse_packet(LinkType::Ethernet, 0, &frame, 100).unwrap();
    assert_eq!(
        packet.kind,
        PacketKind::Udp {
            payload_len: 9,
            payload: b"hell".to_vec()
        }
    );
    let mut frame = ipv6_data();
    frame.truncate(frame.len() - 2);
    let packet = parse_packet(LinkType::Ethernet, 0, &frame, 100).unwrap();
    assert_eq!(tcp(&packet).payload_len, 3);
    assert_eq!(tcp(&packet).payload, b"h");
}

#[test]
fn ethernet_padding_is_not_payload() {
    // Real Ethernet pads short frames to 60 bytes; the IP length says
    // where the packet ends.
    let mut frame = udp_hello();
    frame.resize(64, 0);
    let packet = parse_packet(LinkType::Ethernet, 0, &frame, 100).unwrap();
    assert_eq!(packet.payload_len(), 9);
}

#[test]
fn udp_on_ethernet() {
    let packet = parse_packet(LinkType::Ethernet, 0, &udp_hello(), 100).unwrap();
    assert_eq!(packet.src, addr("127.0.0.1:48046"));
    assert_eq!(packet.dst, addr("127.0.0.1:59621"));
    assert_eq!(
        packet.kind,
        PacketKind::Udp {
            payload_len: 9,
            payload: b"hello udp".to_vec()
        }
    );
}

#[test]
fn icmp_port_unreachable_names_the_datagram_that_bounced() {
    let packet = parse_packet(LinkType::Ethernet, 0, &icmpv4_port_unreachable(), 100).unwrap();
    assert_eq!(packet.kind, PacketKind::IcmpPortUnreachable);
    assert_eq!(packet.src, addr("127.0.0.1:48046"));
    assert_eq!(packet.dst, addr("127.0.0.1:9"));

    let packet = parse_packet(LinkType::Ethernet, 0, &icmpv6_port_unreachable(), 100).unwrap();
    assert_eq!(packet.kind, PacketKind::IcmpPortUnreachable);
    assert_eq!(packet.src, addr("[::1]:45789"));
    assert_eq!(packet.dst, addr("[::1]:9"));
}

#[test]
fn other_icmp_is_skipped() {
    // The same message with code 1 (host unreachable) instead of 3.
    let mut frame = icmpv4_port_unreachable();
    frame[35] = 1;
    assert_eq!(parse_packet(LinkType::Ethernet, 0, &frame, 100), None);
}

#[test]
fn linux_cooked_v1_from_any() {
    let frame = hex(&[
        "000003040006000000000000000086dd600f68bf002306400000000000000000",
        "000000000000000100000000000000000000000000000001d38898e1ce0bb13d",
        "78725e3c80180040002b00000101080a79bc8a0dfd103d85686936",
    ]);
    let packet = parse_packet(LinkType::LinuxSll, 0, &frame, 100).unwrap();
    assert_eq!(packet.src, addr("[::1]:54152"));
    assert_eq!(packet.dst, addr("[::1]:39137"));
    assert_eq!(tcp(&packet).seq, 0xce0b_b13d);
    assert_eq!(tcp(&packet).payload, b"hi6");

    let frame = hex(&[
        "0000030400060000000000000000080045000025f6e14000401145e47f000001",
        "7f000001e343d5340011fe2468656c6c6f20756470",
    ]);
    let packet = parse_packet(LinkType::LinuxSll, 0, &frame, 100).unwrap();
    assert_eq!(packet.src, addr("127.0.0.1:58179"));
    assert_eq!(packet.dst, addr("127.0.0.1:54580"));
    assert_eq!(packet.payload_len(), 9);
}

#[test]
fn linux_cooked_v2_from_any() {
    let frame = hex(&[
        "86dd000000000001030400060000000000000000600ff0f10023064000000000",
        "00000000000000000000000100000000000000000000000000000001b2488a01",
        "559d90c64c05817b80180040002b00000101080a8b6817d6a130fd9b686936",
    ]);
    let packet = parse_packet(LinkType::LinuxSll2, 0, &frame, 100).unwrap();
    assert_eq!(packet.src, addr("[::1]:45640"));
    assert_eq!(packet.dst, addr("[::1]:35329"));
    assert_eq!(tcp(&packet).seq, 0x559d_90c6);
    assert_eq!(tcp(&packet).payload, b"hi6");

    let frame = hex(&[
        "080000000000000103040006000000000000000045c0003cb15a00004001caa4",
        "7f0000017f00000103039dce0000000045000020f70a4000401145c07f000001",
        "7f00000182280009000cfe1f70696e67",
    ]);
    let packet = parse_packet(LinkType::LinuxSll2, 0, &frame, 100).unwrap();
    assert_eq!(packet.kind, PacketKind::IcmpPortUnreachable);
    assert_eq!(packet.src, addr("127.0.0.1:33320"));
    assert_eq!(packet.dst, addr("127.0.0.1:9"));
}

#[test]
fn raw_ip_and_bsd_loopback() {
    let on_ethernet = parse_packet(LinkType::Ethernet, 0, &ipv4_syn(), 100).unwrap();
    let ip = &ipv4_syn()[14..];
    assert_eq!(
        parse_packet(LinkType::RawIp, 0, ip, 100).as_ref(),
        Some(&on_ethernet)
    );
    // AF_INET in little-endian host order (DLT_NULL) and in network order
    // (DLT_LOOP), then the IP packet.
    for family in [[2, 0, 0, 0], [0, 0, 0, 2]] {
        let frame = [&family[..], ip].concat();
        assert_eq!(
            parse_packet(LinkType::BsdLoopback, 0, &frame, 100).as_ref(),
            Some(&on_ethernet)
        );
    }
    let on_ethernet = parse_packet(LinkType::Ethernet, 0, &ipv6_data(), 100).unwrap();
    let frame = [&[30, 0, 0, 0][..], &ipv6_data()[14..]].concat();
    assert_eq!(
        parse_packet(LinkType::BsdLoopback, 0, &frame, 100),
        Some(on_ethernet)
    );
}

#[test]
fn link_type_numbers_from_libpcap() {
    assert_eq!(LinkType::from_dlt(1), Some(LinkType::Ethernet));
    assert_eq!(LinkType::from_dlt(113), Some(LinkType::LinuxSll));
    assert_eq!(LinkType::from_dlt(276), Some(LinkType::LinuxSll2));
    assert_eq!(LinkType::from_dlt(12), Some(LinkType::RawIp));
    assert_eq!(LinkType::from_dlt(101), Some(LinkType::RawIp));
    assert_eq!(LinkType::from_dlt(0), Some(LinkType::BsdLoopback));
    assert_eq!(LinkType::from_dlt(105), None); // 802.11
}

#[test]
fn sack_blocks_are_read_in_order() {
    // The IPv6 data segment with its 12 option bytes replaced by
    // NOP, NOP, SACK with two blocks (20 bytes): data offset 10.
    let mut frame = ipv6_data();
    let tcp_start = 14 + 40;
    let payload = frame.split_off(tcp_start + 20 + 12);
    frame.truncate(tcp_start + 20);
    frame[tcp_start + 12] = 10 << 4;
    frame.extend_from_slice(&[1, 1, 5, 18]);
    for edge in [100_u32, 200, 300, 400] {
        frame.extend_from_slice(&edge.to_be_bytes());
    }
    frame.extend_from_slice(&payload);
    let ip_payload_len = u16::try_from(frame.len() - 14 - 40).unwrap();
    frame[18..20].copy_from_slice(&ip_payload_len.to_be_bytes());
    let packet = parse_packet(LinkType::Ethernet, 0, &frame, 100).unwrap();
    let sack: Vec<(u32, u32)> = tcp(&packet)
        .options
        .sack
        .iter()
        .map(|block| (block.left, block.right))
        .collect();
    assert_eq!(sack, vec![(100, 200), (300, 400)]);
    assert_eq!(tcp(&packet).payload, b"hi6");
}

#[test]
fn garbage_and_every_truncation_never_panic() {
    let frames = [
        ipv4_syn(),
        ipv6_data(),
        icmpv4_port_unreachable(),
        icmpv6_port_unreachable(),
        udp_hello(),
    ];
    let links = [
        LinkType::Ethernet,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::RawIp,
        LinkType::BsdLoopback,
    ];
    for frame in &frames {
        for len in 0..=frame.len() {
            for link in links {
                let _ = parse_packet(link, 0, &frame[..len], 16);
            }
        }
        // Flip every byte in turn: lengths and offsets become nonsense.
        for at in 0..frame.len() {
            let mut broken = frame.clone();
            broken[at] ^= 0xff;
            for link in links {
                let _ = parse_packet(link, 0, &broken, 16);
            }
        }
    }
    assert_eq!(parse_packet(LinkType::Ethernet, 0, &[], 16), None);
    assert_eq!(parse_packet(LinkType::Ethernet, 0, &[0xff; 13], 16), None);
}

#[test]
fn frames_cut_inside_the_headers_are_skipped() {
    // 14 Ethernet + 20 IPv4 + 10 of the 40 TCP header bytes.
    let frame = &ipv4_syn()[..44];
    assert_eq!(parse_packet(LinkType::Ethernet, 0, frame, 16), None);
}
