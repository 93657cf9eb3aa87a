//! The words of the path and the network lab, in both languages: the
//! paths a session can choose and what each does, what the path did to a
//! packet, the custom path form's fields and complaints, and Wireshark's
//! TCP analysis flags.
//!
//! The flags keep Wireshark's own English names in both languages
//! ("TCP Dup ACK"), as the diagram's other labels keep C's and
//! Wireshark's: they are what a learner reads in a capture tool. Their
//! meaning, shown on hover, is translated.

use sockscope_shared::{LinkCounts, LinkSettings, PathFate, PathPreset, PathSettings, TcpAnalysis};

use super::Lang;
use crate::model::path_form::{FieldProblem, LinkField, PathField, PathFormError};

/// A path's name in the selector.
pub fn preset(lang: Lang, path: PathPreset) -> &'static str {
    match path {
        PathPreset::Loopback => lang.pick("this machine (loopback)", "本机（回环）"),
        PathPreset::Lan => lang.pick("LAN", "局域网"),
        PathPreset::Wifi => lang.pick("Wi-Fi", "Wi-Fi"),
        PathPreset::Internet => lang.pick("Internet", "互联网"),
        PathPreset::Lossy => lang.pick("lossy", "丢包严重"),
        PathPreset::Custom => lang.pick("custom…", "自定义…"),
    }
}

use crate::model::describe::number as num;

/// A rate: `20 Mbit/s`, `512 kbit/s`.
fn rate(kbps: u32) -> String {
    if kbps >= 1000 && kbps % 100 == 0 {
        format!("{} Mbit/s", num(f64::from(kbps) / 1000.0))
    } else {
        format!("{kbps} kbit/s")
    }
}

/// One direction's impairments, as a list; `each_way` says "each way"
/// after the delay (a symmetric path described once).
fn link_parts(lang: Lang, link: &LinkSettings, each_way: bool) -> Vec<String> {
    let mut parts = Vec::new();
    if link.delay_ms > 0.0 {
        let jitter = if link.jitter_ms > 0.0 {
            format!(" ±{} ms", num(link.jitter_ms))
        } else {
            String::new()
        };
        let way = match (each_way, lang) {
            (false, _) => "",
            (true, Lang::En) => " each way",
            (true, Lang::Zh) => "（单程）",
        };
        parts.push(format!("{} ms{jitter}{way}", num(link.delay_ms)));
    }
    if link.loss_percent > 0.0 {
        let loss = num(link.loss_percent);
        parts.push(match (lang, link.loss_burst > 1.0) {
            (Lang::En, false) => format!("{loss}% loss"),
            (Lang::En, true) => format!("{loss}% loss in bursts of {}", num(link.loss_burst)),
            (Lang::Zh, false) => format!("丢包 {loss}%"),
            (Lang::Zh, true) => format!("丢包 {loss}%（平均每次连丢 {} 个）", num(link.loss_burst)),
        });
    }
    if link.reorder_percent > 0.0 {
        let share = num(link.reorder_percent);
        parts.push(match lang {
            Lang::En => format!("{share}% reordered"),
            Lang::Zh => format!("乱序 {share}%"),
        });
    }
    if link.duplicate_percent > 0.0 {
        let share = num(link.duplicate_percent);
        parts.push(match lang {
            Lang::En => format!("{share}% duplicated"),
            Lang::Zh => format!("重复 {share}%"),
        });
    }
    if link.rate_kbps > 0 {
        parts.push(rate(link.rate_kbps));
    }
    parts
}

/// What a lab path does, in one line: `MTU 1500, 20 ms each way, 0.5%
/// loss, 20 Mbit/s`, or each direction apart when they differ.
pub fn settings(lang: Lang, settings: &PathSettings) -> String {
    let mtu = format!("MTU {}", settings.mtu);
    let sep = lang.pick(", ", "，");
    if settings.client_to_server == settings.server_to_client {
        let mut parts = vec![mtu];
        parts.extend(link_parts(lang, &settings.client_to_server, true));
        return parts.join(sep);
    }
    let side = |link: &LinkSettings| {
        let parts = link_parts(lang, link, false);
        if parts.is_empty() {
            lang.pick("no impairment", "无损伤").to_string()
        } else {
            parts.join(sep)
        }
    };
    format!(
        "{mtu}; {}: {}; {}: {}",
        direction(lang, true),
        side(&settings.client_to_server),
        direction(lang, false),
        side(&settings.server_to_client)
    )
}

/// The selector's line under a path: what it stands for.
pub fn preset_description(lang: Lang, path: PathPreset) -> String {
    match (path, path.settings()) {
        (_, Some(named)) => settings(lang, &named),
        (PathPreset::Custom, None) => lang
            .pick(
                "your own MTU, delay, loss, reordering and rate",
                "自己设定 MTU、延迟、丢包、乱序和速率",
            )
            .to_string(),
        (_, None) => lang
            .pick(
                "one kernel talking to itself: no delay, no loss",
                "同一个内核自己和自己通信：没有延迟，没有丢包",
            )
            .to_string(),
    }
}

