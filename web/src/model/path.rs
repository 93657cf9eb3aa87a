//! The path between a session's sockets, as the page models it: which path
//! is in force (loopback or a lab, with its two sides' addresses), the
//! path's counts, and each packet's crossing of it.
//!
//! In the network lab every packet is captured twice: where it was sent
//! (the sender's tap) and where it arrived (the other tap), both copies
//! carrying the same `crossing` number. The ladder shows a packet once, so
//! the copies fold here: the sent copy is the step and the row, at the time
//! it was sent; the arrived copies only annotate it (its one-way delay, how
//! many copies arrived); a `path_drop` event about the crossing says what
//! the path did to it instead (lost, a full queue, duplicated, reordered).
//!
//! Each event costs one hash-map lookup: [`Crossings`] maps a crossing
//! number to what is known of it, and a row finds its crossing from its
//! own segment's number, so nothing is searched or copied per event.
//!
//! Which copy is the sent one: the copy whose tap is the side whose address
//! is the segment's source. Before the page knows the lab's addresses (a
//! log that starts mid-session), the first copy seen of a crossing is taken
//! as sent, the order the relay forwards them in. On loopback there are no
//! taps and no crossings, and nothing here changes what the page shows.

use std::collections::HashMap;

use sockscope_shared::{
    CrossingNumber, LabAvailability, PathCounts, PathDrop, PathFate, PathState, SegmentEvent, Tap,
    TcpAnalyses,
};

use super::addr;

/// What is known of one crossing: its copies by log position, and what the
/// path did to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Crossing {
    /// The copy captured where it was sent, once seen.
    pub sent: Option<usize>,
    /// The copies captured where it arrived: two when the path duplicated it.
    pub arrived: Vec<usize>,
    /// Why it never arrived, when the path dropped it.
    pub dropped: Option<PathFate>,
    /// Whether the path held it back behind the packet after it.
    pub reordered: bool,
}

/// What the ladder says of a packet's crossing, in numbers: worded by the
/// page (`i18n::path`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrossingMark {
    /// The one-way delay (first arrival minus sending), when it arrived.
    pub delay_us: Option<u64>,
    /// Why it never arrived, when the path dropped it.
    pub dropped: Option<PathFate>,
    /// How many copies arrived (2 for a duplicate).
    pub copies: usize,
    pub reordered: bool,
}

/// Where a segment event goes once its crossing is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyRole {
    /// Not a lab copy (loopback, a file, a copy without crossing): shown
    /// as ever.
    Alone,
    /// The copy where it was sent: the row.
    Sent,
    /// A copy where it arrived: folded into the sent copy's row.
    Arrived,
}

/// Every crossing of the session, by number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Crossings {
    by_number: HashMap<CrossingNumber, Crossing>,
    /// `path_drop` events that named no captured crossing.
    pub unmatched_drops: u64,
    /// Sent copies whose crossing learnt more after they were captured (a
    /// copy arrived, whose analysis joins theirs, or the path dropped
    /// them), in the order it came: what a view drawn before must look at
    /// again (`seq_graph`).
    pub news_after_sent: Vec<usize>,
}

impl Crossings {
    /// The crossing numbered `number`, if any copy or drop named it.
    pub fn get(&self, number: CrossingNumber) -> Option<&Crossing> {
        self.by_number.get(&number)
    }

    /// Files the segment at `at` under its crossing and says what it is.
    /// `sender` is the side whose address is its source, when known.
    pub fn on_segment(&mut self, at: usize, seg: &SegmentEvent, sender: Option<Tap>) -> CopyRole {
        let (Some(number), Some(tap)) = (seg.crossing, seg.tap) else {
            return CopyRole::Alone;
        };
        let crossing = self.by_number.entry(number).or_default();
        let sent = match sender {
            Some(sender) => tap == sender,
            None => crossing.sent.is_none() && crossing.arrived.is_empty(),
        };
        if sent && crossing.sent.is_none() {
            crossing.sent = Some(at);
            CopyRole::Sent
        } else {
            crossing.arrived.push(at);
            if let Some(sent) = crossing.sent {
                self.news_after_sent.push(sent);
            }
            CopyRole::Arrived
        }
    }

