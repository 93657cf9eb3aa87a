//! The steps of a lesson as a numbered list: each step's note, and once it
//! has run, the call it made and what the kernel answered. The next step
//! is marked, so a learner stepping by hand knows what the next click does.
//! The list keeps the step that is out or next in view as the run moves.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::i18n::{lesson, use_lang};
use crate::model::lesson::StepState;

/// One step as the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub note: String,
    pub state: StepState,
    /// Whether this is the step the next click (or the run) sends.
    pub next: bool,
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub rows: Vec<StepRow>,
}

/// The `data-state` of a row, for styles and tests.
fn state_name(row: &StepRow) -> &'static str {
    match &row.state {
        StepState::NotRun if row.next => "next",
        StepState::NotRun => "todo",
        StepState::Sent => "out",
        StepState::Done { error: true, .. } => "error",
        StepState::Done { .. } => "done",
    }
}

#[component]
pub fn LessonSteps(props: &Props) -> Html {
    let lang = use_lang();
    let list = use_node_ref();
    // The row to keep in view: the one waiting for its answer, else the next.
    let focus = props
        .rows
        .iter()
        .position(|r| r.state == StepState::Sent)
        .or_else(|| props.rows.iter().position(|r| r.next));
    {
        let list = list.clone();
        use_effect_with(focus, move |focus| {
            scroll_to(&list, *focus);
        });
    }
    html! {
        <ol class="lesson-steps" id="lesson-steps" ref={list}>
            { for props.rows.iter().enumerate().map(|(i, row)| {
                let state = state_name(row);
                let result = match &row.state {
                    StepState::Done { result, .. } => Some(lesson::step_result(lang, result)),
                    StepState::Sent => Some("…".to_string()),
                    StepState::NotRun => None,
                };
                html! {
                    <li key={i} class={classes!("lesson-step", state)} data-step={i.to_string()} data-state={state}>
                        <span class="n">{ i + 1 }</span>
                        <div class="body">
                            <p class="note">{ &row.note }</p>
                            if let Some(result) = result {
                                <code class="result" data-result={result.clone()}>{ result }</code>
                            }
                        </div>
                    </li>
                }
            }) }
        </ol>
    }
}

/// Scrolls the list (only the list, never the page) so row `focus` shows.
fn scroll_to(list: &NodeRef, focus: Option<usize>) {
    let (Some(list), Some(focus)) = (list.cast::<web_sys::HtmlElement>(), focus) else {
        return;
    };
    let Some(row) = list
        .query_selector(&format!("[data-step='{focus}']"))
        .ok()
        .flatten()
        .and_then(|r| r.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    let top = row.offset_top() - list.offset_top();
    let (view_top, view_height) = (list.scroll_top(), list.client_height());
    if top < view_top || top + row.offset_height() > view_top + view_height {
        list.set_scroll_top((top - view_height / 3).max(0));
    }
}
