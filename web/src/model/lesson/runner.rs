//! Running a lesson on the relay: which command goes next, when, and on
//! which of the relay's sockets.
//!
//! The runner is plain data driven from outside, so it is tested without a
//! browser. The page's lesson panel calls it at three moments:
//! - [`Runner::play`] or [`Runner::step`] when the learner clicks: the
//!   first click of a run asks for a fresh relay session
//!   ([`Start::FreshSession`]), so every run starts with no sockets and
//!   socket ids from 1, and the diagram shows this run alone;
//! - [`Runner::observe`] whenever the live model changes: results are
//!   matched to steps by request id, and the relay's socket ids are learned
//!   from them (lesson socket *n* is whatever the *n*-th creating step got);
//! - [`Runner::poll`] after either: it says what to send now, or when to
//!   ask again (a step's pause), or nothing (waiting for a result or for
//!   the next click). The panel sends the command and reports the request
//!   id back with [`Runner::sent`].
//!
//! Playing waits for each step's result before the next step (unless the
//! step says `wait: false`), then for its `pause_ms`. A step that names a
//! socket still being created waits for it, whatever the mode.
//!
//! A lesson that names a path ([`Lesson::path`]) has it set before its
//! first step, as part of starting the run: the runner sends its
//! `set_path` ([`Output::SetPath`]) once the fresh session has settled and
//! waits for the relay's `path` event; a refusal (no lab on this relay,
//! for one) stops the run and says why ([`Halt::PathRefused`]). A lesson
//! without a path runs on loopback, and sets loopback first if the session
//! is on a lab. Opening another lesson while the session is on a lab sets
//! loopback too, once; the relay refuses it while sockets are open, and
//! then the next run's fresh session starts on loopback anyway.

use sockscope_shared::{Command, CommandError, EventKind, Framing, Lesson, PathRequest, SocketId};

use super::build::build;
use super::results::{Expect, Flight, Slot, StepState, Tracker};
use super::script;
use super::strftime::Now;
use crate::model::Model;

/// How long to let a fresh session settle before the first step: the old
/// session's sockets are closed by the relay as its WebSocket goes away,
/// and a lesson that listens on the same port must not race them.
pub const SETTLE_MS: f64 = 250.0;

/// Whether the runner goes on by itself or one click at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Play,
    Step,
}

/// Where the run stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Nothing has run yet.
    Ready,
    /// Waiting for the fresh relay session the run asked for.
    Connecting,
    /// Going on by itself.
    Playing,
    /// Waiting for the learner's next click (or for a result to come back).
    Paused,
    /// Every step ran and every result came back.
    Done,
    /// The run cannot go on, and why.
    Halted(Halt),
}

/// Why a run stopped before its end. Steps are counted from 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Halt {
    /// The step names a socket whose creating step failed.
    SocketFailed { step: usize, socket: SocketId },
    /// The step names a socket no earlier step created.
    NoSuchSocket { step: usize, socket: SocketId },
    /// A reply or body read, but no recv() on that socket returned data.
    NothingReceived { step: usize, socket: SocketId },
    /// The last recv() did not return a header of this framing.
    NotAHeader {
        step: usize,
        socket: SocketId,
        data: Vec<u8>,
        framing: Framing,
    },
    /// The command could not be handed to the relay.
    NotSent { step: usize, message: String },
    /// The relay refused the lesson's path (no lab on this relay, or a
    /// setting out of range): no step ran.
    PathRefused(Box<CommandError>),
    /// The lesson's `set_path` could not be handed to the relay.
    PathNotSent { message: String },
    /// The relay session ended during the run: its sockets are gone.
    SessionEnded,
}

/// What the panel should do after [`Runner::poll`].
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send this command for this step, then call [`Runner::sent`].
    Send { step: usize, command: Command },
    /// Send this `set_path`, the lesson's path or loopback, which belongs
    /// to no step; then call [`Runner::path_sent`] (or
    /// [`Runner::path_not_sent`]).
    SetPath { command: Command },
    /// Call [`Runner::poll`] again at this time (milliseconds, the clock of
    /// [`Now::unix_ms`]).
    WakeAt(f64),
    /// Nothing to do until a result comes back or the learner clicks.
    Idle,
}

/// What the panel should do after a click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Open a fresh relay session; the run begins when its hello arrives.
    FreshSession,
    Continue,
}

