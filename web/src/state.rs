//! The page's state, the actions that change it, and the reducer.
//!
//! `App` owns one `use_reducer(State::default)`; components get slices of
//! it as props and send [`Action`]s back through callbacks. Side effects
//! (the WebSocket, timers, files) live in components and `relay`; the
//! reducer itself is plain Rust and is tested natively below.
//!
//! Two models can exist at once: the live session from the relay, and an
//! event log opened from a file. The views show the file while one is open,
//! so studying a recording never mixes with what the relay is doing.

use std::cell::{Ref, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use sockscope_shared::{
    CallResult, CommandError, Event, EventKind, Framing, Limits, OsError, SocketId,
};
use yew::Reducible;

use crate::model::connection::Link;
use crate::model::describe::Numbers;
use crate::model::player::{Pace, Player, Speed};
use crate::model::{Horizon, Model};

/// A model the views share, changed in place.
///
/// A live session grows by thousands of events. Copying it for each batch
/// made every event cost as much as the whole session so far, so the live
/// model is one store the reducer appends to, and what props compare is
/// the store's identity and its version: each batch is a new version, so
/// the views that show the model render again, and comparing costs the
/// same at the millionth event as at the first.
///
/// The reducer is the only writer and runs between renders, never inside
/// one, so a view's [`ModelRef::get`] and the reducer's write never meet.
#[derive(Debug, Clone, Default)]
pub struct ModelRef {
    store: Rc<RefCell<Model>>,
    version: u64,
}

impl PartialEq for ModelRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.store, &other.store) && self.version == other.version
    }
}

impl ModelRef {
    /// A store holding `model`.
    pub fn new(model: Model) -> ModelRef {
        ModelRef {
            store: Rc::new(RefCell::new(model)),
            version: 0,
        }
    }

    /// The model as it is now, for a view to read while it renders.
    pub fn get(&self) -> Ref<'_, Model> {
        self.store.borrow()
    }

    /// Whether `other` is this store, perhaps at another version: the same
    /// session or file, grown or not.
    pub fn same_store(&self, other: &ModelRef) -> bool {
        Rc::ptr_eq(&self.store, &other.store)
    }

    /// Folds `event` into the store. Should something still be reading
    /// it (nothing does between renders), the store is copied first, so
    /// that the reader keeps what it had and nothing panics.
    fn apply(&mut self, event: Event) {
        if let Ok(mut model) = self.store.try_borrow_mut() {
            model.apply(event);
            return;
        }
        let mut copy = self.get().clone();
        copy.apply(event);
        self.store = Rc::new(RefCell::new(copy));
    }

    /// Marks the store changed, so props that hold it compare unequal.
    fn bump(&mut self) {
        self.version = self.version.wrapping_add(1);
    }
}

/// An event log or capture opened from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenLog {
    pub name: String,
    pub model: ModelRef,
    /// What the page must say about the file: packets skipped, recv()
    /// boundaries unknown, a file cut short.
    pub notes: Vec<String>,
}

/// What a form shows under it, kept as data so that it is worded in the
/// page's language when shown (`i18n::refusal::form_note`).
#[derive(Debug, Clone, PartialEq)]
pub enum FormNote {
    /// A check the form made before sending, already worded.
    Local(String),
    /// The relay refused the command.
    Refused(CommandError),
    /// The socket call failed: the kernel's errno.
    Failed(OsError),
}

/// The whole page state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    pub link: Link,
    pub live: ModelRef,
    pub log: Option<OpenLog>,
    /// Why the last file could not be opened.
    pub log_error: Option<String>,
    /// The file being read, while it is (a big capture takes a moment).
    pub opening: Option<String>,
    pub player: Player,
    /// Nothing travels or grows: the reader's system asks for less motion,
    /// or the reader turned it off.
    pub reduced_motion: bool,
    pub numbers: Numbers,
    /// The event whose details the detail pane shows, by log position.
    pub selected: Option<usize>,
    /// The conversation the ladder shows alone (`ladder::focus`), if any.
    pub focus: Option<usize>,
    /// The socket the per-socket forms act on.
    pub chosen_socket: Option<SocketId>,
    /// Which form sent each request, so errors show beside it.
    pub requests: HashMap<u64, String>,
    /// The latest error per form.
    pub form_errors: HashMap<String, FormNote>,
    /// Framing the decoder panel uses, per (conversation, direction).
    pub framings: HashMap<(usize, usize), Framing>,
}

