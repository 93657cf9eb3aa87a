//! The work the page hands to its file worker, and the answers it gets.
//!
//! Taking a capture apart and writing a pcapng need the capture parser and
//! pcap-file: about a sixth of the page's download, for something most
//! visits never do. So they run in a second WebAssembly module, a Web
//! Worker (`src/bin/sockscope-files.rs`) started when a file is opened or
//! saved; a file of hundreds of megabytes is then read without freezing
//! the page, and the worker's memory goes when it ends.
//!
//! A job and each answer travel as a small JSON header beside a payload of
//! bytes. The payloads are event logs, because the page already reads
//! those (the relay's frames are the same JSON):
//!
//! | job | payload in | answers | payload out |
//! |---|---|---|---|
//! | [`Job::Open`] | the file | [`Done::Opened`] (kind, notes, parts), then each [`Done::Part`] | each part an event log (a JSON file as it is, in one part) |
//! | | | or [`Done::NotOpened`] (why) | nothing |
//! | [`Job::SavePcapng`] | an event log | [`Done::Saved`] | the pcapng |
//! | either | | [`Done::Failed`] (why) | nothing |
//!
//! A capture's events come in parts of [`EVENTS_PER_PART`] so that the
//! page reads one while the worker writes the next: for 100,000 packets,
//! writing and reading the JSON each take a few hundred milliseconds, and
//! in turn they would take the sum.
//!
//! Notes and reasons come worded, in both languages: the page shows them
//! in its language and needs neither the parser's error types nor code to
//! read them.
//!
//! [`run`] is the worker's whole job and [`Opening`] the page's half of an
//! open, both pure and tested natively; the worker and
//! [`crate::file_worker`] only move bytes.

use serde::{Deserialize, Serialize};
use sockscope_shared::Text;

use crate::model::Model;
use crate::model::kept::Keeping;

use super::{Contents, FileKind, OpenError, export, read_event_log, unpack};
use crate::i18n::capture::{note_text, open_error_text};

/// Events in each part of an opened capture: big enough that a part costs
/// more to read than to post, small enough that the page starts early.
pub const EVENTS_PER_PART: usize = 10_000;

/// What the page asks of the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Job {
    /// Open the file in the payload.
    Open,
    /// Write the event log in the payload as a pcapng.
    SavePcapng,
}

/// What the worker answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Done {
    /// The file opened: `parts` answers follow, each with an event log.
    Opened {
        kind: FileKind,
        notes: Vec<Text>,
        parts: usize,
    },
    /// One part of an opened file's events.
    Part,
    /// Why the file cannot be shown (after its name, in the page).
    NotOpened {
        reason: Text,
    },
    Saved,
    /// The job could not be done: a pcapng that could not be written, a
    /// file the browser could not read.
    Failed {
        reason: String,
    },
}

/// Does `job` on `payload`, giving each answer and its bytes to `answer`.
pub fn run(job: Job, payload: &[u8], answer: &mut dyn FnMut(Done, Vec<u8>)) {
    match job {
        Job::Open => match unpack(payload) {
            Ok((kind, Contents::EventLog(log))) => {
                let notes = Vec::new();
                answer(
                    Done::Opened {
                        kind,
                        notes,
                        parts: 1,
                    },
                    Vec::new(),
                );
                answer(Done::Part, log.to_vec());
            }
            Ok((kind, Contents::Capture(imported))) => {
                let notes = imported.notes().iter().map(note_text).collect();
                let parts = imported.events.len().div_ceil(EVENTS_PER_PART);
                answer(Done::Opened { kind, notes, parts }, Vec::new());
                for part in imported.events.chunks(EVENTS_PER_PART) {
                    // Events always serialise: their maps have string keys.
                    answer(Done::Part, serde_json::to_vec(part).unwrap_or_default());
                }
            }
            Err(error) => answer(
                Done::NotOpened {
                    reason: open_error_text(&error),
                },
                Vec::new(),
            ),
        },
        Job::SavePcapng => {
            let written = read_event_log(payload)
                .map_err(|e| e.to_string())
                .and_then(|events| export::pcapng(&events).map_err(|e| e.to_string()));
            match written {
                Ok(pcapng) => answer(Done::Saved, pcapng),
                Err(reason) => answer(Done::Failed { reason }, Vec::new()),
            }
        }
    }
}

