//! Everything about one event: every field of a packet (relative and
//! absolute numbers side by side, the scaled window, the options), or a
//! call's arguments and result, and the payload as hex and ASCII, with the
//! sends its bytes came from.

use sockscope_shared::{Bytes, Call, CallEvent, CallResult, EventKind, Segment, SegmentEvent};
use yew::prelude::*;

use super::detail_path::{analysis_fields, crossing_fields};
use super::hex_dump::HexDump;
use super::send_class;
use crate::i18n::{Lang, use_lang};
use crate::model::Model;
use crate::model::describe::{call_label, call_name, plural, result_label};
use crate::state::ModelRef;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    /// The event to show, by log position.
    pub at: Option<usize>,
    /// The conversation the ladder shows alone, if any.
    #[prop_or_default]
    pub focus: Option<usize>,
    pub onfocus: Callback<Option<usize>>,
}

fn field(name: &str, value: impl Into<Html>) -> Html {
    html! { <><dt>{ name }</dt><dd>{ value.into() }</dd></> }
}

fn sends_line(model: &Model, at: usize, verb: &str) -> Html {
    let sends = model.sends_of(at);
    if sends.is_empty() {
        return html! {};
    }
    field(
        verb,
        html! {
            <span class="send-list">
                { for sends.iter().map(|s| html! { <span class={classes!("chip-inline", send_class(*s))}>{ format!("send #{s}") }</span> }) }
            </span>
        },
    )
}

fn segment_view(lang: Lang, model: &Model, at: usize, seg: &SegmentEvent) -> Html {
    let who = |socket: Option<sockscope_shared::NonZeroSocketId>| {
        socket
            .map(|s| match lang {
                Lang::En => format!(" (socket {s})"),
                Lang::Zh => format!("（{s} 号套接字）"),
            })
            .unwrap_or_default()
    };
    let common = html! {
        <>
            { field(lang.pick("from", "来自"), format!("{}{}", seg.src, who(seg.from_socket))) }
            { field(lang.pick("to", "发往"), format!("{}{}", seg.dst, who(seg.to_socket))) }
            { field(lang.pick("connection", "连接"), format!("conn {} · {}", seg.conn, seg.direction.name())) }
            { crossing_fields(lang, model, at) }
            { analysis_fields(lang, model, at) }
        </>
    };
    match &seg.segment {
        Segment::Tcp {
            flags,
            seq,
            ack,
            rel_seq,
            rel_ack,
            window,
            window_scaled,
            options,
            payload_len,
            payload,
        } => {
            let mut opts = Vec::new();
            if let Some(mss) = options.mss {
                opts.push(format!("MSS {mss}"));
            }
            if let Some(ws) = options.window_scale {
                opts.push(format!("window scale {ws} (×{})", 1u32 << ws.min(14)));
            }
            if options.sack_permitted {
                opts.push("SACK permitted".to_string());
            }
            for block in &options.sack {
                opts.push(format!("SACK {}–{}", block.left, block.right));
            }
            if let Some(ts) = options.timestamps {
                opts.push(format!("timestamps {} / echo {}", ts.value, ts.echo_reply));
            }
            let cut = *payload_len as usize > payload.len();
            html! {
                <>
                    <dl class="fields-table">
                        { common }
                        { field(lang.pick("flags", "标志"), flags.label()) }
                        { field("seq", html! { <><strong>{ rel_seq }</strong>{ match lang { Lang::En => format!(" relative · {seq} absolute"), Lang::Zh => format!("（相对）· 绝对值 {seq}") } }</> }) }
                        { field("ack", if flags.ack { html! { <><strong>{ rel_ack }</strong>{ match lang { Lang::En => format!(" relative · {ack} absolute"), Lang::Zh => format!("（相对）· 绝对值 {ack}") } }</> } } else { html! { lang.pick("— (no ACK flag)", "—（没有 ACK 标志）") } }) }
                        { field(lang.pick("window", "窗口"), match lang { Lang::En => format!("{window_scaled} bytes (field {window})"), Lang::Zh => format!("{window_scaled} 字节（字段值 {window}）") }) }
                        { field(lang.pick("options", "选项"), if opts.is_empty() { lang.pick("none", "无").to_string() } else { opts.join(" · ") }) }
                        { field(lang.pick("payload", "载荷"), if cut { match lang { Lang::En => format!("{} (first {} captured)", plural(u64::from(*payload_len), "byte"), payload.len()), Lang::Zh => format!("{payload_len} 字节（只抓到前 {} 个）", payload.len()) } } else { plural(u64::from(*payload_len), "byte") }) }
                        { sends_line(model, at, lang.pick("bytes from", "字节来自")) }
                    </dl>
                    <HexDump bytes={payload.clone()} start={u64::from(rel_seq.saturating_sub(1))} />
                </>
            }
        }
        Segment::Udp(datagram) => html! {
            <>
                <dl class="fields-table">
                    { common }
                    { field(lang.pick("payload", "载荷"), plural(u64::from(datagram.payload_len), "byte")) }
                    { field(lang.pick("on the wire", "线路上"), match lang { Lang::En => format!("{} (8-byte UDP header + payload)", plural(u64::from(datagram.payload_len) + 8, "byte")), Lang::Zh => format!("{} 字节（8 字节 UDP 首部 + 载荷）", u64::from(datagram.payload_len) + 8) }) }
                </dl>
                <HexDump bytes={datagram.payload.clone()} />
            </>
        },
        Segment::IcmpPortUnreachable => html! {
            <dl class="fields-table">
                { common }
                { field(lang.pick("meaning", "含义"), lang.pick("nothing listens on that UDP port: the kernel answered with ICMP port unreachable", "那个 UDP 端口上没有程序在监听：内核回复了 ICMP 端口不可达")) }
            </dl>
        },
    }
}

