//! A shipped lesson run on a real relay over its WebSocket, as the page's
//! lesson runner runs it (`web/src/model/lesson/runner.rs`): the lesson's
//! path first, then each step in order, lesson socket numbers mapped to the
//! relay's ids as the call events name them, `pause_ms` counted from the
//! previous waited-for result, `wait: false` steps left running until a
//! later step names the socket they create, or the lesson ends.
//!
//! It keeps what a test needs to say what happened: each step's events,
//! when it was sent and when it finished, and every event of the session
//! (segments, path drops) in the order they came.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use serde_json::Value;
use sockscope_shared::{
    Call, CallEvent, CallResult, Command, Event, EventKind, Lesson, PathState, Request,
    SegmentEvent, StepAction, Tap,
};
use tokio::time::Instant;

use super::common::Client;

/// How long one step may take to finish. The slowest shipped step waits
/// for a retransmission about three and a half seconds after its send.
const STEP_PATIENCE: Duration = Duration::from_secs(20);

/// Reads a shipped lesson from the repository's `lessons/` folder.
pub fn shipped(file: &str) -> Lesson {
    let path = format!("{}/../lessons/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What came of one step.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub request: u64,
    pub sent: Instant,
    /// When its last answer came; `None` if it never finished.
    pub done: Option<Instant>,
    /// Its call events, in order.
    pub calls: Vec<CallEvent>,
    /// When the relay stamped its last call (`t_us`, the segments' clock).
    pub last_t_us: Option<u64>,
    /// Its `path` event, for a `set_path` step.
    pub path: Option<PathState>,
}

impl Outcome {
    /// How long the step took, from sending it to its last answer.
    pub fn took(&self) -> Duration {
        self.done.expect("the step never finished") - self.sent
    }

    /// What its last call returned.
    pub fn result(&self) -> &CallResult {
        &self.calls.last().expect("the step made no call").result
    }
}

/// Which answer finishes a step, and what a creating step tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// tcp_listen: `bind` names the socket, `listen` finishes.
    Listen,
    /// tcp_connect, udp_bind: one call names the socket and finishes.
    Create,
    /// tcp_accept: `accepted` names the new socket.
    Accept,
    /// send: one call per repeat.
    Sends(u32),
    /// set_path: the `path` event.
    Path,
    /// Settings the relay answers with silence.
    Silent,
    /// Any one call.
    One,
}

impl Expect {
    fn of(command: &Command) -> Expect {
        match command {
            Command::TcpListen { .. } => Expect::Listen,
            Command::TcpConnect { .. } | Command::UdpBind { .. } => Expect::Create,
            Command::TcpAccept { .. } => Expect::Accept,
            Command::Send { repeat, .. } => Expect::Sends((*repeat).max(1)),
            Command::SetPath(_) => Expect::Path,
            Command::AutoRead { .. } | Command::AutoAccept { .. } | Command::Watch { .. } => {
                Expect::Silent
            }
            _ => Expect::One,
        }
    }
}

/// A lesson socket: its creating step, and the relay's id once known.
#[derive(Debug, Clone, Copy)]
struct Slot {
    step: usize,
    id: Option<u32>,
}

/// A lesson running on a relay session.
pub struct LessonRun {
    pub lesson: Lesson,
    pub client: Client,
    pub outcomes: Vec<Option<Outcome>>,
    /// Every event of the session, in the order the relay sent them.
    pub events: Vec<Event>,
    expects: Vec<Expect>,
    slots: Vec<Slot>,
}

impl LessonRun {
    pub fn new(lesson: Lesson, client: Client) -> LessonRun {
        let steps = lesson.steps.len();
        LessonRun {
            lesson,
            client,
            outcomes: vec![None; steps],
            events: Vec::new(),
            expects: Vec::new(),
            slots: Vec::new(),
        }
    }

    /// Sets the lesson's path and waits for the relay's answer: the path
    /// in force, or the refusal's words.
    pub async fn set_path(&mut self) -> Result<PathState, String> {
        let path = self.lesson.path.clone().expect("the lesson names no path");
        let id = self.send(Command::SetPath(path)).await;
        let deadline = Instant::now() + STEP_PATIENCE;
        loop {
            self.pump(deadline).await;
            for event in &self.events {
                match &event.kind {
                    EventKind::Path(state) if state.request == Some(id) => {
                        return Ok((**state).clone());
                    }
                    EventKind::CommandError(e) if e.request == Some(id) => {
                        return Err(format!("{:?}: {}", e.code, e.message));
                    }
                    _ => {}
                }
            }
        }
    }

    /// Runs every step, then waits for the ones left running.
    pub async fn run_steps(&mut self) {
        let mut last_done = Instant::now();
        for index in 0..self.lesson.steps.len() {
            let step = self.lesson.steps[index].clone();
            let StepAction::Do(mut command) = step.action else {
                panic!("step {}: only `do` steps are run here", index + 1);
            };
            tokio::time::sleep_until(last_done + Duration::from_millis(step.pause_ms.into())).await;
            if let Some(socket) = command.socket_mut() {
                *socket = self.relay_id(*socket).await;
            }
            let expect = Expect::of(&command);
            let creates = matches!(
                command,
                Command::TcpListen { .. }
                    | Command::TcpConnect { .. }
                    | Command::UdpBind { .. }
                    | Command::TcpAccept { .. }
            );
            let request = self.send(command).await;
            if creates {
                self.slots.push(Slot {
                    step: index,
                    id: None,
                });
            }
            self.expects.push(expect);
            self.outcomes[index] = Some(Outcome {
                request,
                sent: Instant::now(),
                done: (expect == Expect::Silent).then(Instant::now),
                calls: Vec::new(),
                last_t_us: None,
                path: None,
            });
            if step.wait {
                self.finish(index).await;
                last_done = self.outcomes[index].as_ref().unwrap().done.unwrap();
            } else {
                last_done = Instant::now();
            }
        }
        for index in 0..self.lesson.steps.len() {
            self.finish(index).await;
        }
    }

