//! The page's views, one component per file.
//!
//! Components receive data and `on<event>` callbacks as props and never
//! reach for global state; `App` holds the reducer and wires them up.
//! Forms build a [`sockscope_shared::Command`], check what was typed with
//! [`crate::model::validate`], and hand a [`Submit`] to `App` through
//! [`crate::hooks::command_form`]; `App` sends it and remembers which form
//! it came from so the relay's answer can be shown beside it.

pub mod accept_form;
pub mod address_form;
pub mod app;
pub mod auto_read_form;
pub mod byte_streams;
pub mod capture_status;
pub mod connection_status;
pub mod custom_path_form;
pub mod detail_pane;
pub mod detail_path;
pub mod export_menu;
pub mod fields;
pub mod file_opener;
pub mod form_error;
pub mod form_fields;
pub mod form_props;
pub mod framing_panel;
pub mod hex_dump;
pub mod kernel_strip;
pub mod ladder;
pub mod ladder_focus;
pub mod ladder_motion;
pub mod ladder_path;
pub mod ladder_rows;
pub mod lang_switch;
pub mod length;
pub mod lesson_panel;
pub mod lesson_steps;
pub mod listen_form;
pub mod options_form;
pub mod path_picker;
pub mod player_bar;
pub mod recording_picker;
pub mod recv_form;
pub mod send_form;
pub mod send_to_form;
pub mod seq_graph;
pub mod shown_stream;
pub mod shutdown_form;
pub mod socket_actions;
pub mod socket_list;
pub mod stream_lanes;
pub mod udp_view;
pub mod watch_form;

use sockscope_shared::Command;

/// A command from a form, with the form's key (`"send:3"`) so errors can
/// find their way back to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Submit {
    pub form: String,
    pub command: Command,
}

/// The colour class of the send with this ordinal: eight colours, reused.
pub fn send_class(ordinal: usize) -> String {
    format!("send-{}", ordinal % 8)
}
