//! The event decoder held to serde's derive: every logged event read back
//! to the same JSON, thousands of damaged ones accepted or refused as the
//! derive did, and the errors naming the event and the field.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use super::call::{CALLS, RESULTS};
use super::capture::CAPTURE_STATES;
use super::event::{EVENTS, TCP_STATES};
use super::segment::PROTOS;
use crate::wrong_answers::{read_error, wrong_answers};
use crate::{
    Bytes, Call, CallEvent, CallResult, Capabilities, CaptureState, CommandError, Direction,
    ErrorCode, Event, EventKind, Framing, Hello, Limit, Limits, OsError, SackBlock, Segment,
    SegmentEvent, SendStage, ShutdownHow, SocketId, SocketOption, TcpFlags, TcpInfo, TcpOptions,
    TcpState, Timestamps, Transport, UdpDatagram, WaitReason, WaitingCall,
};

/// Every JSON event log in the repository: the page's recordings and
/// the logs its tests read.
fn event_logs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut logs = Vec::new();
    for dir in ["web/recordings", "web/tests/live"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().ends_with(".events.json") {
                logs.push(path);
            }
        }
    }
    logs.sort();
    assert!(logs.len() >= 15, "{logs:?}");
    logs
}

/// Each log's events, as JSON values.
fn logged_events() -> Vec<(String, Value)> {
    let mut all = Vec::new();
    for path in event_logs() {
        let text = std::fs::read_to_string(&path).unwrap();
        let Value::Array(events) = serde_json::from_str(&text).unwrap() else {
            panic!("{}: not an array", path.display());
        };
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        all.extend(events.into_iter().map(|event| (name.clone(), event)));
    }
    all
}

/// Today's derive, kept as the reference the decoder must agree with:
/// `EventKind` and the types under it still derive `Deserialize`, and
/// the two nested types with decoders of their own are mirrored here
/// as they were derived.
#[derive(Deserialize)]
struct Derived {
    index: u64,
    t_us: u64,
    #[serde(flatten)]
    kind: EventKind,
}

#[derive(Deserialize)]
#[serde(remote = "CallResult", tag = "kind", rename_all = "snake_case")]
enum DerivedResult {
    Ok,
    Sent {
        bytes: u64,
    },
    Data {
        data: Bytes,
        offset: u64,
    },
    EndOfStream {
        offset: u64,
    },
    Accepted {
        new_socket: SocketId,
        peer: String,
    },
    Datagram {
        from: String,
        data: Bytes,
        datagram_len: u32,
    },
    Error(OsError),
}

#[derive(Deserialize)]
#[serde(remote = "CaptureState", tag = "state", rename_all = "snake_case")]
enum DerivedCapture {
    On {
        interface: String,
    },
    Off {
        reason: String,
        fix: String,
    },
    Stats {
        received: u64,
        dropped_by_kernel: u64,
        dropped_by_interface: u64,
    },
}

fn derived(value: &Value) -> Option<Event> {
    let derived = Derived::deserialize(value).ok()?;
    Some(Event {
        index: derived.index,
        t_us: derived.t_us,
        kind: derived.kind,
    })
}

fn decoded(value: &Value) -> Option<Event> {
    Event::deserialize(value).ok()
}

#[test]
fn every_logged_event_reads_back_to_the_same_json() {
    let events = logged_events();
    assert!(events.len() > 300, "{}", events.len());
    let mut kinds = std::collections::BTreeSet::new();
    for (log, value) in &events {
        // From text, borrowing the tags, and from a tree, copying them.
        let text = value.to_string();
        let event: Event =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{log}: {e}: {text}"));
        assert_eq!(
            Event::deserialize(value).ok().as_ref(),
            Some(&event),
            "{log}"
        );
        assert_eq!(&serde_json::to_value(&event).unwrap(), value, "{log}");
        kinds.insert(value["event"].as_str().unwrap().to_string());
    }
    // Enough of the protocol is in the logs for this test to mean something.
    for kind in ["hello", "call", "state", "segment"] {
        assert!(kinds.contains(kind), "{kinds:?}");
    }
}

#[test]
fn a_whole_log_reads_in_one_go() {
    for path in event_logs() {
        let text = std::fs::read_to_string(&path).unwrap();
        let events: Vec<Event> = serde_json::from_str(&text).unwrap();
        let again = serde_json::to_string(&events).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&again).unwrap(),
            serde_json::from_str::<Value>(&text).unwrap(),
            "{}",
            path.display()
        );
    }
}

