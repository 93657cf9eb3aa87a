//! The request decoder held to serde's derive: every command and every
//! shipped lesson's step read as the derive read them, thousands of damaged
//! ones accepted or refused as it did, and each refusal naming the field
//! that was changed.

use std::path::Path;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::wrong_answers::wrong_answers;
use crate::{
    Bytes, Command, ErrorCode, Field, Framing, Payload, Request, RequestError, ShutdownHow,
    SocketId, SocketOption,
};

/// The derive the decoder replaced, kept as the reference it must
/// agree with: `Request` flattening an internally tagged `Command`,
/// with the defaults it had.
#[derive(Deserialize)]
struct DerivedRequest {
    #[serde(default)]
    id: Option<u64>,
    #[serde(flatten, with = "DerivedCommand")]
    command: Command,
}

#[derive(Deserialize)]
#[serde(remote = "Command", tag = "cmd", rename_all = "snake_case")]
enum DerivedCommand {
    TcpListen {
        host: String,
        port: u16,
        #[serde(default = "five")]
        backlog: u32,
        #[serde(default)]
        reuse_addr: bool,
        #[serde(default)]
        auto_accept: bool,
    },
    TcpAccept {
        socket: SocketId,
    },
    AutoAccept {
        socket: SocketId,
        on: bool,
    },
    TcpConnect {
        host: String,
        port: u16,
    },
    Send {
        socket: SocketId,
        payload: Payload,
        #[serde(default = "one")]
        repeat: u32,
        #[serde(default)]
        interval_ms: u32,
        #[serde(default)]
        framing: Framing,
    },
    Recv {
        socket: SocketId,
        bufsize: u32,
    },
    AutoRead {
        socket: SocketId,
        on: bool,
        #[serde(default)]
        delay_ms: u32,
        #[serde(default = "kib")]
        bufsize: u32,
    },
    SetOption {
        socket: SocketId,
        option: SocketOption,
    },
    Shutdown {
        socket: SocketId,
        how: ShutdownHow,
    },
    Close {
        socket: SocketId,
    },
    UdpBind {
        host: String,
        port: u16,
    },
    SendTo {
        socket: SocketId,
        host: String,
        port: u16,
        payload: Payload,
    },
    RecvFrom {
        socket: SocketId,
        bufsize: u32,
    },
    Watch {
        ports: Vec<u16>,
    },
    SetPath(#[serde(with = "DerivedPathRequest")] crate::PathRequest),
}

#[derive(Deserialize)]
#[serde(remote = "crate::PathRequest")]
struct DerivedPathRequest {
    path: crate::PathPreset,
    #[serde(default)]
    seed: u64,
    #[serde(flatten)]
    settings: crate::PathSettings,
}

fn five() -> u32 {
    5
}

fn one() -> u32 {
    1
}

fn kib() -> u32 {
    1024
}

/// The derive's answer for a request held as a tree, as the relay
/// holds it: the request, or serde's message.
fn derived(value: &Value) -> Result<Request, String> {
    DerivedRequest::deserialize(value)
        .map(|derived| Request {
            id: derived.id,
            command: derived.command,
        })
        .map_err(|error| error.to_string())
}

fn decoded(value: &Value) -> Result<Request, String> {
    Request::deserialize(value).map_err(|error| error.to_string())
}

/// One request of every command, with every payload, framing, socket
/// option and shutdown, and every default field both given and left
/// out.
fn every_command() -> Vec<Value> {
    let commands = [
        Command::TcpListen {
            host: "127.0.0.1".into(),
            port: 9527,
            backlog: 16,
            reuse_addr: true,
            auto_accept: true,
        },
        Command::TcpAccept { socket: 1 },
        Command::AutoAccept {
            socket: 1,
            on: false,
        },
        Command::TcpConnect {
            host: "::1".into(),
            port: 80,
        },
        Command::Send {
            socket: 2,
            payload: Payload::Hex(Bytes::from(vec![0, 1, 255])),
            repeat: 3,
            interval_ms: 10,
            framing: Framing::Ascii4,
        },
        Command::Send {
            socket: 2,
            payload: Payload::Text("h\u{e9}llo \"you\"".into()),
            repeat: 1,
            interval_ms: 0,
            framing: Framing::U32Le,
        },
        Command::Send {
            socket: 2,
            payload: Payload::Text(String::new()),
            repeat: 0,
            interval_ms: 0,
            framing: Framing::U32Be,
        },
        Command::Recv {
            socket: 2,
            bufsize: 5,
        },
        Command::AutoRead {
            socket: 2,
            on: true,
            delay_ms: 100,
            bufsize: 7,
        },
        Command::SetOption {
            socket: 2,
            option: SocketOption::TcpNodelay(true),
        },
        Command::SetOption {
            socket: 2,
            option: SocketOption::RecvBuffer(4096),
        },
        Command::SetOption {
            socket: 2,
            option: SocketOption::SendBuffer(8192),
        },
        Command::SetOption {
            socket: 2,
            option: SocketOption::LingerZero,
        },
        Command::Shutdown {
            socket: 2,
            how: ShutdownHow::Read,
        },
        Command::Shutdown {
            socket: 2,
            how: ShutdownHow::Write,
        },
        Command::Shutdown {
            socket: 2,
            how: ShutdownHow::Both,
        },
        Command::Close { socket: 2 },
        Command::UdpBind {
            host: "localhost".into(),
            port: 0,
        },
        Command::SendTo {
            socket: 3,
            host: "127.0.0.1".into(),
            port: 65535,
            payload: Payload::Hex(Bytes::default()),
        },
        Command::RecvFrom {
            socket: 3,
            bufsize: 4,
        },
        Command::Watch {
            ports: vec![9527, 53],
        },
        Command::Watch { ports: Vec::new() },
        Command::SetPath(crate::PathRequest {
            path: crate::PathPreset::Custom,
            seed: 42,
            settings: crate::PathSettings {
                mtu: 1280,
                client_to_server: crate::LinkSettings {
                    delay_ms: 20.5,
                    jitter_ms: 1.0,
                    loss_percent: 2.0,
                    loss_burst: 3.0,
                    reorder_percent: 0.5,
                    duplicate_percent: 0.25,
                    rate_kbps: 20_000,
                    queue_bytes: 65_536,
                },
                server_to_client: crate::LinkSettings::default(),
            },
        }),
    ];
    let mut requests = Vec::new();
    for (n, command) in commands.into_iter().enumerate() {
        let request = Request {
            id: (n % 3 != 0).then_some(n as u64 * 1_000_000_007),
            command,
        };
        requests.push(serde_json::to_value(&request).unwrap());
    }
    // Defaults left out.
    requests.extend([
        json!({"cmd": "tcp_listen", "host": "127.0.0.1", "port": 1}),
        json!({"cmd": "send", "socket": 1, "payload": {"text": "x"}}),
        json!({"cmd": "auto_read", "socket": 1, "on": true}),
        json!({"id": null, "cmd": "auto_read", "socket": 1, "on": false, "delay_ms": 3}),
        json!({"cmd": "set_path", "path": "lan"}),
    ]);
    requests
}

/// Every step's `do` in the lessons the page ships.
fn lesson_commands() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
    let mut commands = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "json") {
            continue;
        }
        let lesson: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for step in lesson["steps"].as_array().unwrap() {
            if let Some(command) = step.get("do") {
                commands.push(command.clone());
            }
        }
    }
    assert!(commands.len() > 100, "{}", commands.len());
    commands
}

