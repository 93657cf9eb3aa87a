//! Lessons: an experiment from a socket tutorial, written down as data so
//! the page can run it on real sockets, one step at a time.
//!
//! A lesson is a title, an explanation (what to look for and why it
//! happens), and a list of steps. Each step is one command of the relay's
//! protocol ([`Command`], as in `docs/PROTOCOL.md`) with a note for the
//! learner, or one of two small helpers that play the part of a program's
//! logic ([`StepAction::Reply`], [`StepAction::RecvBody`]).
//!
//! Sockets are named by **lesson numbers**, not relay ids: the first socket
//! the lesson creates is 1, the next 2, and so on, in the order of the steps
//! that create them. Every `tcp_listen`, `tcp_connect`, `udp_bind` and
//! `tcp_accept` step creates one, whether it succeeds or not. The relay
//! hands out its own ids at run time; the page's lesson runner maps one to
//! the other, so a lesson reads the same in every session.
//!
//! A lesson runs on loopback unless it names a **path** ([`Lesson::path`]):
//! a network lab whose client and server are two real TCP/IP stacks in
//! namespaces of their own, joined by a path with an MTU, delay and loss
//! (`path.rs`). The page sets that path before the first step, and a step
//! may change it midway with a `set_path` command (a link that goes dark
//! for three seconds: loss 100%, a pause, the path restored).
//!
//! Every text comes in English and Simplified Chinese ([`Text`]).
//! `docs/LESSONS.md` documents the format for teachers; the lessons the page
//! ships are in the repository's `lessons/` folder.
//!
//! ```json
//! {
//!   "id": "sticky-small-sends",
//!   "title": {"en": "Sticky packets: quick sends, one recv", "zh": "粘包：连续小包，一次 recv"},
//!   "explanation": {"en": "Three send() calls, one recv()...", "zh": "三次 send()，一次 recv()……"},
//!   "recording": "03-sticky-small-sends",
//!   "steps": [
//!     {"note": {"en": "Open the server.", "zh": "打开服务端。"},
//!      "do": {"cmd": "tcp_listen", "host": "127.0.0.1", "port": 9503, "reuse_addr": true}},
//!     {"note": {"en": "Connect a client.", "zh": "客户端连接。"},
//!      "do": {"cmd": "tcp_connect", "host": "127.0.0.1", "port": 9503}},
//!     {"note": {"en": "accept() it.", "zh": "accept() 它。"},
//!      "do": {"cmd": "tcp_accept", "socket": 1}},
//!     {"note": {"en": "Send three times.", "zh": "发送三次。"},
//!      "do": {"cmd": "send", "socket": 2, "payload": {"text": "one"}, "repeat": 3}},
//!     {"note": {"en": "One recv() gets them all.", "zh": "一次 recv() 全部收到。"},
//!      "pause_ms": 300,
//!      "do": {"cmd": "recv", "socket": 3, "bufsize": 1024}}
//!   ]
//! }
//! ```

use serde::{Deserialize, Serialize};

use crate::{Command, Framing, PathRequest, SocketId};

/// One experiment, ready to run.
///
/// ```json
/// {"id": "refused", "title": {"en": "Connection refused", "zh": "连接被拒绝"},
///  "explanation": {"en": "Nothing listens on the port...", "zh": "端口上没有程序在监听……"},
///  "steps": [{"note": {"en": "Connect.", "zh": "连接。"},
///             "do": {"cmd": "tcp_connect", "host": "127.0.0.1", "port": 9510}}]}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lesson {
    /// The lesson's name in links (`?lesson=refused`): lowercase letters,
    /// digits and dashes.
    pub id: String,
    pub title: Text,
    /// What to look for, and why it happens.
    pub explanation: Text,
    /// The reference recording of the same experiment (`03-sticky-small-sends`),
    /// when there is one, for comparing a run with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    /// The path the lesson runs on: a network lab's ([`PathRequest`], the
    /// `set_path` command's fields without `cmd`), set before the first
    /// step; absent for loopback. A path is what makes MSS-sized segments,
    /// delayed ACKs across a real RTT, and losses possible: on loopback
    /// there are none of them.
    ///
    /// ```json
    /// {"path": "custom", "seed": 15220, "mtu": 1500,
    ///  "client_to_server": {"delay_ms": 5, "loss_percent": 2},
    ///  "server_to_client": {"delay_ms": 5}}
    /// ```
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathRequest>,
    pub steps: Vec<Step>,
}

