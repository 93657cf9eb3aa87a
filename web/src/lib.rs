//! The sockscope page: a Yew app that shows real sockets at work.
//!
//! - [`model`]: plain Rust that turns the relay's events into sockets,
//!   conversations, byte streams and diagram rows; tested natively.
//! - [`state`]: the page's state, the actions that change it and the
//!   reducer, as in yew's `function_todomvc` example.
//! - [`relay`]: the WebSocket to the relay, with reconnection.
//! - [`components`]: one view per file; [`hooks`]: their stateful helpers.
//! - [`i18n`]: English and Simplified Chinese.
//! - [`lessons`]: the shipped lessons, and reading a lesson file.
//! - [`capture_file`]: opening .pcap/.pcapng/JSON files and saving pcapng
//!   and event logs, as pure functions of bytes and events; the capture
//!   parts run in a worker of their own ([`file_worker`],
//!   `src/bin/sockscope-files.rs`).
//! - [`bench`]: render timestamps for the latency benchmark, with `?bench`.

pub mod bench;
pub mod capture_file;
pub mod components;
pub mod download;
pub mod fetch_log;
pub mod file_worker;
pub mod hooks;
pub mod i18n;
pub mod lessons;
pub mod model;
pub mod page_link;
pub mod recordings;
pub mod relay;
pub mod state;
