//! The lesson runner in a component: the side effects around the pure
//! [`Runner`].
//!
//! The runner decides; this hook acts. After every click and every change
//! of the live model it feeds the runner what is new and then "drives" it:
//! sends what [`Runner::poll`] asks for (through `onrequest`, which returns
//! the request id; the lesson's `set_path` goes the same way), asks `App` for a fresh relay session when a run starts,
//! and arms a gloo [`Timeout`] when a step must wait (a pause, or the
//! settling of a fresh session). The hook owns the timer: replacing or
//! dropping it cancels it, and the timer's closure holds only weak
//! references, so nothing outlives the component.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use sockscope_shared::{Command, Lesson};
use yew::prelude::*;

use crate::model::lesson::{Now, Output, Runner, Start};
use crate::state::ModelRef;

/// The wall clock and the local time zone, from the browser.
fn now() -> Now {
    let offset = js_sys::Date::new_0().get_timezone_offset();
    Now {
        unix_ms: js_sys::Date::now(),
        // getTimezoneOffset() is UTC minus local time, in minutes.
        utc_offset_minutes: -(offset.round() as i32),
    }
}

/// What the runner needs from the page.
#[derive(Clone)]
struct Effects {
    /// Sends a command to the relay; the request id, or why it could not.
    onrequest: Callback<Command, Result<u64, String>>,
    /// Opens a fresh relay session.
    onfresh: Callback<()>,
    update: UseForceUpdateHandle,
}

/// The panel's grip on the runner: read it, and act on it.
#[derive(Clone)]
pub struct LessonRunner {
    runner: Rc<RefCell<Runner>>,
    timer: Rc<RefCell<Option<Timeout>>>,
    effects: Effects,
}

impl PartialEq for LessonRunner {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.runner, &other.runner)
    }
}

impl LessonRunner {
    /// Reads the runner.
    pub fn with<R>(&self, read: impl FnOnce(&Runner) -> R) -> R {
        read(&self.runner.borrow())
    }

    /// Puts another lesson in the runner; a run in progress is dropped.
    pub fn load(&self, lesson: Lesson) {
        *self.timer.borrow_mut() = None;
        self.runner.borrow_mut().switch(lesson);
        self.effects.update.force_update();
    }

    pub fn play(&self) {
        let start = self.runner.borrow_mut().play();
        self.started(start);
    }

    pub fn step(&self) {
        let start = self.runner.borrow_mut().step();
        self.started(start);
    }

    pub fn pause(&self) {
        self.runner.borrow_mut().pause();
        self.drive();
    }

    pub fn start_over(&self) {
        *self.timer.borrow_mut() = None;
        self.runner.borrow_mut().start_over();
        self.effects.update.force_update();
    }

    fn started(&self, start: Start) {
        if start == Start::FreshSession {
            *self.timer.borrow_mut() = None;
            self.effects.onfresh.emit(());
        }
        self.drive();
    }

    fn drive(&self) {
        drive(&self.runner, &Rc::downgrade(&self.timer), &self.effects);
    }
}

/// Sends every step the runner lets go now, then sleeps until it wants
/// waking (or until the next result or click), then redraws.
fn drive(runner: &Rc<RefCell<Runner>>, timer: &Weak<RefCell<Option<Timeout>>>, effects: &Effects) {
    // Bounded, so that a runner bug can never hang the page.
    for _ in 0..256 {
        let now = now();
        let output = runner.borrow_mut().poll(now);
        match output {
            Output::Send { step, command } => {
                let sent = effects.onrequest.emit(command);
                let mut runner = runner.borrow_mut();
                match sent {
                    Ok(request) => runner.sent(step, request, now.unix_ms),
                    Err(message) => runner.not_sent(step, message),
                }
            }
            Output::SetPath { command } => {
                let sent = effects.onrequest.emit(command);
                let mut runner = runner.borrow_mut();
                match sent {
                    Ok(request) => runner.path_sent(request),
                    Err(message) => runner.path_not_sent(message),
                }
            }
            Output::WakeAt(at) => {
                let Some(slot) = timer.upgrade() else { break };
                let delay = (at - now.unix_ms).clamp(0.0, 60_000.0).ceil() as u32;
                let (weak_runner, weak_timer) = (Rc::downgrade(runner), timer.clone());
                let effects_later = effects.clone();
                let wake = Timeout::new(delay, move || {
                    if let Some(runner) = weak_runner.upgrade() {
                        drive(&runner, &weak_timer, &effects_later);
                    }
                });
                // Replacing the old timer cancels it.
                *slot.borrow_mut() = Some(wake);
                break;
            }
            Output::Idle => break,
        }
    }
    effects.update.force_update();
}

/// A lesson runner that reads `model` (the live session) as it changes;
/// `first` makes the lesson it starts with (called once).
#[hook]
pub fn use_lesson_runner<F>(
    first: F,
    model: ModelRef,
    onrequest: Callback<Command, Result<u64, String>>,
    onfresh: Callback<()>,
) -> LessonRunner
where
    F: FnOnce() -> Lesson,
{
    let runner = use_mut_ref(|| Runner::new(first()));
    let timer = use_mut_ref(|| None::<Timeout>);
    let update = use_force_update();
    let handle = LessonRunner {
        runner,
        timer,
        effects: Effects {
            onrequest,
            onfresh,
            update,
        },
    };
    {
        let handle = handle.clone();
        use_effect_with(model, move |model| {
            handle
                .runner
                .borrow_mut()
                .observe(&model.get(), js_sys::Date::now());
            handle.drive();
        });
    }
    handle
}