/// A text in each language the page speaks. A lesson may leave one out;
/// the page then shows the other.
///
/// ```json
/// {"en": "Connect a client.", "zh": "客户端连接。"}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub en: String,
    /// Simplified Chinese.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub zh: String,
}

/// One step: one command on the relay, and what the learner should see.
///
/// ```json
/// {"note": {"en": "recv(1024) takes all 15 bytes at once.", "zh": "recv(1024) 一次取走全部 15 字节。"},
///  "pause_ms": 300, "do": {"cmd": "recv", "socket": 3, "bufsize": 1024}}
/// ```
///
/// In JSON the action is one of the keys `do`, `reply` or `recv_body`; a
/// step with none or several of them is refused with a message saying so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StepFields", into = "StepFields")]
pub struct Step {
    /// What this step does and what to watch for.
    pub note: Text,
    pub action: StepAction,
    /// When the whole lesson plays, wait this long before this step, for
    /// example so that sent bytes pile up in the receive buffer before a
    /// recv(). Stepping by hand ignores it: the learner sets the pace.
    pub pause_ms: u32,
    /// When the whole lesson plays, wait for this step's result before the
    /// next step (the default). `false` moves on at once: for a connect()
    /// that cannot finish until a later step accepts. A later step that
    /// names the socket this one creates still waits for it.
    pub wait: bool,
}

/// What a step does.
///
/// ```json
/// {"do": {"cmd": "recv", "socket": 3, "bufsize": 5}}
/// {"reply": {"socket": 1, "transform": "upper"}}
/// {"recv_body": {"socket": 3, "framing": "ascii4"}}
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum StepAction {
    /// A protocol command, exactly as `docs/PROTOCOL.md` writes it, except
    /// that `socket` is a lesson number. `auto_accept` is not allowed (it
    /// would create sockets no step numbers).
    Do(Command),
    /// The server's logic of an echo or time server: send back what the
    /// last recv() or recvfrom() on `socket` returned, changed as
    /// `transform` says. On a UDP socket it goes to the address the
    /// datagram came from, as `sendto(data, addr)` does.
    Reply(Reply),
    /// A length-prefixed reader's second recv(): `recv(n)`, where `n` is the
    /// length read from the header that the last recv() on `socket`
    /// returned, as `conn.recv(int(header))` does.
    RecvBody(RecvBody),
}

/// The fields of [`StepAction::Reply`].
///
/// ```json
/// {"socket": 1, "transform": "upper"}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub socket: SocketId,
    #[serde(default)]
    pub transform: Transform,
}

/// The fields of [`StepAction::RecvBody`].
///
/// ```json
/// {"socket": 3, "framing": "u32_le"}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecvBody {
    pub socket: SocketId,
    pub framing: Framing,
}

/// A step as written in JSON: the action is whichever of the three keys is
/// present, so that a mistake (none, or two) gets a clear message rather
/// than one of them silently winning.
#[derive(Serialize, Deserialize)]
struct StepFields {
    note: Text,
    #[serde(default, rename = "do", skip_serializing_if = "Option::is_none")]
    command: Option<Command>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reply: Option<Reply>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recv_body: Option<RecvBody>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pause_ms: u32,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    wait: bool,
}

impl TryFrom<StepFields> for Step {
    type Error = String;

