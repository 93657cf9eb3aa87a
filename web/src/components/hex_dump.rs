//! A payload as a hex dump: offset, hex, ASCII, sixteen bytes a line.

use yew::prelude::*;

use crate::i18n::use_lang;
use crate::model::hexdump;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub bytes: Vec<u8>,
    /// The stream offset of the first byte, when it has one.
    #[prop_or_default]
    pub start: u64,
}

#[component]
pub fn HexDump(props: &Props) -> Html {
    let lang = use_lang();
    if props.bytes.is_empty() {
        return html! { <p class="hint">{ lang.pick("no payload bytes", "没有载荷字节") }</p> };
    }
    html! {
        <pre class="hexdump">
            { for hexdump::lines(&props.bytes, props.start).into_iter().map(|line| html! {
                <div class="hex-line" key={line.offset.to_string()}>
                    <span class="hex-offset">{ format!("{:06x}", line.offset) }</span>
                    <span class="hex-bytes">{ format!("{:<49}", line.hex) }</span>
                    <span class="hex-ascii">{ line.ascii }</span>
                </div>
            }) }
        </pre>
    }
}
