//! Fetching an event log from the page's own server: the shipped reference
//! recordings, or any log a link names with `?log=`.

use sockscope_shared::Event;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::Response;
use yew::Callback;

use crate::recordings;
use crate::relay::parse_frame;

/// The body of `url` as text.
///
/// # Errors
/// A sentence when the request fails or the server answers with an error.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no browser window")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|_| format!("could not fetch {url}"))?;
    let response: Response = response
        .dyn_into()
        .map_err(|_| format!("{url}: not an HTTP response"))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let text = response.text().map_err(|_| format!("{url}: no body"))?;
    JsFuture::from(text)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| format!("{url}: the body is not text"))
}

/// Opens a shipped recording by name, reporting through the callbacks.
pub fn open_recording(
    name: &str,
    onload: Callback<(String, Vec<Event>)>,
    onerror: Callback<String>,
) {
    let Some(recording) = recordings::find(name) else {
        onerror.emit(format!("there is no recording called {name:?}"));
        return;
    };
    spawn_local(async move {
        let url = recordings::url(recording);
        match fetch_text(&url)
            .await
            .and_then(|text| parse_frame(&text).map_err(|e| format!("{url}: {e}")))
        {
            Ok(events) => onload.emit((recording.title.to_string(), events)),
            Err(message) => onerror.emit(message),
        }
    });
}

/// The `log` parameter of the page's URL, if any.
pub fn log_parameter() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get("log")
}