/// A file opened for the page: the model of its events, and what to say
/// about it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedFile {
    pub kind: FileKind,
    pub model: Box<Model>,
    pub notes: Vec<Text>,
}

/// Why a file did not open: what is wrong with it, or what went wrong
/// reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unopened {
    Refused(Text),
    Unread(String),
}

impl Unopened {
    /// A file that is not an event log, or not one the page can show.
    pub fn refused(error: &OpenError) -> Unopened {
        Unopened::Refused(open_error_text(error))
    }
}

/// Where an open stands after an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// More parts are to come.
    More,
    Opened(OpenedFile),
    Unopened(Unopened),
}

/// The page's half of an open: the worker's answers read as they come,
/// each part folded into the model as it arrives. The parts' events are
/// not gathered first: a page's memory never shrinks, so a million events
/// held twice, gathered and then in the model, stayed held twice.
#[derive(Debug)]
pub struct Opening {
    /// The file's kind and notes, and the parts still to come, once the
    /// worker has said it opened.
    opened: Option<(FileKind, Vec<Text>, usize)>,
    model: Model,
}

impl Opening {
    /// An open whose model keeps payloads as `keeping` says.
    pub fn new(keeping: Keeping) -> Opening {
        Opening {
            opened: None,
            model: Model::keeping(keeping),
        }
    }

    /// Reads one answer of the worker's.
    pub fn take(&mut self, done: Done, bytes: &[u8]) -> Step {
        match (done, self.opened.as_mut()) {
            (Done::Opened { kind, notes, parts }, None) => {
                self.opened = Some((kind, notes, parts));
                self.finish_if_whole()
            }
            (Done::Part, Some((_, _, left))) if *left > 0 => {
                *left -= 1;
                match read_event_log(bytes) {
                    Ok(events) => {
                        // Parts are of one size but the last: room for
                        // every part still to come, once, rather than
                        // growing by doubling through a million events.
                        self.model.reserve(events.len() * (*left + 1));
                        for event in events {
                            self.model.apply(event);
                        }
                        self.finish_if_whole()
                    }
                    Err(error) => Step::Unopened(Unopened::refused(&error)),
                }
            }
            (Done::NotOpened { reason }, _) => Step::Unopened(Unopened::Refused(reason)),
            (Done::Failed { reason }, _) => Step::Unopened(Unopened::Unread(reason)),
            _ => Step::Unopened(Unopened::Unread(
                "the file worker answered out of turn".into(),
            )),
        }
    }

