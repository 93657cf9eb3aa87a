//! The lab's promise to the machine it runs on: building a lab, carrying
//! traffic through an impaired path and dropping it leaves the host's
//! network exactly as it was (links, addresses, routes, qdiscs, the
//! firewall), and leaves no namespace name or device behind. The host is
//! read with `ip`, `tc` and `nft` as witnesses, as an administrator would
//! look; the lab itself runs none of them. As root only: otherwise the
//! test says why and returns.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::{lab, our_namespaces, pattern, transfer};
use sockscope_lab::{Family, LabConfig, PathConfig};
use sockscope_shared::PathPreset;

/// One witness's view of the host, by the command that gave it.
#[derive(Debug, PartialEq)]
struct View {
    command: String,
    text: String,
}

/// What the host's network looks like now. Commands that are not
/// installed (`nft` on many machines) are left out, the same way both
/// times; values that change by themselves (address lifetimes, route
/// expiry, firewall counters) are left out of the text.
fn snapshot() -> Vec<View> {
    let witnesses: [&[&str]; 6] = [
        &["ip", "-o", "link", "show"],
        &["ip", "-o", "address", "show"],
        &["ip", "-4", "route", "show", "table", "all"],
        &["ip", "-6", "route", "show", "table", "all"],
        &["tc", "qdisc", "show"],
        &["nft", "--stateless", "list", "ruleset"],
    ];
    let mut views = Vec::new();
    for witness in witnesses {
        let Ok(output) = Command::new(witness[0]).args(&witness[1..]).output() else {
            eprintln!("not compared: {} is not installed", witness[0]);
            continue;
        };
        assert!(
            output.status.success(),
            "{witness:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(without_timers)
            .collect::<Vec<_>>()
            .join("\n");
        views.push(View {
            command: witness.join(" "),
            text,
        });
    }
    assert!(
        views
            .iter()
            .any(|view| view.command.starts_with("ip -o link")),
        "ip is needed to look at the host"
    );
    views
}

/// A line without the words that count down on their own.
fn without_timers(line: &str) -> String {
    let mut words = line.split_whitespace();
    let mut kept = Vec::new();
    while let Some(word) = words.next() {
        if matches!(word, "valid_lft" | "preferred_lft" | "expires") {
            words.next();
        } else {
            kept.push(word);
        }
    }
    kept.join(" ")
}

#[test]
fn a_lab_leaves_the_hosts_network_as_it_found_it() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: the lab's tests create network namespaces, which needs root");
        return;
    }
    let before = snapshot();
    {
        // The "internet" path: delay, loss and a rate limit, all at work.
        let settings = PathPreset::Internet.settings().unwrap();
        let Some(lab) = lab(LabConfig {
            mtu: settings.mtu,
            path: PathConfig::from_settings(&settings, 3),
            named: true,
        }) else {
            return;
        };
        let data = pattern(64 * 1024);
        for family in [Family::V4, Family::V6] {
            assert!(transfer(&lab, family, &data).received == data);
        }
        assert_eq!(our_namespaces().len(), 2, "the lab's two names exist");
    }
    let after = snapshot();
    for (before, after) in before.iter().zip(&after) {
        assert_eq!(
            before.text, after.text,
            "`{}` differs after the lab",
            before.command
        );
    }
    assert_eq!(before.len(), after.len());
    assert_eq!(our_namespaces(), Vec::<String>::new(), "a name was left");
    let links = &after[0].text;
    assert!(!links.contains("sockscope"), "a device was left: {links}");
}
