//! The lessons the page ships: the fourteen experiments of the tutorials
//! on loopback and nine on the network lab's paths, one file each in the
//! repository's `lessons/` folder, which Trunk copies
//! next to the page (`dist/lessons/`) as it does the recordings. A lesson's
//! file is fetched when the lesson is opened ([`fetch`]), so the page does
//! not carry them all in its code.
//!
//! The lesson list needs less than the files hold, and needs it at once:
//! [`SHIPPED`] is that index, kept by hand (id, title in both languages and
//! recording of each file), and a test holds it to the files.
//!
//! A shipped lesson, once fetched, and a teacher's own lesson file opened
//! in the page go through the same [`parse`]: JSON into a [`Lesson`], then
//! the checks of [`crate::model::lesson::check`].

use sockscope_shared::{Lesson, Text};
use wasm_bindgen_futures::spawn_local;
use yew::Callback;

use crate::fetch_log::fetch_text;
use crate::model::lesson::{Problem, check};

/// One shipped lesson, as the lesson list shows it before its file is
/// fetched.
#[derive(Debug, PartialEq, Eq)]
pub struct Shipped {
    /// The file in `lessons/`.
    pub file: &'static str,
    /// The lesson's `id`, as links name it.
    pub id: &'static str,
    /// Its `title`, in English and in Chinese.
    pub title_en: &'static str,
    pub title_zh: &'static str,
    /// Its reference recording.
    pub recording: Option<&'static str>,
}

macro_rules! shipped {
    (@recording $file:literal) => { Some($file) };
    (@recording $file:literal lab) => { None };
    ($($file:literal, $id:literal, $en:literal, $zh:literal $(, $lab:ident)?;)*) => {
        [$(Shipped {
            file: concat!($file, ".json"),
            id: $id,
            title_en: $en,
            title_zh: $zh,
            recording: shipped!(@recording $file $($lab)?),
        }),*]
    };
}

/// Every shipped lesson, in teaching order. Each loopback lesson's
/// recording is the one with the same name as its file; the lessons on a
/// lab path (marked `lab`) have none, as recordings are of loopback.
pub const SHIPPED: [Shipped; 25] = shipped![
    "01-handshake", "handshake",
        "TCP three-way handshake", "TCP 三次握手";
    "02-close-half", "close-half",
        "Close, half-close and TIME_WAIT", "关闭、半关闭与 TIME_WAIT";
    "03-sticky-small-sends", "sticky-small-sends",
        "Sticky packets: quick sends, one recv", "粘包：连续的小消息，一次 recv";
    "04-sticky-small-buffer", "sticky-small-buffer",
        "Sticky packets: recv buffer too small", "粘包：接收缓冲太小";
    "05-zfill-header", "zfill-header",
        "Fix 1: a 4-digit ASCII length header", "解决方法一：4 位 ASCII 长度报头";
    "06-struct-header", "struct-header",
        "Fix 2: a 4-byte binary length header", "解决方法二：4 字节二进制长度报头";
    "07-upper-echo-clients", "upper-echo-clients",
        "Echo server, clients one after another", "回显服务器：客户端一个接一个";
    "08-disconnect-fin-vs-rst", "disconnect-fin-vs-rst",
        "A client leaves: FIN or RST", "客户端离开：FIN 还是 RST";
    "09-addr-in-use", "addr-in-use",
        "Address already in use, and SO_REUSEADDR", "地址已被占用与 SO_REUSEADDR";
    "10-refused", "refused",
        "Connection refused", "连接被拒绝";
    "11-udp-echo-and-time", "udp-echo-and-time",
        "UDP echo and time server", "UDP 回显与时间服务器";
    "12-udp-boundaries", "udp-boundaries",
        "UDP keeps message boundaries", "UDP 保留消息边界";
    "13-udp-truncation", "udp-truncation",
        "UDP truncation", "UDP 截断";
    "14-udp-empty", "udp-empty",
        "UDP empty datagram", "UDP 空数据报";
    "15-mss-segments", "mss-segments",
        "One send(), MSS-sized segments, one recv()", "一次 send()，切成 MSS 大小的报文段，一次 recv()", lab;
    "16-nagle", "nagle",
        "Nagle's algorithm, and TCP_NODELAY", "Nagle 算法与 TCP_NODELAY", lab;
    "17-nagle-delayed-ack", "nagle-delayed-ack",
        "Write, write, read: Nagle meets the delayed ACK", "写、写、读：Nagle 遇上延迟确认", lab;
    "18-fast-retransmit", "fast-retransmit",
        "A lost segment: duplicate ACKs and fast retransmit", "丢失一个报文段：重复 ACK 与快速重传", lab;
    "19-lost-syn", "lost-syn",
        "A lost SYN: connect() waits for the retry", "SYN 丢失：connect() 等待重传", lab;
    "20-rto-backoff", "rto-backoff",
        "The link goes dark: retransmission timeouts back off", "链路中断：重传超时指数退避", lab;
    "21-zero-window", "zero-window",
        "A slow reader: the window closes, probes keep asking", "读得慢：窗口关闭，探测不断", lab;
    "22-udp-lossy", "udp-lossy",
        "UDP on a lossy path: lost is lost", "有损路径上的 UDP：丢了就是丢了", lab;
    "23-ipv6-handshake", "ipv6-handshake",
        "An IPv6 handshake: MSS 1440", "IPv6 握手：MSS 1440", lab;
    "24-slow-start", "slow-start",
        "Slow start: the congestion window doubles every round trip", "慢启动：拥塞窗口每个往返翻一倍", lab;
    "25-congestion-avoidance", "congestion-avoidance",
        "After a loss: the window cut, then congestion avoidance", "丢包之后：窗口被削减，然后是拥塞避免", lab;
];

