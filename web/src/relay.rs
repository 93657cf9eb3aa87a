//! The WebSocket to the relay, reconnecting by itself.
//!
//! [`Relay::start`] opens `ws://<page host>/ws?token=…` and reports two
//! things through callbacks: batches of events, and the state of the link.
//! When the socket closes it waits as [`Backoff`] says and tries again, so
//! a relay restart costs the learner nothing but a fresh session. Dropping
//! the [`Relay`] closes the socket and cancels any pending retry: the
//! component that owns it decides how long it lives, and nothing is leaked
//! with `forget()`.
//!
//! The page asks for protocol version 2 (the subprotocol
//! [`BINARY_SUBPROTOCOL`]): each frame is binary, a JSON array of events
//! with their payloads as raw bytes beside it ([`sockscope_shared::frame`]),
//! so a bulk transfer's bytes are copied into the page once rather than
//! parsed out of hex. The JSON and the payloads are copied out of the
//! browser's buffer separately, the header read first. Frames that queued
//! up while the page was busy reach the views together, in one render
//! ([`Backlog`]).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use sockscope_shared::frame::{self, BINARY_SUBPROTOCOL, FrameError};
use sockscope_shared::{Event, Request};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};
use yew::Callback;

use crate::model::backlog::{Arrival, Backlog};
use crate::model::connection::{Backoff, Link, websocket_url};

/// Closures the browser calls; kept here so they live as long as the socket.
struct Handlers {
    _open: Closure<dyn FnMut(web_sys::Event)>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

struct Inner {
    url: String,
    socket: Option<WebSocket>,
    handlers: Option<Handlers>,
    retry: Option<Timeout>,
    backoff: Backoff,
    on_events: Callback<Vec<Event>>,
    on_link: Callback<Link>,
    stopped: bool,
    backlog: Backlog<Event>,
}

/// A live link to the relay. Dropping it closes the link for good.
pub struct Relay {
    inner: Rc<RefCell<Inner>>,
}

/// Why a binary frame from the relay could not be read.
#[derive(Debug)]
pub enum BinaryFrameError {
    Layout(FrameError),
    NotUtf8(std::str::Utf8Error),
    Json(serde_json::Error),
}

impl std::fmt::Display for BinaryFrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BinaryFrameError::Layout(error) => error.fmt(f),
            BinaryFrameError::NotUtf8(error) => write!(f, "the JSON is not UTF-8: {error}"),
            BinaryFrameError::Json(error) => error.fmt(f),
        }
    }
}

/// Reads the events of one binary frame, given its JSON and its payload
/// section.
///
/// The JSON is read as text, through the same decoder as a text frame's:
/// reading it from bytes would build every event decoder a second time
/// for serde_json's byte reader (23 KB more page).
///
/// # Errors
/// The JSON error, which names a payload outside the section, or says the
/// JSON is not UTF-8.
pub fn parse_binary_frame(json: &[u8], payloads: Vec<u8>) -> Result<Vec<Event>, BinaryFrameError> {
    let text = std::str::from_utf8(json).map_err(BinaryFrameError::NotUtf8)?;
    frame::payloads_from(payloads, || serde_json::from_str::<Vec<Event>>(text))
        .map_err(BinaryFrameError::Json)
}

/// Reads a binary frame out of the browser's buffer: its header first,
/// then the JSON and the payloads, each copied into the page once.
fn read_binary_message(buffer: &js_sys::ArrayBuffer) -> Result<Vec<Event>, BinaryFrameError> {
    let view = js_sys::Uint8Array::new(buffer);
    let len = view.length();
    let mut header = [0u8; 4];
    let head = view.subarray(0, len.min(4));
    head.copy_to(header.get_mut(..head.length() as usize).unwrap_or_default());
    let (start, end) =
        frame::json_range(&header, len as usize).map_err(BinaryFrameError::Layout)?;
    // Both ends are within `len`, a u32.
    let (start, end) = (start as u32, end as u32);
    let json = view.subarray(start, end).to_vec();
    let payloads = view.subarray(end, len).to_vec();
    parse_binary_frame(&json, payloads)
}

/// Parses one text frame (an event log's; a relay speaks version 2 to the
/// page): an array of events, or a single event.
///
/// # Errors
/// The JSON error when the frame is neither.
pub fn parse_frame(text: &str) -> Result<Vec<Event>, serde_json::Error> {
    serde_json::from_str::<Vec<Event>>(text).or_else(|batch_error| {
        serde_json::from_str::<Event>(text)
            .map(|e| vec![e])
            .map_err(|_| batch_error)
    })
}

