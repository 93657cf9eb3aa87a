//! Whether packets are being captured. When capture is off the page still
//! shows every socket call, but no arrows on the wire: the banner says why
//! and gives the exact command that turns capture on.

use sockscope_shared::CaptureState;
use yew::prelude::*;

use crate::i18n::{Lang, use_lang};
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
    let lang = use_lang();
    let dropped = (props.dropped > 0).then(|| {
        html! { <p class="warning" id="dropped">{ match lang {
            Lang::En => format!("The relay dropped {} events: the page fell behind.", props.dropped),
            Lang::Zh => format!("relay 丢弃了 {} 个事件：页面处理不过来了。", props.dropped),
        } }</p> }
    });
    let kernel_drops = props
        .stats
        .filter(|s| s.dropped_by_kernel + s.dropped_by_interface > 0)
        .map(|s| {
            let n = s.dropped_by_kernel + s.dropped_by_interface;
            html! { <p class="warning">{ match lang {
                Lang::En => format!("The kernel dropped {n} packets: some arrows are missing."),
                Lang::Zh => format!("内核丢弃了 {n} 个报文：有些箭头缺失了。"),
            } }</p> }
        });
    let body = match &props.capture {
        None => html! {},
        Some(CaptureState::On { interface }) => html! {
            <div class={classes!("capture", "on", props.stale.then_some("stale"))} id="capture" data-capture="on"
                title={if props.stale { lang.pick("as the relay said when last connected", "上次连接时 relay 的报告") } else { "" }}>
                <strong>{ lang.pick("capture on", "正在抓包") }</strong>{ format!(" · {interface}") }
            </div>
        },
        Some(CaptureState::Off { reason, fix }) => html! {
            <div class="capture off" id="capture" data-capture="off" role="status">
                <strong>{ lang.pick("capture off", "未抓包") }</strong>
                <span class="reason">{ match lang {
                    Lang::En => format!(": {reason}. Socket calls still show; packets on the wire do not."),
                    Lang::Zh => format!("：{reason}。套接字调用仍会显示，线路上的报文不会。"),
                } }</span>
                <div class="fix">{ lang.pick("To turn it on, run:", "要开启抓包，请运行：") }<code id="capture-fix">{ fix }</code></div>
            </div>
        },
        Some(CaptureState::Stats { .. }) => html! {},
    };
    html! { <>{ body }{ for kernel_drops }{ for dropped }</> }
}