#[test]
fn every_command_reads_back_to_the_same_json() {
    let mut names = std::collections::BTreeSet::new();
    for value in every_command().into_iter().chain(lesson_commands()) {
        let text = value.to_string();
        // From text, borrowing `cmd`, and from a tree, copying it.
        let request: Request =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(decoded(&value).as_ref(), Ok(&request), "{text}");
        assert_eq!(derived(&value).as_ref(), Ok(&request), "{text}");
        let command: Command = serde_json::from_str(&text).unwrap();
        assert_eq!(command, request.command, "{text}");
        // Written back, it is the same JSON, with the defaults filled in
        // (the derive's defaults, compared above), in nested settings too.
        let again = serde_json::to_value(&request).unwrap();
        for (key, given) in value.as_object().unwrap() {
            if !given.is_null() {
                assert!(
                    again.get(key).is_some_and(|again| holds(again, given)),
                    "{key}: {text} was written back as {again}"
                );
            }
        }
        let name = request.command.name();
        assert!(Command::NAMES.contains(&name), "{name}");
        names.insert(name);
    }
    // The names the errors quote are exactly the tags the derive writes.
    assert_eq!(names.len(), Command::NAMES.len(), "{names:?}");
}

/// Whether `written` says what `given` said: the same value, where an
/// object may have more keys (defaults filled in) and a number may be
/// written as a float (`100` as `100.0`).
fn holds(written: &Value, given: &Value) -> bool {
    match (written, given) {
        (Value::Object(written), Value::Object(given)) => given
            .iter()
            .all(|(key, value)| written.get(key).is_some_and(|w| holds(w, value))),
        (Value::Number(written), Value::Number(given)) => written.as_f64() == given.as_f64(),
        _ => written == given,
    }
}