/// The WebSocket URL for this page: same host, the page's `token` passed on.
pub fn page_websocket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let protocol = location.protocol().ok()?;
    let host = location.host().ok()?;
    let search = location.search().ok()?;
    let token = web_sys::UrlSearchParams::new_with_str(&search)
        .ok()
        .and_then(|params| params.get("token"));
    Some(websocket_url(&protocol, &host, token.as_deref()))
}

impl Relay {
    /// Starts connecting to `url`.
    pub fn start(url: String, on_events: Callback<Vec<Event>>, on_link: Callback<Link>) -> Relay {
        let inner = Rc::new(RefCell::new(Inner {
            url,
            socket: None,
            handlers: None,
            retry: None,
            backoff: Backoff::default(),
            on_events,
            on_link,
            stopped: false,
            backlog: Backlog::default(),
        }));
        connect(&inner);
        Relay { inner }
    }

    /// Sends one request.
    ///
    /// # Errors
    /// A sentence for the form when the relay is not connected or the
    /// browser refused the frame.
    pub fn send(&self, request: &Request) -> Result<(), String> {
        let inner = self.inner.borrow();
        let socket = inner
            .socket
            .as_ref()
            .filter(|s| s.ready_state() == WebSocket::OPEN)
            .ok_or_else(|| "not connected to the relay: wait for “connected”".to_string())?;
        let text = serde_json::to_string(request).map_err(|e| e.to_string())?;
        socket
            .send_with_str(&text)
            .map_err(|_| "the browser could not send on the WebSocket".to_string())
    }

    /// Drops the pending wait and tries at once (the "retry now" button).
    pub fn retry_now(&self) {
        let connected = self
            .inner
            .borrow()
            .socket
            .as_ref()
            .is_some_and(|s| s.ready_state() == WebSocket::OPEN);
        if !connected {
            self.inner.borrow_mut().retry = None;
            connect(&self.inner);
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let mut inner = self.inner.borrow_mut();
        inner.stopped = true;
        inner.retry = None;
        if let Some(socket) = inner.socket.take() {
            socket.set_onopen(None);
            socket.set_onmessage(None);
            socket.set_onclose(None);
            // Closing an already closed socket is harmless; nothing to report.
            let _ = socket.close();
        }
        inner.handlers = None;
    }
}

fn connect(inner: &Rc<RefCell<Inner>>) {
    let url = inner.borrow().url.clone();
    if let Some(old) = inner.borrow_mut().socket.take() {
        old.set_onclose(None);
        let _ = old.close();
    }
    let socket = match WebSocket::new_with_str(&url, BINARY_SUBPROTOCOL) {
        Ok(socket) => socket,
        Err(_) => {
            // A malformed URL or a blocked scheme: retrying cannot help.
            let on_link = inner.borrow().on_link.clone();
            on_link.emit(Link::Gone { retry_in_ms: 0 });
            return;
        }
    };
    socket.set_binary_type(BinaryType::Arraybuffer);
    let weak = Rc::downgrade(inner);
    let open = {
        let weak = weak.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if let Some(inner) = weak.upgrade() {
                let on_link = {
                    let mut inner = inner.borrow_mut();
                    inner.backoff.connected();
                    inner.backlog.relinked();
                    inner.on_link.clone()
                };
                on_link.emit(Link::Connected);
            }
        })
    };
    let message = {
        let weak = weak.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(inner) = weak.upgrade() else { return };
            let arrived_ms = crate::bench::arrival_stamp();
            let data = event.data();
            let read = match data.dyn_ref::<js_sys::ArrayBuffer>() {
                Some(buffer) => read_binary_message(buffer)
                    .map(|events| (events, buffer.byte_length() as usize))
                    .map_err(|e| e.to_string()),
                None => data
                    .as_string()
                    .ok_or_else(|| "neither binary nor text".to_owned())
                    .and_then(|text| {
                        parse_frame(&text)
                            .map(|events| (events, text.len()))
                            .map_err(|e| e.to_string())
                    }),
            };
            match read {
                Ok((events, bytes)) => {
                    crate::bench::frame_arrived(arrived_ms, &events);
                    arrived(&inner, events, bytes);
                }
                Err(error) => web_sys::console::warn_1(
                    &format!("sockscope: a frame from the relay is not events: {error}").into(),
                ),
            }
        })
    };
    let close = Closure::<dyn FnMut(CloseEvent)>::new(move |_: CloseEvent| {
        if let Some(inner) = weak.upgrade() {
            schedule_retry(&inner);
        }
    });
    socket.set_onopen(Some(open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(close.as_ref().unchecked_ref()));
    let mut state = inner.borrow_mut();
    state.socket = Some(socket);
    state.handlers = Some(Handlers {
        _open: open,
        _message: message,
        _close: close,
    });
}