/// `client → server` or `server → client`.
pub fn direction(lang: Lang, client_to_server: bool) -> &'static str {
    match client_to_server {
        true => lang.pick("client → server", "客户端 → 服务端"),
        false => lang.pick("server → client", "服务端 → 客户端"),
    }
}

/// What the path did to a packet, as its row says it.
pub fn fate(lang: Lang, fate: PathFate) -> &'static str {
    match fate {
        PathFate::Lost => lang.pick("lost on the path", "在路径上丢失"),
        PathFate::QueueOverflow => lang.pick("dropped: queue full", "被丢弃：队列已满"),
        PathFate::Oversize => lang.pick("dropped: larger than the MTU", "被丢弃：超过 MTU"),
        PathFate::DelayLineFull => lang.pick("dropped: delay line full", "被丢弃：延迟线已满"),
        PathFate::Duplicated => lang.pick("duplicated on the path", "在路径上被复制"),
        PathFate::Reordered => lang.pick("arrived out of order", "乱序到达"),
    }
}

/// A flag as Wireshark's expert info names it, in every language.
pub fn analysis_name(flag: TcpAnalysis) -> &'static str {
    match flag {
        TcpAnalysis::Retransmission => "TCP Retransmission",
        TcpAnalysis::FastRetransmission => "TCP Fast Retransmission",
        TcpAnalysis::SpuriousRetransmission => "TCP Spurious Retransmission",
        TcpAnalysis::OutOfOrder => "TCP Out-Of-Order",
        TcpAnalysis::LostSegment => "TCP Previous segment not captured",
        TcpAnalysis::AckLostSegment => "TCP ACKed unseen segment",
        TcpAnalysis::DuplicateAck => "TCP Dup ACK",
        TcpAnalysis::ZeroWindow => "TCP ZeroWindow",
        TcpAnalysis::ZeroWindowProbe => "TCP ZeroWindowProbe",
        TcpAnalysis::ZeroWindowProbeAck => "TCP ZeroWindowProbeAck",
        TcpAnalysis::WindowUpdate => "TCP Window Update",
        TcpAnalysis::WindowFull => "TCP Window Full",
        TcpAnalysis::KeepAlive => "TCP Keep-Alive",
        TcpAnalysis::KeepAliveAck => "TCP Keep-Alive ACK",
    }
}

/// What a flag means, for its tooltip and the detail pane.
pub fn analysis_meaning(lang: Lang, flag: TcpAnalysis) -> &'static str {
    match flag {
        TcpAnalysis::Retransmission => lang.pick(
            "bytes sent before, sent again: the sender decided they were lost",
            "之前发过的字节又发了一次：发送方认为它们丢了",
        ),
        TcpAnalysis::FastRetransmission => lang.pick(
            "sent again at once, because duplicate ACKs asked for it (no timeout waited)",
            "因为重复 ACK 的请求而立即重发（没有等超时）",
        ),
        TcpAnalysis::SpuriousRetransmission => lang.pick(
            "sent again although the receiver had already acknowledged it",
            "接收方已经确认过，却又重发了一次",
        ),
        TcpAnalysis::OutOfOrder => lang.pick(
            "lower sequence numbers than ones already seen, not sent before: it came late",
            "序号比已见到的小，但之前没发过：它来晚了",
        ),
        TcpAnalysis::LostSegment => lang.pick(
            "a gap: the segment before this one was never seen here",
            "出现缺口：这里没见到这一段之前的那个报文段",
        ),
        TcpAnalysis::AckLostSegment => lang.pick(
            "acknowledges data never seen here",
            "确认了这里从未见到的数据",
        ),
        TcpAnalysis::DuplicateAck => lang.pick(
            "the same ACK again: the receiver is still missing the next bytes",
            "又一个相同的 ACK：接收方仍在等后面的字节",
        ),
        TcpAnalysis::ZeroWindow => lang.pick(
            "a receive window of zero: the receiver's buffer is full, the sender must stop",
            "接收窗口为零：接收方缓冲区已满，发送方必须停下",
        ),
        TcpAnalysis::ZeroWindowProbe => lang.pick(
            "one byte sent into a zero window, to ask whether it has reopened",
            "向零窗口发送一个字节，询问窗口是否重新打开",
        ),
        TcpAnalysis::ZeroWindowProbeAck => {
            lang.pick("the answer to a zero-window probe", "对零窗口探测的回答")
        }
        TcpAnalysis::WindowUpdate => lang.pick(
            "nothing new but a different window: the receiver made room",
            "没有新数据，只是窗口变了：接收方腾出了空间",
        ),
        TcpAnalysis::WindowFull => lang.pick(
            "the sender has filled the receiver's advertised window",
            "发送方已经填满了接收方通告的窗口",
        ),
        TcpAnalysis::KeepAlive => {
            lang.pick("a keep-alive: are you still there?", "保活报文：你还在吗？")
        }
        TcpAnalysis::KeepAliveAck => lang.pick("the answer to a keep-alive", "对保活报文的回答"),
    }
}

