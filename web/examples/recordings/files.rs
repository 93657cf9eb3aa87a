//! The recordings on disk: every `NN-name.calls.json` of a folder, with
//! the `NN-name.pcapng` beside it, written as `NN-name.events.json` into
//! another.

use std::path::{Path, PathBuf};

use crate::convert::{ConvertError, convert, to_log};

/// One event log written.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub events: usize,
}

fn read(path: &Path) -> Result<Vec<u8>, ConvertError> {
    std::fs::read(path).map_err(|source| ConvertError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The recordings in `captures`, by name: every `*.calls.json`.
///
/// # Errors
/// [`ConvertError::Io`] when the folder cannot be listed, and
/// [`ConvertError::Empty`] when it holds no recording.
pub fn recordings(captures: &Path) -> Result<Vec<String>, ConvertError> {
    let io = |source| ConvertError::Io {
        path: captures.display().to_string(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(captures).map_err(io)? {
        let name = entry.map_err(io)?.file_name();
        if let Some(stem) = name.to_string_lossy().strip_suffix(".calls.json") {
            names.push(stem.to_owned());
        }
    }
    if names.is_empty() {
        return Err(ConvertError::Empty);
    }
    names.sort();
    Ok(names)
}

/// Writes the event log of every recording in `captures` into `out`.
///
/// # Errors
/// [`ConvertError`] for the first recording that does not convert, naming
/// its file, or a file that cannot be read or written.
pub fn write_all(captures: &Path, out: &Path) -> Result<Vec<Written>, ConvertError> {
    let mut written = Vec::new();
    for name in recordings(captures)? {
        let calls_path = captures.join(format!("{name}.calls.json"));
        let pcapng_path = captures.join(format!("{name}.pcapng"));
        let events =
            convert(&read(&pcapng_path)?, &read(&calls_path)?).map_err(|err| ConvertError::In {
                recording: name.clone(),
                source: Box::new(err),
            })?;
        let path = out.join(format!("{name}.events.json"));
        std::fs::write(&path, to_log(&events)?).map_err(|source| ConvertError::Io {
            path: path.display().to_string(),
            source,
        })?;
        written.push(Written {
            path,
            events: events.len(),
        });
    }
    Ok(written)
}
