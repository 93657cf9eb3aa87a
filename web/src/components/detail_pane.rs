//! Everything about one event: every field of a packet (relative and
//! absolute numbers side by side, the scaled window, the options), or a
//! call's arguments and result, and the payload as hex and ASCII, with the
//! sends its bytes came from.

use sockscope_shared::{Call, CallEvent, CallResult, EventKind, Segment, SegmentEvent};
use yew::prelude::*;

use super::hex_dump::HexDump;
use super::send_class;
use crate::model::describe::{call_label, plural, result_label};
use crate::state::ModelRef;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    /// The event to show, by log position.
    pub at: Option<usize>,
}

fn field(name: &str, value: impl Into<Html>) -> Html {
    html! { <><dt>{ name }</dt><dd>{ value.into() }</dd></> }
}

fn sends_line(model: &ModelRef, at: usize, verb: &str) -> Html {
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

fn segment_view(model: &ModelRef, at: usize, seg: &SegmentEvent) -> Html {
    let who = |socket: Option<u32>| socket.map(|s| format!(" (socket {s})")).unwrap_or_default();
    let common = html! {
        <>
            { field("from", format!("{}{}", seg.src, who(seg.from_socket))) }
            { field("to", format!("{}{}", seg.dst, who(seg.to_socket))) }
            { field("connection", format!("conn {} · {:?}", seg.conn, seg.direction).to_lowercase()) }
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
                        { field("flags", flags.label()) }
                        { field("seq", html! { <><strong>{ rel_seq }</strong>{ format!(" relative · {seq} absolute") }</> }) }
                        { field("ack", if flags.ack { html! { <><strong>{ rel_ack }</strong>{ format!(" relative · {ack} absolute") }</> } } else { html! { "— (no ACK flag)" } }) }
                        { field("window", format!("{window_scaled} bytes (field {window})")) }
                        { field("options", if opts.is_empty() { "none".to_string() } else { opts.join(" · ") }) }
                        { field("payload", if cut { format!("{} (first {} captured)", plural(u64::from(*payload_len), "byte"), payload.len()) } else { plural(u64::from(*payload_len), "byte") }) }
                        { sends_line(model, at, "bytes from") }
                    </dl>
                    <HexDump bytes={payload.0.clone()} start={u64::from(rel_seq.saturating_sub(1))} />
                </>
            }
        }
        Segment::Udp(datagram) => html! {
            <>
                <dl class="fields-table">
                    { common }
                    { field("payload", plural(u64::from(datagram.payload_len), "byte")) }
                    { field("on the wire", format!("{} (8-byte UDP header + payload)", plural(u64::from(datagram.payload_len) + 8, "byte"))) }
                </dl>
                <HexDump bytes={datagram.payload.0.clone()} />
            </>
        },
        Segment::IcmpPortUnreachable => html! {
            <dl class="fields-table">
                { common }
                { field("meaning", "nothing listens on that UDP port: the kernel answered with ICMP port unreachable") }
            </dl>
        },
    }
}

fn call_view(model: &ModelRef, at: usize, call: &CallEvent) -> Html {
    let (bytes, start): (Vec<u8>, u64) = match (&call.call, &call.result) {
        (Call::Send { data, offset, .. }, _) => (data.0.clone(), *offset),
        (_, CallResult::Data { data, offset }) => (data.0.clone(), *offset),
        (Call::SendTo { data, .. }, _) => (data.0.clone(), 0),
        (_, CallResult::Datagram { data, .. }) => (data.0.clone(), 0),
        _ => (Vec::new(), 0),
    };
    let has_bytes = matches!(call.call, Call::Send { .. } | Call::SendTo { .. })
        || matches!(
            call.result,
            CallResult::Data { .. } | CallResult::Datagram { .. }
        );
    let error = match &call.result {
        CallResult::Error(e) => Some(
            html! { <p class="form-error">{ format!("{} ({}): {}", e.errno, e.code, e.message) }</p> },
        ),
        _ => None,
    };
    let lost = call.result.truncated_bytes();
    html! {
        <>
            <dl class="fields-table">
                { field("socket", format!("#{} ({:?})", call.socket, call.transport).to_lowercase()) }
                { field("call", call_label(&call.call)) }
                { field("result", result_label(&call.result)) }
                if let Call::Send { offset, message, .. } = &call.call {
                    { field("stream offset", format!("bytes {offset}… of this socket's outgoing stream (message {message})")) }
                }
                if let CallResult::Data { offset, data } = &call.result {
                    { field("stream offset", format!("bytes {offset}–{} of the incoming stream", offset + data.len() as u64)) }
                }
                if lost > 0 {
                    { field("lost", format!("{} did not fit the buffer and were thrown away", plural(u64::from(lost), "byte"))) }
                }
                { field("local", call.local.clone().unwrap_or_else(|| "—".into())) }
                { field("peer", call.peer.clone().unwrap_or_else(|| "—".into())) }
                { field("TCP state after", call.state.map_or("—", |s| s.name())) }
                { sends_line(model, at, "bytes from") }
            </dl>
            { for error }
            if has_bytes { <HexDump {bytes} {start} /> }
        </>
    }
}

#[component]
pub fn DetailPane(props: &Props) -> Html {
    let event = props
        .at
        .and_then(|at| props.model.events.get(at).map(|e| (at, e)));
    let Some((at, event)) = event else {
        return html! {
            <section class="panel detail" id="detail">
                <h2>{ "Details" }</h2>
                <p class="empty">{ "Click an arrow, a call or a byte block to see every field." }</p>
            </section>
        };
    };
    let (title, body) = match &event.kind {
        EventKind::Segment(seg) => (
            match &seg.segment {
                Segment::Tcp { flags, .. } => format!("TCP segment · {}", flags.label()),
                Segment::Udp(_) => "UDP datagram".to_string(),
                Segment::IcmpPortUnreachable => "ICMP port unreachable".to_string(),
            },
            segment_view(&props.model, at, seg),
        ),
        EventKind::Call(call) => (
            format!(
                "{}()",
                call_label(&call.call).split('(').next().unwrap_or("call")
            ),
            call_view(&props.model, at, call),
        ),
        other => (
            "event".to_string(),
            html! { <pre>{ serde_json::to_string_pretty(other).unwrap_or_default() }</pre> },
        ),
    };
    html! {
        <section class="panel detail" id="detail" data-index={event.index.to_string()}>
            <h2>{ title }<span class="meta">{ format!("event {} · t = {} µs", event.index, event.t_us) }</span></h2>
            { body }
        </section>
    }
}
