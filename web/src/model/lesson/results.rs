//! Matching the relay's answers to the lesson steps that asked for them.
//!
//! Every command a lesson sends carries a request id, and the relay echoes
//! it in each event the command causes. The [`Tracker`] keeps the steps
//! still waiting for an answer, and from the answers learns three things:
//! the relay's id for each lesson socket (the socket a creating step got,
//! or that it failed), what each recv()/recvfrom() returned (for replies
//! and length-prefixed reads), and the result line of each step.

use std::collections::HashMap;

use sockscope_shared::{
    Call, CallResult, Command, CommandError, Event, EventKind, PathPreset, SocketId,
};

use crate::model::describe::call_event_label;

/// What happened to one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    NotRun,
    /// Sent; its result has not come back yet.
    Sent,
    /// Answered: what came back, and whether it was a failure.
    Done {
        result: StepResult,
        error: bool,
    },
}

/// What came back for a step, as facts for the page to word
/// (`i18n::lesson::step_result`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepResult {
    /// The call and what the kernel answered, as the diagram labels it
    /// (`recv(5) → 5 bytes "hello"`, `send("two") → 3 bytes (×3)`): written
    /// as C and Python write them, the same in every language.
    Call { label: String },
    /// A setting the relay applies with no answer when it works: done as
    /// soon as it was sent.
    Sent,
    /// The relay refused the command before any system call. Kept as
    /// data, so that it is worded in the page's language when shown.
    Refused(CommandError),
    /// A `set_path` step: the path now in force.
    Path { path: PathPreset },
}

/// A lesson socket's relay id, as far as known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Its creating step is out.
    Pending,
    Open(SocketId),
    /// Its creating step failed: nothing can use it.
    Failed,
}

/// Which events finish a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// tcp_listen: `bind` gives the id, `listen` finishes (or a failed bind).
    Listen,
    /// tcp_connect, udp_bind: the one call gives the id and finishes.
    Create,
    /// tcp_accept: `accepted.new_socket` is the id.
    Accept,
    /// send: one event per repeat.
    Sends { left: u32 },
    /// recv, recv_from: keep what it returned, for replies and bodies.
    Receive,
    /// set_path: the `path` event answers it.
    Path,
    /// Any one call event.
    Other,
}

impl Expect {
    /// Which events finish `command`.
    pub fn of(command: &Command) -> Expect {
        match command {
            Command::TcpListen { .. } => Expect::Listen,
            Command::TcpConnect { .. } | Command::UdpBind { .. } => Expect::Create,
            Command::TcpAccept { .. } => Expect::Accept,
            Command::Send { repeat, .. } => Expect::Sends {
                left: (*repeat).max(1),
            },
            Command::Recv { .. } | Command::RecvFrom { .. } => Expect::Receive,
            Command::SetPath(_) => Expect::Path,
            _ => Expect::Other,
        }
    }
}

/// What the last recv()/recvfrom() on a lesson socket returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub data: Vec<u8>,
    /// Where a datagram came from; `None` for TCP.
    pub from: Option<String>,
}

/// A step sent and not yet answered.
#[derive(Debug, Clone)]
pub struct Flight {
    pub step: usize,
    pub request: u64,
    pub expect: Expect,
    /// Whether the step creates the next lesson socket.
    pub creates: bool,
    /// The lesson socket the step acts on.
    pub subject: Option<SocketId>,
    /// Whether playing waits for it.
    pub waits: bool,
    /// For a repeated send, how many times (shown with its result).
    pub repeat: u32,
}

/// A flight that came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Landed {
    pub step: usize,
    pub waited: bool,
}

/// The steps out, and what their answers said.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    slots: Vec<Slot>,
    /// Each flight with the slot it fills, if it creates a socket.
    flights: Vec<(Flight, Option<usize>)>,
    received: HashMap<SocketId, Received>,
    states: Vec<StepState>,
}

impl Tracker {
    pub fn new(steps: usize) -> Tracker {
        Tracker {
            states: vec![StepState::NotRun; steps],
            ..Tracker::default()
        }
    }

    pub fn states(&self) -> &[StepState] {
        &self.states
    }

    /// Lesson socket `socket` (from 1), if a step has created it.
    pub fn slot(&self, socket: SocketId) -> Option<Slot> {
        let index = usize::try_from(socket).ok()?.checked_sub(1)?;
        self.slots.get(index).copied()
    }

