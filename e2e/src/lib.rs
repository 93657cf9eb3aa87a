//! Browser end-to-end harness: the real relay binary, the built page, and
//! headless Chromium driven through chromedriver (WebDriver).
//!
//! A test calls [`Session::start`], which
//! 1. finds the relay binary and the built page ([`paths`]: env
//!    `SOCKSCOPE_BIN`, default `<workspace>/target/debug/sockscope`, and
//!    `SOCKSCOPE_DIST`, default `<workspace>/dist`), failing with a message
//!    that says to run `cargo xtask test` when either is missing;
//! 2. starts the relay on a free loopback port with a fresh token and reads
//!    the URL it prints ([`relay`]);
//! 3. starts chromedriver on another free port and opens headless Chromium
//!    with a fresh profile in a temporary directory ([`browser`]);
//! 4. opens the page.
//!
//! Tests then act through [`browser::Browser`] and wait on conditions with
//! timeouts ([`browser::Browser::wait_for`]), never on fixed sleeps.
//! Screenshots go to `target/e2e-screenshots/<test>-<step>.png`; what the
//! browser logged is read with [`browser::Browser::console_problems`]
//! ([`console`]). Every
//! child process ends when its handle is dropped (the relay asked to stop,
//! so it removes its network labs; the browser killed), so a failing test
//! leaves nothing running.

pub mod bench;
pub mod browser;
pub mod console;
pub mod devtools;
pub mod forms;
pub mod memory;
pub mod paths;
pub mod relay;
pub mod transfer;

use std::time::Duration;

pub use browser::Browser;
pub use paths::Paths;
pub use relay::Relay;

/// What went wrong while setting up or driving a test.
#[derive(Debug)]
pub struct HarnessError(pub String);

impl std::fmt::Display for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HarnessError {}

impl From<fantoccini::error::CmdError> for HarnessError {
    fn from(e: fantoccini::error::CmdError) -> Self {
        HarnessError(format!("WebDriver command failed: {e}"))
    }
}

pub type Result<T> = std::result::Result<T, HarnessError>;

/// How long a test waits for the page to show something before failing.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Held by each test while it runs: the machine has two cores, and three
/// Chromiums at once make timeouts flaky, so tests take turns.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A relay and a browser showing its page.
pub struct Session {
    pub relay: Relay,
    pub browser: Browser,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Session {
    /// Starts a relay and a browser for the test called `test` (the prefix
    /// of its screenshots) and opens the page.
    ///
    /// # Errors
    /// When the binary or page is missing, or a process does not start.
    pub async fn start(test: &str) -> Result<Session> {
        Session::start_with(test, Paths::from_env()?).await
    }

    /// [`Session::start`] with other paths: a page built elsewhere, say.
    ///
    /// # Errors
    /// As [`Session::start`].
    pub async fn start_with(test: &str, paths: Paths) -> Result<Session> {
        let turn = TURN.lock().await;
        let relay = Relay::start(&paths).await?;
        let browser = Browser::start(test, &paths).await?;
        browser.goto(&relay.url).await?;
        Ok(Session {
            relay,
            browser,
            _turn: turn,
        })
    }

    /// Closes the browser session; the processes end on drop anyway.
    ///
    /// # Errors
    /// When the WebDriver session cannot be closed cleanly.
    pub async fn finish(self) -> Result<()> {
        self.browser.close().await
    }
}
