//! The runner against a pretend relay: numbering, waiting, pauses, steps,
//! replies, failures and lost sessions.

use sockscope_shared::{
    Command, Framing, Lesson, PathPreset, PathRequest, PathSettings, Payload, RecvBody, Reply,
    Request, SocketId, Step, StepAction, Text, Transform,
};

use super::fake_relay::FakeRelay;
use super::runner::SETTLE_MS;
use super::*;
use crate::model::Model;

pub fn step(action: StepAction) -> Step {
    Step {
        note: Text::both("a step"),
        action,
        pause_ms: 0,
        wait: true,
    }
}

pub fn lesson(steps: Vec<Step>) -> Lesson {
    Lesson {
        id: "test".into(),
        title: Text::both("test"),
        explanation: Text::both("test"),
        recording: None,
        path: None,
        steps,
    }
}

fn listen(port: u16) -> Step {
    step(StepAction::Do(Command::TcpListen {
        host: "127.0.0.1".into(),
        port,
        backlog: 5,
        reuse_addr: true,
        auto_accept: false,
    }))
}

fn connect(port: u16) -> Step {
    step(StepAction::Do(Command::TcpConnect {
        host: "127.0.0.1".into(),
        port,
    }))
}

fn accept(socket: SocketId) -> Step {
    step(StepAction::Do(Command::TcpAccept { socket }))
}

fn send(socket: SocketId, text: &str, repeat: u32, framing: Framing) -> Step {
    step(StepAction::Do(Command::Send {
        socket,
        payload: Payload::Text(text.into()),
        repeat,
        interval_ms: 0,
        framing,
    }))
}

fn recv(socket: SocketId, bufsize: u32) -> Step {
    step(StepAction::Do(Command::Recv { socket, bufsize }))
}

fn udp_bind(port: u16) -> Step {
    step(StepAction::Do(Command::UdpBind {
        host: "127.0.0.1".into(),
        port,
    }))
}

/// A runner wired to a pretend relay, with a clock that only moves when
/// the runner asks to be woken.
pub struct Drive {
    pub runner: Runner,
    pub relay: FakeRelay,
    pub now: f64,
    pub request: u64,
    /// Every command sent, with its step.
    pub sent: Vec<(usize, Command)>,
    /// Every `set_path` sent outside the steps.
    pub paths: Vec<Command>,
}

impl Drive {
    /// Starts a run (playing or stepping) in a fresh session whose socket
    /// ids start at 7.
    pub fn start(lesson: Lesson, play: bool) -> Drive {
        Drive::start_on(lesson, play, FakeRelay::new(1_000, 7))
    }

    /// Starts a run whose fresh session is `relay`.
    pub fn start_on(lesson: Lesson, play: bool, relay: FakeRelay) -> Drive {
        let mut runner = Runner::new(lesson);
        let old = FakeRelay::new(500, 1);
        runner.observe(&old.model(), 0.0);
        let start = if play { runner.play() } else { runner.step() };
        assert_eq!(start, Start::FreshSession);
        assert_eq!(runner.status(), &Status::Connecting);
        // The old session's events do not start the run.
        runner.observe(&old.model(), 0.0);
        assert_eq!(runner.status(), &Status::Connecting);
        runner.observe(&relay.model(), 0.0);
        Drive {
            runner,
            relay,
            now: 0.0,
            request: 100,
            sent: Vec::new(),
            paths: Vec::new(),
        }
    }

    fn clock(&self) -> Now {
        Now {
            unix_ms: self.now,
            utc_offset_minutes: 0,
        }
    }

    /// One poll: sends what it says (and lets the relay answer), or moves
    /// the clock to when it wants waking. Returns what the poll said.
    pub fn once(&mut self) -> Output {
        let output = self.runner.poll(self.clock());
        match &output {
            Output::Send { step, command } => {
                self.request += 1;
                self.runner.sent(*step, self.request, self.now);
                self.sent.push((*step, command.clone()));
                self.relay.answer(&Request {
                    id: Some(self.request),
                    command: command.clone(),
                });
                self.runner.observe(&self.relay.model(), self.now);
            }
            Output::SetPath { command } => {
                self.request += 1;
                self.runner.path_sent(self.request);
                self.paths.push(command.clone());
                self.relay.answer(&Request {
                    id: Some(self.request),
                    command: command.clone(),
                });
                self.runner.observe(&self.relay.model(), self.now);
            }
            Output::WakeAt(t) => self.now = *t,
            Output::Idle => {}
        }
        output
    }