/// Everything that can happen to the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Link(Link),
    /// A batch of events from the relay.
    Events(Vec<Event>),
    /// A request left for the relay from the form `form`.
    Submitted {
        request: u64,
        form: String,
    },
    /// A request could not even be sent (no relay): say so at the form.
    FormFailed {
        form: String,
        message: String,
    },
    OpenLog {
        name: String,
        events: Vec<Event>,
    },
    /// A file the user picked or dropped, read into events.
    OpenFile {
        name: String,
        /// Built as the file was read, keeping payloads as live sessions do.
        model: Box<Model>,
        notes: Vec<String>,
    },
    /// A file is being read.
    Opening(String),
    LogFailed(String),
    CloseLog,
    StepBack,
    StepForward,
    TogglePlay,
    Tick,
    Scrub(usize),
    GoLive,
    SetSpeed(Speed),
    SetPace(Pace),
    SetReducedMotion(bool),
    Select(Option<usize>),
    /// Show one conversation alone in the ladder, or all of them.
    Focus(Option<usize>),
    SetNumbers(Numbers),
    ChooseSocket(Option<SocketId>),
    SetFraming {
        conversation: usize,
        direction: usize,
        framing: Framing,
    },
}

impl State {
    /// A page whose live sessions keep payloads as `keeping` says.
    pub fn keeping(keeping: crate::model::kept::Keeping) -> State {
        State {
            live: ModelRef::new(Model::keeping(keeping)),
            ..State::default()
        }
    }

    /// The model the views show: the open log, else the live session.
    pub fn model(&self) -> &ModelRef {
        self.log.as_ref().map_or(&self.live, |log| &log.model)
    }

    /// The relay's limits, or the protocol's defaults before the hello.
    pub fn limits(&self) -> Limits {
        self.live
            .get()
            .hello
            .as_ref()
            .map_or_else(Limits::default, |h| h.limits)
    }

    /// The step the player stands on, in the model shown.
    pub fn current_step(&self) -> Option<usize> {
        self.player.current(self.model().get().steps.len())
    }

    /// What the views show: everything that happened up to the current
    /// step, including its state changes; `None` before the first step.
    pub fn horizon(&self) -> Option<Horizon> {
        let step = self.current_step()?;
        Some(self.model().get().horizon(step))
    }

    /// Shows a log or capture from its first step.
    fn open(&mut self, name: String, model: Model, notes: Vec<String>) {
        self.log = Some(OpenLog {
            name,
            model: ModelRef::new(model),
            notes,
        });
        self.log_error = None;
        self.opening = None;
        self.views_start_over();
    }

    /// Another session or file is on show: the player at its start,
    /// nothing selected, every connection in the ladder.
    fn views_start_over(&mut self) {
        self.player = Player::default();
        self.selected = None;
        self.focus = None;
    }

    fn steps(&self) -> usize {
        self.model().get().steps.len()
    }

    fn apply_events(&mut self, events: Vec<Event>) {
        for event in events {
            if matches!(event.kind, EventKind::Hello(_)) && !self.live.get().events.is_empty() {
                // A new relay session: its socket ids start again at 1.
                let keeping = self.live.get().keeping.afresh();
                self.live = ModelRef::new(Model::keeping(keeping));
                self.requests.clear();
                if self.log.is_none() {
                    self.views_start_over();
                }
                self.chosen_socket = None;
            }
            self.note_errors(&event);
            self.note_new_socket(&event);
            self.live.apply(event);
        }
        self.live.bump();
    }

