//! Writes the page's reference recordings, `web/recordings/*.events.json`,
//! from the real recordings in `testdata/captures/` (`cargo xtask
//! recordings` runs it):
//!
//! ```text
//! cargo run -p sockscope-web --example recordings -- CAPTURES OUT
//! ```
//!
//! Each log is what the relay would have sent for one experiment: the
//! packets read by the page's own import, the socket calls from the
//! recording ([`convert`]), and the TCP states the segments show
//! ([`states`]). The model tests read these logs, Trunk copies
//! them beside the page, and `web/tests/recordings_fresh.rs` fails when
//! they differ from what this writes.

mod calls;
mod convert;
mod files;
mod links;
mod states;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [captures, out] = args.as_slice() else {
        eprintln!("usage: recordings CAPTURES_DIR OUT_DIR");
        return ExitCode::from(2);
    };
    match files::write_all(captures, out) {
        Ok(written) => {
            for file in written {
                eprintln!("{}: {} events", file.path.display(), file.events);
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("recordings: {err}");
            ExitCode::FAILURE
        }
    }
}
