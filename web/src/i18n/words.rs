//! Model terms and facts that several views print, in both languages: what
//! a socket is for, the state of the link to the relay, the notes of the
//! diagram's phase bands, the ends of a conversation and why a framing
//! stopped. The model gives facts as data (enums with their numbers); each
//! is worded here in one exhaustive `match` per language, so a fact the
//! model gains without its Chinese is a compile error, never English shown
//! to a Chinese reader. The model keeps its English names for `data-*`
//! attributes and tests; these are for people.

use sockscope_shared::{Framing, WaitReason};

use super::Lang;
use crate::model::connection::{GIVE_UP_AFTER, Link, tenths_of_seconds};
use crate::model::conversation::{Conversation, End};
use crate::model::framing::{FrameError, MAX_MESSAGE};
use crate::model::phases::{Phase, PhaseNote};
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

/// Why a call waits in the kernel, as its row and its lane's bar say.
pub fn wait_reason(lang: Lang, why: WaitReason) -> &'static str {
    match why {
        WaitReason::NoData => lang.pick(
            "waits: nothing in the receive buffer",
            "等待：接收缓冲区里没有数据",
        ),
        WaitReason::NoConnection => lang.pick(
            "waits: no completed connection in the queue",
            "等待：队列里没有已完成的连接",
        ),
        WaitReason::NoAnswer => lang.pick(
            "waits: SYN sent, no answer yet",
            "等待：SYN 已发出，还没有应答",
        ),
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

/// A band's note ([`PhaseNote`], from `model::phases`) in `lang`: each
/// fact worded once per language, so a new note without its Chinese does
/// not compile.
pub fn phase_note(lang: Lang, note: &PhaseNote) -> String {
    match (lang, *note) {
        (Lang::En, PhaseNote::ThreeWayHandshake) => {
            "Three-way handshake: SYN → SYN+ACK → ACK".to_string()
        }
        (Lang::Zh, PhaseNote::ThreeWayHandshake) => "三次握手：SYN → SYN+ACK → ACK".to_string(),
        (Lang::En, PhaseNote::HandshakeInProgress { segments }) => {
            format!("Handshake in progress ({segments} of 3 segments)")
        }
        (Lang::Zh, PhaseNote::HandshakeInProgress { segments }) => {
            format!("握手进行中（3 个报文段中已有 {segments} 个）")
        }
        (Lang::En, PhaseNote::Refused) => {
            "Refused: the SYN was answered by RST (nothing listens on that port)".to_string()
        }
        (Lang::Zh, PhaseNote::Refused) => {
            "被拒绝：SYN 得到的回答是 RST（那个端口上没有程序在监听）".to_string()
        }
        (Lang::En, PhaseNote::AckRodeOnFin { segments }) => format!(
            "Close in {segments} segments: the answering side had nothing left to send, so its ACK rode on its own FIN (FIN → FIN+ACK → ACK)"
        ),
        (Lang::Zh, PhaseNote::AckRodeOnFin { segments }) => format!(
            "{segments} 个报文段完成关闭：应答方已无数据要发，它的 ACK 搭在自己的 FIN 上（FIN → FIN+ACK → ACK）"
        ),
        (Lang::En, PhaseNote::FourSegmentClose { segments }) => {
            format!("Close in {segments} segments: FIN, ACK, then the other side's FIN, ACK")
        }
        (Lang::Zh, PhaseNote::FourSegmentClose { segments }) => {
            format!("{segments} 个报文段完成关闭：FIN、ACK，然后是另一方的 FIN、ACK")
        }
        (Lang::En, PhaseNote::HalfClose { bytes }) => format!(
            "Half-close: after the first FIN the other side still sent {bytes} bytes, then its own FIN"
        ),
        (Lang::Zh, PhaseNote::HalfClose { bytes }) => {
            format!("半关闭：第一个 FIN 之后，另一方仍发送了 {bytes} 个字节，然后才发出自己的 FIN")
        }
        (Lang::En, PhaseNote::Reset) => {
            "Reset: RST ended the connection at once (no FIN exchange, no TIME_WAIT)".to_string()
        }
        (Lang::Zh, PhaseNote::Reset) => {
            "重置：RST 立即结束了连接（没有 FIN 交换，也没有 TIME_WAIT）".to_string()
        }
        (Lang::En, PhaseNote::Closing) => {
            "Closing: one side has sent FIN; the other has not yet".to_string()
        }
        (Lang::Zh, PhaseNote::Closing) => "正在关闭：一方已发送 FIN，另一方还没有".to_string(),
    }
}

/// `127.0.0.1:9527 (socket 3)`: one end of a conversation, with the relay's
/// socket there if it owns one.
pub fn end(lang: Lang, end: &End) -> String {
    match (end.socket, lang) {
        (Some(id), Lang::En) => format!("{} (socket {id})", end.addr),
        (Some(id), Lang::Zh) => format!("{}（{id} 号套接字）", end.addr),
        (None, _) => end.addr.clone(),
    }
}

/// `A → B` for direction `d` of a conversation, as the byte-stream and
/// datagram headings print it.
pub fn direction(lang: Lang, conv: &Conversation, d: usize) -> String {
    let (from, to) = if d == 0 {
        (&conv.ends[0], &conv.ends[1])
    } else {
        (&conv.ends[1], &conv.ends[0])
    };
    format!("{} → {}", end(lang, from), end(lang, to))
}

/// Why the framing decoder stopped reading a stream.
pub fn frame_error(lang: Lang, error: &FrameError) -> String {
    match (error, lang) {
        (FrameError::BadHeader { offset, header }, Lang::En) => format!(
            "bytes {:?} at offset {offset} are not a length header of this framing",
            String::from_utf8_lossy(header)
        ),
        (FrameError::BadHeader { offset, header }, Lang::Zh) => format!(
            "偏移 {offset} 处的字节 {:?} 不是这种分帧方式的长度报头",
            String::from_utf8_lossy(header)
        ),
        (FrameError::TooLong { offset, len }, Lang::En) => {
            format!("the header at offset {offset} announces {len} bytes, more than {MAX_MESSAGE}")
        }
        (FrameError::TooLong { offset, len }, Lang::Zh) => {
            format!("偏移 {offset} 处的报头声明了 {len} 个字节，超过上限 {MAX_MESSAGE}")
        }
    }
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
        (Link::Connecting, Lang::En) => "Opening the WebSocket to the relay…".into(),
        (Link::Connecting, Lang::Zh) => "正在打开到 relay 的 WebSocket……".into(),
        (Link::Connected, Lang::En) => "The relay is driving real sockets for this page.".into(),
        (Link::Connected, Lang::Zh) => "relay 正在为本页面操作真实的套接字。".into(),
        (
            Link::Reconnecting {
                attempt,
                retry_in_ms,
            },
            Lang::En,
        ) => format!(
            "Lost the relay; try {attempt} of {GIVE_UP_AFTER} in {} s.",
            tenths_of_seconds(*retry_in_ms)
        ),
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
        (Link::Gone { retry_in_ms }, Lang::En) => format!(
            "The relay is not answering. Start it again (cargo run -p sockscope) and reload, or open an event log. Retrying every {} s.",
            retry_in_ms / 1000
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

    /// Whether `text` holds a Chinese character: a sentence that fell back
    /// to English holds none.
    fn has_chinese(text: &str) -> bool {
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

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
            assert!(has_chinese(&phase(Lang::Zh, band)), "{name}");
        }
    }

    #[test]
    fn every_link_state_has_both_languages() {
        let links = [
            Link::Connecting,
            Link::Connected,
            Link::Reconnecting {
                attempt: 2,
                retry_in_ms: 1500,
            },
            Link::Gone { retry_in_ms: 15000 },
        ];
        for link in &links {
            let (en, zh) = (link_detail(Lang::En, link), link_detail(Lang::Zh, link));
            assert!(!has_chinese(&en) && has_chinese(&zh), "{en} / {zh}");
            assert_eq!(link_label(Lang::En, link), link.label());
            assert!(has_chinese(link_label(Lang::Zh, link)), "{link:?}");
        }
        assert_eq!(
            link_detail(Lang::En, &links[2]),
            "Lost the relay; try 2 of 5 in 1.5 s."
        );
        assert!(link_detail(Lang::Zh, &links[2]).contains("1.5 秒后进行第 2 次尝试"));
        assert!(link_detail(Lang::Zh, &links[3]).contains("每 15 秒"));
    }

    #[test]
    fn english_keeps_the_models_names() {
        assert_eq!(role(Lang::En, Role::Accepted), Role::Accepted.label());
        for f in Framing::ALL {
            assert_eq!(
                framing(Lang::En, f),
                crate::model::describe::framing_label(f)
            );
        }
        assert_eq!(role(Lang::Zh, Role::Client), "客户端");
    }

    /// One note of each kind, with numbers no other note shares. The
    /// `match` below has no wildcard, so a new kind of note fails to
    /// compile here until it has a sample.
    fn one_of_each_note() -> Vec<PhaseNote> {
        let samples = vec![
            PhaseNote::ThreeWayHandshake,
            PhaseNote::HandshakeInProgress { segments: 2 },
            PhaseNote::Refused,
            PhaseNote::AckRodeOnFin { segments: 3 },
            PhaseNote::FourSegmentClose { segments: 4 },
            PhaseNote::HalfClose { bytes: 17 },
            PhaseNote::Reset,
            PhaseNote::Closing,
        ];
        let kind = |note: &PhaseNote| match note {
            PhaseNote::ThreeWayHandshake => 0,
            PhaseNote::HandshakeInProgress { .. } => 1,
            PhaseNote::Refused => 2,
            PhaseNote::AckRodeOnFin { .. } => 3,
            PhaseNote::FourSegmentClose { .. } => 4,
            PhaseNote::HalfClose { .. } => 5,
            PhaseNote::Reset => 6,
            PhaseNote::Closing => 7,
        };
        let kinds: Vec<usize> = samples.iter().map(kind).collect();
        assert_eq!(kinds, (0..8).collect::<Vec<_>>(), "one sample per kind");
        samples
    }

    #[test]
    fn no_phase_note_falls_back_to_english_in_chinese() {
        for note in one_of_each_note() {
            let (en, zh) = (phase_note(Lang::En, &note), phase_note(Lang::Zh, &note));
            assert!(!has_chinese(&en), "{note:?}: {en}");
            assert!(has_chinese(&zh), "{note:?} has no Chinese: {zh}");
            assert_ne!(en, zh, "{note:?}");
            // The note's number, where it has one, reaches both languages.
            let number = match note {
                PhaseNote::HandshakeInProgress { segments }
                | PhaseNote::AckRodeOnFin { segments }
                | PhaseNote::FourSegmentClose { segments } => Some(segments.to_string()),
                PhaseNote::HalfClose { bytes } => Some(bytes.to_string()),
                PhaseNote::ThreeWayHandshake
                | PhaseNote::Refused
                | PhaseNote::Reset
                | PhaseNote::Closing => None,
            };
            if let Some(number) = number {
                assert!(en.contains(&number) && zh.contains(&number), "{en} / {zh}");
            }
        }
        assert_eq!(
            phase_note(Lang::Zh, &PhaseNote::HalfClose { bytes: 10 }),
            "半关闭：第一个 FIN 之后，另一方仍发送了 10 个字节，然后才发出自己的 FIN"
        );
        assert!(
            phase_note(Lang::En, &PhaseNote::AckRodeOnFin { segments: 3 })
                .starts_with("Close in 3 segments")
        );
    }

    #[test]
    fn every_note_the_model_writes_is_one_of_the_samples_kinds() {
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
        assert_eq!(
            notes,
            [
                PhaseNote::AckRodeOnFin { segments: 3 },
                PhaseNote::FourSegmentClose { segments: 3 },
                PhaseNote::HalfClose { bytes: 10 },
                PhaseNote::Reset,
                PhaseNote::Closing,
                PhaseNote::ThreeWayHandshake,
                PhaseNote::HandshakeInProgress { segments: 3 },
                PhaseNote::Refused,
            ]
        );
    }

    #[test]
    fn conversation_ends_name_their_socket_in_each_language() {
        let ends = [
            End {
                addr: "127.0.0.1:5000".into(),
                socket: Some(2),
            },
            End {
                addr: "127.0.0.1:9527".into(),
                socket: None,
            },
        ];
        let conv = Conversation {
            id: 0,
            conn: None,
            transport: sockscope_shared::Transport::Tcp,
            ends,
            segments: Vec::new(),
            streams: Default::default(),
            flows: Default::default(),
            first_at: 0,
        };
        assert_eq!(
            direction(Lang::En, &conv, 0),
            "127.0.0.1:5000 (socket 2) → 127.0.0.1:9527"
        );
        assert_eq!(
            direction(Lang::Zh, &conv, 1),
            "127.0.0.1:9527 → 127.0.0.1:5000（2 号套接字）"
        );
    }

    #[test]
    fn framing_errors_have_both_languages() {
        let errors = [
            FrameError::BadHeader {
                offset: 4,
                header: b"00x5".to_vec(),
            },
            FrameError::TooLong {
                offset: 8,
                len: 9_999_999,
            },
        ];
        for error in &errors {
            let (en, zh) = (frame_error(Lang::En, error), frame_error(Lang::Zh, error));
            assert!(!has_chinese(&en) && has_chinese(&zh), "{en} / {zh}");
        }
        assert_eq!(
            frame_error(Lang::En, &errors[0]),
            "bytes \"00x5\" at offset 4 are not a length header of this framing"
        );
    }
}
