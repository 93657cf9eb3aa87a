//! Hooks: state with side effects that a component owns, kept out of the
//! component so the component reads as layout.

pub mod lesson_runner;