    /// Polls until the runner has nothing to do.
    pub fn settle(&mut self) {
        for _ in 0..1000 {
            if self.once() == Output::Idle {
                return;
            }
        }
        panic!("the runner never went idle");
    }
}

fn sticky() -> Lesson {
    let mut pile_up = recv(3, 1024);
    pile_up.pause_ms = 300;
    lesson(vec![
        listen(9503),
        connect(9503),
        accept(1),
        send(2, "one", 1, Framing::None),
        send(2, "two", 3, Framing::None),
        pile_up,
    ])
}

#[test]
fn playing_maps_lesson_numbers_to_relay_ids_and_ends_done() {
    let mut d = Drive::start(sticky(), true);
    assert_eq!(d.runner.status(), &Status::Playing);
    // A fresh session settles before the first step.
    assert_eq!(d.runner.poll(d.clock()), Output::WakeAt(SETTLE_MS));
    d.settle();
    assert_eq!(d.runner.status(), &Status::Done);
    // Lesson sockets 1, 2, 3 are the relay's 7, 8, 9.
    assert_eq!(d.sent[2].1, Command::TcpAccept { socket: 7 });
    assert!(matches!(d.sent[3].1, Command::Send { socket: 8, .. }));
    assert_eq!(
        d.sent[5].1,
        Command::Recv {
            socket: 9,
            bufsize: 1024
        }
    );
    assert_eq!(d.runner.relay_socket(3), Some(9));
    let states = d.runner.states();
    assert_eq!(
        states[5],
        StepState::Done {
            result: StepResult::Call {
                label: "recv(1024) → 12 bytes \"onetwotwotwo\"".into()
            },
            error: false
        }
    );
    assert_eq!(
        states[4],
        StepState::Done {
            result: StepResult::Call {
                label: "send(\"two\") → 3 bytes (×3)".into()
            },
            error: false
        }
    );
}

#[test]
fn a_pause_counts_from_the_previous_result() {
    let mut d = Drive::start(sticky(), true);
    for _ in 0..20 {
        if let Output::Send { step: 4, .. } = d.once() {
            break;
        }
    }
    let after_sends = d.now;
    assert_eq!(d.once(), Output::WakeAt(after_sends + 300.0));
    assert!(matches!(d.once(), Output::Send { step: 5, .. }));
}

#[test]
fn stepping_sends_one_step_per_click() {
    let mut d = Drive::start(sticky(), false);
    assert_eq!(d.runner.status(), &Status::Paused);
    d.settle();
    assert_eq!(d.sent.len(), 1, "the first click runs the first step");
    assert_eq!(d.runner.next_step(), Some(1));
    assert_eq!(d.runner.step(), Start::Continue);
    d.settle();
    assert_eq!(d.sent.len(), 2);
    // Playing from here goes on to the end, pauses included.
    assert_eq!(d.runner.play(), Start::Continue);
    d.settle();
    assert_eq!(d.runner.status(), &Status::Done);
    assert_eq!(d.sent.len(), 6);
    // Stepping after the end starts a new run in a fresh session.
    assert_eq!(d.runner.step(), Start::FreshSession);
}

#[test]
fn pausing_stops_after_the_step_that_is_out() {
    let mut d = Drive::start(sticky(), true);
    d.now = SETTLE_MS;
    d.once();
    d.runner.pause();
    d.settle();
    assert_eq!(d.sent.len(), 1);
    assert_eq!(d.runner.status(), &Status::Paused);
    d.runner.play();
    d.settle();
    assert_eq!(d.runner.status(), &Status::Done);
}

#[test]
fn a_failed_socket_keeps_its_number_and_halts_a_step_that_needs_it() {
    let refused = lesson(vec![
        connect(9510),
        listen(9510),
        connect(9510),
        accept(2),
        send(1, "never", 1, Framing::None),
    ]);
    let mut d = Drive::start(refused, true);
    d.settle();
    assert!(matches!(
        &d.runner.states()[0],
        StepState::Done { result: StepResult::Call { label }, error: true } if label.contains("ECONNREFUSED")
    ));
    // Socket 2 is the listener (relay 8), not the refused client (relay 7).
    assert_eq!(d.sent[3].1, Command::TcpAccept { socket: 8 });
    assert_eq!(
        d.runner.status(),
        &Status::Halted(Halt::SocketFailed { step: 4, socket: 1 })
    );
    // Playing again starts over.
    assert_eq!(d.runner.play(), Start::FreshSession);
}

