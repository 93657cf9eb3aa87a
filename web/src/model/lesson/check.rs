//! Checking a lesson before it runs, so a teacher's mistake is reported by
//! step, in words, instead of surfacing as a strange error on a real socket
//! halfway through a class.
//!
//! The checker walks the steps in order and keeps the sockets the lesson
//! has created so far, by lesson number, with their kind and whether a step
//! has closed them. A step may only name a socket that exists at that
//! point, is still open and is of a kind that takes the command.

use sockscope_shared::{Command, Framing, Lesson, SocketId, StepAction, Text};

use super::script::{self, Kind, Needs};

/// One thing wrong with a lesson. Steps are counted from 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The id is empty or has characters other than `a-z`, `0-9` and `-`.
    BadId {
        id: String,
    },
    /// A text has neither language.
    NoText {
        field: Field,
    },
    NoSteps,
    /// The step names a socket no earlier step created.
    NoSuchSocket {
        step: usize,
        socket: SocketId,
        created: usize,
    },
    /// The step names a socket an earlier step closed.
    Closed {
        step: usize,
        socket: SocketId,
        closed_by: usize,
    },
    /// The step's command does not apply to this kind of socket.
    WrongKind {
        step: usize,
        socket: SocketId,
        is: Kind,
        needs: Needs,
    },
    /// `auto_accept` would create sockets that have no lesson number.
    AutoAccept {
        step: usize,
    },
    /// A reply or a body read on a socket no earlier step received on.
    NothingReceived {
        step: usize,
        socket: SocketId,
    },
    /// `recv_body` needs a framing with a header.
    NoHeader {
        step: usize,
    },
}

/// Which text of a lesson a [`Problem::NoText`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title,
    Explanation,
    Note { step: usize },
}

/// A socket as the checker follows it.
struct Known {
    kind: Kind,
    closed_by: Option<usize>,
    received: bool,
}