/// The typed answer for a request held as a tree, as the relay reads
/// it from text, and the same answer read from the text.
fn typed(value: &Value) -> Result<Request, RequestError> {
    let from_tree = Request::read(value).unwrap();
    let text = value.to_string();
    let mut reader = serde_json::Deserializer::from_str(&text);
    let from_text = Request::read(&mut reader).unwrap();
    assert_eq!(from_tree, from_text, "{text}");
    from_tree
}

/// Each request above and each lesson's command, then the same with
/// one key taken out, its value replaced by one of many wrong ones, or
/// a key added: the decoder accepts what the derive accepts and reads it
/// the same, and a refusal names the key that was changed, whether the
/// request was read from text or from a tree. The one difference is the
/// module documentation's: a socket option written as an array of its
/// variant's position and value is refused.
#[test]
fn the_decoder_accepts_what_the_derive_accepts() {
    let wrong_values = [
        json!("nonsense"),
        json!("zz"),
        json!(""),
        json!(4),
        json!(0),
        json!(-1),
        json!(70000),
        json!(5_000_000_000u64),
        json!(1.5),
        json!(true),
        json!(null),
        json!([]),
        json!([1, 70000]),
        json!({}),
        json!({"hex": "zz"}),
        json!({"hex": "0"}),
        json!({"text": 4}),
        json!({"text": "a", "hex": "00"}),
        json!({"name": "tcp_nodelay"}),
        json!({"name": "recv_buffer", "value": -4}),
        json!({"value": 4, "name": "send_buffer"}),
        json!({"name": "linger"}),
    ];
    // A right value for every key some command has, to add to
    // commands that do not have it.
    let mut right_values = serde_json::Map::new();
    for value in every_command() {
        for (key, given) in value.as_object().unwrap() {
            right_values.insert(key.clone(), given.clone());
        }
    }
    right_values.remove("cmd");
    let mut variants = 0;
    let mut refused = 0;
    let mut codes = std::collections::BTreeSet::new();
    for value in every_command().into_iter().chain(lesson_commands()) {
        let object = value.as_object().unwrap();
        // Each changed request, with the key changed (none when added).
        let mut changed_requests = Vec::new();
        for key in object.keys() {
            let mut removed = value.clone();
            removed.as_object_mut().unwrap().remove(key);
            changed_requests.push((removed, Some(key.clone())));
            for wrong in &wrong_values {
                // The derive also took a number for `cmd`, as the
                // variant's position; nothing writes that, and the
                // decoder takes only names.
                if key == "cmd" && wrong.is_number() {
                    continue;
                }
                let mut changed = value.clone();
                changed[key] = wrong.clone();
                changed_requests.push((changed, Some(key.clone())));
            }
        }
        for (key, right) in &right_values {
            if !object.contains_key(key) {
                let mut added = value.clone();
                added[key] = right.clone();
                changed_requests.push((added, None));
            }
        }
        for note in [json!("a teacher's note"), json!({"deep": [1, {"x": null}]})] {
            let mut added = value.clone();
            added["note"] = note;
            changed_requests.push((added, None));
        }
        for (changed, key) in changed_requests {
            let text = changed.to_string();
            // The derive reads a struct from a list of its fields in
            // order (an option, a link's settings); the decoder takes only
            // objects.
            let by_position = |key: &str| {
                changed[key]
                    .as_array()
                    .is_some_and(|list| list.first().is_none_or(Value::is_number))
            };
            let option_by_position = by_position("option")
                || by_position("client_to_server")
                || by_position("server_to_client");
            let typed = typed(&changed);
            match (&typed, derived(&changed)) {
                (Ok(request), Ok(reference)) => assert_eq!(request, &reference, "{text}"),
                (Err(error), Err(_)) => {
                    refused += 1;
                    let field = error.field.map(Field::name);
                    assert_eq!(field, key.as_deref(), "{text}: {error}");
                    codes.insert(format!("{:?}", error.code()));
                }
                (Err(_), Ok(_)) if option_by_position => {}
                (found, expected) => {
                    panic!("{text}\n  decoded: {found:?}\n  derived: {expected:?}")
                }
            }
            // serde's reading gives the same answer, in the typed
            // error's words.
            assert_eq!(
                decoded(&changed),
                typed.clone().map_err(|error| error.to_string()),
                "{text}"
            );
            if option_by_position {
                continue;
            }
            // From text, as a lesson is read, what is taken is the same.
            let from_text = serde_json::from_str::<Request>(&text).ok();
            assert_eq!(from_text, derived(&changed).ok(), "{text}");
            // A command read alone, as a lesson step's `do`, is read
            // as the derive read `Command` alone, `id` aside.
            let mut alone = changed.clone();
            alone.as_object_mut().unwrap().remove("id");
            let alone_text = alone.to_string();
            assert_eq!(
                serde_json::from_str::<Option<Command>>(&alone_text).ok(),
                DerivedCommand::deserialize(&alone).ok().map(Some),
                "{alone_text}"
            );
            variants += 1;
        }
    }
    assert!(variants > 10_000, "{variants}");
    assert!(refused > variants / 4, "{refused} of {variants}");
    // Every code a request's own content can earn was earned.
    for code in ["UnknownCommand", "InvalidField", "BadPort", "InvalidHex"] {
        assert!(codes.contains(code), "{code}: {codes:?}");
    }
}

