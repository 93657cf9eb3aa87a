//! Whether packets are being captured. When capture is off the page still
//! shows every socket call, but no arrows on the wire: the banner says why
//! and gives the exact command that turns capture on.

use sockscope_shared::CaptureState;
use yew::prelude::*;

use crate::model::CaptureStats;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub capture: Option<CaptureState>,
    #[prop_or_default]
    pub stats: Option<CaptureStats>,
    /// Events the relay dropped because the page read too slowly.
    #[prop_or_default]
    pub dropped: u64,
    /// The relay is not connected: what is shown is from the last session.
    #[prop_or_default]
    pub stale: bool,
}

#[component]
pub fn CaptureStatus(props: &Props) -> Html {
    let dropped = (props.dropped > 0).then(|| {
        html! { <p class="warning" id="dropped">{ format!("The relay dropped {} events: the page fell behind.", props.dropped) }</p> }
    });
    let kernel_drops = props
        .stats
        .filter(|s| s.dropped_by_kernel + s.dropped_by_interface > 0)
        .map(|s| {
            html! { <p class="warning">{ format!("The kernel dropped {} packets: some arrows are missing.", s.dropped_by_kernel + s.dropped_by_interface) }</p> }
        });
    let body = match &props.capture {
        None => html! {},
        Some(CaptureState::On { interface }) => html! {
            <div class={classes!("capture", "on", props.stale.then_some("stale"))} id="capture" data-capture="on"
                title={if props.stale { "as the relay said when last connected" } else { "" }}>
                <strong>{ "capture on" }</strong>{ format!(" · {interface}") }
            </div>
        },
        Some(CaptureState::Off { reason, fix }) => html! {
            <div class="capture off" id="capture" data-capture="off" role="status">
                <strong>{ "capture off" }</strong>
                <span class="reason">{ format!(": {reason}. Socket calls still show; packets on the wire do not.") }</span>
                <div class="fix">{ "To turn it on, run:" }<code id="capture-fix">{ fix }</code></div>
            </div>
        },
        Some(CaptureState::Stats { .. }) => html! {},
    };
    html! { <>{ body }{ for kernel_drops }{ for dropped }</> }
}
