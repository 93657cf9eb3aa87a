//! "Watch port 9527": capture the segments of programs sockscope did not
//! start, such as the learner's own server, on the ports listed.

use sockscope_shared::Command;
use yew::prelude::*;

use super::Submit;
use super::fields;
use super::form_error::FormError;
use crate::i18n::use_lang;
use crate::model::validate;

pub const FORM: &str = "watch";

#[derive(Properties, PartialEq)]
pub struct Props {
    #[prop_or_default]
    pub error: Option<String>,
    pub onsubmit: Callback<Submit>,
}

/// `"9527, 8080"` as ports.
fn parse_ports(text: &str) -> Result<Vec<u16>, String> {
    text.split([',', ' '])
        .filter(|p| !p.trim().is_empty())
        .map(|p| validate::port(p, false))
        .collect()
}

#[component]
pub fn WatchForm(props: &Props) -> Html {
    let lang = use_lang();
    let ports = use_state(|| "9527".to_string());
    let local_error = use_state(|| None::<String>);
    let send = {
        let ports = ports.clone();
        let sender = fields::Sender::new(FORM.to_string(), &local_error, &props.onsubmit);
        move |stop: bool| {
            let parsed = if stop {
                Ok(Vec::new())
            } else {
                parse_ports(&ports)
            };
            sender.send(parsed.map(|ports| Command::Watch { ports }));
        }
    };
    let onsubmit = {
        let send = send.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            send(false);
        })
    };
    let stop = Callback::from(move |_: MouseEvent| send(true));
    html! {
        <form class="form" id="watch-form" {onsubmit}>
            <h3>{ lang.pick("Watch other programs", "观察其他程序") }</h3>
            <div class="fields">
                <label class="wide">{ lang.pick("ports", "端口") }<input name="ports" value={(*ports).clone()} oninput={fields::text(&ports)} /></label>
            </div>
            <div class="buttons">
                <button type="submit">{ lang.pick("watch", "观察") }</button>
                <button type="button" class="secondary" onclick={stop}>{ lang.pick("stop", "停止") }</button>
            </div>
            <FormError local={(*local_error).clone()} remote={props.error.clone()} />
        </form>
    }
}