/// A frame with several problems is refused for the one looked at
/// first: `cmd` missing, then the id, then the command's name, then its
/// fields in the command's order, whatever the order of the keys.
#[test]
fn problems_are_found_in_a_fixed_order() {
    let cases = [
        (
            json!({"id": "x", "socket": 1}),
            Field::Cmd,
            ErrorCode::UnknownCommand,
        ),
        (
            json!({"cmd": "fly", "id": "x"}),
            Field::Id,
            ErrorCode::InvalidField,
        ),
        (
            json!({"socket": "two", "cmd": "fly", "payload": {"hex": "zz"}}),
            Field::Cmd,
            ErrorCode::UnknownCommand,
        ),
        (
            json!({"payload": {"hex": "zz"}, "cmd": "send", "socket": "x"}),
            Field::Socket,
            ErrorCode::InvalidField,
        ),
        (
            json!({"cmd": "send", "payload": {"hex": "zz"}, "socket": 1}),
            Field::Payload,
            ErrorCode::InvalidHex,
        ),
        (
            json!({"port": 70000, "cmd": "tcp_connect", "host": 4}),
            Field::Host,
            ErrorCode::InvalidField,
        ),
        (
            json!({"cmd": "tcp_connect", "host": "h", "port": "http"}),
            Field::Port,
            ErrorCode::BadPort,
        ),
        (
            json!({"cmd": "tcp_connect", "host": "h", "port": -1}),
            Field::Port,
            ErrorCode::BadPort,
        ),
        (
            json!({"cmd": "recv", "socket": "hex", "bufsize": 8}),
            Field::Socket,
            ErrorCode::InvalidField,
        ),
        (
            json!({"cmd": "watch", "ports": [80, 70000]}),
            Field::Ports,
            ErrorCode::InvalidField,
        ),
    ];
    for (value, field, code) in cases {
        let error = typed(&value).unwrap_err();
        assert_eq!((error.field, error.code()), (Some(field), code), "{value}");
    }
    // Not an object at all: nothing to name.
    let error = typed(&json!([1, 2])).unwrap_err();
    assert_eq!(
        (error.field, error.code()),
        (None, ErrorCode::MalformedJson)
    );
    // Keys given twice are refused, as serde's derive refused them.
    let text = r#"{"cmd": "close", "socket": 1, "socket": 2}"#;
    let error = Request::read(&mut serde_json::Deserializer::from_str(text))
        .unwrap()
        .unwrap_err();
    assert_eq!(error.field, Some(Field::Socket));
}