    /// Notes what the path did to a packet.
    pub fn on_drop(&mut self, drop: &PathDrop) {
        let Some(number) = drop.crossing else {
            self.unmatched_drops += 1;
            return;
        };
        let crossing = self.by_number.entry(number).or_default();
        match drop.fate {
            fate if fate.is_drop() => {
                crossing.dropped = Some(fate);
                if let Some(sent) = crossing.sent {
                    self.news_after_sent.push(sent);
                }
            }
            PathFate::Reordered => crossing.reordered = true,
            // The second arrived copy says it; nothing else to note.
            _ => {}
        }
    }
}

/// The path of a session: what the relay last said of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathModel {
    /// The path in force, from the latest `path` event; `None` before one
    /// (loopback, as every session starts).
    pub state: Option<PathState>,
    /// The path's counts, from the latest `path_stats` event.
    pub counts: Option<PathCounts>,
    pub crossings: Crossings,
}

impl PathModel {
    /// Whether a lab path is in force.
    pub fn in_lab(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.lab.is_some())
    }

    /// The side of the lab whose address is `endpoint`'s IP, if the lab's
    /// addresses are known.
    pub fn side_of(&self, endpoint: &str) -> Option<Tap> {
        let lab = self.state.as_ref()?.lab.as_ref()?;
        let ip = addr::parse(endpoint)?.ip().to_string();
        let is = |host: &sockscope_shared::LabHost| {
            host.ipv4 == ip || host.ipv6.as_deref() == Some(ip.as_str())
        };
        if is(&lab.client) {
            Some(Tap::Client)
        } else if is(&lab.server) {
            Some(Tap::Server)
        } else {
            None
        }
    }

    /// The address the forms should target: the lab server's IPv4 on a lab
    /// path, loopback otherwise.
    pub fn server_host(&self) -> String {
        self.state
            .as_ref()
            .and_then(|s| s.lab.as_ref())
            .map_or_else(|| "127.0.0.1".to_string(), |lab| lab.server.ipv4.clone())
    }
}

/// Whether the relay can build labs: on, or off with why and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabAccess {
    On,
    Off {
        reason: String,
        fix: String,
    },
    /// No relay, or one older than the lab: loopback only, nothing to fix.
    Unknown,
}

impl LabAccess {
    /// What a hello's `capabilities.lab` says.
    pub fn from_hello(lab: Option<&LabAvailability>) -> LabAccess {
        match lab {
            Some(LabAvailability::On) => LabAccess::On,
            Some(LabAvailability::Off { reason, fix }) => LabAccess::Off {
                reason: reason.clone(),
                fix: fix.clone(),
            },
            None => LabAccess::Unknown,
        }
    }

    pub fn is_on(&self) -> bool {
        *self == LabAccess::On
    }
}

/// A one-way delay as its arrow shows it: `+350 µs`, `+20.1 ms`.
pub fn delay_text(us: u64) -> String {
    if us < 1000 {
        format!("+{us} µs")
    } else {
        // Tenths of a millisecond, rounded.
        let tenths = (us + 50) / 100;
        format!("+{}.{} ms", tenths / 10, tenths % 10)
    }
}

/// The TCP analysis flags of a row: its copies' flags (where it was sent
/// and where it arrived), each once.
pub fn merged_analysis<'a>(copies: impl Iterator<Item = &'a SegmentEvent>) -> TcpAnalyses {
    copies.fold(TcpAnalyses::NONE, |flags, seg| flags.union(seg.analysis))
}

#[cfg(test)]
mod tests {
    use sockscope_shared::Event;

    use super::super::Model;
    use super::*;