/// Each logged event, then the same with one field taken out, changed
/// to a word no tag has, to a number, or to null, at the top level and
/// inside `result` and `capabilities.capture`: the decoder accepts
/// exactly what the derive accepts, and reads it the same; so do the
/// decoders of a result and a capture state read alone.
#[test]
fn the_decoder_accepts_what_the_derive_accepts() {
    let mut variants = 0;
    for (log, value) in logged_events() {
        let mut changed_events = vec![value.clone()];
        for path in [&[][..], &["result"][..], &["capabilities", "capture"][..]] {
            let Some(Value::Object(object)) = path.iter().try_fold(&value, |v, k| v.get(k)) else {
                continue;
            };
            for key in object.keys() {
                let tag = matches!(key.as_str(), "event" | "call" | "proto" | "kind")
                    || (key == "state" && (path.len() == 2 || value["event"] == "capture"));
                let mut replacements = vec![None, Some(json!("nonsense")), Some(Value::Null)];
                // The derive also took a number for a tag, as the
                // variant's position; nothing writes that, and the
                // decoder takes only names.
                if !tag {
                    replacements.push(Some(json!(4)));
                }
                for replacement in replacements {
                    let mut changed = value.clone();
                    let target = path
                        .iter()
                        .try_fold(&mut changed, |v, k| v.get_mut(k))
                        .and_then(Value::as_object_mut)
                        .unwrap();
                    match replacement {
                        None => {
                            target.remove(key);
                        }
                        Some(new) => {
                            target.insert(key.clone(), new);
                        }
                    }
                    let nested = Value::Object(target.clone());
                    match path {
                        ["result"] => assert_eq!(
                            CallResult::deserialize(&nested).ok(),
                            DerivedResult::deserialize(&nested).ok(),
                            "{log}: {nested}"
                        ),
                        ["capabilities", "capture"] => assert_eq!(
                            CaptureState::deserialize(&nested).ok(),
                            DerivedCapture::deserialize(&nested).ok(),
                            "{log}: {nested}"
                        ),
                        _ => {}
                    }
                    changed_events.push(changed);
                }
            }
        }
        for changed in changed_events {
            assert_eq!(decoded(&changed), derived(&changed), "{log}: {changed}");
            variants += 1;
        }
    }
    assert!(variants > 10_000, "{variants}");
}

