//! The path selector beside the connection status: loopback (this machine,
//! as without a lab), a named lab path (LAN, Wi-Fi, Internet, lossy) or a
//! custom one, each with a line saying what it does. Choosing a path sends
//! `set_path` with the seed typed beside it; "custom…" opens the custom
//! path form (`custom_path_form.rs`).
//!
//! Below it: the path in force, as the relay's last `path` event said,
//! with the addresses of the lab's two sides, and the path's counts once
//! something was lost or delivered. When the relay cannot build labs the
//! lab paths are disabled and a note says why, with the command that
//! allows it; loopback works as ever. A refusal shows beside the selector.

use sockscope_shared::{Command, PathCounts, PathPreset, PathState};
use yew::prelude::*;

use super::Submit;
use super::custom_path_form::CustomPathForm;
use super::fields;
use super::form_error::FormError;
use crate::hooks::command_form::use_command_form;
use crate::i18n::{Lang, path as words, use_lang};
use crate::model::path::LabAccess;
use crate::model::path_form::{PathField, PathFormError, PathTexts, custom_request, named_request};

/// The key `set_path` is sent under, where refusals come back.
pub const FORM: &str = "set_path";

#[derive(Properties, PartialEq)]
pub struct Props {
    pub access: LabAccess,
    /// The path in force, from the relay's last `path` event.
    pub state: Option<PathState>,
    pub counts: Option<PathCounts>,
    /// The relay's refusal of the last `set_path`, worded.
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}

/// Whether the selector offers `path`: loopback always, the lab's paths
/// only when the relay can build labs.
pub fn offered(access: &LabAccess, path: PathPreset) -> bool {
    !path.is_lab() || access.is_on()
}

/// The settings the custom form starts from: the lab path in force, else
/// the Internet path's (a sensible first experiment).
pub fn custom_start(state: Option<&PathState>) -> PathTexts {
    match state {
        Some(PathState {
            lab: Some(lab),
            seed,
            ..
        }) => PathTexts::of(&lab.settings, *seed),
        _ => PathTexts::of(&PathPreset::Internet.settings().unwrap_or_default(), 1),
    }
}

/// The path in force, in one line: its name, and in the lab the two sides'
/// addresses.
fn in_force(lang: Lang, state: Option<&PathState>) -> String {
    let path = state.map_or(PathPreset::Loopback, |s| s.path);
    let name = words::preset(lang, path);
    let Some(lab) = state.and_then(|s| s.lab.as_ref()) else {
        return match lang {
            Lang::En => format!("in force: {name}"),
            Lang::Zh => format!("当前：{name}"),
        };
    };
    let host = |h: &sockscope_shared::LabHost| match &h.ipv6 {
        Some(v6) => format!("{} ({v6})", h.ipv4),
        None => h.ipv4.clone(),
    };
    match lang {
        Lang::En => format!(
            "in force: {name} · client {} ⇄ server {} · {}",
            host(&lab.client),
            host(&lab.server),
            words::settings(lang, &lab.settings)
        ),
        Lang::Zh => format!(
            "当前：{name} · 客户端 {} ⇄ 服务端 {} · {}",
            host(&lab.client),
            host(&lab.server),
            words::settings(lang, &lab.settings)
        ),
    }
}

/// The path's counts, per direction, when any is not zero.
fn counts_line(lang: Lang, counts: &PathCounts) -> Option<String> {
    let sides: Vec<String> = [
        (true, &counts.client_to_server),
        (false, &counts.server_to_client),
    ]
    .into_iter()
    .filter_map(|(up, link)| {
        let parts = words::counts(lang, link);
        (!parts.is_empty())
            .then(|| format!("{}: {}", words::direction(lang, up), parts.join(" · ")))
    })
    .collect();
    (!sides.is_empty()).then(|| sides.join("; "))
}

fn parse_preset(value: &str) -> Option<PathPreset> {
    PathPreset::from_id(value)
}

