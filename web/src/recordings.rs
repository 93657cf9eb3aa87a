//! The reference recordings the page ships: one event log per experiment of
//! the design brief, made from the real captures in `testdata/captures/` by
//! `cargo xtask recordings` (`web/examples/recordings/`). Trunk copies `web/recordings/` next to
//! the page, so each one opens with a click, with or without a relay, and a
//! link such as `/?log=03-sticky-small-sends` opens one directly.

/// One shipped recording: its file stem and what it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recording {
    pub name: &'static str,
    pub title: &'static str,
}

pub const ALL: [Recording; 14] = [
    Recording {
        name: "01-handshake",
        title: "01 · TCP three-way handshake",
    },
    Recording {
        name: "02-close-half",
        title: "02 · Close, half-close and TIME_WAIT",
    },
    Recording {
        name: "03-sticky-small-sends",
        title: "03 · Sticky packets: quick sends, one recv",
    },
    Recording {
        name: "04-sticky-small-buffer",
        title: "04 · Sticky packets: recv buffer too small",
    },
    Recording {
        name: "05-zfill-header",
        title: "05 · Fix 1: 4-digit ASCII length header",
    },
    Recording {
        name: "06-struct-header",
        title: "06 · Fix 2: 4-byte binary length header",
    },
    Recording {
        name: "07-upper-echo-clients",
        title: "07 · Echo server, clients one after another",
    },
    Recording {
        name: "08-disconnect-fin-vs-rst",
        title: "08 · Client leaves: FIN vs RST",
    },
    Recording {
        name: "09-addr-in-use",
        title: "09 · Address already in use, SO_REUSEADDR",
    },
    Recording {
        name: "10-refused",
        title: "10 · Connection refused",
    },
    Recording {
        name: "11-udp-echo-and-time",
        title: "11 · UDP echo and time server",
    },
    Recording {
        name: "12-udp-boundaries",
        title: "12 · UDP keeps message boundaries",
    },
    Recording {
        name: "13-udp-truncation",
        title: "13 · UDP truncation",
    },
    Recording {
        name: "14-udp-empty",
        title: "14 · UDP empty datagram",
    },
];

/// The recording called `name`, if the page ships it.
pub fn find(name: &str) -> Option<Recording> {
    ALL.into_iter().find(|r| r.name == name)
}

/// Where the page fetches it from, relative to the page.
pub fn url(recording: Recording) -> String {
    format!("recordings/{}.events.json", recording.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_recording_is_shipped_and_every_shipped_one_listed() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/recordings");
        let mut shipped: Vec<String> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|e| {
                let name = e.unwrap_or_else(|e| panic!("{dir}: {e}")).file_name();
                name.into_string()
                    .unwrap_or_else(|name| panic!("{dir}: {name:?} is not UTF-8"))
            })
            .filter_map(|f| f.strip_suffix(".events.json").map(str::to_string))
            .collect();
        shipped.sort();
        let listed: Vec<&str> = ALL.iter().map(|r| r.name).collect();
        assert_eq!(shipped, listed);
        assert_eq!(
            url(find("10-refused").unwrap()),
            "recordings/10-refused.events.json"
        );
    }
}
