//! The page: owns the state reducer, the link to the relay and the
//! keyboard shortcuts, and lays out the views.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use sockscope_shared::{Command, EventKind, Request};
use yew::prelude::*;

use super::Submit;
use super::address_form::{AddressForm, AddressKind};
use super::byte_streams::ByteStreams;
use super::capture_status::CaptureStatus;
use super::connection_status::ConnectionStatus;
use super::detail_pane::DetailPane;
use super::export_menu::ExportMenu;
use super::file_opener::FileOpener;
use super::ladder::Ladder;
use super::lang_switch::LangSwitch;
use super::lesson_panel::LessonPanel;
use super::listen_form::{self, ListenForm};
use super::path_picker::{self, PathPicker};
use super::player_bar::PlayerBar;
use super::recording_picker::RecordingPicker;
use super::seq_graph::SeqGraphView;
use super::socket_actions::{Chosen, SocketActions};
use super::socket_list::SocketList;
use super::udp_view::UdpView;
use super::watch_form::{self, WatchForm};
use crate::fetch_log::{log_parameter, open_recording};
use crate::hooks::field_values::TargetHost;
use crate::hooks::shortcuts::use_shortcuts;
use crate::i18n::{self, Lang, refusal};
use crate::model::Model;
use crate::model::describe::{call_event_label, segment_label};
use crate::model::motion::{MotionSettings, real_time_wait_ms};
use crate::model::path::LabAccess;
use crate::relay::{Relay, page_websocket_url};
use crate::state::{Action, State};

/// What the step at `at` shows, in words, for the player's caption.
fn caption(
    lang: Lang,
    model: &Model,
    at: usize,
    numbers: crate::model::describe::Numbers,
) -> Option<String> {
    let event = model.events.get(at)?;
    Some(match &event.kind {
        EventKind::Call(call) => match lang {
            Lang::En => format!("socket #{}: {}", call.socket, call_event_label(call)),
            Lang::Zh => format!("{} 号套接字：{}", call.socket, call_event_label(call)),
        },
        EventKind::Segment(seg) => {
            format!("{} → {}: {}", seg.src, seg.dst, segment_label(seg, numbers))
        }
        _ => return None,
    })
}

/// The form key lesson commands are sent under.
const LESSON_FORM: &str = "lesson";

/// Opens the WebSocket to the relay that served this page, reporting its
/// events and link state to the reducer; `None` when the page has no relay.
fn start_relay(dispatcher: &UseReducerDispatcher<State>) -> Option<Relay> {
    let url = page_websocket_url()?;
    let on_events = {
        let d = dispatcher.clone();
        Callback::from(move |events| d.dispatch(Action::Events(events)))
    };
    let d = dispatcher.clone();
    let on_link = Callback::from(move |link| d.dispatch(Action::Link(link)));
    Some(Relay::start(url, on_events, on_link))
}

/// Every callback the page hands its views, made once per language.
#[derive(Clone)]
struct Handlers {
    onlogload: Callback<(String, Vec<sockscope_shared::Event>)>,
    onlogerror: Callback<String>,
    onsubmit: Callback<Submit>,
    onlessonrequest: Callback<Command, Result<u64, String>>,
    onfresh: Callback<()>,
    oncompare: Callback<String>,
    onlang: Callback<Lang>,
    onretry: Callback<()>,
    dispatch: Callback<Action>,
    onopening: Callback<String>,
    onopen: Callback<(String, crate::capture_file::job::OpenedFile)>,
    onclose: Callback<()>,
    onchoose: Callback<sockscope_shared::SocketId>,
    onselect: Callback<usize>,
    onfocus: Callback<Option<usize>>,
    onnumbers: Callback<crate::model::describe::Numbers>,
    onframing: Callback<(usize, usize, sockscope_shared::Framing)>,
}

