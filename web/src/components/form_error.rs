//! The message shown under a form: a check that failed before sending, or
//! what the relay or the kernel answered.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// A check that failed in the page.
    #[prop_or_default]
    pub local: Option<String>,
    /// The relay's answer (a refused command or a failed call).
    #[prop_or_default]
    pub remote: Option<String>,
}

#[component]
pub fn FormError(props: &Props) -> Html {
    let message = props.local.as_ref().or(props.remote.as_ref());
    match message {
        Some(message) => html! { <p class="form-error" role="alert">{ message }</p> },
        None => html! {},
    }
}