#[component]
pub fn PathPicker(props: &Props) -> Html {
    let lang = use_lang();
    let in_force_path = props
        .state
        .as_ref()
        .map_or(PathPreset::Loopback, |s| s.path);
    let chosen = use_state(|| in_force_path);
    let seed = use_state(|| "1".to_string());
    let texts = use_state(|| custom_start(props.state.as_ref()));
    let field_error = use_state(|| None::<PathFormError>);
    // The custom form opens when the learner asks for it, never because a
    // lesson moved the session onto a custom path.
    let editing = use_state(|| false);
    let form = use_command_form(FORM.to_string(), &props.onsubmit);
    {
        // A new path in force (or a refusal's aftermath): the selector
        // follows the relay.
        let chosen = chosen.clone();
        use_effect_with(in_force_path, move |path| chosen.set(*path));
    }

    // Sends the path chosen now, or says which field is wrong.
    let send = {
        let (form, field_error, seed, texts) = (
            form.clone(),
            field_error.clone(),
            seed.clone(),
            texts.clone(),
        );
        move |path: PathPreset| {
            let request = match path {
                PathPreset::Custom => custom_request(&texts.with(PathField::Seed, (*seed).clone())),
                named => named_request(named, &seed),
            };
            match request {
                Ok(request) => {
                    field_error.set(None);
                    form.send(Ok(Command::SetPath(request)));
                }
                Err(error) => field_error.set(Some(error)),
            }
        }
    };
    let onchange = {
        let (chosen, texts, send, state, editing) = (
            chosen.clone(),
            texts.clone(),
            send.clone(),
            props.state.clone(),
            editing.clone(),
        );
        Callback::from(move |e: Event| {
            let Some(path) = fields::select_value(&e).as_deref().and_then(parse_preset) else {
                return;
            };
            chosen.set(path);
            if path == PathPreset::Custom {
                // The custom form starts from the path in force.
                texts.set(custom_start(state.as_ref()));
                editing.set(true);
            } else {
                editing.set(false);
                send(path);
            }
        })
    };
    let onedit = {
        let (texts, state, editing) = (texts.clone(), props.state.clone(), editing.clone());
        Callback::from(move |_: MouseEvent| {
            texts.set(custom_start(state.as_ref()));
            editing.set(true);
        })
    };
    let onsubmit = {
        let (chosen, send) = (chosen.clone(), send.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            send(*chosen);
        })
    };
    let onclose = {
        let (chosen, field_error, editing) = (chosen.clone(), field_error.clone(), editing.clone());
        Callback::from(move |()| {
            field_error.set(None);
            editing.set(false);
            chosen.set(in_force_path);
        })
    };
    // The path in force is said when it is not what the selector shows, or
    // when it is a lab (whose addresses the forms need).
    let show_in_force =
        *chosen != in_force_path || props.state.as_ref().is_some_and(|s| s.lab.is_some());
    let seed_error = (*field_error)
        .as_ref()
        .filter(|e| e.field == PathField::Seed.key())
        .map(|e| words::form_error(lang, e));

    let option = |path: PathPreset| {
        let on = offered(&props.access, path);
        html! {
            <option value={path.id()} selected={*chosen == path} disabled={!on}
                title={words::preset_description(lang, path)}>{ words::preset(lang, path) }</option>
        }
    };
    let note = match &props.access {
        LabAccess::On => None,
        LabAccess::Off { reason, fix } => Some(html! {
            <div class="lab-off" id="lab-off" role="status">
                <strong>{ lang.pick("network lab off", "网络实验室未开启") }</strong>
                <span class="reason">{ match lang {
                    Lang::En => format!(": {reason}. Loopback works as ever; the other paths need the lab."),
                    Lang::Zh => format!("：{reason}。回环照常可用；其他路径需要实验室。"),
                } }</span>
                <div class="fix">{ lang.pick("To allow it, run:", "要开启它，请运行：") }<code id="lab-fix">{ fix }</code></div>
            </div>
        }),
        LabAccess::Unknown => Some(html! {
            <span class="hint" id="lab-off">{ lang.pick("no network lab: this relay does not offer one", "没有网络实验室：这个 relay 不提供") }</span>
        }),
    };
    let counts = props.counts.as_ref().and_then(|c| counts_line(lang, c));

    html! {
        <form class="path-picker" id="path-picker" data-path={in_force_path.id()} {onsubmit}>
            <div class="path-choice">
                <label>{ lang.pick("Path", "路径") }
                    <select name="path" {onchange}>
                        { for PathPreset::ALL.into_iter().map(option) }
                    </select>
                </label>
                <label class="short">{ lang.pick("seed", "随机种子") }
                    <input name="seed" inputmode="numeric" value={(*seed).clone()} oninput={fields::text(&seed)}
                        aria-invalid={seed_error.is_some().then_some("true")} />
                </label>
                if let Some(error) = seed_error {
                    <span class="field-error" role="alert">{ error }</span>
                }
                if *chosen == PathPreset::Custom && !*editing {
                    <button type="button" class="secondary small" id="path-edit" onclick={onedit}>{ lang.pick("edit…", "修改…") }</button>
                }
                <span class="path-line" id="path-description">{ words::preset_description(lang, *chosen) }</span>
            </div>
            <div class="path-status">
                if show_in_force {
                    <span id="path-in-force">{ in_force(lang, props.state.as_ref()) }</span>
                }
                if let Some(counts) = counts {
                    <span class="path-counts" id="path-counts">{ counts }</span>
                }
            </div>
            <FormError local={form.local_error()} remote={props.error.clone()} />
            if *editing {
                <CustomPathForm {texts} error={(*field_error).clone()} {onclose} />
            }
            { for note }
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockscope_shared::{LabHost, LabPath, LinkCounts};

    #[test]
    fn without_the_lab_only_loopback_is_offered() {
        let off = LabAccess::Off {
            reason: "no CAP_NET_ADMIN".into(),
            fix: "sudo setcap".into(),
        };
        let offered_paths = |access: &LabAccess| {
            PathPreset::ALL
                .into_iter()
                .filter(|p| offered(access, *p))
                .collect::<Vec<_>>()
        };
        assert_eq!(offered_paths(&off), [PathPreset::Loopback]);
        assert_eq!(offered_paths(&LabAccess::Unknown), [PathPreset::Loopback]);
        assert_eq!(offered_paths(&LabAccess::On), PathPreset::ALL);
    }

    fn lab_state() -> PathState {
        PathState {
            request: Some(1),
            path: PathPreset::Internet,
            seed: 7,
            lab: Some(LabPath {
                settings: PathPreset::Internet.settings().unwrap_or_default(),
                client: LabHost {
                    ipv4: "10.77.0.1".into(),
                    ipv6: Some("fd77::1".into()),
                },
                server: LabHost {
                    ipv4: "10.77.0.2".into(),
                    ipv6: None,
                },
            }),
        }
    }

    #[test]
    fn the_path_in_force_names_both_sides() {
        assert_eq!(
            in_force(Lang::En, Some(&lab_state())),
            "in force: Internet · client 10.77.0.1 (fd77::1) ⇄ server 10.77.0.2 · MTU 1500, 20 ms each way, 0.5% loss, 20 Mbit/s"
        );
        assert_eq!(
            in_force(Lang::En, None),
            "in force: this machine (loopback)"
        );
    }

    #[test]
    fn the_custom_form_starts_from_the_path_in_force() {
        let texts = custom_start(Some(&lab_state()));
        assert_eq!(texts.seed, "7");
        assert_eq!(
            custom_request(&texts).map(|r| r.settings.client_to_server.delay_ms),
            Ok(20.0)
        );
    }

    #[test]
    fn counts_show_only_when_something_happened() {
        assert_eq!(counts_line(Lang::En, &PathCounts::default()), None);
        let counts = PathCounts {
            client_to_server: LinkCounts {
                received: 6,
                delivered: 5,
                lost: 1,
                ..LinkCounts::default()
            },
            server_to_client: LinkCounts::default(),
        };
        assert_eq!(
            counts_line(Lang::En, &counts).as_deref(),
            Some("client → server: delivered 5 · lost 1")
        );
    }
}
