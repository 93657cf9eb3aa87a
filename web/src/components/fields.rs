//! Small helpers shared by the forms: turning input events into state
//! updates, and a submitted form into a command. Not components
//! themselves, so they live together here.

use sockscope_shared::Command;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::{Callback, Event, InputEvent, SubmitEvent, TargetCast, UseStateHandle};

use super::Submit;

/// Where a form's commands go, and where its own complaints are shown.
///
/// Every form ends the same way: the fields either make a command, which
/// goes to the app under the form's key (so the relay's answer finds its
/// way back under the form), or they do not, and the form says why.
#[derive(Clone)]
pub struct Sender {
    form: String,
    local_error: UseStateHandle<Option<String>>,
    onsubmit: Callback<Submit>,
}

impl Sender {
    pub fn new(
        form: String,
        local_error: &UseStateHandle<Option<String>>,
        onsubmit: &Callback<Submit>,
    ) -> Sender {
        Sender {
            form,
            local_error: local_error.clone(),
            onsubmit: onsubmit.clone(),
        }
    }

    /// Sends `command`, or shows why the fields could not make one.
    pub fn send(&self, command: Result<Command, String>) {
        match command {
            Ok(command) => {
                self.local_error.set(None);
                self.onsubmit.emit(Submit {
                    form: self.form.clone(),
                    command,
                });
            }
            Err(message) => self.local_error.set(Some(message)),
        }
    }

    /// The form's submit handler: makes the command with `build` when the
    /// form is submitted, instead of letting the browser post it.
    pub fn on_submit(
        &self,
        build: impl Fn() -> Result<Command, String> + 'static,
    ) -> Callback<SubmitEvent> {
        let sender = self.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            sender.send(build());
        })
    }
}

/// Keeps a text field's state in step with what is typed.
pub fn text(handle: &UseStateHandle<String>) -> Callback<InputEvent> {
    let handle = handle.clone();
    Callback::from(move |e: InputEvent| {
        if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
            handle.set(input.value());
        }
    })
}

/// Keeps a checkbox's state in step with clicks.
pub fn checkbox(handle: &UseStateHandle<bool>) -> Callback<Event> {
    let handle = handle.clone();
    Callback::from(move |e: Event| {
        if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
            handle.set(input.checked());
        }
    })
}

/// The value of a `<select>` after a change.
pub fn select_value(e: &Event) -> Option<String> {
    e.target_dyn_into::<HtmlSelectElement>().map(|s| s.value())
}

/// Keeps a `<select>`'s state in step, mapping its value with `parse`.
pub fn select<T: 'static>(
    handle: &UseStateHandle<T>,
    parse: fn(&str) -> Option<T>,
) -> Callback<Event> {
    let handle = handle.clone();
    Callback::from(move |e: Event| {
        if let Some(value) = select_value(&e).as_deref().and_then(parse) {
            handle.set(value);
        }
    })
}

/// The `<select>` value of a framing, and back.
pub fn framing_value(framing: sockscope_shared::Framing) -> &'static str {
    use sockscope_shared::Framing;
    match framing {
        Framing::None => "none",
        Framing::Ascii4 => "ascii4",
        Framing::U32Le => "u32le",
        Framing::U32Be => "u32be",
    }
}

pub fn parse_framing(value: &str) -> Option<sockscope_shared::Framing> {
    sockscope_shared::Framing::ALL
        .into_iter()
        .find(|f| framing_value(*f) == value)
}