/// A step handed to the panel and not yet reported sent.
#[derive(Debug, Clone, Copy)]
struct Handed {
    step: usize,
    expect: Expect,
    creates: bool,
    subject: Option<SocketId>,
    silent: bool,
}

/// Where the session's path stands, for this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathPhase {
    /// Nothing to do: the path is the lesson's, or it has been asked for.
    Settled,
    /// To be set before the first step, once the fresh session has
    /// settled: the lesson's path, or loopback if the session is on a lab.
    Due,
    /// Sent as this request: no step goes until the `path` event.
    Out { request: u64 },
    /// Another lesson was opened on a lab: back to loopback, outside any
    /// run, not waited for.
    Restore,
}

/// One run of one lesson.
#[derive(Debug, Clone)]
pub struct Runner {
    lesson: Lesson,
    mode: Mode,
    status: Status,
    /// The next step to send.
    next: usize,
    /// Steps the learner asked for and that are not sent yet (step mode).
    budget: usize,
    tracker: Tracker,
    handed: Option<Handed>,
    /// The session the runner reads (its hello's `t_us`).
    session: Option<u64>,
    /// While connecting: the session to leave behind.
    leaving: Option<u64>,
    /// Events of the session's model already read.
    seen: usize,
    /// No step before this time (the settling of a fresh session).
    ready_at: f64,
    /// When the last waited-for step finished: pauses count from here.
    last_done: f64,
    path: PathPhase,
    /// Whether the session is on a lab path, as its last `path` event said.
    lab: bool,
    /// Loopback was asked for once after a lesson switch, or need not be:
    /// only a lesson opened (switched to) while the session is on a lab
    /// takes the session back to loopback, never a path the learner
    /// chooses while a lesson waits to be run.
    restored: bool,
}

impl Runner {
    pub fn new(lesson: Lesson) -> Runner {
        let steps = lesson.steps.len();
        Runner {
            lesson,
            mode: Mode::Play,
            status: Status::Ready,
            next: 0,
            budget: 0,
            tracker: Tracker::new(steps),
            handed: None,
            session: None,
            leaving: None,
            seen: 0,
            ready_at: 0.0,
            last_done: 0.0,
            path: PathPhase::Settled,
            lab: false,
            restored: true,
        }
    }