    fn finish_if_whole(&mut self) -> Step {
        match &mut self.opened {
            Some((kind, notes, 0)) => {
                if self.model.events.is_empty() {
                    return Step::Unopened(Unopened::refused(&OpenError::NotAnEventLog {
                        reason: "it holds no events".into(),
                    }));
                }
                Step::Opened(OpenedFile {
                    kind: *kind,
                    notes: std::mem::take(notes),
                    model: Box::new(std::mem::take(&mut self.model)),
                })
            }
            _ => Step::More,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture_file::import::Note;
    use crate::capture_file::{Opened, export::event_log, open};

    /// The page's view of a file `open` gives.
    fn as_shown(opened: Opened) -> OpenedFile {
        OpenedFile {
            kind: opened.kind,
            model: Box::new(Model::from_events(opened.events)),
            notes: opened.notes.iter().map(note_text).collect(),
        }
    }

    fn recording(name: &str) -> Vec<u8> {
        let path = format!("{}/../testdata/captures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Every answer the worker gives to `job`.
    fn answers(job: Job, payload: &[u8]) -> Vec<(Done, Vec<u8>)> {
        let mut answers = Vec::new();
        run(job, payload, &mut |done, bytes| answers.push((done, bytes)));
        answers
    }

    /// The page's reading of `answers`: each step, the last one final.
    fn read(answers: Vec<(Done, Vec<u8>)>) -> Vec<Step> {
        let mut opening = Opening::new(Keeping::default());
        answers
            .into_iter()
            .map(|(done, bytes)| opening.take(done, &bytes))
            .collect()
    }

    #[test]
    fn an_opened_capture_reads_as_the_events_open_gives() {
        let file = recording("01-handshake.pcapng");
        let whole = open(&file).unwrap();
        let given = answers(Job::Open, &file);
        assert_eq!(
            given[0].0,
            Done::Opened {
                kind: FileKind::Pcapng,
                notes: whole.notes.iter().map(note_text).collect(),
                parts: 1
            }
        );
        assert_eq!(read(given), [Step::More, Step::Opened(as_shown(whole))]);
    }

    #[test]
    fn an_event_log_is_passed_on_as_it_is() {
        let log = b"  [{\"index\":0,\"t_us\":1,\"event\":\"lagged\",\"dropped\":3}]";
        let given = answers(Job::Open, log);
        assert_eq!(given[1], (Done::Part, log.to_vec()));
        let steps = read(given);
        let Some(Step::Opened(opened)) = steps.last() else {
            panic!("{steps:?}");
        };
        assert_eq!(
            (opened.kind, opened.model.events.len()),
            (FileKind::EventLog, 1)
        );
    }

    #[test]
    fn an_opened_capture_keeps_payloads_as_the_page_says() {
        let log = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/recordings/03-sticky-small-sends.events.json"
        ))
        .unwrap();
        let file = export::pcapng(&read_event_log(&log).unwrap()).unwrap();
        let opened = |keeping: Keeping| {
            let mut opening = Opening::new(keeping);
            let steps: Vec<Step> = answers(Job::Open, &file)
                .into_iter()
                .map(|(done, bytes)| opening.take(done, &bytes))
                .collect();
            let Some(Step::Opened(opened)) = steps.last().cloned() else {
                panic!("{steps:?}");
            };
            opened.model
        };
        let payloads = |model: &Model| -> Vec<bool> {
            model
                .events
                .iter()
                .filter_map(|e| match &e.kind {
                    sockscope_shared::EventKind::Call(call) => match &call.call {
                        sockscope_shared::Call::Send { data, .. } => Some(data.is_whole()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect()
        };
        // Every send kept by default; at four bytes a stream, none of
        // the lesson's sends (five bytes and more) fits, and each keeps
        // its length only.
        let whole = payloads(&opened(Keeping::default()));
        assert!(!whole.is_empty() && whole.iter().all(|&w| w), "{whole:?}");
        let cut = payloads(&opened(Keeping::at_most(4)));
        assert_eq!(cut.len(), whole.len());
        assert!(cut.iter().all(|&w| !w), "{cut:?}");
    }

    #[test]
    fn parts_are_put_together_in_order() {
        let events = open(&recording("03-sticky-small-sends.pcapng"))
            .unwrap()
            .events;
        let thirds: Vec<_> = events.chunks(events.len().div_ceil(3)).collect();
        let mut given = vec![(
            Done::Opened {
                kind: FileKind::Pcap,
                notes: vec![note_text(&Note::CallsUnknown)],
                parts: thirds.len(),
            },
            Vec::new(),
        )];
        given.extend(
            thirds
                .iter()
                .map(|part| (Done::Part, event_log(part).into_bytes())),
        );
        let steps = read(given);
        assert_eq!(steps.len(), 4);
        assert!(steps[..3].iter().all(|s| *s == Step::More), "{steps:?}");
        assert_eq!(
            steps[3],
            Step::Opened(OpenedFile {
                kind: FileKind::Pcap,
                model: Box::new(Model::from_events(events)),
                notes: vec![note_text(&Note::CallsUnknown)],
            })
        );
    }

    #[test]
    fn a_file_that_cannot_be_opened_says_why_and_carries_nothing() {
        let empty = answers(Job::Open, b"");
        let [(Done::NotOpened { reason }, bytes)] = &empty[..] else {
            panic!("{empty:?}");
        };
        assert_eq!(reason.en, "the file is empty");
        assert_eq!(reason.zh, "文件是空的");
        assert!(bytes.is_empty());
        let steps = read(answers(Job::Open, b"GIF89a.."));
        let [Step::Unopened(Unopened::Refused(reason))] = &steps[..] else {
            panic!("{steps:?}");
        };
        assert_eq!(
            reason.en,
            "this is not a .pcap, .pcapng or JSON event log (it starts with bytes 47 49 46 38 39 61 2e 2e)"
        );
    }

    #[test]
    fn a_broken_part_or_an_answer_out_of_turn_ends_the_open_in_words() {
        let opened = (
            Done::Opened {
                kind: FileKind::EventLog,
                notes: Vec::new(),
                parts: 2,
            },
            Vec::new(),
        );
        let steps = read(vec![opened.clone(), (Done::Part, b"[{".to_vec())]);
        assert!(
            matches!(
                &steps[1],
                Step::Unopened(Unopened::Refused(reason)) if reason.en.starts_with("this JSON is not a sockscope event log")
            ),
            "{steps:?}"
        );
        let steps = read(vec![(Done::Part, b"[]".to_vec())]);
        assert_eq!(
            steps,
            [Step::Unopened(Unopened::Unread(
                "the file worker answered out of turn".into()
            ))]
        );
        let empty = (
            Done::Opened {
                kind: FileKind::Pcap,
                notes: Vec::new(),
                parts: 0,
            },
            Vec::new(),
        );
        assert!(matches!(
            &read(vec![empty])[0],
            Step::Unopened(Unopened::Refused(reason)) if reason.en == "this JSON is not a sockscope event log: it holds no events"
        ));
        let failed = (
            Done::Failed {
                reason: "gone".into(),
            },
            Vec::new(),
        );
        assert_eq!(
            read(vec![opened, failed]).pop(),
            Some(Step::Unopened(Unopened::Unread("gone".into())))
        );
    }

    #[test]
    fn a_saved_pcapng_opens_as_the_events_it_was_written_from() {
        let events = open(&recording("03-sticky-small-sends.pcapng"))
            .unwrap()
            .events;
        let mut given = answers(Job::SavePcapng, event_log(&events).as_bytes());
        let (done, pcapng) = given.pop().unwrap();
        assert!(given.is_empty());
        assert_eq!(done, Done::Saved);
        assert_eq!(open(&pcapng).unwrap().events, events);
    }

    #[test]
    fn saving_what_is_not_an_event_log_says_why() {
        let given = answers(Job::SavePcapng, b"{\"not\":\"events\"");
        let [(Done::Failed { reason }, bytes)] = &given[..] else {
            panic!("{given:?}");
        };
        assert!(
            reason.starts_with("this JSON is not a sockscope event log"),
            "{reason}"
        );
        assert!(bytes.is_empty());
    }

    #[test]
    fn jobs_and_answers_survive_the_trip_as_json() {
        let answers = [
            Done::Opened {
                kind: FileKind::Pcap,
                notes: vec![
                    note_text(&Note::CallsUnknown),
                    note_text(&Note::Limited { frames: 7 }),
                ],
                parts: 3,
            },
            Done::Part,
            Done::NotOpened {
                reason: open_error_text(&OpenError::UnsupportedLink { linktype: 147 }),
            },
            Done::Saved,
            Done::Failed {
                reason: "no".into(),
            },
        ];
        for done in answers {
            let text = serde_json::to_string(&done).unwrap();
            assert_eq!(serde_json::from_str::<Done>(&text).unwrap(), done, "{text}");
        }
        for job in [Job::Open, Job::SavePcapng] {
            let text = serde_json::to_string(&job).unwrap();
            assert_eq!(serde_json::from_str::<Job>(&text).unwrap(), job);
        }
    }
}