#[test]
fn every_kind_of_event_call_result_and_segment_round_trips() {
    let tcp = Segment::Tcp {
        flags: TcpFlags {
            fin: true,
            ack: true,
            ..TcpFlags::default()
        },
        seq: 1,
        ack: 2,
        rel_seq: 3,
        rel_ack: 4,
        window: 5,
        window_scaled: 640,
        options: TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            sack: vec![SackBlock { left: 1, right: 9 }],
            timestamps: Some(Timestamps {
                value: 10,
                echo_reply: 11,
            }),
        },
        payload_len: 5000,
        payload: Bytes::from(b"cut".to_vec()),
    };
    let segments = [
        tcp,
        Segment::Udp(UdpDatagram {
            payload_len: 0,
            payload: Bytes::default(),
        }),
        Segment::IcmpPortUnreachable,
    ];
    let calls = [
        Call::Bind {
            addr: "127.0.0.1:9".into(),
            reuse_addr: true,
        },
        Call::Listen { backlog: 5 },
        Call::Accept,
        Call::Connect {
            addr: "[::1]:80".into(),
        },
        Call::Send {
            data: Bytes::from(b"hi".to_vec()),
            offset: 7,
            message: 2,
            framing: Framing::U32Be,
        },
        Call::Recv { bufsize: 10 },
        Call::SetOption {
            option: SocketOption::RecvBuffer(4096),
        },
        Call::Shutdown {
            how: ShutdownHow::Write,
        },
        Call::Close,
        Call::SendTo {
            addr: "127.0.0.1:7".into(),
            data: Bytes::default(),
        },
        Call::RecvFrom { bufsize: 3 },
    ];
    let results = [
        CallResult::Ok,
        CallResult::Sent { bytes: 2 },
        CallResult::Data {
            data: Bytes::from(b"\"esc\\aped\"".to_vec()),
            offset: 9,
        },
        CallResult::EndOfStream { offset: 11 },
        CallResult::Accepted {
            new_socket: 4,
            peer: "127.0.0.1:5".into(),
        },
        CallResult::Datagram {
            from: "127.0.0.1:6".into(),
            data: Bytes::from(b"abc".to_vec()),
            datagram_len: 8,
        },
        CallResult::Error(OsError {
            errno: "ECONNREFUSED".into(),
            code: 111,
            message: "Connection \"refused\"".into(),
        }),
    ];
    let captures = [
        CaptureState::On {
            interface: "lo".into(),
        },
        CaptureState::Off {
            reason: "no permission".into(),
            fix: "setcap".into(),
        },
        CaptureState::Stats {
            received: 1,
            dropped_by_kernel: 2,
            dropped_by_interface: 3,
        },
    ];
    let mut kinds: Vec<EventKind> = Vec::new();
    for (n, call) in calls.iter().enumerate() {
        for (m, result) in results.iter().enumerate() {
            kinds.push(EventKind::Call(CallEvent {
                socket: 1,
                request: (m % 2 == 0).then_some(n as u64),
                transport: Transport::Tcp,
                call: call.clone(),
                result: result.clone(),
                local: Some("127.0.0.1:1".into()),
                peer: (n % 2 == 0).then(|| "127.0.0.1:2".into()),
                state: Some(TcpState::ALL[(n + m) % TcpState::ALL.len()]),
            }));
        }
    }
    for segment in segments {
        kinds.push(EventKind::Segment(SegmentEvent {
            conn: 1,
            src: "127.0.0.1:1".into(),
            dst: "127.0.0.1:2".into(),
            direction: Direction::Reverse,
            from_socket: None,
            to_socket: crate::NonZeroSocketId::new(3),
            tap: Some(crate::Tap::Server),
            crossing: crate::CrossingNumber::new(7),
            analysis: crate::TcpAnalyses::from([
                crate::TcpAnalysis::Retransmission,
                crate::TcpAnalysis::DuplicateAck,
            ]),
            segment,
        }));
    }
    kinds.push(EventKind::Path(Box::new(crate::PathState {
        request: Some(2),
        path: crate::PathPreset::Wifi,
        seed: 9,
        lab: Some(crate::LabPath {
            settings: crate::PathPreset::Wifi.settings().unwrap_or_default(),
            client: crate::LabHost {
                ipv4: "10.77.0.1".into(),
                ipv6: Some("fd77::1".into()),
            },
            server: crate::LabHost {
                ipv4: "10.77.0.2".into(),
                ipv6: None,
            },
        }),
    })));
    kinds.push(EventKind::Path(Box::new(crate::PathState {
        request: None,
        path: crate::PathPreset::Loopback,
        seed: 0,
        lab: None,
    })));
    kinds.push(EventKind::PathDrop(crate::PathDrop {
        crossing: crate::CrossingNumber::new(57),
        tap: crate::Tap::Client,
        fate: crate::PathFate::QueueOverflow,
        len: 1500,
    }));
    kinds.push(EventKind::PathStats(Box::new(crate::PathCounts {
        client_to_server: crate::LinkCounts {
            received: 10,
            lost: 2,
            ..crate::LinkCounts::default()
        },
        server_to_client: crate::LinkCounts::default(),
    })));
    for capture in &captures {
        kinds.push(EventKind::Capture(capture.clone()));
        kinds.push(EventKind::Hello(Hello {
            protocol_version: 1,
            relay_version: "0.1.0".into(),
            capabilities: Capabilities {
                capture: capture.clone(),
                allow_remote: true,
                lab: None,
            },
            limits: Limits::default(),
        }));
    }
    // The names the errors quote are the states' own.
    let names: Vec<&str> = TcpState::ALL.iter().map(|state| state.name()).collect();
    assert_eq!(names, TCP_STATES);
    for state in TcpState::ALL {
        kinds.push(EventKind::State { socket: 2, state });
    }
    kinds.push(EventKind::RecvQueue {
        socket: 3,
        bytes: 15,
    });
    let info: TcpInfo = serde_json::from_str(
        r#"{"state":"ESTABLISHED","ca_state":"open","retransmits":0,"backoff":0,
        "rto_us":204000,"ato_us":40000,"snd_mss":32768,"rcv_mss":536,"unacked":1,"sacked":0,
        "lost":0,"retrans":0,"total_retrans":0,"rtt_us":31,"rttvar_us":15,"min_rtt_us":18,
        "snd_cwnd":10,"rcv_space":65483,"delivery_rate":0,"notsent_bytes":0,"bytes_acked":1,
        "bytes_received":0,"snd_wnd":65536,"rcv_wnd":65483,"total_rto":0}"#,
    )
    .unwrap();
    kinds.push(EventKind::TcpInfo {
        socket: Some(3),
        local: None,
        peer: None,
        info: Box::new(info.clone()),
    });
    kinds.push(EventKind::TcpInfo {
        socket: None,
        local: Some("127.0.0.1:9527".into()),
        peer: Some("127.0.0.1:41000".into()),
        info: Box::new(info),
    });
    kinds.push(EventKind::SendTime {
        socket: 2,
        end: 20_000,
        stage: SendStage::Acked,
    });
    kinds.push(EventKind::SendTime {
        socket: 2,
        end: 5,
        stage: SendStage::Sent,
    });
    kinds.push(EventKind::Waiting(WaitingCall {
        socket: 3,
        request: Some(7),
        call: Call::Recv { bufsize: 1024 },
        why: WaitReason::NoData,
    }));
    kinds.push(EventKind::Waiting(WaitingCall {
        socket: 2,
        request: None,
        call: Call::Connect {
            addr: "127.0.0.1:9".into(),
        },
        why: WaitReason::NoAnswer,
    }));
    kinds.push(EventKind::CommandError(CommandError {
        request: Some(4),
        command: Some("recv".into()),
        code: ErrorCode::WrongSocketKind,
        message: "socket 1 is a listener".into(),
        field: None,
        limit: None,
    }));
    kinds.push(EventKind::CommandError(CommandError {
        request: None,
        command: Some("recv".into()),
        code: ErrorCode::BufsizeOutOfRange,
        message: "recv: bufsize must be from 1 to 1048576 bytes, not 0".into(),
        field: Some("bufsize".into()),
        limit: Some(Limit {
            found: 0,
            min: 1,
            max: 1 << 20,
        }),
    }));
    kinds.push(EventKind::Lagged { dropped: 120 });

    let mut tags = std::collections::BTreeSet::new();
    for (index, kind) in kinds.into_iter().enumerate() {
        let event = Event {
            index: index as u64,
            t_us: 1_795_431_092_150_818,
            kind,
        };
        let json = serde_json::to_string(&event).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event, "{json}");
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(derived(&value).as_ref(), Some(&event), "{json}");
        for (key, list) in [
            ("event", EVENTS),
            ("call", CALLS),
            ("proto", PROTOS),
            ("kind", RESULTS),
        ] {
            let tag = value.get(key).or_else(|| value["result"].get(key));
            if let Some(tag) = tag.and_then(Value::as_str) {
                assert!(list.contains(&tag), "{key}: {tag}");
                tags.insert((key, tag.to_string()));
            }
        }
    }
    // The lists the errors quote hold exactly the tags the derive writes.
    for (key, list) in [
        ("event", EVENTS),
        ("call", CALLS),
        ("proto", PROTOS),
        ("kind", RESULTS),
    ] {
        assert_eq!(
            tags.iter().filter(|(k, _)| *k == key).count(),
            list.len(),
            "{key}"
        );
    }
    for capture in captures {
        let json = serde_json::to_string(&capture).unwrap();
        let tag: Value = serde_json::from_str(&json).unwrap();
        assert!(CAPTURE_STATES.contains(&tag["state"].as_str().unwrap()));
        assert_eq!(
            serde_json::from_str::<CaptureState>(&json).unwrap(),
            capture
        );
    }
}

