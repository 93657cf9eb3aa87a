//! The player: step back and forward, play and pause, speed, a scrubber,
//! and "live" to follow new events again. Keyboard: ← → and space (bound in
//! `App`, so they work wherever the focus is outside a form field).
//!
//! The bar owns the play timer: a gloo `Timeout` for the next step that
//! exists only while playing and is dropped (so cancelled) when the step,
//! the speed or the pace changes, playing stops or the bar goes away. At a
//! steady pace every step waits the speed's interval; in real time it waits
//! the true gap to the next step, scaled by the speed.

use gloo_timers::callback::Timeout;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::i18n::{Lang, use_lang};
use crate::model::motion::{real_time_cut, real_time_wait_ms};
use crate::model::player::{Pace, Player, Speed};
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub player: Player,
    pub steps: usize,
    /// What the current step shows, in words.
    #[prop_or_default]
    pub caption: Option<String>,
    /// The true time from the current step to the next, for real time.
    #[prop_or_default]
    pub next_gap_us: Option<u64>,
    pub reduced_motion: bool,
    pub ondispatch: Callback<Action>,
}

#[component]
pub fn PlayerBar(props: &Props) -> Html {
    let lang = use_lang();
    let player = props.player;
    let current = player.current(props.steps);
    let wait_ms = match player.pace {
        Pace::Steady => player.speed.interval_ms(),
        Pace::RealTime => real_time_wait_ms(props.next_gap_us.unwrap_or(0), player.speed),
    };
    {
        let ondispatch = props.ondispatch.clone();
        use_effect_with(
            (player.playing, wait_ms, current),
            move |&(playing, wait_ms, _)| {
                let timer =
                    playing.then(|| Timeout::new(wait_ms, move || ondispatch.emit(Action::Tick)));
                move || drop(timer)
            },
        );
    }
    let cut = player.pace == Pace::RealTime
        && props
            .next_gap_us
            .is_some_and(|gap| real_time_cut(gap, player.speed));
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
    let real_time = player.pace == Pace::RealTime;
    let onpace = props.ondispatch.reform(move |_: MouseEvent| {
        Action::SetPace(if real_time {
            Pace::Steady
        } else {
            Pace::RealTime
        })
    });
    let reduced = props.reduced_motion;
    let onmotion = props
        .ondispatch
        .reform(move |_: MouseEvent| Action::SetReducedMotion(!reduced));
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
                <button type="button" id="real-time" class={classes!("toggle-button", real_time.then_some("on"))} aria-pressed={real_time.to_string()}
                    title={lang.pick("Space the steps by their true time gaps (scaled by the speed)", "按真实的时间间隔（乘以速度）播放各步")} onclick={onpace}>{ lang.pick("real time", "真实时间") }</button>
                <button type="button" id="motion" class={classes!("toggle-button", (!reduced).then_some("on"))} aria-pressed={(!reduced).to_string()}
                    title={lang.pick("Animate segments, buffers and states", "以动画显示报文段、缓冲区与状态")} onclick={onmotion}>{ lang.pick("motion", "动画") }</button>
                <span class="position" id="position">{ position }</span>
                if cut {
                    <span class="hint" id="real-time-cut">{ lang.pick("a long wait, shortened", "较长的等待，已缩短") }</span>
                }
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