/// A custom path field's label.
pub fn field_label(lang: Lang, field: PathField) -> &'static str {
    match field {
        PathField::Mtu => "MTU",
        PathField::Seed => lang.pick("seed", "随机种子"),
        PathField::Link { field, .. } => match field {
            LinkField::Delay => lang.pick("delay ms", "延迟 ms"),
            LinkField::Jitter => lang.pick("jitter ms", "抖动 ms"),
            LinkField::Loss => lang.pick("loss %", "丢包 %"),
            LinkField::Burst => lang.pick("burst length", "连续丢包长度"),
            LinkField::Reorder => lang.pick("reorder %", "乱序 %"),
            LinkField::Duplicate => lang.pick("duplicate %", "重复 %"),
            LinkField::Rate => lang.pick("rate kbit/s (0 = none)", "速率 kbit/s（0 = 不限）"),
            LinkField::Queue => lang.pick("queue bytes", "队列字节数"),
        },
    }
}

/// What is wrong with a custom path field.
pub fn form_error(lang: Lang, error: &PathFormError) -> String {
    match (lang, &error.problem) {
        (Lang::En, FieldProblem::NotANumber { found }) => {
            format!("must be a number, not \"{found}\"")
        }
        (Lang::Zh, FieldProblem::NotANumber { found }) => format!("必须是数字，而不是 \"{found}\""),
        (Lang::En, FieldProblem::OutOfRange { min, max, .. }) => {
            format!("must be from {} to {}", num(*min), num(*max))
        }
        (Lang::Zh, FieldProblem::OutOfRange { min, max, .. }) => {
            format!("应在 {} 到 {} 之间", num(*min), num(*max))
        }
    }
}

/// One direction's counts, the parts that are not zero: delivered, lost,
/// queue overflow and the rest.
pub fn counts(lang: Lang, counts: &LinkCounts) -> Vec<String> {
    let items = [
        (counts.delivered, lang.pick("delivered", "送达")),
        (counts.lost, lang.pick("lost", "丢失")),
        (
            counts.queue_overflow,
            lang.pick("queue overflow", "队列溢出"),
        ),
        (counts.oversize, lang.pick("too big", "超过 MTU")),
        (
            counts.delay_line_full,
            lang.pick("delay line full", "延迟线已满"),
        ),
        (counts.duplicated, lang.pick("duplicated", "重复")),
        (counts.reordered, lang.pick("reordered", "乱序")),
    ];
    items
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, word)| format!("{word} {n}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_internet_path_is_described_in_one_line() {
        assert_eq!(
            preset_description(Lang::En, PathPreset::Internet),
            "MTU 1500, 20 ms each way, 0.5% loss, 20 Mbit/s"
        );
        assert_eq!(
            preset_description(Lang::En, PathPreset::Wifi),
            "MTU 1500, 3 ms ±2 ms each way, 1% loss in bursts of 3, 50 Mbit/s"
        );
        assert_eq!(
            preset_description(Lang::Zh, PathPreset::Lossy),
            "MTU 1500，丢包 10%"
        );
    }

    #[test]
    fn a_path_that_differs_by_direction_names_both() {
        let mut path = PathSettings::default();
        path.client_to_server.loss_percent = 100.0;
        assert_eq!(
            settings(Lang::En, &path),
            "MTU 1500; client → server: 100% loss; server → client: no impairment"
        );
    }

    #[test]
    fn flags_keep_wiresharks_names_in_both_languages() {
        assert_eq!(analysis_name(TcpAnalysis::DuplicateAck), "TCP Dup ACK");
        assert_eq!(
            analysis_name(TcpAnalysis::LostSegment),
            "TCP Previous segment not captured"
        );
        for flag in TcpAnalysis::ALL {
            assert!(analysis_name(flag).starts_with("TCP "));
            assert_ne!(
                analysis_meaning(Lang::En, flag),
                analysis_meaning(Lang::Zh, flag)
            );
        }
    }

    #[test]
    fn only_counts_that_happened_are_listed() {
        let link = LinkCounts {
            received: 10,
            delivered: 8,
            queue_overflow: 2,
            ..LinkCounts::default()
        };
        assert_eq!(counts(Lang::En, &link), ["delivered 8", "queue overflow 2"]);
        assert!(counts(Lang::En, &LinkCounts::default()).is_empty());
    }
}
