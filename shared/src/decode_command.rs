//! Reading requests and commands from JSON in one pass.
//!
//! A [`Request`] is one flat JSON object: the sender's `id`, the tag `cmd`
//! and the command's own fields, side by side. serde's derive reads that
//! shape with `#[serde(flatten)]` and an internally tagged enum, which first
//! buffer the object into an untyped tree and then decode the tree again
//! for each layer (`Request`, then `Command`). In the page, which reads
//! every lesson step's `do` that way, that decoder was the largest function
//! left outside the views.
//!
//! Here the object is read once into [`WireRequest`], a struct with a slot
//! for every field any command has, and then assembled into the command its
//! `cmd` names, as events are (`decode.rs`, whose helpers this shares). A
//! [`Command`] read alone, as a lesson step's `do`, is read the same way
//! and loses its `id`, if it has one.
//!
//! What is accepted is what the derive accepted, and a request held as a
//! tree (as the relay holds it) is refused in the derive's words: keys in
//! any order, keys no command has ignored, defaults filled in, `null`
//! refused for every field but `id`, and messages such as ``missing field
//! `bufsize` `` or `invalid type: string "two", expected u32`. The relay
//! sorts errors into codes by those words (`relay/src/ws.rs`), and a test
//! holds the decoder to the derive's answers. The differences, all for
//! JSON that nothing writes:
//! - a field that belongs to another command is still read with its type
//!   (`"bufsize": "x"` in a `close` was ignored, and is now an error);
//! - fields are read in the order they come and the command's name is
//!   looked at last, so when both the name and a field are wrong, the field
//!   is reported (the relay checks the name first);
//! - `cmd` must be a name (the derive also took a number, the variant's
//!   position; so it did for a socket option written as an array,
//!   `[1, 4096]`), and a command read alone (a lesson step's `do`) must
//!   be an object whose `id`, if any, is a number;
//! - an unknown command's message names the field (``unknown variant `fly`
//!   in field `cmd`, expected one of …``), and a `cmd` that is not a string
//!   is `expected a string` rather than `expected variant identifier`;
//! - read from text, a payload that is not one `text` or `hex` key is
//!   refused in serde_json's words (`expected value`), as it is anywhere
//!   serde_json reads it directly, not in those of the derive's buffer
//!   (`expected map with a single key`).

use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer};

use crate::decode::{Assemble, ReadThenAssemble, Word, need, unknown};
use crate::{Command, Framing, Payload, Request, ShutdownHow, SocketId, SocketOption};

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ReadThenAssemble::<WireRequest<'de>>(PhantomData))
    }
}

/// Read as a request whose `id` is dropped: a command read alone (a lesson
/// step's `do`) has the same fields, and sharing one decoder keeps the page
/// to one copy of it.
impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Request::deserialize(deserializer).map(|request| request.command)
    }
}

/// Every field a request can carry, as read, before `cmd` says which of
/// them make the command. Keys shared by several commands (`socket`,
/// `host`, `port`, `bufsize`, `on`, `payload`) have the same type in all
/// of them, so one slot serves each.
#[derive(serde::Deserialize)]
struct WireRequest<'a> {
    #[serde(default)]
    id: Option<u64>,
    #[serde(borrow)]
    cmd: Option<Word<'a>>,
    #[serde(default)]
    socket: Given<SocketId>,
    #[serde(default)]
    host: Given<String>,
    #[serde(default)]
    port: Given<u16>,
    #[serde(default)]
    backlog: Given<u32>,
    #[serde(default)]
    reuse_addr: Given<bool>,
    #[serde(default)]
    auto_accept: Given<bool>,
    #[serde(default)]
    on: Given<bool>,
    #[serde(default)]
    payload: Given<Payload>,
    #[serde(default)]
    repeat: Given<u32>,
    #[serde(default)]
    interval_ms: Given<u32>,
    #[serde(default)]
    framing: Given<Framing>,
    #[serde(default)]
    bufsize: Given<u32>,
    #[serde(default)]
    delay_ms: Given<u32>,
    #[serde(default)]
    option: Given<SocketOption>,
    #[serde(default)]
    how: Given<ShutdownHow>,
    #[serde(default)]
    ports: Given<Vec<u16>>,
}

impl Assemble for WireRequest<'_> {
    type Value = Request;
    const EXPECTING: &'static str = "a command object";
    fn assemble(&mut self) -> Result<Request, String> {
        let command = self.take_command()?;
        Ok(Request {
            id: self.id.take(),
            command,
        })
    }
}