    /// Reads what the relay sends for `time`: late segments, drops.
    pub async fn settle(&mut self, time: Duration) {
        let until = Instant::now() + time;
        while Instant::now() < until {
            self.pump(until + Duration::from_secs(1)).await;
        }
    }

    /// The outcome of step `step` (counted from 1, as the page shows them).
    pub fn step(&self, step: usize) -> &Outcome {
        self.outcomes[step - 1]
            .as_ref()
            .expect("the step never ran")
    }

    /// The relay's id of lesson socket `socket`, waiting for its creating
    /// step if it is still out.
    async fn relay_id(&mut self, socket: u32) -> u32 {
        let slot = self.slots[socket as usize - 1];
        if slot.id.is_none() {
            self.finish(slot.step).await;
        }
        self.slots[socket as usize - 1]
            .id
            .unwrap_or_else(|| panic!("lesson socket {socket} was never created"))
    }

    async fn send(&mut self, command: Command) -> u64 {
        let mut value: Value = serde_json::to_value(Request { id: None, command }).unwrap();
        if let Some(object) = value.as_object_mut() {
            object.remove("id");
        }
        self.client.send(value).await
    }

    /// Waits until step `index` has its last answer.
    async fn finish(&mut self, index: usize) {
        let deadline = Instant::now() + STEP_PATIENCE;
        loop {
            let outcome = self.outcomes[index].as_ref().expect("step not sent");
            if outcome.done.is_some() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "step {} did not finish within {STEP_PATIENCE:?}: {outcome:?}",
                index + 1
            );
            self.pump(deadline).await;
        }
    }

    /// Reads what the relay sent next and files each answer under its step.
    async fn pump(&mut self, deadline: Instant) {
        let patience = deadline
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(20));
        // The first event to come ends the wait; those that came with it
        // are already in `seen`, after it.
        let first = self.client.try_wait_for(&|_| true, patience).await;
        let fresh: Vec<Event> = first
            .into_iter()
            .chain(self.client.seen.drain(..))
            .collect();
        for event in &fresh {
            self.file(event);
        }
        self.events.extend(fresh);
        assert!(Instant::now() < deadline, "the relay went quiet");
    }

    fn file(&mut self, event: &Event) {
        let request = match &event.kind {
            EventKind::Call(call) => call.request,
            EventKind::Path(state) => state.request,
            EventKind::CommandError(error) => error.request,
            _ => None,
        };
        let Some(request) = request else { return };
        let Some(index) = self
            .outcomes
            .iter()
            .position(|o| o.as_ref().is_some_and(|o| o.request == request))
        else {
            return;
        };
        // Steps go out in order, one expectation each.
        let expect = self.expects[index];
        let slot = self.slots.iter().position(|s| s.step == index);
        let outcome = self.outcomes[index].as_mut().unwrap();
        let (finished, id) = match &event.kind {
            EventKind::Call(call) => {
                outcome.calls.push(call.clone());
                outcome.last_t_us = Some(event.t_us);
                let failed = matches!(call.result, CallResult::Error(_));
                match (expect, &call.call, &call.result) {
                    (Expect::Listen, Call::Bind { .. }, _) => (failed, Some(call.socket)),
                    (Expect::Listen, _, _) => (true, None),
                    (Expect::Create, _, _) => (true, Some(call.socket)),
                    (Expect::Accept, _, CallResult::Accepted { new_socket, .. }) => {
                        (true, Some(*new_socket))
                    }
                    (Expect::Sends(n), _, _) => (failed || outcome.calls.len() as u32 >= n, None),
                    _ => (true, None),
                }
            }
            EventKind::Path(state) => {
                outcome.path = Some((**state).clone());
                (true, None)
            }
            EventKind::CommandError(error) => {
                panic!("step {} was refused: {error:?}", index + 1)
            }
            _ => (false, None),
        };
        if finished {
            outcome.done = Some(Instant::now());
        }
        if let (Some(slot), Some(id)) = (slot, id) {
            self.slots[slot].id = Some(id);
        }
    }

    /// The segments one side's capture saw on `port`, each with its time
    /// in microseconds, in the order captured. The relay may report a
    /// copy after later ones (an arrived copy waits for its sent copy to
    /// pair their crossing numbers), stamped with its capture time.
    pub fn segments(&self, tap: Tap, port: u16) -> Vec<(u64, SegmentEvent)> {
        let mut segments: Vec<(u64, SegmentEvent)> = self
            .events
            .iter()
            .filter_map(|event| match &event.kind {
                EventKind::Segment(segment)
                    if segment.tap == Some(tap)
                        && (port_of(&segment.src) == port || port_of(&segment.dst) == port) =>
                {
                    Some((event.t_us, segment.clone()))
                }
                _ => None,
            })
            .collect();
        segments.sort_by_key(|(t_us, _)| *t_us);
        segments
    }

    /// The path's drops and other fates of the lesson's own packets (those
    /// the capture numbered: not the witnesses' pings), in order.
    pub fn path_drops(&self) -> Vec<sockscope_shared::PathDrop> {
        self.events
            .iter()
            .filter_map(|event| match &event.kind {
                EventKind::PathDrop(drop) if drop.crossing.is_some() => Some(drop.clone()),
                _ => None,
            })
            .collect()
    }
}

/// The port of `address:port` or `[v6]:port`.
pub fn port_of(address: &str) -> u16 {
    address
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}