#[test]
fn a_refused_command_fails_the_socket_it_was_to_create() {
    let busy = lesson(vec![listen(9509), listen(9509), accept(2)]);
    let mut d = Drive::start(busy, true);
    d.settle();
    assert!(matches!(
        &d.runner.states()[1],
        StepState::Done { result: StepResult::Call { label }, error: true } if label.contains("EADDRINUSE")
    ));
    assert_eq!(
        d.runner.status(),
        &Status::Halted(Halt::SocketFailed { step: 2, socket: 2 })
    );
}

#[test]
fn replies_answer_where_the_datagram_came_from() {
    let udp = lesson(vec![
        udp_bind(9511),
        udp_bind(0),
        step(StepAction::Do(Command::SendTo {
            socket: 2,
            host: "127.0.0.1".into(),
            port: 9511,
            payload: Payload::Text("hello".into()),
        })),
        step(StepAction::Do(Command::RecvFrom {
            socket: 1,
            bufsize: 1024,
        })),
        step(StepAction::Reply(Reply {
            socket: 1,
            transform: Transform::Upper,
        })),
        step(StepAction::Do(Command::RecvFrom {
            socket: 2,
            bufsize: 1024,
        })),
    ]);
    let mut d = Drive::start(udp, true);
    d.settle();
    assert_eq!(d.runner.status(), &Status::Done);
    // The client was bound to port 0; the fake gave it 50009.
    assert_eq!(
        d.sent[4].1,
        Command::SendTo {
            socket: 7,
            host: "127.0.0.1".into(),
            port: 50_009,
            payload: Payload::Text("HELLO".into()),
        }
    );
    assert!(
        d.relay
            .labels()
            .last()
            .is_some_and(|l| l.contains("\"HELLO\""))
    );
}

#[test]
fn a_time_server_reply_formats_the_clock() {
    let time = lesson(vec![
        listen(9500),
        connect(9500),
        accept(1),
        send(2, "%Y-%m-%d", 1, Framing::None),
        recv(3, 64),
        step(StepAction::Reply(Reply {
            socket: 3,
            transform: Transform::Strftime,
        })),
    ]);
    let mut d = Drive::start(time, true);
    // 2021-11-13 02:06:11 UTC.
    d.now = 1_636_769_171_000.0;
    d.settle();
    assert!(matches!(
        &d.sent[5].1,
        Command::Send { socket: 9, payload: Payload::Text(t), .. } if t == "2021-11-13"
    ));
}

#[test]
fn a_body_read_takes_the_length_its_header_announced() {
    let framed = |framing: Framing| {
        lesson(vec![
            listen(9505),
            connect(9505),
            accept(1),
            send(2, "sticky packets", 1, framing),
            recv(3, 4),
            step(StepAction::RecvBody(RecvBody { socket: 3, framing })),
        ])
    };
    for framing in [Framing::Ascii4, Framing::U32Le, Framing::U32Be] {
        let mut d = Drive::start(framed(framing), true);
        d.settle();
        assert_eq!(
            d.sent[5].1,
            Command::Recv {
                socket: 9,
                bufsize: 14
            },
            "{framing:?}"
        );
    }
    // Reading a little-endian header as big-endian finds no sane length.
    let mut wrong = framed(Framing::U32Le);
    wrong.steps[5] = step(StepAction::RecvBody(RecvBody {
        socket: 3,
        framing: Framing::Ascii4,
    }));
    let mut d = Drive::start(wrong, true);
    d.settle();
    assert_eq!(
        d.runner.status(),
        &Status::Halted(Halt::NotAHeader {
            step: 5,
            socket: 3,
            data: vec![14, 0, 0, 0],
            framing: Framing::Ascii4
        })
    );
}

