//! Keyboard shortcuts on the whole document: the player's arrows and space,
//! a lesson's N and R.
//!
//! Every shortcut follows the same rules, so they live here once: a key
//! typed into a form field belongs to the field, and a key held with Ctrl,
//! Meta or Alt belongs to the browser (copy, tab switching, menus). Only
//! the keys left over reach the component's handler.

use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

/// Whether a key press belongs to a form field rather than a shortcut.
fn typing(event: &KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
}

/// Listens for key presses on the document while the component is
/// mounted, handing `handle` each key (named as `KeyboardEvent.key` names
/// it) that is not typed into a field and carries no Ctrl, Meta or Alt.
///
/// `handle` says whether it acted on the key; only then is the browser's
/// own action for it (space scrolls the page) prevented. The handler is
/// taken at the first render and kept: it should read what changes through
/// handles it captured (a dispatcher, a shared cell), not captured values.
#[hook]
pub fn use_shortcuts<F>(handle: F)
where
    F: Fn(&str) -> bool + 'static,
{
    use_effect_with((), move |()| {
        let listener = web_sys::window()
            .and_then(|w| w.document())
            .map(|document| {
                EventListener::new(&document, "keydown", move |event| {
                    let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    if typing(event) || event.ctrl_key() || event.meta_key() || event.alt_key() {
                        return;
                    }
                    if handle(&event.key()) {
                        event.prevent_default();
                    }
                })
            });
        move || drop(listener)
    });
}
