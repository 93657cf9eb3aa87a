//! "Open capture…": a file picker, and the whole page as a drop target,
//! for a `.pcap`, a `.pcapng` or a JSON event log. The page reads an event
//! log itself; the file worker takes a capture apart
//! ([`crate::file_worker`]) and answers with its events as an event log.
//! No relay is needed; what went wrong is said in the page.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Blob, DragEvent, File, HtmlInputElement};
use yew::prelude::*;

use crate::capture_file::job::{Job, OpenedFile, Opening, Step, Unopened};
use crate::capture_file::{FileKind, MAX_FILE_BYTES, OpenError, read_event_log};
use crate::file_worker::{self, Answer, FileJob, Flow};
use crate::i18n::{Lang, capture::open_error, use_lang};
use crate::model::Model;
use crate::model::describe::decimal;
use crate::model::kept::Keeping;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The name of the file being shown, if one is open.
    #[prop_or_default]
    pub open: Option<String>,
    /// The file being read, while it is.
    #[prop_or_default]
    pub opening: Option<String>,
    #[prop_or_default]
    pub error: Option<String>,
    /// How an opened file's model keeps payloads: the live session's
    /// amount, with nothing kept yet.
    pub keeping: Keeping,
    pub onopening: Callback<String>,
    pub onopen: Callback<(String, OpenedFile)>,
    pub onerror: Callback<String>,
    pub onclose: Callback<()>,
}

/// `3.4 MB`.
fn size_label(bytes: f64) -> String {
    // `as` saturates; a file's size is a whole number of bytes anyway.
    let bytes = bytes as u64;
    if bytes < 1_000_000 {
        format!("{} kB", bytes.div_ceil(1000))
    } else {
        format!("{} MB", decimal((bytes + 50_000) / 100_000, 1))
    }
}

/// Everything a read needs: where to keep the job (dropping it cancels
/// the read), which read is the newest, the page's language when the file
/// arrives, and whom to tell.
#[derive(Clone)]
struct Reading {
    slot: Rc<RefCell<Option<FileJob>>>,
    turn: Rc<RefCell<u64>>,
    lang: Rc<RefCell<Lang>>,
    keeping: Rc<RefCell<Keeping>>,
    onopening: Callback<String>,
    onopen: Callback<(String, OpenedFile)>,
    onerror: Callback<String>,
}

/// Bytes enough to tell an event log from a capture ([`FileKind::sniff`]).
const HEAD_BYTES: f64 = 64.0;

impl Reading {
    /// Reads `file` and reports it opened, or why not. An event log is
    /// read here, with the decoder the relay's frames go through; a
    /// capture, or anything else, goes to the file worker.
    fn read(&self, file: File) {
        let name = file.name();
        let size = file.size();
        let lang = *self.lang.borrow();
        if size > MAX_FILE_BYTES as f64 {
            let bytes = usize::try_from(size as u64).unwrap_or(usize::MAX);
            self.onerror
                .emit(open_error(lang, &name, &OpenError::TooLarge { bytes }));
            return;
        }
        self.onopening
            .emit(format!("{name} ({})", size_label(size)));
        // The newest read wins: an older one still under way is cancelled
        // (its job dropped) or, when it was reading here, ignored.
        let turn = *self.turn.borrow() + 1;
        *self.turn.borrow_mut() = turn;
        self.slot.borrow_mut().take();
        let reading = self.clone();
        spawn_local(async move {
            let head = bytes_of(&file, Some(HEAD_BYTES)).await;
            if *reading.turn.borrow() != turn {
                return;
            }
            let step = match head.map(|head| FileKind::sniff(&head)) {
                Ok(Some(FileKind::EventLog)) => match bytes_of(&file, None).await {
                    Ok(log) => match read_event_log(&log) {
                        Ok(events) => Step::Opened(OpenedFile {
                            kind: FileKind::EventLog,
                            model: Box::new(Model::keeping_all(
                                reading.keeping.borrow().clone(),
                                events,
                            )),
                            notes: Vec::new(),
                        }),
                        Err(error) => Step::Unopened(Unopened::refused(&error)),
                    },
                    Err(reason) => Step::Unopened(Unopened::Unread(reason)),
                },
                Ok(_) => return reading.hand_over(file, name, lang),
                Err(reason) => Step::Unopened(Unopened::Unread(reason)),
            };
            if *reading.turn.borrow() == turn {
                reading.report(&name, lang, step);
            }
        });
    }

    /// Gives `file` to the file worker and reports what it answers.
    fn hand_over(&self, file: File, name: String, lang: Lang) {
        let reading = self.clone();
        let mut opening = Opening::new(self.keeping.borrow().clone());
        let named = name.clone();
        let read = move |answer: Answer| {
            let step = match answer {
                Ok((done, bytes)) => opening.take(done, &bytes),
                Err(reason) => Step::Unopened(Unopened::Unread(reason)),
            };
            if step == Step::More {
                return Flow::More;
            }
            reading.report(&named, lang, step);
            Flow::Finished
        };
        match FileJob::start(Job::Open, file.into(), read) {
            Ok(job) => *self.slot.borrow_mut() = Some(job),
            Err(reason) => self.report(&name, lang, Step::Unopened(Unopened::Unread(reason))),
        }
    }