    /// A SYN from the lab's client to its server, captured at `tap`.
    fn syn(index: u64, t_us: u64, tap: &str, crossing: u64) -> Event {
        let json = format!(
            r#"{{"index": {index}, "t_us": {t_us}, "event": "segment", "conn": 1,
            "src": "10.77.0.1:40000", "dst": "10.77.0.2:9527", "direction": "forward",
            "tap": "{tap}", "crossing": {crossing}, "proto": "tcp",
            "flags": {{"syn": true, "ack": false, "fin": false, "rst": false, "psh": false, "urg": false, "ece": false, "cwr": false}}, "seq": 1, "ack": 0, "rel_seq": 0, "rel_ack": 0,
            "window": 1, "window_scaled": 1, "options": {{}}, "payload_len": 0, "payload": ""}}"#
        );
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
    }

    fn path_event(index: u64) -> Event {
        let json = format!(
            r#"{{"index": {index}, "t_us": 0, "event": "path", "path": "lan", "seed": 1,
            "lab": {{"mtu": 1500, "client": {{"ipv4": "10.77.0.1"}}, "server": {{"ipv4": "10.77.0.2"}}}}}}"#
        );
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
    }

    fn drop_event(index: u64, crossing: u64, fate: &str) -> Event {
        let json = format!(
            r#"{{"index": {index}, "t_us": 5, "event": "path_drop", "crossing": {crossing},
            "tap": "client", "fate": "{fate}", "len": 60}}"#
        );
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
    }

    #[test]
    fn an_arrived_copy_seen_first_still_folds_into_the_sent_one() {
        // The server's capture can hand its copy over before the client's.
        let model = Model::from_events([
            path_event(0),
            syn(1, 300, "server", 9),
            syn(2, 100, "client", 9),
        ]);
        assert_eq!(model.steps, [2]);
        let mark = model.crossing_mark(2);
        assert_eq!(
            mark,
            Some(CrossingMark {
                delay_us: Some(200),
                dropped: None,
                copies: 1,
                reordered: false
            })
        );
        assert_eq!(model.crossing_mark(1), None);
    }

    #[test]
    fn without_the_labs_addresses_the_first_copy_is_the_sent_one() {
        let model = Model::from_events([syn(0, 100, "client", 1), syn(1, 150, "server", 1)]);
        assert_eq!(model.steps, [0]);
        assert_eq!(model.crossing_mark(0).and_then(|m| m.delay_us), Some(50));
    }

    #[test]
    fn reordered_duplicated_and_dropped_packets_are_marked() {
        let model = Model::from_events([
            path_event(0),
            syn(1, 100, "client", 1),
            drop_event(2, 1, "reordered"),
            syn(3, 400, "server", 1),
            syn(4, 110, "client", 2),
            drop_event(5, 2, "duplicated"),
            syn(6, 200, "server", 2),
            syn(7, 210, "server", 2),
            syn(8, 120, "client", 3),
            drop_event(9, 3, "queue_overflow"),
        ]);
        let marks: Vec<_> = model
            .steps
            .iter()
            .filter_map(|&at| model.crossing_mark(at))
            .map(|m| (m.delay_us, m.dropped, m.copies, m.reordered))
            .collect();
        assert_eq!(
            marks,
            [
                (Some(300), None, 1, true),
                (Some(90), None, 2, false),
                (None, Some(PathFate::QueueOverflow), 0, false),
            ]
        );
    }

    #[test]
    fn delays_read_in_microseconds_then_tenths_of_milliseconds() {
        assert_eq!(delay_text(0), "+0 µs");
        assert_eq!(delay_text(999), "+999 µs");
        assert_eq!(delay_text(20_100), "+20.1 ms");
        assert_eq!(delay_text(20_149), "+20.1 ms");
        assert_eq!(delay_text(1_234_560), "+1234.6 ms");
    }

    #[test]
    fn loopback_segments_are_left_alone() {
        let mut loopback = syn(0, 100, "client", 1);
        if let sockscope_shared::EventKind::Segment(seg) = &mut loopback.kind {
            seg.tap = None;
            seg.crossing = None;
        }
        let again = Event {
            index: 1,
            ..loopback.clone()
        };
        let model = Model::from_events([loopback, again]);
        assert_eq!(model.steps, [0, 1]);
        assert_eq!(model.crossing_mark(0), None);
        assert!(!model.path.in_lab());
        assert_eq!(model.path.server_host(), "127.0.0.1");
    }

    #[test]
    fn the_lab_is_off_with_the_command_that_allows_it() {
        let off = LabAvailability::Off {
            reason: "no CAP_NET_ADMIN".into(),
            fix: "sudo setcap cap_net_admin=eip sockscope".into(),
        };
        assert_eq!(
            LabAccess::from_hello(Some(&off)),
            LabAccess::Off {
                reason: "no CAP_NET_ADMIN".into(),
                fix: "sudo setcap cap_net_admin=eip sockscope".into()
            }
        );
        assert!(LabAccess::from_hello(Some(&LabAvailability::On)).is_on());
        assert_eq!(LabAccess::from_hello(None), LabAccess::Unknown);
    }
}