fn call_view(lang: Lang, model: &Model, at: usize, call: &CallEvent) -> Html {
    let (bytes, start): (Bytes, u64) = match (&call.call, &call.result) {
        (Call::Send { data, offset, .. }, _) => (data.clone(), *offset),
        (_, CallResult::Data { data, offset }) => (data.clone(), *offset),
        (Call::SendTo { data, .. }, _) => (data.clone(), 0),
        (_, CallResult::Datagram { data, .. }) => (data.clone(), 0),
        _ => (Bytes::default(), 0),
    };
    let has_bytes = matches!(call.call, Call::Send { .. } | Call::SendTo { .. })
        || matches!(
            call.result,
            CallResult::Data { .. } | CallResult::Datagram { .. }
        );
    let error = match &call.result {
        CallResult::Error(e) => Some(
            html! { <p class="form-error">{ format!("{} ({}): {}", e.errno, e.code, crate::i18n::refusal::os_error(lang, e)) }</p> },
        ),
        _ => None,
    };
    let lost = call.result.truncated_bytes();
    html! {
        <>
            <dl class="fields-table">
                { field(lang.pick("socket", "套接字"), format!("#{} ({})", call.socket, call.transport.name())) }
                { field(lang.pick("call", "调用"), call_label(&call.call)) }
                { field(lang.pick("result", "结果"), result_label(&call.result)) }
                if let Call::Send { offset, message, .. } = &call.call {
                    { field(lang.pick("stream offset", "流偏移"), match lang { Lang::En => format!("bytes {offset}… of this socket's outgoing stream (message {message})"), Lang::Zh => format!("本套接字发送流中第 {offset} 字节起（第 {message} 条消息）") }) }
                }
                if let CallResult::Data { offset, data } = &call.result {
                    { field(lang.pick("stream offset", "流偏移"), match lang { Lang::En => format!("bytes {offset}–{} of the incoming stream", offset + data.len() as u64), Lang::Zh => format!("接收流中第 {offset}–{} 字节", offset + data.len() as u64) }) }
                }
                if lost > 0 {
                    { field(lang.pick("lost", "丢失"), match lang { Lang::En => format!("{} did not fit the buffer and were thrown away", plural(u64::from(lost), "byte")), Lang::Zh => format!("{lost} 个字节放不进缓冲区，被丢弃了") }) }
                }
                { field(lang.pick("local", "本地地址"), call.local.clone().unwrap_or_else(|| "—".into())) }
                { field(lang.pick("peer", "对端地址"), call.peer.clone().unwrap_or_else(|| "—".into())) }
                { field(lang.pick("TCP state after", "调用后的 TCP 状态"), call.state.map_or("—", |s| s.name())) }
                { sends_line(model, at, lang.pick("bytes from", "字节来自")) }
            </dl>
            { for error }
            if has_bytes { <HexDump {bytes} {start} /> }
        </>
    }
}

#[component]
pub fn DetailPane(props: &Props) -> Html {
    let lang = use_lang();
    let model = props.model.get();
    let event = props
        .at
        .and_then(|at| model.events.get(at).map(|e| (at, e)));
    let Some((at, event)) = event else {
        return html! {
            <section class="panel detail" id="detail">
                <h2>{ lang.pick("Details", "详情") }</h2>
                <p class="empty">{ lang.pick("Click an arrow, a call or a byte block to see every field.", "点击箭头、调用或字节块，查看全部字段。") }</p>
            </section>
        };
    };
    let (title, body) = match &event.kind {
        EventKind::Segment(seg) => (
            match &seg.segment {
                Segment::Tcp { flags, .. } => format!(
                    "{} · {}",
                    lang.pick("TCP segment", "TCP 报文段"),
                    flags.label()
                ),
                Segment::Udp(_) => lang.pick("UDP datagram", "UDP 数据报").to_string(),
                Segment::IcmpPortUnreachable => lang
                    .pick("ICMP port unreachable", "ICMP 端口不可达")
                    .to_string(),
            },
            segment_view(lang, &model, at, seg),
        ),
        EventKind::Call(call) => (
            format!("{}()", call_name(&call.call)),
            call_view(lang, &model, at, call),
        ),
        other => (
            "event".to_string(),
            html! { <pre>{ serde_json::to_string_pretty(other).unwrap_or_default() }</pre> },
        ),
    };
    // Wireshark's conversation filter, from the packet or call in hand.
    let focus = model
        .conversation_at(at)
        .filter(|_| model.conversations.list.len() > 1)
        .map(|conversation| {
            let (text, to) = if props.focus == Some(conversation) {
                (lang.pick("show every connection", "显示全部连接"), None)
            } else {
                (
                    lang.pick("show this connection alone", "只显示这个连接"),
                    Some(conversation),
                )
            };
            let onclick = props.onfocus.reform(move |_: MouseEvent| to);
            html! { <button type="button" class="secondary small" id="detail-focus" {onclick}>{ text }</button> }
        });
    html! {
        <section class="panel detail" id="detail" data-index={event.index.to_string()}>
            <h2>{ title }<span class="meta">{ format!("{} {} · t = {} µs", lang.pick("event", "事件"), event.index, event.t_us) }</span></h2>
            { for focus }
            { body }
        </section>
    }
}