/// Everything wrong with `lesson`; empty when it can run.
pub fn check(lesson: &Lesson) -> Vec<Problem> {
    let mut problems = Vec::new();
    let id_ok = !lesson.id.is_empty()
        && lesson
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        problems.push(Problem::BadId {
            id: lesson.id.clone(),
        });
    }
    let mut texts = vec![
        (Field::Title, &lesson.title),
        (Field::Explanation, &lesson.explanation),
    ];
    texts.extend(
        lesson
            .steps
            .iter()
            .enumerate()
            .map(|(step, s)| (Field::Note { step }, &s.note)),
    );
    for (field, text) in texts {
        if is_blank(text) {
            problems.push(Problem::NoText { field });
        }
    }
    if lesson.steps.is_empty() {
        problems.push(Problem::NoSteps);
    }

    let mut sockets: Vec<Known> = Vec::new();
    for (step, s) in lesson.steps.iter().enumerate() {
        if script::accepts_automatically(&s.action) {
            problems.push(Problem::AutoAccept { step });
        }
        if let Some((socket, needs)) = script::named(&s.action) {
            let index = usize::try_from(socket).ok().and_then(|n| n.checked_sub(1));
            match index.and_then(|i| sockets.get_mut(i)) {
                None => problems.push(Problem::NoSuchSocket {
                    step,
                    socket,
                    created: sockets.len(),
                }),
                Some(known) => {
                    if let Some(closed_by) = known.closed_by {
                        problems.push(Problem::Closed {
                            step,
                            socket,
                            closed_by,
                        });
                    } else if !needs.accepts(known.kind) {
                        problems.push(Problem::WrongKind {
                            step,
                            socket,
                            is: known.kind,
                            needs,
                        });
                    }
                    match &s.action {
                        StepAction::Do(Command::Close { .. }) => known.closed_by = Some(step),
                        StepAction::Do(Command::Recv { .. } | Command::RecvFrom { .. }) => {
                            known.received = true;
                        }
                        StepAction::Reply(_) if !known.received => {
                            problems.push(Problem::NothingReceived { step, socket });
                        }
                        StepAction::RecvBody(body) => {
                            if !known.received {
                                problems.push(Problem::NothingReceived { step, socket });
                            }
                            if body.framing == Framing::None {
                                problems.push(Problem::NoHeader { step });
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        if let Some(kind) = script::step_creates(&s.action) {
            sockets.push(Known {
                kind,
                closed_by: None,
                received: false,
            });
        }
    }
    problems
}

fn is_blank(text: &Text) -> bool {
    text.en.trim().is_empty() && text.zh.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockscope_shared::{Payload, RecvBody, Reply, Step, Transform};

    fn step(action: StepAction) -> Step {
        Step {
            note: Text::both("a step"),
            action,
            pause_ms: 0,
            wait: true,
        }
    }

    fn lesson(steps: Vec<StepAction>) -> Lesson {
        Lesson {
            id: "test-1".into(),
            title: Text::both("title"),
            explanation: Text::both("why"),
            recording: None,
            path: None,
            steps: steps.into_iter().map(step).collect(),
        }
    }

    fn listen(port: u16) -> StepAction {
        StepAction::Do(Command::TcpListen {
            host: "127.0.0.1".into(),
            port,
            backlog: 5,
            reuse_addr: true,
            auto_accept: false,
        })
    }

    fn connect(port: u16) -> StepAction {
        StepAction::Do(Command::TcpConnect {
            host: "127.0.0.1".into(),
            port,
        })
    }

    fn recv(socket: SocketId) -> StepAction {
        StepAction::Do(Command::Recv { socket, bufsize: 4 })
    }

    #[test]
    fn a_sound_lesson_has_no_problems() {
        let ok = lesson(vec![
            listen(9500),
            connect(9500),
            StepAction::Do(Command::TcpAccept { socket: 1 }),
            StepAction::Do(Command::Send {
                socket: 2,
                payload: Payload::Text("0002hi".into()),
                repeat: 1,
                interval_ms: 0,
                framing: Framing::None,
            }),
            recv(3),
            StepAction::RecvBody(RecvBody {
                socket: 3,
                framing: Framing::Ascii4,
            }),
            StepAction::Reply(Reply {
                socket: 3,
                transform: Transform::Upper,
            }),
            StepAction::Do(Command::Close { socket: 1 }),
        ]);
        assert_eq!(check(&ok), vec![]);
    }

    #[test]
    fn sockets_must_exist_be_open_and_fit_the_command() {
        let bad = lesson(vec![
            listen(9500),
            recv(2),
            recv(1),
            StepAction::Do(Command::Close { socket: 1 }),
            StepAction::Do(Command::TcpAccept { socket: 1 }),
        ]);
        assert_eq!(
            check(&bad),
            vec![
                Problem::NoSuchSocket {
                    step: 1,
                    socket: 2,
                    created: 1
                },
                Problem::WrongKind {
                    step: 2,
                    socket: 1,
                    is: Kind::Listener,
                    needs: Needs::Kind(Kind::Stream)
                },
                Problem::Closed {
                    step: 4,
                    socket: 1,
                    closed_by: 3
                },
            ]
        );
    }

    #[test]
    fn a_failed_connect_still_takes_a_number() {
        // Socket 1 is the refused client, 2 the listener: accept on 2.
        let numbered = lesson(vec![
            connect(9510),
            listen(9510),
            StepAction::Do(Command::TcpAccept { socket: 2 }),
        ]);
        assert_eq!(check(&numbered), vec![]);
        let off_by_one = lesson(vec![
            connect(9510),
            listen(9510),
            StepAction::Do(Command::TcpAccept { socket: 1 }),
        ]);
        assert!(matches!(
            check(&off_by_one).as_slice(),
            [Problem::WrongKind { step: 2, .. }]
        ));
    }

    #[test]
    fn ids_texts_replies_and_automatic_accepts_are_checked() {
        let mut bad = lesson(vec![
            StepAction::Do(Command::TcpListen {
                host: "127.0.0.1".into(),
                port: 9500,
                backlog: 5,
                reuse_addr: false,
                auto_accept: true,
            }),
            connect(9500),
            StepAction::Reply(Reply {
                socket: 2,
                transform: Transform::Same,
            }),
            StepAction::RecvBody(RecvBody {
                socket: 2,
                framing: Framing::None,
            }),
        ]);
        bad.id = "Not OK".into();
        bad.title = Text::default();
        bad.steps[1].note = Text::both("  ");
        assert_eq!(
            check(&bad),
            vec![
                Problem::BadId {
                    id: "Not OK".into()
                },
                Problem::NoText {
                    field: Field::Title
                },
                Problem::NoText {
                    field: Field::Note { step: 1 }
                },
                Problem::AutoAccept { step: 0 },
                Problem::NothingReceived { step: 2, socket: 2 },
                Problem::NothingReceived { step: 3, socket: 2 },
                Problem::NoHeader { step: 3 },
            ]
        );
        assert_eq!(check(&lesson(vec![])), vec![Problem::NoSteps]);
    }
}
