//! A menu of the reference recordings: each experiment of the lessons, as
//! recorded on real loopback sockets, one click away, relay or not.

use sockscope_shared::Event as RelayEvent;
use yew::prelude::*;

use super::fields;
use crate::fetch_log::open_recording;
use crate::i18n::{Lang, use_lang};
use crate::lessons::SHIPPED;
use crate::recordings;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub onload: Callback<(String, Vec<RelayEvent>)>,
    pub onerror: Callback<String>,
}

#[component]
pub fn RecordingPicker(props: &Props) -> Html {
    let lang = use_lang();
    let onchange = {
        let (onload, onerror) = (props.onload.clone(), props.onerror.clone());
        Callback::from(move |e: Event| {
            if let Some(name) = fields::select_value(&e).filter(|n| !n.is_empty()) {
                open_recording(&name, onload.clone(), onerror.clone());
            }
        })
    };
    // In Chinese, each recording is named by the title of its lesson.
    let title = |r: &recordings::Recording| match lang {
        Lang::En => r.title.to_string(),
        Lang::Zh => SHIPPED
            .iter()
            .position(|l| l.recording == Some(r.name))
            .and_then(|i| Some(format!("{:02} · {}", i + 1, SHIPPED.get(i)?.title_zh)))
            .unwrap_or_else(|| r.title.to_string()),
    };
    html! {
        <label class="recording-picker">
            <span class="visually-hidden">{ lang.pick("Open a reference recording", "打开参考录制") }</span>
            <select id="recording" {onchange}>
                <option value="" selected=true>{ lang.pick("Reference recordings…", "参考录制……") }</option>
                { for recordings::ALL.iter().map(|r| html! { <option value={r.name}>{ title(r) }</option> }) }
            </select>
        </label>
    }
}