impl Handlers {
    fn new(
        lang: Lang,
        dispatcher: UseReducerDispatcher<State>,
        relay: Rc<RefCell<Option<Relay>>>,
        next_id: Rc<RefCell<u64>>,
        lang_setter: UseStateSetter<Lang>,
    ) -> Handlers {
        let dispatch = {
            let d = dispatcher.clone();
            Callback::from(move |action: Action| d.dispatch(action))
        };
        let onlogload = dispatch.reform(|(name, events)| Action::OpenLog { name, events });
        let onlogerror = dispatch.reform(Action::LogFailed);
        // Every command goes out here, from a form or a lesson: a fresh
        // request id, and the form it came from, so the answer finds its
        // way back.
        let onrequest = {
            let relay = relay.clone();
            let dispatch = dispatch.clone();
            Callback::from(move |submit: Submit| -> Result<u64, String> {
                let id = {
                    let mut next = next_id.borrow_mut();
                    *next += 1;
                    *next
                };
                let request = Request {
                    id: Some(id),
                    command: submit.command,
                };
                let sent = match relay.borrow().as_ref() {
                    Some(relay) => relay.send(&request),
                    None => Err(
                        "this page has no relay: open it from the URL the relay prints".to_string(),
                    ),
                };
                dispatch.emit(match &sent {
                    Ok(()) => Action::Submitted {
                        request: id,
                        form: submit.form,
                    },
                    Err(message) => Action::FormFailed {
                        form: submit.form,
                        message: message.clone(),
                    },
                });
                sent.map(|()| id)
            })
        };
        // A form shows its own error (FormFailed); nothing more to do here.
        let onsubmit = {
            let onrequest = onrequest.clone();
            Callback::from(move |submit: Submit| drop(onrequest.emit(submit)))
        };
        let onlessonrequest = onrequest.reform(|command: Command| Submit {
            form: LESSON_FORM.to_string(),
            command,
        });
        // A lesson run starts in a fresh relay session: the old one's
        // sockets close, ids start at 1, and the views show the live session.
        let onfresh = {
            let relay = relay.clone();
            Callback::from(move |()| {
                drop(relay.borrow_mut().take());
                dispatcher.dispatch(Action::CloseLog);
                dispatcher.dispatch(Action::GoLive);
                *relay.borrow_mut() = start_relay(&dispatcher);
            })
        };
        let oncompare = {
            let (onload, onerror) = (onlogload.clone(), onlogerror.clone());
            Callback::from(move |name: String| {
                open_recording(&name, onload.clone(), onerror.clone());
            })
        };
        let onlang = Callback::from(move |chosen: Lang| {
            i18n::remember(chosen);
            lang_setter.set(chosen);
        });
        let onretry = Callback::from(move |()| {
            if let Some(relay) = relay.borrow().as_ref() {
                relay.retry_now();
            }
        });
        Handlers {
            onopening: dispatch.reform(Action::Opening),
            // A file's notes are worded in the language of the moment it
            // opens.
            onopen: dispatch.reform(
                move |(name, opened): (String, crate::capture_file::job::OpenedFile)| {
                    Action::OpenFile {
                        name,
                        model: opened.model,
                        notes: opened
                            .notes
                            .iter()
                            .map(|n| lang.text(n).to_string())
                            .collect(),
                    }
                },
            ),
            onclose: dispatch.reform(|()| Action::CloseLog),
            onchoose: dispatch.reform(|id| Action::ChooseSocket(Some(id))),
            onselect: dispatch.reform(|at| Action::Select(Some(at))),
            onfocus: dispatch.reform(Action::Focus),
            onnumbers: dispatch.reform(Action::SetNumbers),
            onframing: dispatch.reform(|(conversation, direction, framing)| Action::SetFraming {
                conversation,
                direction,
                framing,
            }),
            onlogload,
            onlogerror,
            onsubmit,
            onlessonrequest,
            onfresh,
            oncompare,
            onlang,
            onretry,
            dispatch,
        }
    }
}

