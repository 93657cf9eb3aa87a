//! Helpers shared by the web crate's tests: the reference recordings and
//! the event logs made from them, tshark's reading of a file, and scratch
//! files. Each fails the test loudly, naming the file, when what it reads
//! is missing, broken or empty: a fixture that quietly read as nothing
//! would let a test pass on nothing.

// Each test crate uses only some of these.
#![allow(dead_code)]
// Test helpers: a panic here is the test failing, with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sockscope_shared::Event;

/// `testdata/captures/<name>.pcapng`.
pub fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/captures")
        .join(format!("{name}.pcapng"))
}

/// The names of the files in `dir`, sorted; a folder that cannot be
/// listed fails the test with its path.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            entry
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The names of every reference recording, sorted.
pub fn all_recordings() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures");
    let names: Vec<String> = file_names(&dir)
        .into_iter()
        .filter_map(|name| name.strip_suffix(".pcapng").map(str::to_owned))
        .collect();
    assert_eq!(
        names.len(),
        14,
        "the fourteen reference recordings in {}",
        dir.display()
    );
    names
}

/// The events of a JSON event log; a missing, broken or empty file fails
/// the test with its path.
pub fn read_events(path: &Path) -> Vec<Event> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let events: Vec<Event> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not an event log: {e}", path.display()));
    assert!(!events.is_empty(), "{} holds no events", path.display());
    events
}

/// The event log the page ships for a recording (`web/recordings/`,
/// written by `cargo xtask recordings`).
pub fn event_log(name: &str) -> Vec<Event> {
    read_events(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("recordings")
            .join(format!("{name}.events.json")),
    )
}

/// A file under the test's own scratch directory in the target dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capture-file");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// One packet as tshark dissects it: field name to its values.
pub type Dissected = HashMap<String, Vec<String>>;

/// tshark's reading of `path`, the given fields for every packet; a file
/// in which tshark reads no packet fails the test.
pub fn tshark(path: &Path, fields: &[&str]) -> Vec<Dissected> {
    let packets = tshark_allowing_none(path, fields);
    assert!(
        !packets.is_empty(),
        "tshark -r {} read no packets",
        path.display()
    );
    packets
}

/// [`tshark`] for a file that may rightly hold no packet.
pub fn tshark_allowing_none(path: &Path, fields: &[&str]) -> Vec<Dissected> {
    let mut command = Command::new("tshark");
    command.arg("-r").arg(path).args(["-T", "json"]);
    for field in fields {
        command.args(["-e", field]);
    }
    let output = command.output().expect("tshark is installed");
    assert!(
        output.status.success(),
        "tshark -r {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("tshark -r {}: not JSON: {e}", path.display()));
    let packets = json
        .as_array()
        .unwrap_or_else(|| panic!("tshark -r {}: not a JSON array", path.display()));
    packets
        .iter()
        .map(|packet| {
            let layers = &packet["_source"]["layers"];
            layers
                .as_object()
                .map(|fields| {
                    fields
                        .iter()
                        .map(|(name, values)| {
                            let values = values
                                .as_array()
                                .unwrap_or_else(|| panic!("tshark field {name}: {values}"))
                                .iter()
                                .map(|v| v.as_str().unwrap_or_default().to_string())
                                .collect();
                            (name.clone(), values)
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// The first value of `field`, or "" when tshark printed none.
pub fn first<'a>(packet: &'a Dissected, field: &str) -> &'a str {
    packet
        .get(field)
        .and_then(|v| v.first())
        .map_or("", String::as_str)
}
