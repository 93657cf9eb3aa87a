//! The file worker: a Web Worker that opens capture files and writes
//! pcapng for the page (`capture_file::job` says why it is apart, and what
//! travels).
//!
//! Once its module is running it says `ready`; the page then posts one job
//! as `[header, payload]` (a JSON [`Job`], and a `File` to open or the
//! bytes of an event log to save) and gets each answer as `[header,
//! bytes]`, a JSON [`Done`] and the bytes it speaks of, moved rather than
//! copied. The page ends the worker after one job, so whatever memory a
//! large file took goes with it.

#[cfg(target_arch = "wasm32")]
mod worker {
    use js_sys::{Array, Uint8Array};
    use sockscope_web::capture_file::job::{self, Done, Job};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;
    use web_sys::{Blob, DedicatedWorkerGlobalScope, FileReaderSync, MessageEvent};

    /// The message the page waits for before posting its job: messages
    /// posted while the module was still loading would have found no one
    /// listening.
    const READY: &str = "ready";

    pub fn start() {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let reply_to = scope.clone();
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            work(&message.data(), &mut |done, bytes| {
                reply(&reply_to, &done, &bytes)
            });
        });
        scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        // The worker lives as long as its page wants it: the handler too.
        onmessage.forget();
        let _ = scope.post_message(&JsValue::from_str(READY));
    }

    /// Runs the job in `data`; a message that is not one is answered as a
    /// job that failed, so the page never waits for nothing.
    fn work(data: &JsValue, answer: &mut dyn FnMut(Done, Vec<u8>)) {
        let message = Array::from(data);
        let job = message
            .get(0)
            .as_string()
            .and_then(|header| serde_json::from_str::<Job>(&header).ok());
        let Some(job) = job else {
            let reason = "the file worker got a message that is not a job".into();
            return answer(Done::Failed { reason }, Vec::new());
        };
        match payload(&message.get(1)) {
            Ok(bytes) => job::run(job, &bytes, answer),
            Err(reason) => answer(Done::Failed { reason }, Vec::new()),
        }
    }

    /// The payload's bytes: a `File` (a `Blob`) is read here, off the
    /// page's thread; bytes come as a `Uint8Array`.
    fn payload(value: &JsValue) -> Result<Vec<u8>, String> {
        if let Some(blob) = value.dyn_ref::<Blob>() {
            let buffer = FileReaderSync::new()
                .and_then(|reader| reader.read_as_array_buffer(blob))
                .map_err(|e| format!("the file could not be read ({})", describe(&e)))?;
            return Ok(Uint8Array::new(&buffer).to_vec());
        }
        value
            .dyn_ref::<Uint8Array>()
            .map(Uint8Array::to_vec)
            .ok_or_else(|| "the file worker got no bytes to work on".to_string())
    }

    fn reply(scope: &DedicatedWorkerGlobalScope, done: &Done, bytes: &[u8]) {
        let header = serde_json::to_string(done).unwrap_or_default();
        let body = Uint8Array::from(bytes);
        let message = Array::of2(&JsValue::from_str(&header), &body);
        let moved = Array::of1(&body.buffer());
        let _ = scope.post_message_with_transfer(&message, &moved);
    }

    /// A thrown value as words: an `Error`'s message, or what it prints as.
    fn describe(error: &JsValue) -> String {
        error
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| error.as_string())
            .unwrap_or_else(|| format!("{error:?}"))
    }
}

/// wasm-bindgen runs `main` once the module is loaded; natively there is
/// nothing to run.
fn main() {
    #[cfg(target_arch = "wasm32")]
    worker::start();
}
