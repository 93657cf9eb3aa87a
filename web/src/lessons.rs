//! The lessons the page ships: the fourteen experiments of the tutorials,
//! one file each in the repository's `lessons/` folder, built into the page
//! with `include_str!` so a lesson opens without a request.
//!
//! A teacher's own lesson file, opened in the page, goes through the same
//! [`parse`]: JSON into a [`Lesson`], then the checks of
//! [`crate::model::lesson::check`].

use sockscope_shared::Lesson;

use crate::model::lesson::{Problem, check};

/// One shipped lesson file: its name and its text.
pub struct Shipped {
    pub file: &'static str,
    pub text: &'static str,
}

macro_rules! shipped {
    ($($file:literal),* $(,)?) => {
        [$(Shipped { file: $file, text: include_str!(concat!("../../lessons/", $file)) }),*]
    };
}

/// Every shipped lesson, in teaching order.
pub const SHIPPED: [Shipped; 14] = shipped![
    "01-handshake.json",
    "02-close-half.json",
    "03-sticky-small-sends.json",
    "04-sticky-small-buffer.json",
    "05-zfill-header.json",
    "06-struct-header.json",
    "07-upper-echo-clients.json",
    "08-disconnect-fin-vs-rst.json",
    "09-addr-in-use.json",
    "10-refused.json",
    "11-udp-echo-and-time.json",
    "12-udp-boundaries.json",
    "13-udp-truncation.json",
    "14-udp-empty.json",
];

/// Why a lesson file cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
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

/// Every shipped lesson that parses (all of them: a test says so).
pub fn all() -> Vec<Lesson> {
    SHIPPED.iter().filter_map(|s| parse(s.text).ok()).collect()
}

/// The shipped lesson with this id (`sticky-small-sends`).
pub fn find(id: &str) -> Option<Lesson> {
    all().into_iter().find(|l| l.id == id)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use sockscope_shared::{Command, StepAction, Text};

    use super::*;
    use crate::model::lesson::tests::Drive;
    use crate::model::lesson::{Status, StepState};
    use crate::recordings;

    fn each() -> impl Iterator<Item = (&'static str, Lesson)> {
        SHIPPED.iter().map(|s| match parse(s.text) {
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
        assert_eq!(each().count(), 14);
        assert_eq!(all().len(), 14);
        assert_eq!(find("sticky-small-sends").map(|l| l.steps.len()), Some(7));
        assert!(find("no-such-lesson").is_none());
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
            StepState::Done { label, .. } if label == "recv(1024) → 9 bytes \"oneoneone\""
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
            let recording = lesson.recording.as_deref().unwrap_or_default();
            assert!(
                recordings::find(recording).is_some(),
                "{file}: no recording {recording:?}"
            );
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
            let mut drive = Drive::start(lesson, true);
            drive.settle();
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
