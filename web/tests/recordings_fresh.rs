//! The shipped recordings (`web/recordings/`) are exactly what `cargo xtask
//! recordings` writes from `testdata/captures/` today: each is made again
//! into a temporary folder by the same code and compared byte for byte, so
//! a change to the import, the tracker or the protocol that would change a
//! recording fails here until the recordings are written again.

#[path = "../examples/recordings/calls.rs"]
mod calls;
#[path = "../examples/recordings/convert.rs"]
mod convert;
#[path = "../examples/recordings/files.rs"]
mod files;
#[path = "../examples/recordings/links.rs"]
mod links;
#[path = "../examples/recordings/states.rs"]
mod states;

mod common;

use std::path::{Path, PathBuf};

use common::file_names;

const FIX: &str = "run `cargo xtask recordings` and commit web/recordings/";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_committed_recordings_are_what_the_pipeline_writes() {
    let fresh = tempfile::tempdir().expect("a temporary folder");
    let written = files::write_all(&workspace().join("testdata/captures"), fresh.path())
        .unwrap_or_else(|e| panic!("the recordings do not convert: {e}"));
    assert_eq!(written.len(), 14, "one log per experiment");
    for log in &written {
        assert!(
            log.events > 1,
            "{}: {} events",
            log.path.display(),
            log.events
        );
    }

    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings");
    assert_eq!(
        file_names(&committed),
        file_names(fresh.path()),
        "web/recordings/ holds other files than the pipeline writes: {FIX}"
    );
    for name in file_names(fresh.path()) {
        let path = committed.join(&name);
        let ours =
            std::fs::read(fresh.path().join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let theirs = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if ours != theirs {
            let ours = String::from_utf8_lossy(&ours);
            let theirs = String::from_utf8_lossy(&theirs);
            let first = ours
                .lines()
                .zip(theirs.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| ours.lines().count().min(theirs.lines().count()));
            panic!(
                "{} differs from what the pipeline writes, first at line {}:\n  committed: {}\n  pipeline:  {}\n{FIX}",
                path.display(),
                first + 1,
                theirs.lines().nth(first).unwrap_or("(end of file)"),
                ours.lines().nth(first).unwrap_or("(end of file)"),
            );
        }
    }
}
