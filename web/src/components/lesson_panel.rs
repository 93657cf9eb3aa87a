//! The lessons: pick one (or open a lesson file), read why it matters, then
//! Run it whole or Step through it one command per click, on real sockets.
//!
//! The panel shows the lesson's explanation, its steps with what each one
//! got back, and where the run stands. The run itself is the pure runner
//! in `model::lesson`, driven by the `use_lesson_runner` hook; the panel
//! only chooses lessons and forwards clicks. A lesson named in the address
//! (`?lesson=sticky-small-sends`) is the one shown first, and choosing a
//! lesson puts its name there, so a teacher can hand out a link.
//!
//! A shipped lesson's file is fetched when it is chosen: until it arrives
//! the panel shows the lesson's title from the index in `lessons.rs`, says
//! it is loading (`data-status="loading"`, no `data-lesson` yet) and keeps
//! Run and Step disabled.

use gloo_file::callbacks::{FileReader, read_as_text};
use sockscope_shared::{Command, Lesson};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::fields;
use super::lesson_steps::{LessonSteps, StepRow};
use crate::hooks::lesson_runner::use_lesson_runner;
use crate::hooks::shortcuts::use_shortcuts;
use crate::i18n::{self, Lang, use_lang};
use crate::lessons::{self, LoadError, SHIPPED, Shipped};
use crate::model::lesson::Status;
use crate::page_link;
use crate::state::ModelRef;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The live session, where the lesson's results arrive.
    pub model: ModelRef,
    /// Sends a command to the relay; the request id, or why it could not.
    pub onrequest: Callback<Command, Result<u64, String>>,
    /// Opens a fresh relay session (a run starts in one).
    pub onfresh: Callback<()>,
    /// Opens the reference recording with this name.
    pub oncompare: Callback<String>,
}

/// The `data-status` of the panel, for styles and tests.
fn status_name(status: &Status) -> &'static str {
    match status {
        Status::Ready => "ready",
        Status::Connecting => "connecting",
        Status::Playing => "playing",
        Status::Paused => "paused",
        Status::Done => "done",
        Status::Halted(_) => "halted",
    }
}

