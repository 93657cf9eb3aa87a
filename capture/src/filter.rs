//! Which packets a live capture keeps: the kernel BPF program for a set of
//! ports, and the check in Rust for what BPF cannot see cheaply.
//!
//! The kernel filter is the main sieve: it runs before a packet is copied
//! to user space, so a busy machine costs little. It stays simple on
//! purpose. An ICMP port-unreachable message matters only when the datagram
//! it quotes used one of the ports, and reaching into the quoted header in
//! BPF would be long and fragile, so BPF lets all ICMP through and
//! [`wanted`] decides after parsing.

use crate::packet::Packet;

/// A filter that matches nothing: no frame is 1 byte or shorter. Used while
/// no ports are watched, and from the moment a capture opens, so nothing
/// is reported before the caller says what it wants.
pub(crate) const MATCH_NOTHING: &str = "less 1";

/// The BPF program (pcap filter syntax) for TCP or UDP on any of `ports`,
/// plus all ICMP and ICMPv6 (sorted out by [`wanted`]).
pub(crate) fn bpf_program(ports: &[u16]) -> String {
    let mut ports = ports.to_vec();
    ports.sort_unstable();
    ports.dedup();
    if ports.is_empty() {
        return MATCH_NOTHING.to_owned();
    }
    let any_port: Vec<String> = ports.iter().map(|port| format!("port {port}")).collect();
    format!(
        "icmp or icmp6 or ((tcp or udp) and ({}))",
        any_port.join(" or ")
    )
}

/// Whether a parsed packet concerns one of `ports`. Besides sorting out
/// ICMP, this drops packets that were already queued in the kernel when the
/// filter changed.
pub(crate) fn wanted(ports: &[u16], packet: &Packet) -> bool {
    ports.contains(&packet.src.port()) || ports.contains(&packet.dst.port())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::PacketKind;

    #[test]
    fn no_ports_match_nothing() {
        assert_eq!(bpf_program(&[]), "less 1");
    }

    #[test]
    fn ports_are_sorted_and_deduplicated() {
        assert_eq!(
            bpf_program(&[9527, 80, 9527]),
            "icmp or icmp6 or ((tcp or udp) and (port 80 or port 9527))"
        );
    }

    #[test]
    fn the_programs_compile_for_every_live_link_type() {
        let links = [
            pcap::Linktype::ETHERNET,
            pcap::Linktype::LINUX_SLL,
            pcap::Linktype(276), // LINUX_SLL2
            pcap::Linktype(12),  // raw IP, as Linux reports it live
        ];
        for link in links {
            let dead = pcap::Capture::dead(link).unwrap();
            for ports in [&[][..], &[1], &[80, 443, 9527]] {
                let program = bpf_program(ports);
                assert!(
                    dead.compile(&program, true).is_ok(),
                    "{program} on {link:?}"
                );
            }
        }
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn the_programs_pick_the_right_frames() {
        // A SYN 127.0.0.1:32844 -> 127.0.0.1:38413 and an ICMP port
        // unreachable, both as captured on lo.
        let syn = hex(concat!(
            "00000000000000000000000008004500003cf10a400040064baf7f0000017f00",
            "0001804c960dbfe6fc6600000000a002ffd7fe3000000204ffd70402080a530a",
            "63eb000000000103030a",
        ));
        let icmp = hex(concat!(
            "000000000000000000000000080045c0003cb06300004001cb9b7f0000017f00",
            "0001030364480000000045000020f5894000401147417f0000017f000001bbae",
            "0009000cfe1f70696e67",
        ));
        let dead = pcap::Capture::dead(pcap::Linktype::ETHERNET).unwrap();
        let matches = |ports: &[u16], frame: &[u8]| {
            dead.compile(&bpf_program(ports), true)
                .unwrap()
                .filter(frame)
        };
        assert!(matches(&[38413], &syn));
        assert!(matches(&[9, 32844], &syn));
        assert!(!matches(&[80], &syn));
        assert!(!matches(&[], &syn));
        // All ICMP passes the kernel; `wanted` sorts it out.
        assert!(matches(&[80], &icmp));
        assert!(!matches(&[], &icmp));
    }

    #[test]
    fn icmp_is_kept_only_for_watched_ports() {
        let bounced = Packet {
            ts_us: 0,
            src: "127.0.0.1:40000".parse().unwrap(),
            dst: "127.0.0.1:9".parse().unwrap(),
            kind: PacketKind::IcmpPortUnreachable,
            ip_id: None,
        };
        assert!(wanted(&[9], &bounced));
        assert!(wanted(&[40000], &bounced));
        assert!(!wanted(&[9527], &bounced));
        assert!(!wanted(&[], &bounced));
    }
}
