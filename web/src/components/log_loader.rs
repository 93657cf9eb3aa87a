//! Opening a JSON event log (an array of events, as the relay sends them)
//! from a file, so every view works without a relay: a recording from class,
//! or one of the reference experiments.

use gloo_file::callbacks::{FileReader, read_as_text};
use sockscope_shared::Event as RelayEvent;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::relay::parse_frame;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The name of the log being shown, if one is open.
    #[prop_or_default]
    pub open: Option<String>,
    #[prop_or_default]
    pub error: Option<String>,
    pub onload: Callback<(String, Vec<RelayEvent>)>,
    pub onerror: Callback<String>,
    pub onclose: Callback<()>,
}

#[component]
pub fn LogLoader(props: &Props) -> Html {
    // The reader must live until it calls back; dropping it cancels the read.
    let reader = use_mut_ref(|| None::<FileReader>);
    let onchange = {
        let reader = reader.clone();
        let (onload, onerror) = (props.onload.clone(), props.onerror.clone());
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            let name = file.name();
            let (onload, onerror) = (onload.clone(), onerror.clone());
            let task = read_as_text(&gloo_file::File::from(file), move |text| match text {
                Ok(text) => match parse_frame(&text) {
                    Ok(events) if !events.is_empty() => onload.emit((name, events)),
                    Ok(_) => onerror.emit(format!("{name} holds no events")),
                    Err(error) => onerror.emit(format!("{name} is not an event log: {error}")),
                },
                Err(error) => onerror.emit(format!("could not read {name}: {error}")),
            });
            *reader.borrow_mut() = Some(task);
            // Let the same file be chosen again later.
            input.set_value("");
        })
    };
    let close = props.onclose.reform(|_: MouseEvent| ());
    html! {
        <div class="log-loader" id="log-loader">
            <label class="button secondary">
                { "Open event log…" }
                <input type="file" id="log-file" accept=".json,application/json" {onchange} />
            </label>
            if let Some(name) = &props.open {
                <span class="open-log">{ format!("showing {name}") }</span>
                <button type="button" class="secondary small" id="close-log" onclick={close}>{ "back to live" }</button>
            }
            if let Some(error) = &props.error {
                <span class="form-error" role="alert">{ error }</span>
            }
        </div>
    }
}
