//! The ladder's choice of connection: all of them, or one shown alone
//! (`ladder::focus`), when there are several.

use yew::prelude::*;

use super::fields;
use crate::i18n::{Lang, use_lang};
use crate::model::describe::thousands;
use crate::state::ModelRef;

/// How many connections the focus list names: a capture of thousands is
/// better read through its byte streams than through a list that long.
const FOCUS_LIST: usize = 64;

#[derive(Properties, PartialEq)]
pub struct FocusProps {
    pub model: ModelRef,
    pub focus: Option<usize>,
    pub onfocus: Callback<Option<usize>>,
}

/// Shows one connection alone or all of them, when there are several.
/// A component of its own, so stepping through a big capture (a new cursor,
/// the same model) does not build its list again.
#[component]
pub fn FocusPicker(props: &FocusProps) -> Html {
    let lang = use_lang();
    let select = use_node_ref();
    {
        // The element's value follows the state, the one source of the
        // choice: it may be made here or in the detail pane, and once a user
        // has picked an option the browser no longer follows `selected`
        // attributes.
        let select = select.clone();
        use_effect_with((props.focus, props.model.clone()), move |(focus, _)| {
            if let Some(select) = select.cast::<web_sys::HtmlSelectElement>() {
                select.set_value(&focus.map_or_else(String::new, |c| c.to_string()));
            }
        });
    }
    let model = props.model.get();
    let list = &model.conversations.list;
    if list.len() < 2 {
        return html! {};
    }
    let onchange = props
        .onfocus
        .reform(|e: Event| fields::select_value(&e).and_then(|v| v.parse().ok()));
    let beyond = props
        .focus
        .filter(|&c| c >= FOCUS_LIST)
        .and_then(|c| list.get(c));
    let more = list.len().saturating_sub(FOCUS_LIST);
    html! {
        <label class="ladder-focus">
            <span class="visually-hidden">{ lang.pick("Connections shown", "显示的连接") }</span>
            <select id="ladder-focus" ref={select} {onchange}>
                <option value="">{ match lang {
                    Lang::En => format!("all {} connections", thousands(list.len() as u64)),
                    Lang::Zh => format!("全部 {} 个连接", thousands(list.len() as u64)),
                } }</option>
                { for list.iter().take(FOCUS_LIST).chain(beyond).map(|c| html! {
                    <option value={c.id.to_string()}>{ c.label() }</option>
                }) }
                if more > 0 {
                    <option disabled=true>{ match lang {
                        Lang::En => format!("… and {} more", thousands(more as u64)),
                        Lang::Zh => format!("……还有 {} 个", thousands(more as u64)),
                    } }</option>
                }
            </select>
        </label>
    }
}