impl WireRequest<'_> {
    /// The command `cmd` names, with its fields taken in the order
    /// [`Command`] declares them, so that of several missing fields the
    /// first is reported, as the derive did. Defaults are those
    /// [`Command`] documents.
    fn take_command(&mut self) -> Result<Command, String> {
        let cmd = need(self.cmd.take(), "", "cmd")?;
        Ok(match cmd.as_str() {
            "tcp_listen" => Command::TcpListen {
                host: self.host.need("host")?,
                port: self.port.need("port")?,
                backlog: self.backlog.or(5),
                reuse_addr: self.reuse_addr.or(false),
                auto_accept: self.auto_accept.or(false),
            },
            "tcp_accept" => Command::TcpAccept {
                socket: self.socket.need("socket")?,
            },
            "auto_accept" => Command::AutoAccept {
                socket: self.socket.need("socket")?,
                on: self.on.need("on")?,
            },
            "tcp_connect" => Command::TcpConnect {
                host: self.host.need("host")?,
                port: self.port.need("port")?,
            },
            "send" => Command::Send {
                socket: self.socket.need("socket")?,
                payload: self.payload.need("payload")?,
                repeat: self.repeat.or(1),
                interval_ms: self.interval_ms.or(0),
                framing: self.framing.or(Framing::None),
            },
            "recv" => Command::Recv {
                socket: self.socket.need("socket")?,
                bufsize: self.bufsize.need("bufsize")?,
            },
            "auto_read" => Command::AutoRead {
                socket: self.socket.need("socket")?,
                on: self.on.need("on")?,
                delay_ms: self.delay_ms.or(0),
                bufsize: self.bufsize.or(1024),
            },
            "set_option" => Command::SetOption {
                socket: self.socket.need("socket")?,
                option: self.option.need("option")?,
            },
            "shutdown" => Command::Shutdown {
                socket: self.socket.need("socket")?,
                how: self.how.need("how")?,
            },
            "close" => Command::Close {
                socket: self.socket.need("socket")?,
            },
            "udp_bind" => Command::UdpBind {
                host: self.host.need("host")?,
                port: self.port.need("port")?,
            },
            "send_to" => Command::SendTo {
                socket: self.socket.need("socket")?,
                host: self.host.need("host")?,
                port: self.port.need("port")?,
                payload: self.payload.need("payload")?,
            },
            "recv_from" => Command::RecvFrom {
                socket: self.socket.need("socket")?,
                bufsize: self.bufsize.need("bufsize")?,
            },
            "watch" => Command::Watch {
                ports: self.ports.need("ports")?,
            },
            other => return Err(unknown("", "cmd", other, &Command::NAMES)),
        })
    }
}

/// A command field's value, if the object has its key.
///
/// Not an `Option`, which serde reads `null` into as if the key were
/// absent: that would fill in a default, or report a missing field, where
/// the derive refused the `null` itself (`invalid type: null, expected
/// u32`). Here a `null` goes to the field's own type, which refuses it in
/// those words.
struct Given<T>(Option<T>);

impl<T> Given<T> {
    /// The value, or a missing-field error naming `field`.
    fn need(&mut self, field: &str) -> Result<T, String> {
        need(self.0.take(), "", field)
    }

    /// The value, or `default` when the key was left out.
    fn or(&mut self, default: T) -> T {
        self.0.take().unwrap_or(default)
    }
}

impl<T> Default for Given<T> {
    fn default() -> Self {
        Given(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Given<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(|value| Given(Some(value)))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::*;
    use crate::Bytes;
    use crate::wrong_answers::wrong_answers;

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
            // (the derive's defaults, compared above).
            let again = serde_json::to_value(&request).unwrap();
            for (key, given) in value.as_object().unwrap() {
                if !given.is_null() {
                    assert_eq!(again.get(key), Some(given), "{text}");
                }
            }
            let name = request.command.name();
            assert!(Command::NAMES.contains(&name), "{name}");
            names.insert(name);
        }
        // The names the errors quote are exactly the tags the derive writes.
        assert_eq!(names.len(), Command::NAMES.len(), "{names:?}");
    }