/// Whether the reader's system asks pages for less motion.
fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|query| query.matches())
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(|| {
        let keep = crate::page_link::parameter(crate::model::kept::KEEP_PARAMETER);
        State::keeping(crate::model::kept::Keeping::from_parameter(keep.as_deref()))
    });
    // With `?bench`: when each live event reached the screen.
    crate::bench::use_render_marks(&state.live);
    let relay: Rc<RefCell<Option<Relay>>> = use_mut_ref(|| None);
    let next_id = use_mut_ref(|| 0u64);

    let lang = use_state(i18n::initial);
    {
        let relay = relay.clone();
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            *relay.borrow_mut() = start_relay(&dispatcher);
            // Dropping the relay closes the socket and cancels any retry.
            move || drop(relay.borrow_mut().take())
        });
    }
    use_effect_with(*lang, |lang| i18n::mark_document(*lang));
    {
        // The system's "reduce motion" setting starts the page still; the
        // player's toggle can turn motion back on.
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            if prefers_reduced_motion() {
                dispatcher.dispatch(Action::SetReducedMotion(true));
            }
        });
    }
    {
        let dispatcher = state.dispatcher();
        use_shortcuts(move |key| {
            let action = match key {
                "ArrowLeft" => Action::StepBack,
                "ArrowRight" => Action::StepForward,
                " " => Action::TogglePlay,
                _ => return false,
            };
            dispatcher.dispatch(action);
            true
        });
    }

    // Built once (again only when the language changes): a callback made
    // afresh at every render would differ from the last one, and every view
    // given it would render again, however little it had to show.
    let handlers = {
        let relay = relay.clone();
        let dispatcher = state.dispatcher();
        let lang_setter = lang.setter();
        use_memo(*lang, move |lang| {
            Handlers::new(*lang, dispatcher, relay, next_id, lang_setter)
        })
    };
    {
        // A link such as /?log=03-sticky-small-sends opens that recording.
        let (onload, onerror) = (handlers.onlogload.clone(), handlers.onlogerror.clone());
        use_effect_with((), move |_| {
            if let Some(name) = log_parameter() {
                open_recording(&name, onload, onerror);
            }
        });
    }
    // An owned copy, so each view takes its callbacks by moving them out.
    let handlers = (*handlers).clone();

    let model_ref = state.model().clone();
    let model = model_ref.get();
    let live = state.live.get();
    let current = state.current_step();
    let horizon = state.horizon();
    let current_at = current.and_then(|s| model.steps.get(s).copied());
    let next_gap_us = current.and_then(|s| {
        let now = model.events.get(*model.steps.get(s)?)?.t_us;
        let next = model.events.get(*model.steps.get(s + 1)?)?.t_us;
        Some(next.saturating_sub(now))
    });
    let player = state.player;
    let motion = MotionSettings::of(
        !state.reduced_motion,
        player.speed,
        player.pace,
        next_gap_us.map(|gap| real_time_wait_ms(gap, player.speed)),
    );
    let shown_at = state.selected.or(current_at);
    // The forms show their notes worded in the page's language.
    let errors: Rc<HashMap<String, String>> = Rc::new(
        state
            .form_errors
            .iter()
            .map(|(form, note)| (form.clone(), refusal::form_note(*lang, note)))
            .collect(),
    );
    let error = |key: &str| errors.get(key).cloned();
    let limits = state.limits();
    let chosen = state
        .chosen_socket
        .and_then(|id| live.sockets.get(id))
        .map(Chosen::of);
    let waiting = chosen.as_ref().and_then(|s| {
        let (conv, end) = live.conversations.of_socket(s.id)?;
        let stream = &live.conversations.get(conv)?.streams[1 - end];
        Some(stream.unread_at(live.events.len().saturating_sub(1)))
    });
    let log_name = state.log.as_ref().map(|l| l.name.clone());
    let lab_access = LabAccess::from_hello(
        live.hello
            .as_ref()
            .and_then(|h| h.capabilities.lab.as_ref()),
    );
    let target_host = TargetHost(live.path.server_host());

    html! {
        <ContextProvider<Lang> context={*lang}>
        <ContextProvider<TargetHost> context={target_host}>
        <div class="app">
            <header class="topbar">
                <h1>{ "sockscope" }</h1>
                <LangSwitch lang={*lang} onchange={handlers.onlang} />
                <ConnectionStatus link={state.link.clone()} onretry={handlers.onretry} />
                <PathPicker access={lab_access} state={live.path.state.clone()} counts={live.path.counts}
                    error={error(path_picker::FORM)} onsubmit={handlers.onsubmit.clone()} />
                <CaptureStatus capture={live.capture.clone()} stats={live.capture_stats} dropped={live.dropped}
                    stale={state.link != crate::model::connection::Link::Connected} />
                <RecordingPicker onload={handlers.onlogload.clone()} onerror={handlers.onlogerror.clone()} />
                <FileOpener open={log_name.clone()} opening={state.opening.clone()} error={state.log_error.clone()} keeping={live.keeping.afresh()}
                    onopening={handlers.onopening} onopen={handlers.onopen} onerror={handlers.onlogerror} onclose={handlers.onclose} />
                <ExportMenu model={model_ref.clone()} name={log_name.clone()} />
            </header>
            <div class="layout">
                <aside class="controls">
                    <LessonPanel model={state.live.clone()} onrequest={handlers.onlessonrequest} onfresh={handlers.onfresh} oncompare={handlers.oncompare} />
                    <section class="panel open-forms">
                        <h2>{ lang.pick("Open a socket", "打开套接字") }</h2>
                        <ListenForm error={error(listen_form::FORM)} onsubmit={handlers.onsubmit.clone()} />
                        <AddressForm kind={AddressKind::TcpConnect} error={error(AddressKind::TcpConnect.form_key())} onsubmit={handlers.onsubmit.clone()} />
                        <AddressForm kind={AddressKind::UdpBind} error={error(AddressKind::UdpBind.form_key())} onsubmit={handlers.onsubmit.clone()} />
                    </section>
                    <SocketList model={model_ref.clone()} {horizon} chosen={state.chosen_socket}
                        onchoose={handlers.onchoose} />
                    if log_name.is_some() {
                        <p class="hint panel">{ lang.pick("The views show the opened log; the forms still drive the live relay.", "视图显示的是打开的日志；表单仍然操作实时的 relay。") }</p>
                    }
                    if let Some(socket) = chosen {
                        <SocketActions {socket} {limits} {waiting} errors={errors.clone()} onsubmit={handlers.onsubmit.clone()} />
                    }
                    <section class="panel">
                        <WatchForm error={error(watch_form::FORM)} onsubmit={handlers.onsubmit.clone()} />
                    </section>
                </aside>
                <main class="views">
                    if let Some(notes) = state.log.as_ref().map(|l| &l.notes).filter(|n| !n.is_empty()) {
                        <ul class="panel file-notes" id="file-notes">
                            { for notes.iter().map(|n| html! { <li>{ n }</li> }) }
                        </ul>
                    }
                    <PlayerBar player={state.player} steps={model.steps.len()}
                        caption={current_at.and_then(|at| caption(*lang, &model, at, state.numbers))}
                        {next_gap_us} reduced_motion={state.reduced_motion}
                        ondispatch={handlers.dispatch.clone()} />
                    <div class="diagram-row">
                        <Ladder model={model_ref.clone()} numbers={state.numbers} {current} {motion} live_end={player.is_live() && state.log.is_none()} selected={state.selected}
                            onselect={handlers.onselect.clone()} onnumbers={handlers.onnumbers} focus={state.focus} onfocus={handlers.onfocus.clone()} />
                        <DetailPane model={model_ref.clone()} at={shown_at} focus={state.focus} onfocus={handlers.onfocus} />
                    </div>
                    <SeqGraphView model={model_ref.clone()} {current} focus={state.focus} onselect={handlers.onselect.clone()}
                        live_end={player.is_live() && state.log.is_none()} />
                    // Before the first step there are no bytes or datagrams to show.
                    if let Some(horizon) = horizon {
                        <ByteStreams model={model_ref.clone()} {horizon} selected={state.selected}
                            framings={Rc::new(state.framings.clone())}
                            onselect={handlers.onselect.clone()} onframing={handlers.onframing} />
                        <UdpView model={model_ref.clone()} {horizon} selected={state.selected}
                            onselect={handlers.onselect} />
                    }
                </main>
            </div>
        </div>
        </ContextProvider<TargetHost>>
        </ContextProvider<Lang>>
    }
}
