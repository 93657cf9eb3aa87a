//! "Export pcapng" and "Export event log": what the views show (the live
//! session or the open file), whole or one connection, saved as a file.
//! The pcapng opens in Wireshark with every socket call in the packet
//! comments, and is written by the file worker from the event log; both
//! open here again with "Open capture…".

use gloo_file::ObjectUrl;
use yew::prelude::*;

use super::fields;
use crate::capture_file::export::{self, Scope};
use crate::capture_file::job::{Done, Job};
use crate::download::download;
use crate::file_worker::{self, Answer, FileJob, Flow};
use crate::i18n::use_lang;
use crate::state::ModelRef;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    /// The open file's name, to name the export after it; `None` for the
    /// live session.
    #[prop_or_default]
    pub name: Option<String>,
}

/// `03-sticky-small-sends` from `03-sticky-small-sends.pcapng`.
fn stem(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let base = [".events.json", ".pcapng", ".pcap", ".json", ".cap"]
        .iter()
        .find_map(|ext| base.strip_suffix(ext))
        .unwrap_or(base);
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if clean.trim_matches('-').is_empty() {
        "sockscope-session".to_string()
    } else {
        clean
    }
}

#[component]
pub fn ExportMenu(props: &Props) -> Html {
    let lang = use_lang();
    let scope = use_state(|| Scope::Session);
    let error = use_state(|| None::<String>);
    // The last download's URL: revoked when the next replaces it, or when
    // the menu goes away.
    let last = use_mut_ref(|| None::<ObjectUrl>);
    // The pcapng being written, if one is: ended with the menu.
    let job = use_mut_ref(|| None::<FileJob>);
    let saving = use_state(|| false);
    let model = props.model.get();
    // A conversation picked before a new file was opened may not exist.
    let chosen = match *scope {
        Scope::Conversation(id) if model.conversations.get(id).is_none() => Scope::Session,
        other => other,
    };
    let save = |pcapng: bool| {
        let (model, name, error, last, saving, job) = (
            props.model.clone(),
            props.name.clone(),
            error.clone(),
            last.clone(),
            saving.clone(),
            job.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let events = export::events_of(&model.get(), chosen);
            let mut file = stem(name.as_deref().unwrap_or("sockscope-session"));
            if let Scope::Conversation(id) = chosen {
                file.push_str(&format!("-conversation-{}", id + 1));
            }
            let log = export::event_log(&events);
            let (last, error, saving, unstarted) =
                (last.clone(), error.clone(), saving.clone(), error.clone());
            let saved = move |saved: Result<ObjectUrl, String>| match saved {
                Ok(url) => {
                    *last.borrow_mut() = Some(url);
                    error.set(None);
                }
                Err(message) => error.set(Some(message)),
            };
            if !pcapng {
                saved(download(
                    &format!("{file}.events.json"),
                    log.as_bytes(),
                    "application/json",
                ));
                return;
            }
            // The worker writes the pcapng; the button waits for it.
            saving.set(true);
            let done = {
                let saving = saving.clone();
                move |answer: Answer| {
                    saving.set(false);
                    saved(match answer {
                        Ok((Done::Saved, bytes)) => {
                            download(&format!("{file}.pcapng"), &bytes, "application/x-pcapng")
                        }
                        Ok((Done::Failed { reason }, _)) | Err(reason) => Err(reason),
                        Ok(_) => {
                            Err("the file worker answered with something else than a pcapng".into())
                        }
                    });
                    Flow::Finished
                }
            };
            let payload = js_sys::Uint8Array::from(log.as_bytes()).into();
            match FileJob::start(Job::SavePcapng, payload, done) {
                Ok(started) => *job.borrow_mut() = Some(started),
                Err(message) => {
                    saving.set(false);
                    unstarted.set(Some(message));
                }
            }
        })
    };
    let onscope = {
        let scope = scope.clone();
        Callback::from(move |e: Event| {
            let picked = fields::select_value(&e)
                .and_then(|v| v.parse::<usize>().ok())
                .map_or(Scope::Session, Scope::Conversation);
            scope.set(picked);
        })
    };
    let empty = model.events.is_empty();
    html! {
        <div class="export-menu" id="export-menu">
            <label class="export-scope">
                <span class="visually-hidden">{ lang.pick("What to export", "导出范围") }</span>
                <select id="export-scope" onchange={onscope} disabled={empty}>
                    <option value="" selected={chosen == Scope::Session}>{ lang.pick("whole session", "整个会话") }</option>
                    { for model.conversations.list.iter().map(|c| html! {
                        <option value={c.id.to_string()} selected={chosen == Scope::Conversation(c.id)}>{ c.label() }</option>
                    }) }
                </select>
            </label>
            <button type="button" class="secondary" id="export-pcapng" disabled={empty || *saving} aria-busy={saving.to_string()} onclick={save(true)}
                onpointerdown={|_| file_worker::warm_up()}
                title={lang.pick("Packets for Wireshark, with every socket call in the packet comments", "给 Wireshark 用的报文，每个套接字调用写在报文注释里")}>{ lang.pick("Export pcapng", "导出 pcapng") }</button>
            <button type="button" class="secondary" id="export-log" disabled={empty} onclick={save(false)}
                title={lang.pick("The events as JSON, which this page opens again", "JSON 格式的事件，本页面可以再次打开")}>{ lang.pick("Export event log", "导出事件日志") }</button>
            if let Some(message) = &*error {
                <span class="form-error" role="alert">{ message }</span>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::stem;

    #[test]
    fn exports_are_named_after_the_file_they_came_from() {
        assert_eq!(
            stem("03-sticky-small-sends.pcapng"),
            "03-sticky-small-sends"
        );
        assert_eq!(stem("class 2.events.json"), "class-2");
        assert_eq!(stem("/tmp/x.pcap"), "x");
        assert_eq!(stem(".pcap"), "sockscope-session");
    }
}