impl Shipped {
    /// Where the page fetches the file from, relative to the page.
    pub fn url(&self) -> String {
        format!("lessons/{}", self.file)
    }

    /// The title, as a lesson's text.
    pub fn title(&self) -> Text {
        Text {
            en: self.title_en.to_string(),
            zh: self.title_zh.to_string(),
        }
    }

    /// What the panel holds while the file is on its way: the lesson's
    /// name, title and recording, and no steps yet.
    pub fn placeholder(&self) -> Lesson {
        Lesson {
            id: self.id.to_string(),
            title: self.title(),
            explanation: Text::default(),
            recording: self.recording.map(str::to_string),
            path: None,
            steps: Vec::new(),
        }
    }
}

/// The shipped lesson with this id (`sticky-small-sends`).
pub fn find(id: &str) -> Option<&'static Shipped> {
    SHIPPED.iter().find(|s| s.id == id)
}

/// Why a lesson file cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    /// A shipped lesson's file could not be fetched: the request and what
    /// went wrong with it.
    Fetch(String),
    /// Not a lesson in JSON: serde's message, with line and column.
    Json(String),
    /// A lesson, but one that cannot run as written.
    Problems(Vec<Problem>),
}

/// Reads and checks a lesson file.
///
/// # Errors
/// When the text is not a lesson, or the lesson has problems.
pub fn parse(text: &str) -> Result<Lesson, LoadError> {
    let lesson: Lesson = serde_json::from_str(text).map_err(|e| LoadError::Json(e.to_string()))?;
    let problems = check(&lesson);
    if problems.is_empty() {
        Ok(lesson)
    } else {
        Err(LoadError::Problems(problems))
    }
}

