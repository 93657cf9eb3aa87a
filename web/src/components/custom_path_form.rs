//! The custom path form: the MTU, and for each direction (or both at once)
//! the delay, jitter, loss and its burst length, reordering, duplication,
//! the rate limit and its queue. "Apply" sends the path; pressed again
//! mid-session it changes the delay or the loss of the path in force (a
//! loss of 100% takes the link dark).
//!
//! It opens over the page, under the selector, rather than in the sticky
//! bar it belongs to: a bar that tall would hide the diagram.
//!
//! The fields are checked before sending with the protocol's own ranges
//! (`model::path_form`), and the field that is wrong says so beside it.

use yew::prelude::*;

use super::fields;
use crate::i18n::{path as words, use_lang};
use crate::model::path_form::{LinkField, PathField, PathFormError, PathTexts};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub texts: UseStateHandle<PathTexts>,
    /// The field the last try found wrong.
    pub error: Option<PathFormError>,
    /// Closes the form, leaving the path as it is.
    pub onclose: Callback<()>,
}

#[derive(Properties, PartialEq)]
struct FieldProps {
    texts: UseStateHandle<PathTexts>,
    field: PathField,
    error: Option<PathFormError>,
    #[prop_or_default]
    disabled: bool,
    /// Drawn in a table cell with its label elsewhere.
    #[prop_or_default]
    bare: bool,
}

/// One number field, with its complaint under it.
#[component]
fn PathInput(props: &FieldProps) -> Html {
    let lang = use_lang();
    let field = props.field;
    let texts = props.texts.clone();
    let oninput = Callback::from(move |e: InputEvent| {
        if let Some(value) = fields::input_value(&e) {
            texts.set(texts.with(field, value));
        }
    });
    let key = field.key();
    let complaint = props.error.as_ref().filter(|e| e.field == key).map(
        |e| html! { <span class="field-error" role="alert">{ words::form_error(lang, e) }</span> },
    );
    let input = html! {
        <input name={key.clone()} inputmode="decimal" value={props.texts.get(field).to_string()} {oninput}
            disabled={props.disabled} aria-invalid={complaint.is_some().then_some("true")} />
    };
    if props.bare {
        html! { <td>{ input }{ for complaint }</td> }
    } else {
        html! { <label class="short">{ words::field_label(lang, field) }{ input }{ for complaint }</label> }
    }
}

#[component]
pub fn CustomPathForm(props: &Props) -> Html {
    let lang = use_lang();
    let texts = &props.texts;
    let same = texts.same_both_ways;
    let onsame = {
        let texts = texts.clone();
        Callback::from(move |e: Event| {
            if let Some(checked) = fields::checked(&e) {
                let mut next = (*texts).clone();
                next.same_both_ways = checked;
                texts.set(next);
            }
        })
    };
    let cell = |client_to_server: bool, field: LinkField| {
        html! {
            <PathInput texts={texts.clone()} field={PathField::Link { client_to_server, field }} error={props.error.clone()}
                disabled={same && !client_to_server} bare=true />
        }
    };
    html! {
        <div class="path-custom" id="path-custom">
            <div class="fields">
                <PathInput texts={texts.clone()} field={PathField::Mtu} error={props.error.clone()} />
            </div>
            <label class="check"><input type="checkbox" name="same_both_ways" checked={same} onchange={onsame} />{ lang.pick("same both ways", "双向相同") }</label>
            <table class="path-links">
                <thead><tr>
                    <th></th>
                    <th>{ words::direction(lang, true) }</th>
                    <th class={classes!(same.then_some("off"))}>{ words::direction(lang, false) }</th>
                </tr></thead>
                <tbody>
                    { for LinkField::ALL.iter().map(|field| html! {
                        <tr>
                            <th scope="row">{ words::field_label(lang, PathField::Link { client_to_server: true, field: *field }) }</th>
                            { cell(true, *field) }
                            { cell(false, *field) }
                        </tr>
                    }) }
                </tbody>
            </table>
            <div class="path-custom-buttons">
                <button type="submit" id="path-apply">{ lang.pick("Apply", "应用") }</button>
                <button type="button" class="secondary" id="path-custom-close" onclick={props.onclose.reform(|_: MouseEvent| ())}>{ lang.pick("Close", "关闭") }</button>
            </div>
        </div>
    }
}
