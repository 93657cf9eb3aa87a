//! `cargo xtask recordings`: writes the page's reference recordings,
//! `web/recordings/*.events.json`, from the real recordings in
//! `testdata/captures/`.
//!
//! The work is done by the web crate's `recordings` example, which reads
//! each capture with the page's own import (the capture crate's parser and
//! tracker) and so needs the workspace; xtask only runs it, to stay plain
//! std. `web/tests/recordings_fresh.rs` fails until the committed logs are
//! what this writes.

use crate::{root, sh};

/// Regenerates every event log in `web/recordings/`.
///
/// # Errors
/// A sentence naming the command that failed.
pub fn run() -> Result<(), String> {
    let root = root();
    let captures = root.join("testdata/captures").display().to_string();
    let out = root.join("web/recordings").display().to_string();
    sh(
        "cargo",
        &[
            "run",
            "--quiet",
            "--package",
            "sockscope-web",
            "--example",
            "recordings",
            "--",
            &captures,
            &out,
        ],
    )
}