/// Fetches a shipped lesson's file and reads it, reporting through
/// `ondone`.
pub fn fetch(shipped: &'static Shipped, ondone: Callback<Result<Lesson, LoadError>>) {
    spawn_local(async move {
        let read = match fetch_text(&shipped.url()).await {
            Ok(text) => parse(&text),
            Err(message) => Err(LoadError::Fetch(message)),
        };
        ondone.emit(read);
    });
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use sockscope_shared::{Command, StepAction, Text};

    use super::*;
    use crate::model::lesson::fake_relay::FakeRelay;
    use crate::model::lesson::tests::Drive;
    use crate::model::lesson::{Status, StepResult, StepState};
    use crate::recordings;

    /// The text of a file in `lessons/`.
    fn read(file: &str) -> String {
        let path = format!("{}/../lessons/{file}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn each() -> impl Iterator<Item = (&'static str, Lesson)> {
        SHIPPED.iter().map(|s| match parse(&read(s.file)) {
            Ok(lesson) => (s.file, lesson),
            Err(error) => panic!("{}: {error:?}", s.file),
        })
    }

    #[test]
    fn every_file_in_the_folder_is_shipped() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|f| f.ends_with(".json"))
            .collect();
        files.sort();
        let shipped: Vec<&str> = SHIPPED.iter().map(|s| s.file).collect();
        assert_eq!(files, shipped);
    }

    #[test]
    fn every_lesson_parses_and_passes_its_checks() {
        // `each` fails with the file name and the problems otherwise.
        assert_eq!(each().count(), 25);
        assert_eq!(
            find("sticky-small-sends").map(|s| s.url()),
            Some("lessons/03-sticky-small-sends.json".to_string())
        );
        assert!(find("no-such-lesson").is_none());
    }

    #[test]
    fn the_page_is_built_with_the_lesson_files_beside_it() {
        let page = include_str!("../../index.html");
        assert!(
            page.contains(r#"<link data-trunk rel="copy-dir" href="lessons" />"#),
            "index.html must have Trunk copy lessons/ into dist/"
        );
    }

    #[test]
    fn the_index_says_what_each_file_says() {
        for (file, lesson) in each() {
            let Some(shipped) = find(&lesson.id) else {
                panic!("{file}: the index has no lesson {:?}", lesson.id);
            };
            assert_eq!(shipped.file, file, "{}", lesson.id);
            assert_eq!(shipped.title(), lesson.title, "{file}: title");
            assert_eq!(
                shipped.recording.map(str::to_string),
                lesson.recording,
                "{file}: recording"
            );
            let placeholder = shipped.placeholder();
            assert_eq!(
                (&placeholder.id, &placeholder.title, &placeholder.recording),
                (&lesson.id, &lesson.title, &lesson.recording),
                "{file}"
            );
            assert!(placeholder.steps.is_empty());
        }
    }

    #[test]
    fn the_example_in_the_teachers_guide_is_a_lesson_that_runs() {
        let guide = include_str!("../../docs/LESSONS.md");
        let example = guide
            .split("```json\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        let lesson = parse(example).unwrap();
        assert_eq!(lesson.id, "sticky-small-sends");
        let mut drive = Drive::start(lesson, true);
        drive.settle();
        assert_eq!(drive.runner.status(), &Status::Done);
        assert!(matches!(
            &drive.runner.states()[4],
            StepState::Done { result: StepResult::Call { label }, .. } if label == "recv(1024) → 9 bytes \"oneoneone\""
        ));
    }

    #[test]
    fn every_text_is_written_in_both_languages() {
        for (file, lesson) in each() {
            let mut texts: Vec<(String, &Text)> = vec![
                ("title".into(), &lesson.title),
                ("explanation".into(), &lesson.explanation),
            ];
            for (i, step) in lesson.steps.iter().enumerate() {
                texts.push((format!("step {}", i + 1), &step.note));
            }
            for (what, text) in texts {
                assert!(!text.en.trim().is_empty(), "{file}: {what} has no English");
                assert!(!text.zh.trim().is_empty(), "{file}: {what} has no Chinese");
                assert!(
                    text.zh
                        .chars()
                        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{file}: {what}: the Chinese text has no Chinese characters"
                );
                assert_ne!(text.en, text.zh, "{file}: {what} is not translated");
            }
        }
    }

    #[test]
    fn ids_files_recordings_and_ports_belong_to_one_lesson_each() {
        let mut ids = HashSet::new();
        let mut ports = HashSet::new();
        for (file, lesson) in each() {
            assert!(file.ends_with(&format!("{}.json", lesson.id)), "{file}");
            assert!(ids.insert(lesson.id.clone()), "{file}: id used twice");
            // Recordings are of loopback; a lesson on a lab path has none.
            match (&lesson.recording, &lesson.path) {
                (Some(recording), None) => assert!(
                    recordings::find(recording).is_some(),
                    "{file}: no recording {recording:?}"
                ),
                (None, Some(_)) => {}
                (recording, path) => panic!("{file}: recording {recording:?} with path {path:?}"),
            }
            // A lesson's fixed ports are its own, so no two runs collide.
            let mine: HashSet<u16> = lesson
                .steps
                .iter()
                .filter_map(|s| match &s.action {
                    StepAction::Do(
                        Command::TcpListen { port, .. }
                        | Command::TcpConnect { port, .. }
                        | Command::UdpBind { port, .. }
                        | Command::SendTo { port, .. },
                    ) => Some(*port).filter(|&p| p != 0),
                    _ => None,
                })
                .collect();
            assert!(!mine.is_empty(), "{file} uses no fixed port");
            for port in mine {
                assert!(
                    ports.insert(port),
                    "{file}: port {port} is another lesson's"
                );
            }
        }
    }

    #[test]
    fn every_lesson_plays_to_its_end_on_a_pretend_relay() {
        for (file, lesson) in each() {
            let steps = lesson.steps.len();
            let on_lab = lesson.path.is_some();
            let relay = FakeRelay::new(1_000, 7);
            let mut drive =
                Drive::start_on(lesson, true, if on_lab { relay.with_lab() } else { relay });
            drive.settle();
            assert_eq!(
                drive.paths.len(),
                usize::from(on_lab),
                "{file}: its path is set first"
            );
            assert_eq!(drive.runner.status(), &Status::Done, "{file}");
            assert_eq!(drive.sent.len(), steps, "{file}");
            assert!(
                drive
                    .runner
                    .states()
                    .iter()
                    .all(|s| matches!(s, StepState::Done { .. })),
                "{file}: {:?}",
                drive.runner.states()
            );
        }
    }
}