    /// Puts a refused command's message, or a failed call's errno, beside
    /// the form that asked for it.
    fn note_errors(&mut self, event: &Event) {
        let (request, note) = match &event.kind {
            EventKind::CommandError(error) => (error.request, FormNote::Refused(error.clone())),
            EventKind::Call(call) => match &call.result {
                CallResult::Error(error) => (call.request, FormNote::Failed(error.clone())),
                _ => return,
            },
            _ => return,
        };
        if let Some(form) = request.and_then(|id| self.requests.get(&id)) {
            self.form_errors.insert(form.clone(), note);
        }
    }

    /// A socket the learner just made from a form becomes the one the
    /// per-socket forms act on.
    fn note_new_socket(&mut self, event: &Event) {
        if let EventKind::Call(call) = &event.kind
            && call
                .request
                .is_some_and(|id| self.requests.contains_key(&id))
            && !matches!(call.result, CallResult::Error(_))
            && self.live.get().sockets.get(call.socket).is_none()
        {
            self.chosen_socket = Some(call.socket);
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        let steps = next.steps();
        match action {
            Action::Link(link) => next.link = link,
            Action::Events(events) => next.apply_events(events),
            Action::Submitted { request, form } => {
                next.form_errors.remove(&form);
                next.requests.insert(request, form);
            }
            Action::FormFailed { form, message } => {
                next.form_errors.insert(form, FormNote::Local(message));
            }
            Action::OpenLog { name, events } => {
                let model = Model::keeping_all(next.live.get().keeping.afresh(), events);
                next.open(name, model, Vec::new());
            }
            Action::OpenFile { name, model, notes } => next.open(name, *model, notes),
            Action::Opening(name) => {
                next.opening = Some(name);
                next.log_error = None;
            }
            Action::LogFailed(message) => {
                next.log_error = Some(message);
                next.opening = None;
            }
            Action::CloseLog => {
                next.log = None;
                next.views_start_over();
            }
            Action::StepBack => next.player.step_back(steps),
            Action::StepForward => next.player.step_forward(steps),
            Action::TogglePlay => next.player.toggle_play(steps),
            Action::Tick => next.player.tick(steps),
            Action::Scrub(step) => next.player.scrub(step, steps),
            Action::GoLive => next.player.go_live(),
            Action::SetSpeed(speed) => next.player.speed = speed,
            Action::SetPace(pace) => next.player.pace = pace,
            Action::SetReducedMotion(reduced) => next.reduced_motion = reduced,
            Action::Select(at) => next.selected = at,
            Action::Focus(conversation) => next.focus = conversation,
            Action::SetNumbers(numbers) => next.numbers = numbers,
            Action::ChooseSocket(socket) => next.chosen_socket = socket,
            Action::SetFraming {
                conversation,
                direction,
                framing,
            } => {
                next.framings.insert((conversation, direction), framing);
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::i18n::refusal::form_note;
    use sockscope_shared::{
        Call, CallEvent, Capabilities, CaptureState, ErrorCode, Hello, Transport,
    };

    fn hello(index: u64) -> Event {
        Event {
            index,
            t_us: 1,
            kind: EventKind::Hello(Hello {
                protocol_version: 1,
                relay_version: "0.1.0".into(),
                capabilities: Capabilities {
                    capture: CaptureState::On {
                        interface: "lo".into(),
                    },
                    allow_remote: false,
                    lab: None,
                },
                limits: Limits::default(),
            }),
        }
    }

    fn connect(index: u64, request: Option<u64>, ok: bool) -> Event {
        Event {
            index,
            t_us: 2,
            kind: EventKind::Call(CallEvent {
                socket: 2,
                request,
                transport: Transport::Tcp,
                call: Call::Connect {
                    addr: "127.0.0.1:9".into(),
                },
                result: if ok {
                    CallResult::Ok
                } else {
                    CallResult::Error(OsError {
                        errno: "ECONNREFUSED".into(),
                        code: 111,
                        message: "nothing listens on 127.0.0.1:9".into(),
                    })
                },
                local: Some("127.0.0.1:5000".into()),
                peer: None,
                state: None,
            }),
        }
    }

    fn reduce(state: Rc<State>, action: Action) -> Rc<State> {
        state.reduce(action)
    }

    #[test]
    fn errors_land_beside_the_form_that_sent_the_request() {
        let mut state = Rc::new(State::default());
        state = reduce(state, Action::Events(vec![hello(0)]));
        state = reduce(
            state,
            Action::Submitted {
                request: 7,
                form: "tcp_connect".into(),
            },
        );
        state = reduce(state, Action::Events(vec![connect(1, Some(7), false)]));
        let shown = |state: &State, form: &str, lang: Lang| {
            state
                .form_errors
                .get(form)
                .map(|note| form_note(lang, note))
        };
        assert_eq!(
            shown(&state, "tcp_connect", Lang::En).as_deref(),
            Some("ECONNREFUSED: nothing listens on 127.0.0.1:9")
        );
        assert!(
            shown(&state, "tcp_connect", Lang::Zh).is_some_and(|note| note.contains("连接被拒绝")),
        );
        state = reduce(
            state,
            Action::Submitted {
                request: 8,
                form: "recv".into(),
            },
        );
        state = reduce(
            state,
            Action::Events(vec![Event {
                index: 2,
                t_us: 3,
                kind: EventKind::CommandError(CommandError {
                    request: Some(8),
                    command: Some("recv".into()),
                    code: ErrorCode::WrongSocketKind,
                    message: "socket 1 is a listener".into(),
                    field: Some("socket".into()),
                    limit: None,
                }),
            }]),
        );
        // Worded by the page, from the code, in either language.
        assert!(
            shown(&state, "recv", Lang::En)
                .is_some_and(|note| note.starts_with("recv: this socket cannot do recv")),
        );
        assert!(shown(&state, "recv", Lang::Zh).is_some_and(|note| note.contains("不能执行 recv")));
        // Sending again from the form clears its old error.
        state = reduce(
            state,
            Action::Submitted {
                request: 9,
                form: "recv".into(),
            },
        );
        assert!(!state.form_errors.contains_key("recv"));
    }

    #[test]
    fn a_socket_made_from_a_form_is_chosen_and_a_new_hello_starts_over() {
        let mut state = Rc::new(State::default());
        state = reduce(state, Action::Events(vec![hello(0)]));
        state = reduce(
            state,
            Action::Submitted {
                request: 1,
                form: "tcp_connect".into(),
            },
        );
        state = reduce(state, Action::Events(vec![connect(1, Some(1), true)]));
        assert_eq!(state.chosen_socket, Some(2));
        assert_eq!(state.model().get().steps.len(), 1);
        state = reduce(state, Action::Events(vec![hello(0)]));
        assert_eq!(state.model().get().events.len(), 1, "a fresh session");
        assert_eq!(state.chosen_socket, None);
    }

    #[test]
    fn a_batch_grows_the_live_store_in_place_and_a_hello_starts_another() {
        let mut state = Rc::new(State::default());
        state = reduce(state, Action::Events(vec![hello(0)]));
        let before = state.live.clone();
        state = reduce(state, Action::Events(vec![connect(1, None, true)]));
        assert!(state.live.same_store(&before), "no copy of the session");
        assert_ne!(state.live, before, "the views see a new version");
        assert_eq!(before.get().events.len(), 2, "one store, read by all");
        state = reduce(state, Action::Events(vec![hello(0)]));
        assert!(!state.live.same_store(&before), "a new session");
        assert_eq!(
            before.get().events.len(),
            2,
            "the old session is left as it was"
        );
        assert_eq!(state.live.get().events.len(), 1);
    }

    #[test]
    fn a_batch_read_while_the_store_is_borrowed_goes_into_a_copy() {
        let mut state = Rc::new(State::default());
        state = reduce(state, Action::Events(vec![hello(0)]));
        let reader = state.live.clone();
        let reading = reader.get();
        state = reduce(state, Action::Events(vec![connect(1, None, true)]));
        assert_eq!(reading.events.len(), 1, "the reader keeps what it had");
        drop(reading);
        assert!(!state.live.same_store(&reader));
        assert_eq!(state.live.get().events.len(), 2);
    }

    #[test]
    fn a_focus_on_one_connection_ends_with_the_session_or_file_it_was_in() {
        let mut state = Rc::new(State::default());
        state = reduce(
            state,
            Action::Events(vec![hello(0), connect(1, None, true)]),
        );
        state = reduce(state, Action::Focus(Some(0)));
        assert_eq!(state.focus, Some(0));
        state = reduce(state, Action::Events(vec![connect(2, None, true)]));
        assert_eq!(state.focus, Some(0), "the session goes on");
        state = reduce(state, Action::Events(vec![hello(0)]));
        assert_eq!(state.focus, None, "a new session");
        state = reduce(state, Action::Focus(Some(1)));
        state = reduce(
            state,
            Action::OpenLog {
                name: "a.json".into(),
                events: vec![hello(0), connect(1, None, true)],
            },
        );
        assert_eq!(state.focus, None, "a file opened");
        state = reduce(state, Action::Focus(Some(0)));
        state = reduce(state, Action::Events(vec![hello(0)]));
        assert_eq!(state.focus, Some(0), "the live session is not on show");
        state = reduce(state, Action::CloseLog);
        assert_eq!(state.focus, None, "back to live");
    }

    #[test]
    fn an_open_log_is_shown_instead_of_the_live_session_until_closed() {
        let mut state = Rc::new(State::default());
        state = reduce(state, Action::Events(vec![hello(0)]));
        state = reduce(
            state,
            Action::OpenLog {
                name: "03.json".into(),
                events: vec![hello(0), connect(1, None, true), connect(2, None, true)],
            },
        );
        assert_eq!(state.model().get().steps.len(), 2);
        state = reduce(state, Action::StepBack);
        assert_eq!(state.current_step(), Some(0));
        let horizon = state.horizon().unwrap();
        assert!(state.model().get().shows(horizon, 1));
        assert!(!state.model().get().shows(horizon, 2));
        state = reduce(state, Action::Events(vec![connect(1, None, true)]));
        assert_eq!(
            state.current_step(),
            Some(0),
            "live events do not move the log"
        );
        state = reduce(state, Action::CloseLog);
        assert_eq!(state.model().get().steps.len(), 1);
        assert!(state.player.is_live());
    }

    #[test]
    fn a_capture_file_shows_its_notes_and_a_failure_ends_the_wait() {
        let mut state = Rc::new(State::default());
        state = reduce(state, Action::Opening("big.pcapng".into()));
        assert_eq!(state.opening.as_deref(), Some("big.pcapng"));
        state = reduce(state, Action::LogFailed("big.pcapng: damaged".into()));
        assert_eq!(state.opening, None);
        assert_eq!(state.log_error.as_deref(), Some("big.pcapng: damaged"));
        state = reduce(state, Action::Opening("03.pcapng".into()));
        state = reduce(
            state,
            Action::OpenFile {
                name: "03.pcapng".into(),
                model: Box::new(Model::from_events(vec![connect(0, None, true)])),
                notes: vec!["recv() boundaries are unknown".into()],
            },
        );
        let log = state.log.as_ref().unwrap();
        assert_eq!(log.notes, ["recv() boundaries are unknown"]);
        assert_eq!(
            (state.opening.clone(), state.log_error.clone()),
            (None, None)
        );
        assert_eq!(state.model().get().steps.len(), 1);
    }
}
