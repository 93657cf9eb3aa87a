//! Model terms that several views print, in both languages: what a socket
//! is for, and the state of the link to the relay. The model keeps its
//! English names for `data-*` attributes and tests; these are for people.

use sockscope_shared::Framing;

use super::Lang;
use crate::model::connection::{GIVE_UP_AFTER, Link, tenths_of_seconds};
use crate::model::phases::Phase;
use crate::model::sockets::Role;

/// `listener`, `client`, `accepted`, `UDP`.
pub fn role(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Listener => lang.pick("listener", "监听"),
        Role::Client => lang.pick("client", "客户端"),
        Role::Accepted => lang.pick("accepted", "已接受"),
        Role::Udp => "UDP",
    }
}

/// A length header, as the framing menus name it.
pub fn framing(lang: Lang, framing: Framing) -> &'static str {
    match framing {
        Framing::None => lang.pick("none", "无"),
        Framing::Ascii4 => lang.pick("4 ASCII digits (zfill)", "4 位 ASCII 数字（zfill）"),
        Framing::U32Le => lang.pick("4 bytes little-endian ('<I')", "4 字节小端（'<I'）"),
        Framing::U32Be => lang.pick("4 bytes big-endian ('!I')", "4 字节大端（'!I'）"),
    }
}

/// A phase's name, as the diagram's bands print it.
pub fn phase(lang: Lang, phase: Phase) -> String {
    match lang {
        // The labels are ASCII: the ASCII mapping is the whole mapping,
        // and spares the page Unicode's case tables.
        Lang::En => phase.label().to_ascii_uppercase(),
        Lang::Zh => match phase {
            Phase::Handshake => "握手",
            Phase::Data => "数据",
            Phase::Close => "关闭",
            Phase::Reset => "重置",
        }
        .to_string(),
    }
}

/// A band's note (from `model::phases`) in `lang`. The model words its
/// notes in English; the Chinese is matched on their fixed shapes, and a
/// note of an unknown shape is shown as it is.
pub fn phase_note(lang: Lang, note: &str) -> String {
    if lang == Lang::En {
        return note.to_string();
    }
    let number = |text: &str| -> Option<u64> {
        text.split(|c: char| !c.is_ascii_digit())
            .find(|part| !part.is_empty())?
            .parse()
            .ok()
    };
    let zh = if note == "Three-way handshake: SYN → SYN+ACK → ACK" {
        Some("三次握手：SYN → SYN+ACK → ACK".to_string())
    } else if note.starts_with("Refused:") {
        Some("被拒绝：SYN 得到的回答是 RST（那个端口上没有程序在监听）".to_string())
    } else if note.starts_with("Handshake in progress") {
        number(note).map(|n| format!("握手进行中（3 个报文段中已有 {n} 个）"))
    } else if note.starts_with("Close in") && note.contains("rode on its own FIN") {
        number(note).map(|n| {
            format!("{n} 个报文段完成关闭：应答方已无数据要发，它的 ACK 搭在自己的 FIN 上（FIN → FIN+ACK → ACK）")
        })
    } else if note.starts_with("Close in") {
        number(note).map(|n| format!("{n} 个报文段完成关闭：FIN、ACK，然后是另一方的 FIN、ACK"))
    } else if note.starts_with("Half-close:") {
        number(note).map(|n| {
            format!("半关闭：第一个 FIN 之后，另一方仍发送了 {n} 个字节，然后才发出自己的 FIN")
        })
    } else if note.starts_with("Reset:") {
        Some("重置：RST 立即结束了连接（没有 FIN 交换，也没有 TIME_WAIT）".to_string())
    } else if note.starts_with("Closing:") {
        Some("正在关闭：一方已发送 FIN，另一方还没有".to_string())
    } else {
        None
    };
    zh.unwrap_or_else(|| note.to_string())
}

