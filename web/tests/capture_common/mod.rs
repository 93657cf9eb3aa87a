//! Helpers shared by the capture-file tests: the reference recordings,
//! tshark's reading of a file, and scratch files.

#![allow(dead_code)]

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

/// The names of every reference recording, sorted.
pub fn all_recordings() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(".pcapng").map(str::to_owned))
        .collect();
    names.sort();
    assert_eq!(names.len(), 14, "the fourteen reference recordings");
    names
}

/// The event log the page ships for a recording.
pub fn event_log(name: &str) -> Vec<Event> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("recordings")
        .join(format!("{name}.events.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A file under the test's own scratch directory in the target dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capture-file");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// One packet as tshark dissects it: field name to its values.
pub type Dissected = HashMap<String, Vec<String>>;

/// tshark's reading of `path`, the given fields for every packet.
pub fn tshark(path: &Path, fields: &[&str]) -> Vec<Dissected> {
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
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    json.as_array()
        .unwrap()
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
                                .unwrap()
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
