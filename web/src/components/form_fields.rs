//! The labelled fields the command forms share: a line of text or a
//! number, the host and port of an address, a recv() buffer size, and how
//! a message is read (text or hex).
//!
//! Each is a `<label>` around its input, kept in step with a state of the
//! form (see [`crate::hooks::field_values`]); the form reads the states and
//! checks them when it is sent. The inputs' `name`s are what the browser
//! tests find them by.

use yew::prelude::*;

use super::fields;
use crate::hooks::field_values::{Bufsize, HostPort};
use crate::i18n::use_lang;
use crate::model::validate::PayloadKind;

#[derive(Properties, PartialEq)]
pub struct TextFieldProps {
    pub label: AttrValue,
    pub name: AttrValue,
    pub value: UseStateHandle<String>,
    /// How wide the field is drawn: `short` or `wide` (style.css).
    #[prop_or_default]
    pub width: Option<AttrValue>,
    /// Whether it takes a number, so a phone offers its digit keys.
    #[prop_or_default]
    pub numeric: bool,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
}

/// One line of text, or a number kept as typed until the form checks it.
#[component]
pub fn TextField(props: &TextFieldProps) -> Html {
    let value = &props.value;
    html! {
        <label class={props.width.clone()}>{ &props.label }
            <input name={props.name.clone()} inputmode={props.numeric.then_some("numeric")}
                value={(**value).clone()} oninput={fields::text(value)} placeholder={props.placeholder.clone()} />
        </label>
    }
}

#[derive(Properties, PartialEq)]
pub struct HostPortProps {
    pub address: HostPort,
}

/// The host and port of an address, side by side.
#[component]
pub fn HostPortFields(props: &HostPortProps) -> Html {
    let lang = use_lang();
    html! {
        <>
            <TextField label={lang.pick("host", "主机")} name="host" value={props.address.host.clone()} />
            <TextField label={lang.pick("port", "端口")} name="port" width="short" numeric=true value={props.address.port.clone()} />
        </>
    }
}

#[derive(Properties, PartialEq)]
pub struct BufsizeProps {
    pub bufsize: Bufsize,
}

/// The size of the buffer a read is given.
#[component]
pub fn BufsizeField(props: &BufsizeProps) -> Html {
    let lang = use_lang();
    html! {
        <TextField label={lang.pick("bufsize", "缓冲区大小")} name="bufsize" width="short" numeric=true value={props.bufsize.text.clone()} />
    }
}

/// The `<select>` value of a payload kind, and back.
fn kind_value(kind: PayloadKind) -> &'static str {
    match kind {
        PayloadKind::Text => "text",
        PayloadKind::Hex => "hex",
    }
}

fn parse_kind(value: &str) -> Option<PayloadKind> {
    [PayloadKind::Text, PayloadKind::Hex]
        .into_iter()
        .find(|kind| kind_value(*kind) == value)
}

#[derive(Properties, PartialEq)]
pub struct PayloadKindProps {
    pub kind: UseStateHandle<PayloadKind>,
}

/// Whether the message field is read as text or as hex bytes.
#[component]
pub fn PayloadKindField(props: &PayloadKindProps) -> Html {
    let lang = use_lang();
    let kind = &props.kind;
    let option = |value: PayloadKind, label: &'static str| {
        html! { <option value={kind_value(value)} selected={**kind == value}>{ label }</option> }
    };
    html! {
        <label class="short">{ lang.pick("as", "格式") }
            <select name="kind" onchange={fields::select(kind, parse_kind)}>
                { option(PayloadKind::Text, lang.pick("text", "文本")) }
                { option(PayloadKind::Hex, lang.pick("hex", "十六进制")) }
            </select>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::{PayloadKind, kind_value, parse_kind};

    #[test]
    fn payload_kinds_go_through_their_select_values() {
        for kind in [PayloadKind::Text, PayloadKind::Hex] {
            assert_eq!(parse_kind(kind_value(kind)), Some(kind));
        }
        assert_eq!(parse_kind("base64"), None);
    }
}
