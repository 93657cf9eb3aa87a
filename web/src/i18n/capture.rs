//! Words for opening and saving capture files: why a file could not be
//! opened and what the page says about one it opened, in both languages.
//! A note ([`Note`]) is a fact with its numbers, worded here in both
//! languages in one exhaustive `match`. The English of an [`OpenError`]
//! is the pure layer's own `Display` (the error also reaches logs and
//! tests that way); its Chinese is an exhaustive `match` here, so a new
//! error without its Chinese does not compile either.

use sockscope_shared::Text;

use super::Lang;
use crate::capture_file::{MAX_FILE_BYTES, Note, OpenError};

/// Why `file` could not be opened, as a sentence.
pub fn open_error(lang: Lang, file: &str, error: &OpenError) -> String {
    format!("{file}: {}", open_error_reason(lang, error))
}

/// Why a file could not be opened, in both languages: what the file worker
/// answers, for the page to put after the file's name.
pub fn open_error_text(error: &OpenError) -> Text {
    Text {
        en: open_error_reason(Lang::En, error),
        zh: open_error_reason(Lang::Zh, error),
    }
}

/// A note in both languages: what the file worker answers.
pub fn note_text(n: &Note) -> Text {
    Text {
        en: note(Lang::En, n),
        zh: note(Lang::Zh, n),
    }
}

fn open_error_reason(lang: Lang, error: &OpenError) -> String {
    match lang {
        Lang::En => error.to_string(),
        Lang::Zh => match error {
            OpenError::Empty => "文件是空的".to_string(),
            OpenError::TooLarge { bytes } => format!(
                "文件有 {} MiB；本页最多打开 {} MiB 的文件（先用 `editcap -c` 切开，或在 Wireshark 里过滤）",
                bytes >> 20,
                MAX_FILE_BYTES >> 20
            ),
            OpenError::NotRecognised { head } => {
                format!("这不是 .pcap、.pcapng 或 JSON 事件日志（开头的字节是 {head}）")
            }
            OpenError::NotAnEventLog { reason } => {
                format!("这个 JSON 不是 sockscope 事件日志：{reason}")
            }
            OpenError::Malformed { reason } => format!("抓包文件已损坏：{reason}"),
            OpenError::Truncated => "抓包文件不完整：第一个数据包还没写完文件就结束了".to_string(),
            OpenError::UnsupportedLink { linktype } => format!(
                "不支持链路类型 {linktype}（支持 Ethernet、Linux cooked、raw IP 和 BSD loopback）"
            ),
            OpenError::NoPackets { skipped: 0 } => "抓包文件里没有数据包".to_string(),
            OpenError::NoPackets { skipped } => format!(
                "文件里的 {skipped} 个数据包都不是 TCP、UDP 或 ICMP 端口不可达，没有可画的内容"
            ),
        },
    }
}

/// What the page says about a file it opened, each note worded once per
/// language in one exhaustive `match`.
pub fn note(lang: Lang, note: &Note) -> String {
    match (lang, note) {
        (Lang::En, Note::CutShort { frames }) => format!(
            "The file is cut short: it ends in the middle of a packet, so only the first {frames} packets could be read."
        ),
        (Lang::Zh, Note::CutShort { frames }) => {
            format!("文件不完整：它在一个数据包中间结束，只读到了前 {frames} 个数据包。")
        }
        (Lang::En, Note::Damaged { frames, reason }) => format!(
            "The file is damaged after packet {frames} ({reason}): the packets before it are shown."
        ),
        (Lang::Zh, Note::Damaged { frames, reason }) => {
            format!("文件在第 {frames} 个数据包之后损坏（{reason}）：显示的是它之前的数据包。")
        }
        (Lang::En, Note::Limited { frames }) => format!(
            "Only the first {frames} packets are shown: split the file with `editcap -c {frames} file.pcapng part.pcapng` and open the parts one by one."
        ),
        (Lang::Zh, Note::Limited { frames }) => format!(
            "只显示前 {frames} 个数据包：用 `editcap -c {frames} file.pcapng part.pcapng` 把文件切开，再逐个打开。"
        ),
        (Lang::En, Note::CallsUnknown) => "A capture file holds packets only: which send() wrote each byte and what each recv() returned are unknown. The diagram and the segments lane show what crossed the wire.".to_string(),
        (Lang::Zh, Note::CallsUnknown) => "抓包文件里只有数据包：哪次 send() 写了哪些字节、每次 recv() 返回了什么，都无从得知。图和“报文段”一栏显示的是线路上传送的内容。".to_string(),
        (Lang::En, Note::Skipped { skipped, frames }) => format!(
            "{skipped} of {frames} packets are not TCP, UDP or ICMP port unreachable and are not drawn."
        ),
        (Lang::Zh, Note::Skipped { skipped, frames }) => format!(
            "{frames} 个数据包中有 {skipped} 个不是 TCP、UDP 或 ICMP 端口不可达，没有画出来。"
        ),
        (Lang::En, Note::UnsupportedLink { linktype, count }) => format!(
            "{count} packets use link type {linktype}, which sockscope cannot take apart, and are not drawn."
        ),
        (Lang::Zh, Note::UnsupportedLink { linktype, count }) => format!(
            "{count} 个数据包使用链路类型 {linktype}，sockscope 无法解析，没有画出来。"
        ),
        (Lang::En, Note::BrokenComments { count }) => format!(
            "{count} sockscope comments in the file could not be read and are left out."
        ),
        (Lang::Zh, Note::BrokenComments { count }) => {
            format!("文件里有 {count} 条 sockscope 注释读不出来，已略过。")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_note_and_error_has_both_languages() {
        let notes = [
            Note::CutShort { frames: 5 },
            Note::Damaged {
                frames: 5,
                reason: "x".into(),
            },
            Note::Limited { frames: 5 },
            Note::CallsUnknown,
            Note::Skipped {
                skipped: 1,
                frames: 5,
            },
            Note::UnsupportedLink {
                linktype: 105,
                count: 2,
            },
            Note::BrokenComments { count: 1 },
        ];
        for n in &notes {
            let (en, zh) = (note(Lang::En, n), note(Lang::Zh, n));
            assert!(en.is_ascii() && !en.is_empty(), "{en}");
            assert_ne!(en, zh);
            assert!(!zh.is_ascii(), "{zh}");
        }
        assert_eq!(
            note(Lang::En, &Note::Limited { frames: 5 }),
            "Only the first 5 packets are shown: split the file with `editcap -c 5 file.pcapng part.pcapng` and open the parts one by one."
        );
        let error = open_error(Lang::Zh, "a.pcap", &OpenError::Truncated);
        assert!(error.starts_with("a.pcap: 抓包文件不完整"), "{error}");
        assert_eq!(
            open_error(Lang::En, "a.pcap", &OpenError::Empty),
            "a.pcap: the file is empty"
        );
    }
}