    fn try_from(fields: StepFields) -> Result<Step, String> {
        let action = match (fields.command, fields.reply, fields.recv_body) {
            (Some(command), None, None) => StepAction::Do(command),
            (None, Some(reply), None) => StepAction::Reply(reply),
            (None, None, Some(body)) => StepAction::RecvBody(body),
            (None, None, None) => {
                return Err("a step needs one of \"do\", \"reply\" or \"recv_body\"".into());
            }
            _ => {
                return Err(
                    "a step does one thing: give only one of \"do\", \"reply\" or \"recv_body\""
                        .into(),
                );
            }
        };
        Ok(Step {
            note: fields.note,
            action,
            pause_ms: fields.pause_ms,
            wait: fields.wait,
        })
    }
}

impl From<Step> for StepFields {
    fn from(step: Step) -> StepFields {
        let (command, reply, recv_body) = match step.action {
            StepAction::Do(command) => (Some(command), None, None),
            StepAction::Reply(reply) => (None, Some(reply), None),
            StepAction::RecvBody(body) => (None, None, Some(body)),
        };
        StepFields {
            note: step.note,
            command,
            reply,
            recv_body,
            pause_ms: step.pause_ms,
            wait: step.wait,
        }
    }
}

/// How a [`StepAction::Reply`] changes the bytes it sends back.
///
/// ```json
/// "upper"
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// The same bytes: a plain echo.
    #[default]
    Same,
    /// ASCII letters in upper case, as Python's `bytes.upper()`.
    Upper,
    /// The bytes are a `time.strftime` format; the reply is the local time
    /// in that format (`%Y %m %d %H %M %S %y %j %a %A %b %B %p %I %%`).
    Strftime,
}

impl Text {
    /// The same words for every language.
    pub fn both(words: &str) -> Text {
        Text {
            en: words.to_string(),
            zh: words.to_string(),
        }
    }
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Payload;