    /// Every lesson socket created so far, in number order.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    pub fn received(&self, socket: SocketId) -> Option<&Received> {
        self.received.get(&socket)
    }

    /// Whether a step that playing waits for is out.
    pub fn waiting(&self) -> bool {
        self.flights.iter().any(|(f, _)| f.waits)
    }

    /// Whether any step is out.
    pub fn busy(&self) -> bool {
        !self.flights.is_empty()
    }

    /// A step has gone to the relay.
    pub fn launch(&mut self, flight: Flight) {
        let slot = flight.creates.then(|| {
            self.slots.push(Slot::Pending);
            self.slots.len() - 1
        });
        self.set_state(flight.step, StepState::Sent);
        self.flights.push((flight, slot));
    }

    /// A step the relay answers with silence when it works (a setting
    /// changed): done as soon as it is sent.
    pub fn done_silently(&mut self, step: usize) {
        self.set_state(
            step,
            StepState::Done {
                result: StepResult::Sent,
                error: false,
            },
        );
    }

    fn set_state(&mut self, step: usize, state: StepState) {
        if let Some(s) = self.states.get_mut(step) {
            *s = state;
        }
    }

    /// Reads one event; returns the step it finished, if it finished one.
    pub fn on_event(&mut self, event: &Event) -> Option<Landed> {
        let request = match &event.kind {
            EventKind::Call(call) => call.request,
            EventKind::CommandError(error) => error.request,
            EventKind::Path(state) => state.request,
            _ => None,
        }?;
        let i = self
            .flights
            .iter()
            .position(|(f, _)| f.request == request)?;
        let (flight, slot) = self.flights.get_mut(i)?;
        let (finished, result, error, fills) = match &event.kind {
            EventKind::Call(call) => {
                let (finished, fills, got) = answer(&mut flight.expect, call);
                if let (Some(got), Some(socket)) = (got, flight.subject) {
                    self.received.insert(socket, got);
                }
                let mut label = call_event_label(call);
                if flight.repeat > 1 {
                    label = format!("{label} (×{})", flight.repeat);
                }
                let error = matches!(call.result, CallResult::Error(_));
                (finished, StepResult::Call { label }, error, fills)
            }
            EventKind::Path(state) => (true, StepResult::Path { path: state.path }, false, None),
            // Refused before any system call: a socket it was to create
            // will never exist.
            EventKind::CommandError(refusal) => (
                true,
                StepResult::Refused(refusal.clone()),
                true,
                flight.creates.then_some(Slot::Failed),
            ),
            _ => return None,
        };
        let (step, waited, slot) = (flight.step, flight.waits, *slot);
        let target = slot.and_then(|s| self.slots.get_mut(s));
        if let Some(target) = target {
            if let Some(value) = fills {
                *target = value;
            } else if finished && *target == Slot::Pending {
                // Finished without naming its socket: treat it as failed.
                *target = Slot::Failed;
            }
        }
        if !finished {
            return None;
        }
        self.flights.remove(i);
        self.set_state(step, StepState::Done { result, error });
        Some(Landed { step, waited })
    }
}

/// What one call event means for the step waiting on it: whether it
/// finished the step, the slot value it gives, and data it received.
fn answer(
    expect: &mut Expect,
    call: &sockscope_shared::CallEvent,
) -> (bool, Option<Slot>, Option<Received>) {
    let failed = matches!(call.result, CallResult::Error(_));
    match (expect, &call.call, &call.result) {
        (Expect::Listen, Call::Bind { .. }, _) if failed => (true, Some(Slot::Failed), None),
        (Expect::Listen, Call::Bind { .. }, _) => (false, Some(Slot::Open(call.socket)), None),
        (Expect::Listen, _, _) => (true, failed.then_some(Slot::Failed), None),
        (Expect::Create, _, _) if failed => (true, Some(Slot::Failed), None),
        (Expect::Create, _, _) => (true, Some(Slot::Open(call.socket)), None),
        (Expect::Accept, _, CallResult::Accepted { new_socket, .. }) => {
            (true, Some(Slot::Open(*new_socket)), None)
        }
        (Expect::Accept, _, _) => (true, Some(Slot::Failed), None),
        (Expect::Sends { left }, _, _) => {
            *left = left.saturating_sub(1);
            (*left == 0 || failed, None, None)
        }
        (Expect::Receive, _, result) => {
            let got = match result {
                CallResult::Data { data, .. } => Some(Received {
                    data: data.to_vec(),
                    from: None,
                }),
                CallResult::Datagram { data, from, .. } => Some(Received {
                    data: data.to_vec(),
                    from: Some(from.clone()),
                }),
                CallResult::EndOfStream { .. } => Some(Received {
                    data: Vec::new(),
                    from: None,
                }),
                _ => None,
            };
            (true, None, got)
        }
        (Expect::Other | Expect::Path, _, _) => (true, None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockscope_shared::ErrorCode;

    fn flight(step: usize, request: u64) -> Flight {
        Flight {
            step,
            request,
            expect: Expect::Other,
            creates: false,
            subject: Some(1),
            waits: true,
            repeat: 1,
        }
    }

    #[test]
    fn each_kind_of_answer_gives_its_result() {
        let mut tracker = Tracker::new(3);
        tracker.done_silently(0);
        tracker.launch(flight(1, 7));
        let refusal = CommandError {
            request: Some(7),
            command: Some("recv".into()),
            code: ErrorCode::UnknownSocket,
            message: "recv: no such socket".into(),
            field: None,
            limit: None,
        };
        let landed = tracker.on_event(&Event {
            index: 4,
            t_us: 0,
            kind: EventKind::CommandError(refusal.clone()),
        });
        assert_eq!(
            landed,
            Some(Landed {
                step: 1,
                waited: true
            })
        );
        assert_eq!(
            tracker.states(),
            [
                StepState::Done {
                    result: StepResult::Sent,
                    error: false
                },
                StepState::Done {
                    result: StepResult::Refused(refusal),
                    error: true
                },
                StepState::NotRun,
            ]
        );
    }
}