#[test]
fn a_step_that_does_not_wait_lets_the_next_go_but_not_one_that_needs_its_socket() {
    let mut early = accept(1);
    early.wait = false;
    let lesson = lesson(vec![
        listen(9507),
        early,
        connect(9507),
        send(2, "hi", 1, Framing::None),
    ]);
    let mut d = Drive::start(lesson, true);
    d.now = SETTLE_MS;
    d.once();
    // accept() blocks: nobody has connected.
    assert!(matches!(d.once(), Output::Send { step: 1, .. }));
    assert_eq!(d.runner.states()[1], StepState::Sent);
    // The connect goes at once, and unblocks the accept.
    assert!(matches!(d.once(), Output::Send { step: 2, .. }));
    d.settle();
    assert_eq!(d.runner.status(), &Status::Done);
    assert!(matches!(d.sent[3].1, Command::Send { socket: 9, .. }));
}

#[test]
fn a_socket_still_being_created_holds_back_the_step_that_names_it() {
    let mut early = accept(1);
    early.wait = false;
    let lesson = lesson(vec![listen(9507), early, recv(2, 10)]);
    let mut d = Drive::start(lesson, true);
    d.settle();
    // Nobody connects, so accept never returns, and recv waits for it.
    assert_eq!(d.sent.len(), 2);
    assert_eq!(d.runner.status(), &Status::Playing);
    assert_eq!(d.runner.poll(d.clock()), Output::Idle);
}

#[test]
fn a_new_session_during_a_run_halts_it() {
    let mut d = Drive::start(sticky(), true);
    d.now = SETTLE_MS;
    d.once();
    let restarted = FakeRelay::new(9_000, 1);
    d.runner.observe(&restarted.model(), d.now);
    assert_eq!(d.runner.status(), &Status::Halted(Halt::SessionEnded));
    assert_eq!(d.runner.poll(d.clock()), Output::Idle);
    // Starting over waits for yet another session, not this one.
    assert_eq!(d.runner.play(), Start::FreshSession);
    d.runner.observe(&restarted.model(), d.now);
    assert_eq!(d.runner.status(), &Status::Connecting);
    d.runner.observe(&Model::default(), d.now);
    assert_eq!(d.runner.status(), &Status::Connecting);
}

#[test]
fn a_command_the_page_could_not_send_halts_the_run() {
    let mut d = Drive::start(sticky(), true);
    d.now = SETTLE_MS;
    let Output::Send { step, .. } = d.runner.poll(d.clock()) else {
        panic!("the first step should go");
    };
    d.runner.not_sent(step, "not connected".into());
    assert_eq!(
        d.runner.status(),
        &Status::Halted(Halt::NotSent {
            step: 0,
            message: "not connected".into()
        })
    );
    d.runner.start_over();
    assert_eq!(d.runner.status(), &Status::Ready);
    assert!(d.runner.states().iter().all(|s| *s == StepState::NotRun));
}

#[test]
fn a_lesson_chosen_mid_session_waits_for_a_newer_session() {
    let mut d = Drive::start(sticky(), true);
    d.settle();
    // The learner picks another lesson and runs it: a late event of the
    // session already seen must not start it.
    d.runner.switch(lesson(vec![listen(9504)]));
    assert_eq!(d.runner.status(), &Status::Ready);
    assert_eq!(d.runner.play(), Start::FreshSession);
    d.runner.observe(&d.relay.model(), d.now);
    assert_eq!(d.runner.status(), &Status::Connecting);
    let fresh = FakeRelay::new(50_000, 1);
    d.runner.observe(&fresh.model(), d.now);
    assert_eq!(d.runner.status(), &Status::Playing);
}

fn on_lab(lesson: Lesson) -> Lesson {
    Lesson {
        path: Some(PathRequest {
            path: PathPreset::Lan,
            seed: 7,
            settings: PathSettings::default(),
        }),
        ..lesson
    }
}

fn set_path(path: PathPreset) -> Step {
    step(StepAction::Do(Command::SetPath(PathRequest {
        path,
        seed: 0,
        settings: PathSettings::default(),
    })))
}

