//! English or 中文: two buttons in the top bar. The choice is remembered
//! for the next visit; lesson texts and the interface change at once.

use yew::prelude::*;

use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub onchange: Callback<Lang>,
}

#[component]
pub fn LangSwitch(props: &Props) -> Html {
    html! {
        <div class="toggle lang-switch" id="lang-switch" role="group" aria-label="language / 语言" data-lang={props.lang.tag()}>
            { for Lang::ALL.iter().map(|&lang| {
                let on = lang == props.lang;
                let onclick = props.onchange.reform(move |_: MouseEvent| lang);
                html! {
                    <button type="button" lang={lang.tag()} id={format!("lang-{}", lang.tag())}
                        class={classes!(on.then_some("on"))} aria-pressed={on.to_string()} {onclick}>
                        { lang.name() }
                    </button>
                }
            }) }
        </div>
    }
}
