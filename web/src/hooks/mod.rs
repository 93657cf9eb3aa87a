//! Hooks: state with side effects that a component owns, kept out of the
//! component so the component reads as layout.

pub mod command_form;
pub mod field_values;
pub mod lesson_runner;
pub mod shortcuts;
pub mod virtual_rows;