    /// Tells the page how a read ended.
    fn report(&self, name: &str, lang: Lang, step: Step) {
        match step {
            Step::More => {}
            Step::Opened(opened) => self.onopen.emit((name.to_string(), opened)),
            Step::Unopened(Unopened::Refused(reason)) => {
                self.onerror.emit(format!("{name}: {}", lang.text(&reason)));
            }
            Step::Unopened(Unopened::Unread(reason)) => self.onerror.emit(format!(
                "{}{name}: {reason}",
                lang.pick("could not read ", "无法读取 ")
            )),
        }
    }
}

/// The bytes of `blob`, or of its first `upto`.
async fn bytes_of(blob: &Blob, upto: Option<f64>) -> Result<Vec<u8>, String> {
    let part = match upto {
        Some(end) => blob.slice_with_f64_and_f64(0.0, end),
        None => Ok(blob.clone()),
    };
    let buffer = match part {
        Ok(part) => JsFuture::from(part.array_buffer()).await,
        Err(error) => Err(error),
    };
    buffer
        .map(|buffer| Uint8Array::new(&buffer).to_vec())
        .map_err(|error| {
            error.dyn_ref::<js_sys::Error>().map_or_else(
                || "the browser could not read it".to_string(),
                |e| String::from(e.message()),
            )
        })
}

#[component]
pub fn FileOpener(props: &Props) -> Html {
    let lang = use_lang();
    // Callbacks read the language when a file arrives, not when they were made.
    let current_lang = use_mut_ref(|| lang);
    *current_lang.borrow_mut() = lang;
    let keeping = use_mut_ref(|| props.keeping.clone());
    *keeping.borrow_mut() = props.keeping.clone();
    let reading = Reading {
        slot: use_mut_ref(|| None::<FileJob>),
        turn: use_mut_ref(|| 0),
        lang: current_lang,
        keeping,
        onopening: props.onopening.clone(),
        onopen: props.onopen.clone(),
        onerror: props.onerror.clone(),
    };
    let dragging = use_state(|| false);
    {
        // The whole page takes a dropped file: no need to aim.
        let reading = reading.clone();
        let dragging = dragging.clone();
        use_effect_with((), move |_| {
            let listeners = web_sys::window()
                .and_then(|w| w.document())
                .map(|document| {
                    // Not passive: the page must cancel the browser's own
                    // handling (which would open the file in place of the page).
                    let active = EventListenerOptions::enable_prevent_default();
                    let over = {
                        let dragging = dragging.clone();
                        EventListener::new_with_options(&document, "dragover", active, move |e| {
                            e.prevent_default();
                            dragging.set(true);
                            file_worker::warm_up();
                        })
                    };
                    let leave = {
                        let dragging = dragging.clone();
                        EventListener::new(&document, "dragleave", move |e| {
                            // Leaving the window, not moving between elements.
                            let outside = e
                                .dyn_ref::<DragEvent>()
                                .is_some_and(|d| d.related_target().is_none());
                            if outside {
                                dragging.set(false);
                            }
                        })
                    };
                    let dropped =
                        EventListener::new_with_options(&document, "drop", active, move |e| {
                            e.prevent_default();
                            dragging.set(false);
                            let file = e
                                .dyn_ref::<DragEvent>()
                                .and_then(DragEvent::data_transfer)
                                .and_then(|t| t.files())
                                .and_then(|files| files.get(0));
                            if let Some(file) = file {
                                reading.read(file);
                            }
                        });
                    [over, leave, dropped]
                });
            move || drop(listeners)
        });
    }
    let onchange = Callback::from(move |e: Event| {
        let Some(input) = e.target_dyn_into::<HtmlInputElement>() else {
            return;
        };
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            reading.read(file);
        }
        // Let the same file be chosen again later.
        input.set_value("");
    });
    let close = props.onclose.reform(|_: MouseEvent| ());
    html! {
        <div class="file-opener" id="file-opener">
            // Reaching for a file starts the worker that will read it.
            <label class="button secondary" onpointerdown={|_| file_worker::warm_up()} title={lang.pick("A .pcap or .pcapng from Wireshark or tcpdump, or a sockscope event log; or drop one anywhere on the page", "Wireshark 或 tcpdump 的 .pcap、.pcapng，或 sockscope 事件日志；也可以直接拖到页面任意位置")}>
                { lang.pick("Open capture…", "打开抓包文件…") }
                <input type="file" id="open-file" accept=".pcap,.pcapng,.cap,.json,application/vnd.tcpdump.pcap,application/json" {onchange}
                    onfocus={|_| file_worker::warm_up()} />
            </label>
            if let Some(name) = &props.opening {
                <span class="opening" id="opening" role="status">{ match lang { Lang::En => format!("opening {name}…"), Lang::Zh => format!("正在打开 {name}…") } }</span>
            } else if let Some(name) = &props.open {
                <span class="open-log" id="open-name">{ match lang { Lang::En => format!("showing {name}"), Lang::Zh => format!("正在显示 {name}") } }</span>
                <button type="button" class="secondary small" id="close-log" onclick={close}>{ lang.pick("back to live", "回到实时") }</button>
            }
            if let Some(error) = &props.error {
                <span class="form-error" id="open-error" role="alert">{ error }</span>
            }
            if *dragging {
                <div class="drop-overlay" aria-hidden="true"><p>{ lang.pick("Drop a .pcap, .pcapng or event log to open it", "拖放 .pcap、.pcapng 或事件日志即可打开") }</p></div>
            }
        </div>
    }
}
