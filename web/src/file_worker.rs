//! The page's side of the file worker (`capture_file::job` says what it
//! does and why it is apart): one worker per job, started when the user
//! opens or saves a file, ended when its last answer is in.
//!
//! A fresh worker each time costs its start-up (tens of milliseconds, the
//! module cached after the first) and buys two things: a job is cancelled
//! by dropping its [`FileJob`], and the memory a large file took is given
//! back to the system rather than kept by a module that cannot shrink.
//! [`warm_up`] hides the start-up: the page calls it when the user reaches
//! for a file, and the job takes that worker.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_events::EventListener;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::capture_file::job::{Done, Job};

/// The worker's script, beside the page (trunk's loader for the
/// `sockscope-files` binary).
pub const SCRIPT: &str = "sockscope-files_loader.js";

/// One answer of the worker's and its bytes, or why the worker gave none.
pub type Answer = Result<(Done, Vec<u8>), String>;

/// Whether a job waits for more answers after one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    More,
    Finished,
}

/// The job's reader of answers, until it has finished.
type Reader = Rc<RefCell<Option<Box<dyn FnMut(Answer) -> Flow>>>>;

/// A job under way. Dropping it ends the worker, and the job with it.
pub struct FileJob {
    worker: Worker,
    _listeners: [EventListener; 2],
}

impl FileJob {
    /// Takes the worker [`warm_up`] started, or starts one, and once it is
    /// ready gives it `job` with `payload` (a `File` to open, or a
    /// `Uint8Array`, which is moved to the worker rather than copied).
    /// `read` gets each answer until it says [`Flow::Finished`], or why
    /// there is no answer: then the worker ends.
    ///
    /// # Errors
    /// A sentence when the browser will not start a worker.
    pub fn start(
        job: Job,
        payload: JsValue,
        read: impl FnMut(Answer) -> Flow + 'static,
    ) -> Result<FileJob, String> {
        let (worker, ready) = match SPARE.with(|spare| spare.borrow_mut().take()) {
            Some(spare) if !spare.failed.get() => (spare.worker, spare.ready.get()),
            _ => (new_worker()?, false),
        };
        let read: Reader = Rc::new(RefCell::new(Some(Box::new(read))));
        if ready {
            if let Err(reason) = post(&worker, job, &payload) {
                give(&worker, &read, Err(reason));
            }
        }
        let on_message = {
            let (worker, reader) = (worker.clone(), read.clone());
            let mut job_sent = ready;
            EventListener::new(&worker.clone(), "message", move |event| {
                let Some(data) = event.dyn_ref::<MessageEvent>().map(MessageEvent::data) else {
                    return;
                };
                if job_sent {
                    give(&worker, &reader, answer_of(&data));
                } else {
                    job_sent = true;
                    if let Err(reason) = post(&worker, job, &payload) {
                        give(&worker, &reader, Err(reason));
                    }
                }
            })
        };
        let on_error = {
            let (worker, reader) = (worker.clone(), read);
            EventListener::new(&worker.clone(), "error", move |event| {
                give(&worker, &reader, Err(stopped(event)));
            })
        };
        Ok(FileJob {
            worker,
            _listeners: [on_message, on_error],
        })
    }
}

thread_local! {
    /// The worker started ahead of the next job, if one was.
    static SPARE: RefCell<Option<Spare>> = const { RefCell::new(None) };
}

/// A worker started before it had a job, and what it has said so far.
struct Spare {
    worker: Worker,
    ready: Rc<Cell<bool>>,
    failed: Rc<Cell<bool>>,
    _listeners: [EventListener; 2],
}

/// Starts a worker ahead of need, when the user is about to open or save
/// a file (pressing the button, dragging a file over the page): its module
/// loads while the user picks a file, and the job then starts at once.
/// Does nothing when one is already waiting.
pub fn warm_up() {
    SPARE.with(|spare| {
        if spare.borrow().is_some() {
            return;
        }
        let Ok(worker) = new_worker() else {
            return;
        };
        let (ready, failed) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
        mark_spare("started");
        let on_ready = {
            let ready = ready.clone();
            EventListener::new(&worker, "message", move |_| {
                ready.set(true);
                mark_spare("ready");
            })
        };
        let on_error = {
            let failed = failed.clone();
            EventListener::new(&worker, "error", move |_| failed.set(true))
        };
        *spare.borrow_mut() = Some(Spare {
            worker,
            ready,
            failed,
            _listeners: [on_ready, on_error],
        });
    });
}

/// Says on the page's root element (`data-file-worker`) how far the
/// worker started ahead of need has come: `started`, then `ready` once its
/// module has loaded and spoken. Styles may use it; tests read it, because
/// whether a worker's script shows in the page's resource timing differs
/// between browser versions.
fn mark_spare(stage: &str) {
    let root = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element());
    if let Some(root) = root {
        // Only a hint for styles and tests: a page that cannot set it
        // works the same.
        let _ = root.set_attribute("data-file-worker", stage);
    }
}

fn new_worker() -> Result<Worker, String> {
    Worker::new(SCRIPT).map_err(|e| format!("the browser would not start the file worker ({e:?})"))
}

/// Why a worker's `error` event says it stopped.
fn stopped(event: &web_sys::Event) -> String {
    match event.dyn_ref::<ErrorEvent>() {
        Some(error) => format!("the file worker stopped: {}", error.message()),
        None => format!("the file worker could not be started: is {SCRIPT} beside the page?"),
    }
}

impl Drop for FileJob {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// Posts `[header, payload]`, moving a `Uint8Array`'s buffer.
fn post(worker: &Worker, job: Job, payload: &JsValue) -> Result<(), String> {
    let header = serde_json::to_string(&job).map_err(|e| e.to_string())?;
    let message = Array::of2(&JsValue::from_str(&header), payload);
    let moved = match payload.dyn_ref::<Uint8Array>() {
        Some(bytes) => Array::of1(&bytes.buffer()),
        None => Array::new(),
    };
    worker
        .post_message_with_transfer(&message, &moved)
        .map_err(|e| format!("the job could not be given to the file worker ({e:?})"))
}

/// The worker's `[header, bytes]`, read.
fn answer_of(data: &JsValue) -> Answer {
    let message = Array::from(data);
    let header = message.get(0).as_string().unwrap_or_default();
    let done = serde_json::from_str::<Done>(&header)
        .map_err(|e| format!("the file worker's answer could not be read ({e})"))?;
    let bytes = message
        .get(1)
        .dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
        .unwrap_or_default();
    Ok((done, bytes))
}

/// Gives `answer` to the job's reader; ends the worker when the reader has
/// finished or there was no answer, and nothing reaches the reader after.
fn give(worker: &Worker, reader: &Reader, answer: Answer) {
    // Out of its cell while it runs: what it calls may end up here again.
    let Some(mut read) = reader.borrow_mut().take() else {
        return;
    };
    let failed = answer.is_err();
    if read(answer) == Flow::Finished || failed {
        worker.terminate();
    } else {
        *reader.borrow_mut() = Some(read);
    }
}
