//! The player: step back and forward, play and pause, speed, a scrubber,
//! and "live" to follow new events again. Keyboard: ← → and space (bound in
//! `App`, so they work wherever the focus is outside a form field).
//!
//! The bar owns the play timer: a gloo `Interval` that exists only while
//! playing and is dropped (so cancelled) when playing stops, the speed
//! changes or the bar goes away.

use gloo_timers::callback::Interval;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::i18n::{Lang, use_lang};
use crate::model::player::{Player, Speed};
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub player: Player,
    pub steps: usize,
    /// What the current step shows, in words.
    #[prop_or_default]
    pub caption: Option<String>,
    pub ondispatch: Callback<Action>,
}

#[component]
pub fn PlayerBar(props: &Props) -> Html {
    let lang = use_lang();
    let player = props.player;
    {
        let ondispatch = props.ondispatch.clone();
        use_effect_with((player.playing, player.speed), move |&(playing, speed)| {
            let timer = playing
                .then(|| Interval::new(speed.interval_ms(), move || ondispatch.emit(Action::Tick)));
            move || drop(timer)
        });
    }
    let current = player.current(props.steps);
    let send = |action: Action| props.ondispatch.reform(move |_: MouseEvent| action.clone());
    let onscrub = props.ondispatch.reform(|e: InputEvent| {
        let step = e
            .target_dyn_into::<HtmlInputElement>()
            .and_then(|input| input.value().parse().ok())
            .unwrap_or(0);
        Action::Scrub(step)
    });
    let onspeed = props.ondispatch.reform(|e: Event| {
        let speed = super::fields::select_value(&e)
            .and_then(|v| Speed::ALL.into_iter().find(|s| s.label() == v))
            .unwrap_or_default();
        Action::SetSpeed(speed)
    });
    let position = match current {
        Some(step) => match lang {
            Lang::En => format!("step {} / {}", step + 1, props.steps),
            Lang::Zh => format!("第 {} / {} 步", step + 1, props.steps),
        },
        None => lang.pick("no events yet", "还没有事件").to_string(),
    };
    let empty = props.steps == 0;
    html! {
        <div class="player" id="player" data-step={current.map(|s| s.to_string()).unwrap_or_default()} data-live={player.is_live().to_string()}>
            <div class="player-buttons">
                <button type="button" id="step-back" title={lang.pick("Step back (←)", "后退一步（←）")} disabled={empty} onclick={send(Action::StepBack)}>{ lang.pick("◀ step", "◀ 后退") }</button>
                <button type="button" id="play" title={lang.pick("Play / pause (space)", "播放 / 暂停（空格）")} disabled={empty} onclick={send(Action::TogglePlay)}>
                    { if player.playing { lang.pick("❚❚ pause", "❚❚ 暂停") } else { lang.pick("▶ play", "▶ 播放") } }
                </button>
                <button type="button" id="step-forward" title={lang.pick("Step forward (→)", "前进一步（→）")} disabled={empty} onclick={send(Action::StepForward)}>{ lang.pick("step ▶", "前进 ▶") }</button>
                <button type="button" id="go-live" class={classes!("live", player.is_live().then_some("on"))} onclick={send(Action::GoLive)}>{ lang.pick("● live", "● 实时") }</button>
                <label class="speed">{ lang.pick("speed", "速度") }
                    <select id="speed" onchange={onspeed}>
                        { for Speed::ALL.iter().map(|s| html! { <option value={s.label()} selected={*s == player.speed}>{ s.label() }</option> }) }
                    </select>
                </label>
                <span class="position" id="position">{ position }</span>
            </div>
            <input type="range" id="scrub" class="scrub" aria-label={lang.pick("scrub through the steps", "拖动浏览各步")}
                min="0" max={props.steps.saturating_sub(1).to_string()} value={current.unwrap_or(0).to_string()}
                disabled={empty} oninput={onscrub} />
            if let Some(caption) = &props.caption {
                <p class="caption" id="caption">{ caption }</p>
            }
        </div>
    }
}
