//! Lessons on the page: checking a lesson file and running it on the relay.
//!
//! A lesson ([`sockscope_shared::Lesson`]) names its sockets by lesson
//! numbers, in the order its steps create them; the relay names them by its
//! own ids, known only once each socket exists. This module bridges the two
//! without a browser, so every rule is tested natively:
//! - [`check`]: what is wrong with a lesson, by step, before it runs;
//! - [`runner`]: the run itself (play, step, pauses, waiting for results);
//! - [`results`]: matching the relay's events to steps by request id;
//! - [`build`]: a step as the command the relay gets;
//! - [`script`]: which sockets a step names and creates;
//! - [`strftime`]: the time server's formatting, for time-server replies.

pub mod build;
pub mod check;
pub mod results;
pub mod runner;
pub mod script;
pub mod strftime;

#[cfg(test)]
pub(crate) mod fake_relay;
#[cfg(test)]
pub(crate) mod tests;

pub use check::{Problem, check};
pub use results::{StepResult, StepState};
pub use runner::{Halt, Mode, Output, Runner, Start, Status};
pub use strftime::Now;