    /// The example at the top of this file, which docs/LESSONS.md repeats.
    const EXAMPLE: &str = r#"{
      "id": "sticky-small-sends",
      "title": {"en": "Sticky packets: quick sends, one recv", "zh": "粘包：连续小包，一次 recv"},
      "explanation": {"en": "Three send() calls, one recv()...", "zh": "三次 send()，一次 recv()……"},
      "recording": "03-sticky-small-sends",
      "steps": [
        {"note": {"en": "Open the server.", "zh": "打开服务端。"},
         "do": {"cmd": "tcp_listen", "host": "127.0.0.1", "port": 9503, "reuse_addr": true}},
        {"note": {"en": "Connect a client.", "zh": "客户端连接。"},
         "do": {"cmd": "tcp_connect", "host": "127.0.0.1", "port": 9503}},
        {"note": {"en": "accept() it.", "zh": "accept() 它。"},
         "do": {"cmd": "tcp_accept", "socket": 1}},
        {"note": {"en": "Send three times.", "zh": "发送三次。"},
         "do": {"cmd": "send", "socket": 2, "payload": {"text": "one"}, "repeat": 3}},
        {"note": {"en": "One recv() gets them all.", "zh": "一次 recv() 全部收到。"},
         "pause_ms": 300,
         "do": {"cmd": "recv", "socket": 3, "bufsize": 1024}}
      ]
    }"#;

    #[test]
    fn the_documented_example_parses_with_defaults_filled_in() {
        let lesson: Lesson = serde_json::from_str(EXAMPLE).unwrap();
        assert_eq!(lesson.id, "sticky-small-sends");
        assert_eq!(lesson.title.zh, "粘包：连续小包，一次 recv");
        assert_eq!(lesson.steps.len(), 5);
        let last = &lesson.steps[4];
        assert_eq!(last.pause_ms, 300);
        assert!(last.wait, "steps wait for their result unless told not to");
        assert_eq!(
            last.action,
            StepAction::Do(Command::Recv {
                socket: 3,
                bufsize: 1024
            })
        );
        assert_eq!(
            lesson.steps[3].action,
            StepAction::Do(Command::Send {
                socket: 2,
                payload: Payload::Text("one".into()),
                repeat: 3,
                interval_ms: 0,
                framing: Framing::None,
            })
        );
    }

    #[test]
    fn a_lesson_round_trips_through_json() {
        let lesson = Lesson {
            id: "udp-echo".into(),
            title: Text::both("UDP echo"),
            explanation: Text {
                en: "Upper case comes back.".into(),
                zh: String::new(),
            },
            recording: None,
            path: None,
            steps: vec![
                Step {
                    note: Text::both("bind"),
                    action: StepAction::Do(Command::UdpBind {
                        host: "127.0.0.1".into(),
                        port: 9511,
                    }),
                    pause_ms: 0,
                    wait: true,
                },
                Step {
                    note: Text::both("echo"),
                    action: StepAction::Reply(Reply {
                        socket: 1,
                        transform: Transform::Upper,
                    }),
                    pause_ms: 50,
                    wait: false,
                },
                Step {
                    note: Text::both("body"),
                    action: StepAction::RecvBody(RecvBody {
                        socket: 2,
                        framing: Framing::U32Be,
                    }),
                    pause_ms: 0,
                    wait: true,
                },
            ],
        };
        let json = serde_json::to_string(&lesson).unwrap();
        let back: Lesson = serde_json::from_str(&json).unwrap();
        assert_eq!(back, lesson, "{json}");
        // Defaults are left out, so written lessons stay short.
        assert!(!json.contains("\"zh\":\"\""), "{json}");
        assert!(
            json.contains(r#""reply":{"socket":1,"transform":"upper"}"#),
            "{json}"
        );
        assert!(json.contains(r#""wait":false"#), "{json}");
        assert_eq!(json.matches("\"wait\"").count(), 1, "{json}");
    }

    #[test]
    fn a_lesson_names_its_path_as_set_path_does_and_may_change_it_midway() {
        let json = r#"{
          "id": "dark", "title": {"en": "Dark"}, "explanation": {"en": "x"},
          "path": {"path": "custom", "seed": 15220,
                   "client_to_server": {"delay_ms": 5, "loss_percent": 2}},
          "steps": [
            {"note": {"en": "dark"}, "do": {"cmd": "set_path", "path": "lan"}}
          ]
        }"#;
        let lesson: Lesson = serde_json::from_str(json).unwrap();
        let path = lesson.path.clone().unwrap();
        assert_eq!((path.path, path.seed), (crate::PathPreset::Custom, 15220));
        assert_eq!(path.settings.mtu, 1500, "the MTU defaults as in set_path");
        assert_eq!(path.settings.client_to_server.loss_percent, 2.0);
        assert_eq!(
            path.settings.server_to_client,
            crate::LinkSettings::default()
        );
        let StepAction::Do(Command::SetPath(midway)) = &lesson.steps[0].action else {
            panic!("not a set_path step: {:?}", lesson.steps[0]);
        };
        assert_eq!((midway.path, midway.seed), (crate::PathPreset::Lan, 0));
        let back: Lesson = serde_json::from_str(&serde_json::to_string(&lesson).unwrap()).unwrap();
        assert_eq!(back, lesson);
        // Without `path` a lesson runs on loopback, and says nothing of it.
        let plain: Lesson = serde_json::from_str(EXAMPLE).unwrap();
        assert_eq!(plain.path, None);
        assert!(!serde_json::to_string(&plain).unwrap().contains("\"path\""));
        // A misspelt setting is refused, as set_path refuses it.
        let typo = json.replace("loss_percent", "loss_pecent");
        assert!(serde_json::from_str::<Lesson>(&typo).is_err());
    }

    #[test]
    fn a_step_without_an_action_is_refused() {
        let step = r#"{"note": {"en": "nothing to do"}}"#;
        let error = serde_json::from_str::<Step>(step).unwrap_err().to_string();
        assert!(error.contains("needs one of"), "{error}");
        let two =
            r#"{"note": {"en": "x"}, "do": {"cmd": "close", "socket": 1}, "reply": {"socket": 1}}"#;
        let error = serde_json::from_str::<Step>(two).unwrap_err().to_string();
        assert!(error.contains("only one of"), "{error}");
    }
}
