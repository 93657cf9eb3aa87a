//! "Watch port 9527": capture the segments of programs sockscope did not
//! start, such as the learner's own server, on the ports listed.

use sockscope_shared::Command;
use yew::prelude::*;

use super::form_error::FormError;
use super::form_fields::TextField;
use super::form_props::FormProps;
use crate::hooks::command_form::use_command_form;
use crate::i18n::use_lang;
use crate::model::validate;

pub const FORM: &str = "watch";

/// `"9527, 8080"` as ports.
fn parse_ports(text: &str) -> Result<Vec<u16>, String> {
    text.split([',', ' '])
        .filter(|p| !p.trim().is_empty())
        .map(|p| validate::port(p, false))
        .collect()
}

#[component]
pub fn WatchForm(props: &FormProps) -> Html {
    let lang = use_lang();
    let ports = use_state(|| "9527".to_string());
    let form = use_command_form(FORM.to_string(), &props.onsubmit);
    let onsubmit = {
        let ports = ports.clone();
        form.on_submit(move || parse_ports(&ports).map(|ports| Command::Watch { ports }))
    };
    // Watching no ports at all is how the relay is told to stop.
    let stop = form.sends(Command::Watch { ports: Vec::new() });
    html! {
        <form class="form" id="watch-form" {onsubmit}>
            <h3>{ lang.pick("Watch other programs", "观察其他程序") }</h3>
            <div class="fields">
                <TextField label={lang.pick("ports", "端口")} name="ports" width="wide" value={ports} />
            </div>
            <div class="buttons">
                <button type="submit">{ lang.pick("watch", "观察") }</button>
                <button type="button" class="secondary" onclick={stop}>{ lang.pick("stop", "停止") }</button>
            </div>
            <FormError local={form.local_error()} remote={props.error.clone()} />
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ports;

    #[test]
    fn ports_are_split_on_commas_and_spaces() {
        assert_eq!(parse_ports("9527, 8080 80"), Ok(vec![9527, 8080, 80]));
        assert!(parse_ports("9527, x").is_err());
    }
}