#[component]
pub fn LessonPanel(props: &Props) -> Html {
    let lang = use_lang();
    // What the address asked for, read once.
    let wanted = use_memo((), |()| page_link::lesson_parameter());
    let first: &'static Shipped = (*wanted)
        .as_deref()
        .and_then(lessons::find)
        .unwrap_or(&SHIPPED[0]);
    let runner = use_lesson_runner(
        || first.placeholder(),
        props.model.clone(),
        props.onrequest.clone(),
        props.onfresh.clone(),
    );
    let unknown_link = (*wanted).clone().filter(|id| lessons::find(id).is_none());
    let file_error = use_state(|| None::<(String, LoadError)>);
    let missing = use_state(|| unknown_link);
    let reader = use_mut_ref(|| None::<FileReader>);
    // The shipped lesson whose file is on its way, if any: the panel shows
    // it as loading, and takes no other answer (a lesson chosen meanwhile
    // makes an earlier one stale).
    let fetching = use_mut_ref(|| Some(first.id));
    // Whether the lesson came from a teacher's file rather than the list.
    let from_file = use_state(|| false);
    let update = use_force_update();

    let open_shipped = {
        let (runner, fetching) = (runner.clone(), fetching.clone());
        let (file_error, update) = (file_error.clone(), update.clone());
        Callback::from(move |shipped: &'static Shipped| {
            runner.load(shipped.placeholder());
            *fetching.borrow_mut() = Some(shipped.id);
            let (runner, fetching) = (runner.clone(), fetching.clone());
            let (file_error, update) = (file_error.clone(), update.clone());
            lessons::fetch(
                shipped,
                Callback::from(move |read: Result<Lesson, LoadError>| {
                    if *fetching.borrow() != Some(shipped.id) {
                        return;
                    }
                    *fetching.borrow_mut() = None;
                    match read {
                        Ok(lesson) => runner.load(lesson),
                        Err(error) => file_error.set(Some((shipped.file.to_string(), error))),
                    }
                    update.force_update();
                }),
            );
        })
    };
    {
        let open_shipped = open_shipped.clone();
        use_effect_with((), move |()| open_shipped.emit(first));
    }

    let onchoose = {
        let open_shipped = open_shipped.clone();
        let (file_error, missing, from_file) =
            (file_error.clone(), missing.clone(), from_file.clone());
        Callback::from(move |e: Event| {
            let Some(id) = fields::select_value(&e) else {
                return;
            };
            if let Some(shipped) = lessons::find(&id) {
                open_shipped.emit(shipped);
                page_link::set_lesson_parameter(Some(&id));
                file_error.set(None);
                missing.set(None);
                from_file.set(false);
            }
        })
    };
    let onfile = {
        let (runner, file_error, reader) = (runner.clone(), file_error.clone(), reader.clone());
        let (fetching, from_file) = (fetching.clone(), from_file.clone());
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            let (runner, file_error) = (runner.clone(), file_error.clone());
            let (fetching, from_file) = (fetching.clone(), from_file.clone());
            let name = file.name();
            let task = read_as_text(&gloo_file::File::from(file), move |text| {
                let parsed = text
                    .map_err(|e| LoadError::Json(e.to_string()))
                    .and_then(|text| lessons::parse(&text));
                match parsed {
                    Ok(lesson) => {
                        // The file wins over a shipped lesson still on its way.
                        *fetching.borrow_mut() = None;
                        runner.load(lesson);
                        from_file.set(true);
                        // A lesson from a file has no address of its own.
                        page_link::set_lesson_parameter(None);
                        file_error.set(None);
                    }
                    Err(error) => file_error.set(Some((name.clone(), error))),
                }
            });
            *reader.borrow_mut() = Some(task);
            // Let the same file be chosen again after an edit.
            input.set_value("");
        })
    };

    let (lesson, status, states, next, awaited, map) = runner.with(|r| {
        (
            r.lesson().clone(),
            r.status().clone(),
            r.states().to_vec(),
            r.next_step(),
            r.awaited(),
            r.socket_map(),
        )
    });
    let loading = fetching.borrow().is_some();
    let playing = status == Status::Playing;
    let running = matches!(status, Status::Playing | Status::Paused);
    let rows: Vec<StepRow> = lesson
        .steps
        .iter()
        .zip(states)
        .enumerate()
        .map(|(i, (step, state))| StepRow {
            note: lang.text(&step.note).to_string(),
            state,
            next: running && next == Some(i) && awaited.is_none(),
        })
        .collect();
    let status_line = i18n::lesson::status(lang, &status, next, lesson.steps.len(), awaited);
    // Lesson numbers and relay ids agree in a fresh session unless a
    // command was refused before making a socket: then say how they map.
    let renumbered: Vec<String> = map
        .iter()
        .filter_map(|(n, id)| id.filter(|id| id != n).map(|id| format!("{n} → #{id}")))
        .collect();
    let is_shipped = !*from_file && lessons::find(&lesson.id).is_some();
    let click = |act: fn(&crate::hooks::lesson_runner::LessonRunner)| {
        let runner = runner.clone();
        Callback::from(move |_: MouseEvent| act(&runner))
    };
    {
        // Keys for a class: N runs the next step, R runs or pauses, as the
        // buttons do (← → and space belong to the player).
        let (runner, fetching) = (runner.clone(), fetching.clone());
        use_shortcuts(move |key| {
            // While a lesson file is on its way there is nothing to run.
            if fetching.borrow().is_some() {
                return false;
            }
            match key {
                "n" | "N" if !runner.with(|r| r.awaited().is_some()) => runner.step(),
                "r" | "R" if runner.with(|r| *r.status() == Status::Playing) => runner.pause(),
                "r" | "R" => runner.play(),
                _ => return false,
            }
            true
        });
    }
    let onrun = if playing {
        click(|r| r.pause())
    } else {
        click(|r| r.play())
    };
    let oncompare = lesson.recording.clone().map(|name| {
        let oncompare = props.oncompare.clone();
        Callback::from(move |_: MouseEvent| oncompare.emit(name.clone()))
    });
    let refused = file_error.as_ref().map(|(name, error)| {
        let intro = match lang {
            Lang::En => format!("{name} cannot be used:"),
            Lang::Zh => format!("{name} 无法使用："),
        };
        (intro, i18n::lesson::load_error(lang, error))
    });

    html! {
        <section class="panel lesson" id="lesson" data-lesson={(!loading).then(|| lesson.id.clone())}
            data-status={if loading { "loading" } else { status_name(&status) }}>
            <div class="lesson-head">
                <h2>{ lang.pick("Lessons", "课程") }</h2>
                <label class="button secondary small">
                    { lang.pick("Open lesson file…", "打开课程文件…") }
                    <input type="file" id="lesson-file" accept=".json,application/json" onchange={onfile} />
                </label>
            </div>
            <label class="lesson-choice">
                <span class="visually-hidden">{ lang.pick("Choose a lesson", "选择课程") }</span>
                <select id="lesson-choice" onchange={onchoose}>
                    if !is_shipped {
                        <option value={lesson.id.clone()} selected=true>{ format!("{} {}", lang.pick("File:", "文件："), lang.text(&lesson.title)) }</option>
                    }
                    { for SHIPPED.iter().enumerate().map(|(i, l)| html! {
                        <option value={l.id} selected={is_shipped && l.id == lesson.id}>
                            { format!("{:02} · {}", i + 1, lang.pick(l.title_en, l.title_zh)) }
                        </option>
                    }) }
                </select>
            </label>
            if let Some(id) = &*missing {
                <p class="form-error" role="alert">{ match lang {
                    Lang::En => format!("There is no lesson called {id:?}; here is the first one."),
                    Lang::Zh => format!("没有名为 {id:?} 的课程；这里显示的是第一课。"),
                } }</p>
            }
            if let Some((intro, problems)) = refused {
                <div class="form-error lesson-problems" id="lesson-problems" role="alert">
                    <p>{ intro }</p>
                    <ul>{ for problems.iter().map(|p| html! { <li>{ p }</li> }) }</ul>
                </div>
            }
            <details class="explanation" open={status == Status::Ready}>
                <summary>{ lang.text(&lesson.title) }</summary>
                if loading {
                    <p id="lesson-explanation" class="hint">{ lang.pick("Loading the lesson…", "正在加载课程……") }</p>
                } else {
                    <p id="lesson-explanation">{ lang.text(&lesson.explanation) }</p>
                }
            </details>
            <div class="lesson-buttons">
                <button type="button" id="lesson-run" disabled={loading} onclick={onrun} title={lang.pick("Run or pause (R)", "运行或暂停（R）")}>
                    { if playing { lang.pick("❚❚ Pause", "❚❚ 暂停") } else { lang.pick("▶ Run", "▶ 运行") } }
                </button>
                <button type="button" id="lesson-step" disabled={loading || awaited.is_some()} onclick={click(|r| r.step())}
                    title={lang.pick("Run the next step (N)", "执行下一步（N）")}>
                    { lang.pick("Step ▶", "单步 ▶") }
                </button>
                <button type="button" class="secondary" id="lesson-reset" disabled={status == Status::Ready} onclick={click(|r| r.start_over())}>
                    { lang.pick("Start over", "重新开始") }
                </button>
                if let Some(onclick) = oncompare {
                    <button type="button" class="secondary" id="lesson-recording" {onclick}
                        title={lang.pick("Open the reference recording of this experiment", "打开这个实验的参考录制")}>
                        { lang.pick("Open recording", "打开参考录制") }
                    </button>
                }
            </div>
            <p class={classes!("lesson-status", matches!(status, Status::Halted(_)).then_some("halted"))} id="lesson-status" role="status">{ status_line }</p>
            if !renumbered.is_empty() {
                <p class="hint">{ lang.pick("Lesson sockets on the relay: ", "课程套接字对应的 relay 编号：") }{ renumbered.join(", ") }</p>
            }
            <LessonSteps {rows} />
        </section>
    }
}
