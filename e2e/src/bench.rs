//! What every browser benchmark does before it measures: a runtime to
//! drive the browser from, and a word on its first line when the relay it
//! drives is a debug build, whose figures are not comparable.

use std::future::Future;

use crate::{HarnessError, Paths, Result};

/// Runs the benchmark `run`, named `bench` in the warning.
///
/// # Errors
/// When no runtime can be built, the paths are missing, or `run` fails.
#[allow(clippy::print_stdout)] // A benchmark's output is what it prints.
pub fn main(bench: &str, run: impl Future<Output = Result<()>>) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| HarnessError(format!("no runtime: {e}")))?;
    runtime.block_on(async {
        if let Some(warning) = Paths::from_env()?.debug_relay_warning(bench) {
            println!("{warning}");
        }
        run.await
    })
}
