//! A menu of the reference recordings: each experiment of the lessons, as
//! recorded on real loopback sockets, one click away, relay or not.

use sockscope_shared::Event as RelayEvent;
use yew::prelude::*;

use super::fields;
use crate::fetch_log::open_recording;
use crate::recordings;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub onload: Callback<(String, Vec<RelayEvent>)>,
    pub onerror: Callback<String>,
}

#[component]
pub fn RecordingPicker(props: &Props) -> Html {
    let onchange = {
        let (onload, onerror) = (props.onload.clone(), props.onerror.clone());
        Callback::from(move |e: Event| {
            if let Some(name) = fields::select_value(&e).filter(|n| !n.is_empty()) {
                open_recording(&name, onload.clone(), onerror.clone());
            }
        })
    };
    html! {
        <label class="recording-picker">
            <span class="visually-hidden">{ "Open a reference recording" }</span>
            <select id="recording" {onchange}>
                <option value="" selected=true>{ "Reference recordings…" }</option>
                { for recordings::ALL.iter().map(|r| html! { <option value={r.name}>{ r.title }</option> }) }
            </select>
        </label>
    }
}
