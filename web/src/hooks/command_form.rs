//! How every form ends: its fields make a command, which goes to `App`
//! under the form's key, or they do not, and the form says why.
//!
//! The key (`"send:3"`) travels with the command so that the relay's
//! answer, a refusal or a failed call, finds its way back under the form
//! that sent it. The hook holds the form's own complaint, a check that
//! failed before anything was sent; `FormError` shows it, or the relay's
//! answer when there is none.

use sockscope_shared::Command;
use yew::prelude::*;

use crate::components::Submit;

/// A form's way out, from [`use_command_form`].
#[derive(Clone, PartialEq)]
pub struct CommandForm {
    key: String,
    local_error: UseStateHandle<Option<String>>,
    onsubmit: Callback<Submit>,
}

impl CommandForm {
    /// Sends `command`, or shows why the fields could not make one.
    pub fn send(&self, command: Result<Command, String>) {
        match command {
            Ok(command) => {
                self.local_error.set(None);
                self.onsubmit.emit(Submit {
                    form: self.key.clone(),
                    command,
                });
            }
            Err(message) => self.local_error.set(Some(message)),
        }
    }

    /// The form's submit handler (a click on its submit button, or Enter in
    /// one of its fields): makes the command with `build` instead of
    /// letting the browser post the form.
    pub fn on_submit(
        &self,
        build: impl Fn() -> Result<Command, String> + 'static,
    ) -> Callback<SubmitEvent> {
        let form = self.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            form.send(build());
        })
    }

    /// A button's click handler that makes its command with `build`.
    pub fn on_click(
        &self,
        build: impl Fn() -> Result<Command, String> + 'static,
    ) -> Callback<MouseEvent> {
        let form = self.clone();
        Callback::from(move |_: MouseEvent| form.send(build()))
    }

    /// A button's click handler that sends `command` as it is: there is
    /// nothing typed to check.
    pub fn sends(&self, command: Command) -> Callback<MouseEvent> {
        self.on_click(move || Ok(command.clone()))
    }

    /// What the form's own checks found wrong with the last try, if anything.
    pub fn local_error(&self) -> Option<String> {
        (*self.local_error).clone()
    }
}

/// The form called `key` (where the relay's answers come back to), sending
/// its commands to `onsubmit`.
#[hook]
pub fn use_command_form(key: String, onsubmit: &Callback<Submit>) -> CommandForm {
    // Compared before it is set: a form that sends without a complaint
    // to clear is not drawn again for it.
    let local_error = use_state_eq(|| None::<String>);
    CommandForm {
        key,
        local_error,
        onsubmit: onsubmit.clone(),
    }
}
