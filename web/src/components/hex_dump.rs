//! A payload as a hex dump: offset, hex, ASCII, sixteen bytes a line; the
//! first [`hexdump::MAX_SHOWN`] bytes of a long one, with how many more
//! there are.

use sockscope_shared::Bytes;
use yew::prelude::*;

use crate::i18n::{Lang, use_lang};
use crate::model::describe::thousands;
use crate::model::hexdump;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub bytes: Bytes,
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
    if !props.bytes.is_whole() {
        return html! { <p class="hint hex-let-go">{ match lang {
            Lang::En => format!("{} bytes, not kept: past the amount the page keeps of each stream (see the byte streams)", thousands(props.bytes.len() as u64)),
            Lang::Zh => format!("{} 字节，没有保留：超出了页面为每个字节流保留的量（见字节流）", thousands(props.bytes.len() as u64)),
        } }</p> };
    }
    let (kept, left_out) = hexdump::shown(&props.bytes);
    html! {
        <>
            <pre class="hexdump">
                // Keyed by position, not offset: the dump of the next
                // payload (the live one, at every batch of a transfer)
                // rewrites the lines' text in place.
                { for hexdump::lines(kept, props.start).into_iter().enumerate().map(|(i, line)| html! {
                    <div class="hex-line" key={i}>
                        <span class="hex-offset">{ format!("{:06x}", line.offset) }</span>
                        <span class="hex-bytes">{ format!("{:<49}", line.hex) }</span>
                        <span class="hex-ascii">{ line.ascii }</span>
                    </div>
                }) }
            </pre>
            if left_out > 0 {
                <p class="hint hex-more">{ match lang {
                    Lang::En => format!("… and {} more bytes, not drawn", thousands(left_out as u64)),
                    Lang::Zh => format!("……另有 {} 字节未显示", thousands(left_out as u64)),
                } }</p>
            }
        </>
    }
}