    pub fn lesson(&self) -> &Lesson {
        &self.lesson
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// What happened to each step so far.
    pub fn states(&self) -> &[StepState] {
        self.tracker.states()
    }

    /// The step that runs next, if any remain.
    pub fn next_step(&self) -> Option<usize> {
        (self.next < self.lesson.steps.len()).then_some(self.next)
    }

    /// The relay's id of lesson socket `socket`, once known.
    pub fn relay_socket(&self, socket: SocketId) -> Option<SocketId> {
        match self.tracker.slot(socket)? {
            Slot::Open(id) => Some(id),
            Slot::Pending | Slot::Failed => None,
        }
    }

    /// Each lesson socket created so far, from 1, with its relay id once
    /// known.
    pub fn socket_map(&self) -> Vec<(SocketId, Option<SocketId>)> {
        (1..)
            .zip(self.tracker.slots())
            .map(|(number, slot)| match slot {
                Slot::Open(id) => (number, Some(*id)),
                Slot::Pending | Slot::Failed => (number, None),
            })
            .collect()
    }

    /// The step whose answer is awaited, if one is out that playing waits
    /// for.
    pub fn awaited(&self) -> Option<usize> {
        self.tracker
            .states()
            .iter()
            .rposition(|s| *s == StepState::Sent)
            .filter(|_| self.waiting())
    }

    /// Whether a step is out and playing (or the next click) waits for it.
    pub fn waiting(&self) -> bool {
        self.handed.is_some() || self.tracker.waiting()
    }

    /// Play: from the start after a finished or stopped run (in a fresh
    /// session), or on from here after stepping.
    pub fn play(&mut self) -> Start {
        match self.status {
            Status::Ready | Status::Done | Status::Halted(_) => {
                self.restart(Mode::Play, 0);
                Start::FreshSession
            }
            Status::Connecting => {
                self.mode = Mode::Play;
                Start::Continue
            }
            Status::Paused | Status::Playing => {
                self.mode = Mode::Play;
                self.status = Status::Playing;
                Start::Continue
            }
        }
    }

    /// Stops playing after the step that is out; the next click steps.
    pub fn pause(&mut self) {
        self.mode = Mode::Step;
        self.budget = 0;
        if self.status == Status::Playing {
            self.status = Status::Paused;
        }
    }

    /// One more step: the first of a new run (in a fresh session), the next
    /// one when paused, or a pause when playing.
    pub fn step(&mut self) -> Start {
        match self.status {
            Status::Ready | Status::Done | Status::Halted(_) => {
                self.restart(Mode::Step, 1);
                Start::FreshSession
            }
            Status::Playing => {
                self.pause();
                Start::Continue
            }
            Status::Connecting | Status::Paused => {
                self.mode = Mode::Step;
                self.budget = self.budget.max(1);
                Start::Continue
            }
        }
    }

    /// Forgets the run; the next click starts a new one.
    pub fn start_over(&mut self) {
        self.switch(self.lesson.clone());
    }

    /// Another lesson, ready to run. The session seen so far is kept, so
    /// the next run waits for a session newer than it, never for a late
    /// event of the old one.
    pub fn switch(&mut self, lesson: Lesson) {
        let (session, on_lab) = (self.session, self.lab);
        *self = Runner::new(lesson);
        self.session = session;
        // On a lab now, the lesson opened leaves it (once its first look at
        // the session confirms it); on loopback, nothing is ever restored.
        self.restored = !on_lab;
    }

    fn restart(&mut self, mode: Mode, budget: usize) {
        let session = self.session;
        *self = Runner::new(self.lesson.clone());
        self.mode = mode;
        self.budget = budget;
        self.status = Status::Connecting;
        self.leaving = session;
        self.session = session;
    }

    /// Reads what is new in the live model: a fresh session to start in,
    /// or results of the steps that are out. `now_ms` is the clock of
    /// [`Now::unix_ms`].
    pub fn observe(&mut self, model: &Model, now_ms: f64) {
        let key = session_key(model);
        if self.status == Status::Connecting {
            if key.is_none() || key == self.leaving {
                return;
            }
            self.session = key;
            self.seen = 0;
            self.ready_at = now_ms + SETTLE_MS;
            self.last_done = now_ms;
            self.lab = false;
            self.path = PathPhase::Due;
            self.status = match self.mode {
                Mode::Play => Status::Playing,
                Mode::Step => Status::Paused,
            };
        } else if key != self.session {
            self.session = key;
            self.seen = model.events.len();
            self.lab = false;
            if matches!(self.status, Status::Playing | Status::Paused) {
                self.status = Status::Halted(Halt::SessionEnded);
            }
            return;
        }
        let start = self.seen.min(model.events.len());
        for event in model.events.get(start..).unwrap_or_default() {
            self.on_path_event(&event.kind, now_ms);
            if let Some(landed) = self.tracker.on_event(event)
                && landed.waited
            {
                self.last_done = now_ms;
            }
        }
        self.seen = model.events.len();
        if self.status == Status::Ready
            && self.lab
            && !self.restored
            && self.path == PathPhase::Settled
        {
            self.path = PathPhase::Restore;
        }
        // Only a lab the session was on when the lesson was opened is left:
        // a path the learner chooses later, with the lesson not running,
        // is theirs to keep.
        self.restored = true;
        self.finish_if_done();
    }

    /// What a `path` event, or the refusal of the run's `set_path`, means
    /// for the run.
    fn on_path_event(&mut self, kind: &EventKind, now_ms: f64) {
        let out = match self.path {
            PathPhase::Out { request } => Some(request),
            _ => None,
        };
        match kind {
            EventKind::Path(state) => {
                self.lab = state.path.is_lab();
                if out.is_some() && state.request == out {
                    self.path = PathPhase::Settled;
                    self.last_done = now_ms;
                }
            }
            EventKind::CommandError(refusal) if out.is_some() && refusal.request == out => {
                self.path = PathPhase::Settled;
                if matches!(self.status, Status::Playing | Status::Paused) {
                    self.status = Status::Halted(Halt::PathRefused(Box::new(refusal.clone())));
                }
            }
            _ => {}
        }
    }

    fn finish_if_done(&mut self) {
        if matches!(self.status, Status::Playing | Status::Paused)
            && self.path == PathPhase::Settled
            && self.next >= self.lesson.steps.len()
            && !self.tracker.busy()
            && self.handed.is_none()
        {
            self.status = Status::Done;
        }
    }

    /// What to do now: send the next step's command, wait until a time, or
    /// nothing.
    pub fn poll(&mut self, now: Now) -> Output {
        if self.path == PathPhase::Restore && self.status == Status::Ready {
            return Output::SetPath {
                command: Command::SetPath(PathRequest::loopback()),
            };
        }
        if !matches!(self.status, Status::Playing | Status::Paused) || self.waiting() {
            return Output::Idle;
        }
        match self.path {
            PathPhase::Due if now.unix_ms < self.ready_at => return Output::WakeAt(self.ready_at),
            PathPhase::Due => {
                let wanted = self.lesson.path.clone();
                match wanted.or_else(|| self.lab.then(PathRequest::loopback)) {
                    Some(path) => {
                        return Output::SetPath {
                            command: Command::SetPath(path),
                        };
                    }
                    None => self.path = PathPhase::Settled,
                }
            }
            PathPhase::Out { .. } => return Output::Idle,
            PathPhase::Settled | PathPhase::Restore => {}
        }
        let Some(step) = self.lesson.steps.get(self.next) else {
            return Output::Idle;
        };
        if self.mode == Mode::Step && self.budget == 0 {
            return Output::Idle;
        }
        let mut due = self.ready_at;
        if self.mode == Mode::Play {
            due = due.max(self.last_done + f64::from(step.pause_ms));
        }
        if now.unix_ms < due {
            return Output::WakeAt(due);
        }
        let index = self.next;
        let action = step.action.clone();
        match build(&self.tracker, index, &action, now) {
            Ok(Some(command)) => {
                self.handed = Some(Handed {
                    step: index,
                    expect: Expect::of(&command),
                    creates: script::step_creates(&action).is_some(),
                    subject: script::named(&action).map(|(socket, _)| socket),
                    silent: script::answers_silently(&command),
                });
                Output::Send {
                    step: index,
                    command,
                }
            }
            // A socket it needs is still being created: its result wakes us.
            Ok(None) => Output::Idle,
            Err(halt) => {
                self.status = Status::Halted(halt);
                Output::Idle
            }
        }
    }

    /// The command of step `step` left for the relay as request `request`.
    pub fn sent(&mut self, step: usize, request: u64, now_ms: f64) {
        let Some(handed) = self.handed.take().filter(|h| h.step == step) else {
            return;
        };
        let (waits, repeat) = self.lesson.steps.get(step).map_or((true, 1), |s| {
            let repeat = match &s.action {
                sockscope_shared::StepAction::Do(Command::Send { repeat, .. }) => *repeat,
                _ => 1,
            };
            (s.wait, repeat)
        });
        self.next = step + 1;
        self.budget = self.budget.saturating_sub(1);
        if handed.silent {
            self.tracker.done_silently(step);
        } else {
            self.tracker.launch(Flight {
                step,
                request,
                expect: handed.expect,
                creates: handed.creates,
                subject: handed.subject,
                waits,
                repeat,
            });
        }
        if handed.silent || !waits {
            self.last_done = now_ms;
        }
        self.finish_if_done();
    }

    /// The `set_path` of [`Output::SetPath`] left for the relay as request
    /// `request`: the run waits for its `path` event (a restore waits for
    /// nothing).
    pub fn path_sent(&mut self, request: u64) {
        self.path = match self.path {
            PathPhase::Due => PathPhase::Out { request },
            PathPhase::Restore => {
                self.restored = true;
                PathPhase::Settled
            }
            other => other,
        };
    }

    /// The `set_path` of [`Output::SetPath`] could not be sent at all.
    pub fn path_not_sent(&mut self, message: String) {
        if self.path == PathPhase::Due {
            self.status = Status::Halted(Halt::PathNotSent { message });
        }
        self.restored = true;
        self.path = PathPhase::Settled;
    }

    /// The command of step `step` could not be sent at all.
    pub fn not_sent(&mut self, step: usize, message: String) {
        self.handed = None;
        self.status = Status::Halted(Halt::NotSent { step, message });
    }
}

/// The session a model belongs to: the time of its hello.
fn session_key(model: &Model) -> Option<u64> {
    model
        .events
        .first()
        .filter(|e| matches!(e.kind, EventKind::Hello(_)))
        .map(|e| e.t_us)
}
