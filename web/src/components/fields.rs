//! Small helpers shared by the forms and other views: turning input events
//! into state updates, and the `<select>` values of a framing. Not
//! components themselves, so they live together here; the labelled fields
//! built on them are in `form_fields.rs`.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::{Callback, Event, InputEvent, TargetCast, UseStateHandle};

/// Keeps a text field's state in step with what is typed.
pub fn text(handle: &UseStateHandle<String>) -> Callback<InputEvent> {
    let handle = handle.clone();
    Callback::from(move |e: InputEvent| {
        if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
            handle.set(input.value());
        }
    })
}

/// The text of an input after a keystroke.
pub fn input_value(e: &InputEvent) -> Option<String> {
    e.target_dyn_into::<HtmlInputElement>()
        .map(|input| input.value())
}

/// Whether a checkbox is ticked after a change.
pub fn checked(e: &Event) -> Option<bool> {
    e.target_dyn_into::<HtmlInputElement>()
        .map(|input| input.checked())
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