#[test]
fn errors_name_the_field() {
    let cases = [
        (
            r#"{"id":1,"socket":3}"#,
            "missing \"cmd\": say which command to run, such as \"tcp_listen\" \
             at line 1 column 19",
        ),
        (
            r#"{"cmd":"fly","socket":3}"#,
            "unknown command \"fly\": use one of `tcp_listen`, `tcp_accept`, \
             `auto_accept`, `tcp_connect`, `send`, `recv`, `auto_read`, `set_option`, \
             `shutdown`, `close`, `udp_bind`, `send_to`, `recv_from`, `watch`, `set_path` \
             (docs/PROTOCOL.md describes each) at line 1 column 24",
        ),
        (
            r#"{"cmd":"recv","socket":3}"#,
            "recv: missing field `bufsize`: this command needs it at line 1 column 25",
        ),
        (
            r#"{"cmd":"send_to","host":"h"}"#,
            "send_to: missing field `socket`: this command needs it at line 1 column 28",
        ),
        (
            r#"{"cmd":"recv","socket":"two","bufsize":1}"#,
            "recv: `socket` must be a whole number from 0 to 4294967295, not string \"two\" \
             at line 1 column 41",
        ),
        (
            r#"{"cmd":"send","socket":1,"repeat":null,"payload":{"text":""}}"#,
            "send: `repeat` must be a whole number from 0 to 4294967295, not null \
             at line 1 column 61",
        ),
        (
            r#"{"cmd":"send","socket":1,"payload":{"hex":"0g"}}"#,
            "send: invalid hex payload: 'g' at position 1 is not a hex digit \
             at line 1 column 48",
        ),
        (
            r#"{"cmd":"send","socket":1,"payload":{"text":""},"framing":"u16"}"#,
            "send: `framing` cannot be \"u16\": use one of `none`, `ascii4`, `u32_le`, \
             `u32_be` at line 1 column 63",
        ),
        (
            r#"{"cmd":"tcp_connect","host":"h","port":70000}"#,
            "tcp_connect: port 70000 is not a port: use a whole number from 1 to 65535 \
             at line 1 column 45",
        ),
        (
            r#"{"id":-1,"cmd":"close","socket":1}"#,
            "close: `id` must be a whole number from 0 to 18446744073709551615, not -1 \
             at line 1 column 34",
        ),
        (
            r#"["close", 1]"#,
            "invalid type: sequence, expected a command object at line 1 column 0",
        ),
    ];
    let wrong = wrong_answers::<Request>(&cases);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
