//! Where the harness finds what it runs: the relay binary, the built page,
//! Chromium and chromedriver, and where it puts screenshots.

use std::path::{Path, PathBuf};

use crate::{HarnessError, Result};

/// Everything the harness runs or writes, resolved once per test.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The relay binary (`SOCKSCOPE_BIN`).
    pub relay_bin: PathBuf,
    /// The built page (`SOCKSCOPE_DIST`).
    pub dist: PathBuf,
    /// Chromium (`CHROMIUM_BIN`, default `/usr/bin/chromium`).
    pub chromium: PathBuf,
    /// chromedriver (`CHROMEDRIVER_BIN`, default `/usr/bin/chromedriver`).
    pub chromedriver: PathBuf,
    /// `<workspace>/target/e2e-screenshots`.
    pub screenshots: PathBuf,
}

/// The workspace root: this crate lives in `<workspace>/e2e`.
pub fn workspace() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

fn from_env(var: &str, default: PathBuf) -> PathBuf {
    std::env::var_os(var).map_or(default, PathBuf::from)
}

impl Paths {
    /// What benchmark `bench` should say first when the relay binary is a
    /// debug build (it sits in a `debug` folder, as `target/debug/sockscope`,
    /// the default when `SOCKSCOPE_BIN` is unset). Fine for tests, but a
    /// debug relay is slow enough to change what a benchmark measures.
    pub fn debug_relay_warning(&self, bench: &str) -> Option<String> {
        let debug = self
            .relay_bin
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|folder| folder == "debug");
        debug.then(|| {
            format!(
                "{bench}: the relay is a debug build ({}): its figures are not comparable; \
                 run `cargo xtask bench`, or set SOCKSCOPE_BIN and SOCKSCOPE_DIST to the \
                 release relay and page",
                self.relay_bin.display()
            )
        })
    }

    /// Reads the environment and checks that what must exist does.
    ///
    /// # Errors
    /// When the relay binary, the page or the browser tools are missing,
    /// with what to run to get them.
    pub fn from_env() -> Result<Paths> {
        let root = workspace();
        let paths = Paths {
            relay_bin: from_env("SOCKSCOPE_BIN", root.join("target/debug/sockscope")),
            dist: from_env("SOCKSCOPE_DIST", root.join("dist")),
            chromium: from_env("CHROMIUM_BIN", PathBuf::from("/usr/bin/chromium")),
            chromedriver: from_env("CHROMEDRIVER_BIN", PathBuf::from("/usr/bin/chromedriver")),
            screenshots: root.join("target/e2e-screenshots"),
        };
        if !paths.relay_bin.is_file() {
            return Err(HarnessError(format!(
                "the relay binary {} is missing (set SOCKSCOPE_BIN, or run `cargo xtask test`, which builds it and the page first)",
                paths.relay_bin.display()
            )));
        }
        if !paths.dist.join("index.html").is_file() {
            return Err(HarnessError(format!(
                "the built page {} is missing (set SOCKSCOPE_DIST, or run `cargo xtask test`, which runs trunk build first)",
                paths.dist.display()
            )));
        }
        for (tool, path) in [
            ("Chromium", &paths.chromium),
            ("chromedriver", &paths.chromedriver),
        ] {
            if !path.is_file() {
                return Err(HarnessError(format!(
                    "{tool} is not at {} (install Debian's chromium and chromium-driver, or set {})",
                    path.display(),
                    if tool == "Chromium" {
                        "CHROMIUM_BIN"
                    } else {
                        "CHROMEDRIVER_BIN"
                    }
                )));
            }
        }
        Ok(paths)
    }
}

/// A loopback port that was free a moment ago. Another process could take
/// it before the child binds it; on a test machine that is rare enough, and
/// a clash fails loudly at startup rather than silently.
///
/// # Errors
/// When no port can be bound at all.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| HarnessError(format!("no free loopback port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| HarnessError(format!("no local address: {e}")))
}

/// A directory that is removed when dropped (a browser profile).
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates a fresh, uniquely named directory under the system temp dir.
    ///
    /// # Errors
    /// When it cannot be created.
    pub fn new(prefix: &str) -> Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| HarnessError(format!("cannot create {}: {e}", dir.display())))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover profile in /tmp harms nothing.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