    /// Each request above and each lesson's command, then the same with
    /// one key taken out, its value replaced by one of many wrong ones, or
    /// a key added: the decoder accepts what the derive accepts, reads it
    /// the same, and refuses the rest in the derive's words, so that the
    /// relay, which sorts errors by those words, gives each the same code.
    /// The differences are those the module's documentation lists: a `cmd`
    /// that is not a known name (which the relay refuses before decoding)
    /// gets a message of its own, and a socket option written as an array
    /// of its variant's position and value is refused.
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
        let mut differing = 0;
        for value in every_command().into_iter().chain(lesson_commands()) {
            let object = value.as_object().unwrap();
            let mut changed_requests = Vec::new();
            for key in object.keys() {
                let mut removed = value.clone();
                removed.as_object_mut().unwrap().remove(key);
                changed_requests.push(removed);
                for wrong in &wrong_values {
                    // The derive also took a number for `cmd`, as the
                    // variant's position; nothing writes that, and the
                    // decoder takes only names.
                    if key == "cmd" && wrong.is_number() {
                        continue;
                    }
                    let mut changed = value.clone();
                    changed[key] = wrong.clone();
                    changed_requests.push(changed);
                }
            }
            for (key, right) in &right_values {
                if !object.contains_key(key) {
                    let mut added = value.clone();
                    added[key] = right.clone();
                    changed_requests.push(added);
                }
            }
            for note in [json!("a teacher's note"), json!({"deep": [1, {"x": null}]})] {
                let mut added = value.clone();
                added["note"] = note;
                changed_requests.push(added);
            }
            for changed in changed_requests {
                let text = changed.to_string();
                let known_cmd = changed["cmd"]
                    .as_str()
                    .is_some_and(|cmd| Command::NAMES.contains(&cmd));
                let option_by_position = changed["option"][0].is_number();
                match (decoded(&changed), derived(&changed)) {
                    (Ok(request), Ok(reference)) => assert_eq!(request, reference, "{text}"),
                    (Err(error), Err(reference)) => {
                        if error != reference {
                            assert!(
                                !known_cmd,
                                "{text}\n  decoded: {error}\n  derived: {reference}"
                            );
                            differing += 1;
                        }
                    }
                    (Err(_), Ok(_)) if option_by_position => differing += 1,
                    (found, expected) => {
                        panic!("{text}\n  decoded: {found:?}\n  derived: {expected:?}")
                    }
                }
                if option_by_position {
                    continue;
                }
                // From text, as a lesson is read, what is taken is the same;
                // the messages may differ in their position and for a
                // malformed payload (module documentation).
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
        // The differences are few beside what agrees.
        assert!(differing < variants / 4, "{differing} of {variants}");
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                r#"{"id":1,"socket":3}"#,
                "missing field `cmd` at line 1 column 19",
            ),
            (
                r#"{"cmd":"fly","socket":3}"#,
                "unknown variant `fly` in field `cmd`, expected one of `tcp_listen`, \
                 `tcp_accept`, `auto_accept`, `tcp_connect`, `send`, `recv`, `auto_read`, \
                 `set_option`, `shutdown`, `close`, `udp_bind`, `send_to`, `recv_from`, \
                 `watch` at line 1 column 24",
            ),
            (
                r#"{"cmd":"recv","socket":3}"#,
                "missing field `bufsize` at line 1 column 25",
            ),
            (
                r#"{"cmd":"send_to","host":"h"}"#,
                "missing field `socket` at line 1 column 28",
            ),
            (
                r#"{"cmd":"recv","socket":"two","bufsize":1}"#,
                "invalid type: string \"two\", expected u32 at line 1 column 28",
            ),
            (
                r#"{"cmd":"send","socket":1,"repeat":null,"payload":{"text":""}}"#,
                "invalid type: null, expected u32 at line 1 column 38",
            ),
            (
                r#"{"cmd":"send","socket":1,"payload":{"hex":"0g"}}"#,
                "'g' at position 1 is not a hex digit at line 1 column 47",
            ),
            (
                r#"{"cmd":"send","socket":1,"payload":{"text":""},"framing":"u16"}"#,
                "unknown variant `u16`, expected one of `none`, `ascii4`, `u32_le`, \
                 `u32_be` at line 1 column 62",
            ),
            (
                r#"{"id":-1,"cmd":"close","socket":1}"#,
                "invalid value: integer `-1`, expected u64 at line 1 column 8",
            ),
            (
                r#"["close", 1]"#,
                "invalid type: sequence, expected a command object at line 1 column 0",
            ),
        ];
        let wrong = wrong_answers::<Request>(&cases);
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