/// The one-word state of the link to the relay.
pub fn link_label(lang: Lang, link: &Link) -> &'static str {
    match link {
        Link::Connecting => lang.pick("connecting", "连接中"),
        Link::Connected => lang.pick("connected", "已连接"),
        Link::Reconnecting { .. } => lang.pick("reconnecting", "正在重连"),
        Link::Gone { .. } => lang.pick("relay gone", "relay 无响应"),
    }
}

/// A sentence on the link: what is happening and what to do.
pub fn link_detail(lang: Lang, link: &Link) -> String {
    match (link, lang) {
        (_, Lang::En) => link.detail(),
        (Link::Connecting, Lang::Zh) => "正在打开到 relay 的 WebSocket……".into(),
        (Link::Connected, Lang::Zh) => "relay 正在为本页面操作真实的套接字。".into(),
        (
            Link::Reconnecting {
                attempt,
                retry_in_ms,
            },
            Lang::Zh,
        ) => format!(
            "与 relay 的连接断开了；{} 秒后进行第 {attempt} 次尝试（共 {GIVE_UP_AFTER} 次）。",
            tenths_of_seconds(*retry_in_ms)
        ),
        (Link::Gone { retry_in_ms }, Lang::Zh) => format!(
            "relay 没有响应。请重新启动它（cargo run -p sockscope）并刷新页面，或者打开一个事件日志。每 {} 秒重试一次。",
            retry_in_ms / 1000
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_phase_names_are_the_labels_in_capitals() {
        for (band, name) in [
            (Phase::Handshake, "HANDSHAKE"),
            (Phase::Data, "DATA"),
            (Phase::Close, "CLOSE"),
            (Phase::Reset, "RESET"),
        ] {
            // ASCII, so the ASCII upper case is the Unicode one.
            assert!(band.label().is_ascii(), "{name}");
            assert_eq!(phase(Lang::En, band), name);
        }
    }

    #[test]
    fn english_keeps_the_models_words() {
        for link in [
            Link::Connecting,
            Link::Connected,
            Link::Gone { retry_in_ms: 5000 },
        ] {
            assert_eq!(link_label(Lang::En, &link), link.label());
            assert_eq!(link_detail(Lang::En, &link), link.detail());
            assert_ne!(link_detail(Lang::Zh, &link), link.detail());
        }
        assert_eq!(role(Lang::En, Role::Accepted), Role::Accepted.label());
        for f in Framing::ALL {
            assert_eq!(
                framing(Lang::En, f),
                crate::model::describe::framing_label(f)
            );
        }
        assert_eq!(role(Lang::Zh, Role::Client), "客户端");
    }

    #[test]
    fn every_phase_note_the_model_writes_has_chinese() {
        use crate::model::phases::{CloseShape, Phases, Span};
        let span = Span {
            first_at: 0,
            last_at: 3,
            segments: 3,
        };
        let mut notes = Vec::new();
        for shape in [
            CloseShape::ThreeSegments,
            CloseShape::FourSegments,
            CloseShape::HalfClose { bytes: 10 },
            CloseShape::Reset,
            CloseShape::InProgress,
        ] {
            let phases = Phases {
                close: Some((span, shape)),
                ..Phases::default()
            };
            notes.extend(phases.close_note());
        }
        for (complete, refused) in [(true, false), (false, false), (false, true)] {
            let phases = Phases {
                handshake: Some(span),
                handshake_complete: complete,
                refused,
                ..Phases::default()
            };
            notes.extend(phases.handshake_note());
        }
        assert_eq!(notes.len(), 8);
        for note in &notes {
            let zh = phase_note(Lang::Zh, note);
            assert_ne!(&zh, note, "no Chinese for {note:?}");
            assert_eq!(phase_note(Lang::En, note), *note);
        }
        assert!(phase_note(Lang::Zh, &notes[2]).contains("10 个字节"));
        assert!(phase_note(Lang::Zh, &notes[0]).starts_with("3 个报文段"));
    }
}
