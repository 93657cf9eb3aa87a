//! What the page's address says: `?lesson=sticky-small-sends` opens that
//! lesson, and choosing a lesson writes its name there, so the address can
//! be shared (with the relay's `token` kept as it was); `keep_mib` sets how
//! much of each stream's payload the page keeps (`model::kept`).

use wasm_bindgen::JsValue;

/// A parameter of the page's address, if it is there.
pub fn parameter(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// The `lesson` parameter of the page's address, if any.
pub fn lesson_parameter() -> Option<String> {
    parameter("lesson")
}

/// Puts `?lesson=<id>` in the address without reloading, keeping every
/// other parameter (the token above all); `None` removes it.
pub fn set_lesson_parameter(id: Option<&str>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let Ok(search) = location.search() else {
        return;
    };
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return;
    };
    match id {
        Some(id) => params.set("lesson", id),
        None => params.delete("lesson"),
    }
    let query = String::from(params.to_string());
    let path = location.pathname().unwrap_or_default();
    let url = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    if let Ok(history) = window.history() {
        // Only the address bar changes; a refusal leaves it as it was.
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}