/// Hands a frame's events to the views now, or holds them for the next
/// task while the page is behind.
fn arrived(inner: &Rc<RefCell<Inner>>, events: Vec<Event>, bytes: usize) {
    let Some(first) = events.first() else {
        return;
    };
    let happened_ms = first.t_us as f64 / 1000.0;
    let arrival =
        inner
            .borrow_mut()
            .backlog
            .arrive(js_sys::Date::now(), happened_ms, bytes, events);
    match arrival {
        Arrival::Now(events) => deliver(inner, events),
        Arrival::Held {
            flush_in_ms: Some(wait),
        } => flush_after(inner, wait),
        Arrival::Held { flush_in_ms: None } => {}
    }
}

fn deliver(inner: &Rc<RefCell<Inner>>, events: Vec<Event>) {
    let on_events = inner.borrow().on_events.clone();
    on_events.emit(events);
}

/// Delivers the held events in a task of their own, `wait_ms` from now,
/// or waits on if frames came since ([`Backlog::due`]): the browser runs
/// it after the messages already waiting (it takes tasks of one priority
/// in the order they were queued), so those join the held events first
/// and all of them render once.
fn flush_after(inner: &Rc<RefCell<Inner>>, wait_ms: f64) {
    let weak = Rc::downgrade(inner);
    let flush = move || {
        if let Some(inner) = weak.upgrade() {
            let due = inner.borrow_mut().backlog.due(js_sys::Date::now());
            match due {
                Arrival::Now(events) if !events.is_empty() => deliver(&inner, events),
                Arrival::Held {
                    flush_in_ms: Some(wait),
                } => flush_after(&inner, wait),
                _ => {}
            }
        }
    };
    let Some(window) = web_sys::window() else {
        return flush();
    };
    // Freed once it has run.
    let flush = Closure::once_into_js(flush);
    if window
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            flush.unchecked_ref(),
            // Whole milliseconds, at most half a second.
            wait_ms.ceil() as i32,
        )
        .is_err()
    {
        web_sys::console::warn_1(&"sockscope: could not schedule the held events".into());
    }
}

/// Reports the failure and arms the timer for the next try. Called from the
/// close handler, which must not drop itself: the old handlers are replaced
/// only by the next `connect`, from the timer.
fn schedule_retry(inner: &Rc<RefCell<Inner>>) {
    let (link, on_link) = {
        let mut state = inner.borrow_mut();
        if state.stopped {
            return;
        }
        (state.backoff.failed(), state.on_link.clone())
    };
    let delay = match link {
        Link::Reconnecting { retry_in_ms, .. } | Link::Gone { retry_in_ms } => retry_in_ms,
        _ => 1000,
    };
    on_link.emit(link);
    let weak: Weak<RefCell<Inner>> = Rc::downgrade(inner);
    let timeout = Timeout::new(delay, move || {
        if let Some(inner) = weak.upgrade() {
            connect(&inner);
        }
    });
    inner.borrow_mut().retry = Some(timeout);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_may_be_a_batch_or_one_event() {
        let batch = r#"[{"index":0,"t_us":1,"event":"lagged","dropped":2},{"index":1,"t_us":2,"event":"lagged","dropped":3}]"#;
        assert_eq!(parse_frame(batch).unwrap().len(), 2);
        let single = r#"{"index":0,"t_us":1,"event":"lagged","dropped":2}"#;
        assert_eq!(parse_frame(single).unwrap().len(), 1);
        assert!(parse_frame("{\"oops\":1}").is_err());
    }

    #[test]
    fn binary_frames_carry_payloads_beside_the_json() {
        let json = br#"[{"index":3,"t_us":1,"event":"call","socket":2,"transport":"tcp","call":"recv","bufsize":8,"result":{"kind":"data","data":[2,3],"offset":0}}]"#;
        let events = parse_binary_frame(json, b"xxabc".to_vec()).unwrap();
        let sockscope_shared::EventKind::Call(call) = &events[0].kind else {
            panic!("{events:?}");
        };
        assert!(
            matches!(&call.result, sockscope_shared::CallResult::Data { data, .. } if data == &b"abc"[..])
        );
        let outside = parse_binary_frame(json, b"ab".to_vec())
            .unwrap_err()
            .to_string();
        assert!(
            outside.contains("outside the frame's 2 payload bytes"),
            "{outside}"
        );
    }
}