#[test]
fn a_lesson_on_a_path_sets_it_before_its_first_step_and_waits_for_it() {
    let lab = FakeRelay::new(1_000, 7).with_lab();
    let mut d = Drive::start_on(on_lab(sticky()), true, lab);
    // The fresh session settles first, then the path goes before step 1.
    assert_eq!(d.once(), Output::WakeAt(SETTLE_MS));
    assert!(matches!(
        d.once(),
        Output::SetPath {
            command: Command::SetPath(PathRequest {
                path: PathPreset::Lan,
                seed: 7,
                ..
            })
        }
    ));
    assert!(d.sent.is_empty(), "no step before the path event");
    d.settle();
    assert_eq!(d.runner.status(), &Status::Done);
    assert_eq!((d.paths.len(), d.sent.len()), (1, 6));
}

#[test]
fn a_refused_path_stops_the_run_with_the_refusal_and_runs_no_step() {
    let mut d = Drive::start(on_lab(sticky()), true);
    d.settle();
    let Status::Halted(Halt::PathRefused(refusal)) = d.runner.status() else {
        panic!("not stopped by the path: {:?}", d.runner.status());
    };
    assert_eq!(refusal.code, sockscope_shared::ErrorCode::LabUnavailable);
    assert!(d.sent.is_empty());
    let words =
        crate::i18n::lesson::halt(crate::i18n::Lang::En, &Halt::PathRefused(refusal.clone()));
    assert!(
        words.starts_with("Stopped before step 1: the lesson's path"),
        "{words}"
    );
}

#[test]
fn a_loopback_lesson_on_a_lab_session_sets_loopback_first() {
    let mut lab = FakeRelay::new(1_000, 7).with_lab();
    lab.answer(&Request {
        id: Some(1),
        command: Command::SetPath(PathRequest {
            path: PathPreset::Wifi,
            seed: 0,
            settings: PathSettings::default(),
        }),
    });
    let mut d = Drive::start_on(sticky(), true, lab);
    d.settle();
    assert_eq!(d.runner.status(), &Status::Done);
    assert_eq!(d.paths, vec![Command::SetPath(PathRequest::loopback())]);
    // On loopback already, a loopback lesson sets nothing.
    let mut plain = Drive::start(sticky(), true);
    plain.settle();
    assert!(plain.paths.is_empty());
}

#[test]
fn a_path_chosen_while_a_lesson_waits_to_be_run_is_left_alone() {
    let mut relay = FakeRelay::new(1_000, 7).with_lab();
    let mut runner = Runner::new(sticky());
    // The page's first look at the session (its hello) comes before any
    // of its events.
    runner.observe(&relay.model(), 0.0);
    // As the page does: the lesson it shows is fetched, then loaded.
    runner.switch(sticky());
    assert_eq!(runner.status(), &Status::Ready);
    // The learner moves the session onto a lab with the selector.
    relay.answer(&Request {
        id: Some(1),
        command: Command::SetPath(PathRequest {
            path: PathPreset::Internet,
            seed: 0,
            settings: PathSettings::default(),
        }),
    });
    runner.observe(&relay.model(), 10.0);
    assert_eq!(
        runner.poll(Now {
            unix_ms: 10.0,
            utc_offset_minutes: 0,
        }),
        Output::Idle,
        "the open lesson does not take the path back"
    );
}

#[test]
fn opening_another_lesson_after_a_lab_lesson_returns_to_loopback_once() {
    let lab = FakeRelay::new(1_000, 7).with_lab();
    let mut d = Drive::start_on(on_lab(sticky()), true, lab);
    d.settle();
    assert_eq!(d.runner.status(), &Status::Done);
    d.runner.switch(sticky());
    d.runner.observe(&d.relay.model(), d.now);
    assert_eq!(
        d.once(),
        Output::SetPath {
            command: Command::SetPath(PathRequest::loopback())
        }
    );
    assert_eq!(d.runner.status(), &Status::Ready);
    assert_eq!(d.once(), Output::Idle, "asked once, not again");
}

#[test]
fn a_set_path_step_waits_for_the_path_event_and_shows_the_path() {
    let mut steps = sticky().steps;
    steps.insert(3, set_path(PathPreset::Lossy));
    let lab = FakeRelay::new(1_000, 7).with_lab();
    let mut d = Drive::start_on(on_lab(lesson(steps)), true, lab);
    d.settle();
    assert_eq!(d.runner.status(), &Status::Done);
    assert_eq!(
        d.runner.states()[3],
        StepState::Done {
            result: StepResult::Path {
                path: PathPreset::Lossy
            },
            error: false
        }
    );
}
