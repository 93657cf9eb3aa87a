//! Render marks for the latency benchmark (`cargo xtask bench`), kept only
//! when the page's address asks for them: `/?token=…&bench`.
//!
//! For every render that brings new live events to the screen, the page
//! pushes one record onto `window.sockscopeBench`:
//! `{t_us: [...], kinds: [...], dom_ms, paint_ms}`. `t_us` and `kinds` are
//! the new events' own timestamps and kinds; `dom_ms` is when the DOM held
//! them (this hook's effect, which Yew runs once every component of the
//! render has been committed); `paint_ms` is when the frame showing them had
//! been painted (a task queued from the next `requestAnimationFrame`, so it
//! runs after that frame's style, layout and paint). Both are
//! `performance.timeOrigin + performance.now()`: milliseconds on the
//! machine's realtime clock, the clock of `t_us`, so the benchmark can
//! subtract one from the other.
//!
//! The WebSocket's handler also notes each frame of events as it reaches
//! the page ([`arrival_stamp`], before reading it, and
//! [`frame_arrived`]), on `window.sockscopeFrames`:
//! `{arrived_ms, t_us: [...]}`, so the benchmark can split
//! each event's latency into the relay, the link and the browser's queue
//! (up to `arrived_ms`) and the page's own work (from there to `dom_ms`).
//!
//! Without the flag the hook costs one check per render.

use std::cell::OnceCell;

use js_sys::{Array, Object, Reflect};
use sockscope_shared::{Event, EventKind};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use crate::state::ModelRef;

/// The `window` property the records go to.
const RECORDS: &str = "sockscopeBench";
/// The `window` property the frames' arrivals go to.
const FRAMES: &str = "sockscopeFrames";

thread_local! {
    /// With `bench` in the address, the page's time origin; without it,
    /// nothing. Read once: looked up at every mark, the origin was a
    /// measurable part of the page's work the marks time.
    static MARKS_ORIGIN: OnceCell<Option<f64>> = const { OnceCell::new() };
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// The time origin the marks count from, when the address has `bench` in
/// its query.
fn origin() -> Option<f64> {
    MARKS_ORIGIN.with(|origin| {
        *origin.get_or_init(|| {
            let window = web_sys::window()?;
            let asked = window
                .location()
                .search()
                .ok()
                .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
                .is_some_and(|params| params.has("bench"));
            if !asked {
                return None;
            }
            Reflect::get(&window, &"performance".into())
                .ok()
                .and_then(|p| Reflect::get(&p, &"timeOrigin".into()).ok())
                .and_then(|t| t.as_f64())
        })
    })
}

/// Whether the address asks for marks.
fn enabled() -> bool {
    origin().is_some()
}

/// Milliseconds since the Unix epoch, to the browser timer's precision.
fn now_ms() -> f64 {
    origin().unwrap_or(0.0) + performance_now()
}

fn kind(event: &Event) -> &'static str {
    match event.kind {
        EventKind::Call(_) => "call",
        EventKind::Segment(_) => "segment",
        EventKind::State { .. } => "state",
        EventKind::RecvQueue { .. } => "recv_queue",
        _ => "other",
    }
}

/// Records the live events that reached the screen since the last render.
#[hook]
pub fn use_render_marks(live: &ModelRef) {
    let shown = use_mut_ref(|| 0usize);
    use_effect_with(live.clone(), move |live| {
        if enabled() {
            let live = live.get();
            let mut shown = shown.borrow_mut();
            if *shown > live.events.len() {
                // A new relay session started over.
                *shown = 0;
            }
            let new = live.events.get(*shown..).unwrap_or_default();
            *shown = live.events.len();
            if !new.is_empty() {
                record(new);
            }
        }
    });
}

/// The time a frame of live events reached the page, taken first thing in
/// the WebSocket's handler, before it is read; `None` without the flag.
pub fn arrival_stamp() -> Option<f64> {
    enabled().then(now_ms)
}

/// Notes a frame of live events that reached the page at `arrived_ms`
/// ([`arrival_stamp`]), and the events' times.
pub fn frame_arrived(arrived_ms: Option<f64>, events: &[Event]) {
    if let Some(arrived_ms) = arrived_ms {
        let _ = note_frame(arrived_ms, events);
    }
}

fn note_frame(arrived_ms: f64, events: &[Event]) -> Option<()> {
    if events.is_empty() {
        return None;
    }
    let window = web_sys::window()?;
    let frame = Object::new();
    Reflect::set(&frame, &"arrived_ms".into(), &arrived_ms.into()).ok()?;
    Reflect::set(&frame, &"t_us".into(), &times(events)).ok()?;
    window_list(&window, FRAMES)?.push(&frame);
    Some(())
}

/// The events' `t_us`, as JavaScript numbers: a double holds them exactly
/// (2^53 µs is almost three centuries).
fn times(events: &[Event]) -> Array {
    events
        .iter()
        .map(|e| JsValue::from_f64(e.t_us as f64))
        .collect()
}

/// The array at `window[key]`, made if there is none.
fn window_list(window: &web_sys::Window, key: &str) -> Option<Array> {
    let key = JsValue::from_str(key);
    match Reflect::get(window, &key).ok().filter(Array::is_array) {
        Some(list) => Some(list.unchecked_into::<Array>()),
        None => {
            let list = Array::new();
            Reflect::set(window, &key, &list).ok()?;
            Some(list)
        }
    }
}

fn record(new: &[Event]) -> Option<()> {
    let window = web_sys::window()?;
    let records = window_list(&window, RECORDS)?;
    let record = Object::new();
    let kinds: Array = new.iter().map(|e| JsValue::from_str(kind(e))).collect();
    Reflect::set(&record, &"t_us".into(), &times(new)).ok()?;
    Reflect::set(&record, &"kinds".into(), &kinds).ok()?;
    Reflect::set(&record, &"dom_ms".into(), &now_ms().into()).ok()?;
    records.push(&record);
    let later = window.clone();
    let after_frame = Closure::once_into_js(move || {
        let painted = Closure::once_into_js(move || {
            let _ = Reflect::set(&record, &"paint_ms".into(), &now_ms().into());
        });
        let _ = later.set_timeout_with_callback(painted.unchecked_ref());
    });
    window
        .request_animation_frame(after_frame.unchecked_ref())
        .ok()?;
    Some(())
}