#[test]
fn keys_in_any_order_and_unknown_keys_are_read_as_before() {
    let json = r#"{"result": {"offset": 0, "data": "6869", "kind": "data", "extra": 1},
        "call": "recv", "bufsize": 2, "socket": 3, "transport": "tcp",
        "note": "added by a script", "t_us": 5, "event": "call", "index": 4}"#;
    let event: Event = serde_json::from_str(json).unwrap();
    assert_eq!(
        event,
        Event {
            index: 4,
            t_us: 5,
            kind: EventKind::Call(CallEvent {
                socket: 3,
                request: None,
                transport: Transport::Tcp,
                call: Call::Recv { bufsize: 2 },
                result: CallResult::Data {
                    data: Bytes::from(b"hi".to_vec()),
                    offset: 0,
                },
                local: None,
                peer: None,
                state: None,
            }),
        }
    );
    // Escaped tags cannot be borrowed from the text, and still read.
    let escaped = r#"{"index":0,"t_us":1,"event":"lag\u0067ed","dropped":3}"#;
    assert_eq!(
        serde_json::from_str::<Event>(escaped).unwrap().kind,
        EventKind::Lagged { dropped: 3 }
    );
}

#[test]
fn errors_name_the_event_and_the_field() {
    let call = r#"{"index":0,"t_us":1,"event":"call","socket":2,"transport":"tcp","#;
    let cases = [
        (
            r#"{"index":0,"t_us":1,"dropped":3}"#.to_string(),
            "missing field `event` at line 1 column 32",
        ),
        (
            r#"{"t_us":1,"event":"lagged","dropped":3}"#.to_string(),
            "missing field `index` at line 1 column 39",
        ),
        (
            r#"{"index":0,"t_us":1,"event":"hug"}"#.to_string(),
            "unknown variant `hug` in field `event`, expected one of `hello`, `call`, \
             `state`, `recv_queue`, `tcp_info`, `send_time`, `waiting`, `segment`, `command_error`, `capture`, \
             `lagged`, `path`, `path_drop`, `path_stats` \
             at line 1 column 34",
        ),
        (
            r#"{"index":0,"t_us":1,"event":"state","socket":"two","state":"LISTEN"}"#
                .to_string(),
            "invalid type: string \"two\", expected u32 at line 1 column 50",
        ),
        (
            r#"{"index":0,"t_us":1,"event":"state","socket":2,"state":"OPEN"}"#.to_string(),
            "state event: unknown variant `OPEN` in field `state`, expected one of \
             `ESTABLISHED`, `SYN_SENT`, `SYN_RECV`, `FIN_WAIT_1`, `FIN_WAIT_2`, \
             `TIME_WAIT`, `CLOSED`, `CLOSE_WAIT`, `LAST_ACK`, `LISTEN`, `CLOSING` \
             at line 1 column 62",
        ),
        (
            format!(r#"{call}"call":"recv","result":{{"kind":"ok"}}}}"#),
            "recv call event: missing field `bufsize` at line 1 column 101",
        ),
        (
            format!(r#"{call}"call":"poll","result":{{"kind":"ok"}}}}"#),
            "call event: unknown variant `poll` in field `call`, expected one of `bind`, \
             `listen`, `accept`, `connect`, `send`, `recv`, `set_option`, `shutdown`, \
             `close`, `send_to`, `recv_from` at line 1 column 101",
        ),
        (
            format!(r#"{call}"call":"close"}}"#),
            "call event: missing field `result` at line 1 column 79",
        ),
        (
            format!(r#"{call}"call":"close","result":{{}}}}"#),
            "call event: result: missing field `kind` at line 1 column 91",
        ),
        (
            format!(r#"{call}"call":"recv","bufsize":9,"result":{{"kind":"data","data":""}}}}"#),
            "call event: data result: missing field `offset` at line 1 column 125",
        ),
        (
            format!(
                r#"{call}"call":"send","data":"","offset":0,"message":"one","framing":"none","result":{{"kind":"ok"}}}}"#
            ),
            "send call event: invalid type: string \"one\" in field `message`, \
             expected u32 at line 1 column 155",
        ),
        (
            r#"{"index":0,"t_us":1,"event":"capture","state":"off","reason":"no"}"#
                .to_string(),
            "capture event (off): missing field `fix` at line 1 column 66",
        ),
        (
            r#"{"index":0,"t_us":1,"event":"segment","conn":1,"src":"a","dst":"b","direction":"forward","proto":"sctp"}"#.to_string(),
            "segment event: unknown variant `sctp` in field `proto`, expected one of \
             `tcp`, `udp`, `icmp_port_unreachable` at line 1 column 104",
        ),
        (
            r#"{"index":0,"t_us":1,"event":"command_error","code":"bad_port","message":7}"#
                .to_string(),
            "command_error event: invalid type: number 7 in field `message`, \
             expected a string at line 1 column 74",
        ),
        (
            r#"[0, 1, "lagged"]"#.to_string(),
            "invalid type: sequence, expected an event object at line 1 column 0",
        ),
    ];
    let wrong = wrong_answers::<Event>(&cases);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_capture_state_or_result_read_alone_says_what_is_missing() {
    let hello = r#"{"index":0,"t_us":1,"event":"hello","protocol_version":1,"relay_version":"x",
        "capabilities":{"capture":{"state":"on"},"allow_remote":false},"limits":{}}"#;
    assert_eq!(
        read_error::<Event>(hello),
        "capture state (on): missing field `interface` at line 2 column 48"
    );
    let result = serde_json::from_str::<CallResult>(r#"{"kind":"sent"}"#).unwrap_err();
    assert_eq!(
        result.to_string(),
        "sent result: missing field `bytes` at line 1 column 15"
    );
}
