//! Headless Chromium through chromedriver: start it, act on the page, wait
//! for conditions, take screenshots, read what the browser logged.
//!
//! Conditions are JavaScript expressions evaluated in the page: the page's
//! DOM is the interface the tests check, through the ids and `data-*`
//! attributes the components set for that purpose.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::console::{self, LOGGING_PREFS};
use crate::paths::{Paths, TempDir, free_port};
use crate::{DEFAULT_TIMEOUT, HarnessError, Result};

/// The window the tests see: a projector-sized 1400 × 1000.
const WIDTH: u32 = 1400;
const HEIGHT: u32 = 1000;

/// Flags for a quiet, reproducible headless Chromium.
pub const CHROMIUM_FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1400,1000",
];

/// A browser session. Dropping it kills chromedriver and Chromium (its
/// own process group: killing chromedriver alone would leave the browser
/// it started running, as a test that fails does not close its session)
/// and removes the temporary profile.
pub struct Browser {
    pub client: Client,
    test: String,
    screenshots: PathBuf,
    _driver: Child,
    _profile: TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The group is chromedriver's pid; it may be gone already.
        if let Some(pid) = self._driver.id().and_then(|pid| i32::try_from(pid).ok()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium with
    /// a fresh profile. `test` names the screenshots.
    ///
    /// # Errors
    /// When chromedriver does not start or no session opens within 30 s.
    pub async fn start(test: &str, paths: &Paths) -> Result<Browser> {
        let port = free_port()?;
        let driver = Command::new(&paths.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            // Chromium and its helpers join this group.
            .process_group(0)
            .spawn()
            .map_err(|e| {
                HarnessError(format!(
                    "cannot start {}: {e}",
                    paths.chromedriver.display()
                ))
            })?;
        let profile = TempDir::new("sockscope-e2e-profile")?;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.0.display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": paths.chromium, "args": args },
            // Keep every browser log entry, for console_problems.
            LOGGING_PREFS: { "browser": "ALL" },
        });
        let Value::Object(capabilities) = capabilities else {
            return Err(HarnessError("capabilities must be an object".into()));
        };
        let webdriver = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let attempt = ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&webdriver)
                .await;
            match attempt {
                Ok(client) => break client,
                // chromedriver takes a moment to listen; keep asking.
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => {
                    return Err(HarnessError(format!(
                        "no WebDriver session at {webdriver}: {e}"
                    )));
                }
            }
        };
        std::fs::create_dir_all(&paths.screenshots).map_err(|e| {
            HarnessError(format!(
                "cannot create {}: {e}",
                paths.screenshots.display()
            ))
        })?;
        Ok(Browser {
            client,
            test: test.to_string(),
            screenshots: paths.screenshots.clone(),
            _driver: driver,
            _profile: profile,
        })
    }

    /// Opens `url`.
    ///
    /// # Errors
    /// When navigation fails.
    pub async fn goto(&self, url: &str) -> Result<()> {
        Ok(self.client.goto(url).await?)
    }

    /// Saves `target/e2e-screenshots/<test>-<step>.png` of the whole page
    /// (the window grows to the page's height for the shot, up to 4000 px,
    /// and keeps its width)
    /// and returns its path.
    ///
    /// # Errors
    /// When the screenshot cannot be taken or written.
    pub async fn screenshot(&self, step: &str) -> Result<PathBuf> {
        // From the top, so every shot starts with the status bar.
        self.eval("window.scrollTo(0, 0) || document.documentElement.scrollHeight")
            .await?;
        let height = self
            .eval("document.documentElement.scrollHeight")
            .await?
            .as_u64()
            .unwrap_or(1000)
            .clamp(600, 4000);
        let height = u32::try_from(height).unwrap_or(1000);
        // At the window's width, whatever a test set it to.
        let (width, before) = self.client.get_window_size().await?;
        let (width, before) = (
            u32::try_from(width).unwrap_or(WIDTH),
            u32::try_from(before).unwrap_or(HEIGHT),
        );
        self.client.set_window_size(width, height).await?;
        let png = self.client.screenshot().await;
        self.client.set_window_size(width, before).await?;
        let png = png?;
        let path = self.screenshots.join(format!("{}-{step}.png", self.test));
        std::fs::write(&path, png)
            .map_err(|e| HarnessError(format!("cannot write {}: {e}", path.display())))?;
        Ok(path)
    }

    /// Saves `target/e2e-screenshots/<test>-<step>.png` of the element
    /// matching `css` alone, scrolled into view: a part of a page too
    /// tall for [`Browser::screenshot`].
    ///
    /// # Errors
    /// When there is no such element or the shot cannot be written.
    pub async fn screenshot_of(&self, css: &str, step: &str) -> Result<PathBuf> {
        let element = self.client.find(Locator::Css(css)).await?;
        let png = element.screenshot().await?;
        let path = self.screenshots.join(format!("{}-{step}.png", self.test));
        std::fs::write(&path, png)
            .map_err(|e| HarnessError(format!("cannot write {}: {e}", path.display())))?;
        Ok(path)
    }

    /// Evaluates `expression` in the page and returns its value.
    ///
    /// # Errors
    /// When the script throws or the session is gone.
    pub async fn eval(&self, expression: &str) -> Result<Value> {
        let script = format!("return ({expression});");
        Ok(self.client.execute(&script, Vec::new()).await?)
    }

    /// Polls `expression` until it is truthy (not null, false, 0 or "") and
    /// returns that value. On timeout, saves a screenshot named after
    /// `what` and fails with the last value seen.
    ///
    /// # Errors
    /// When the condition does not hold within `timeout`.
    pub async fn wait_for(&self, what: &str, expression: &str, timeout: Duration) -> Result<Value> {
        let started = Instant::now();
        let mut last = Value::Null;
        while started.elapsed() < timeout {
            match self.eval(expression).await {
                Ok(value) if truthy(&value) => return Ok(value),
                Ok(value) => last = value,
                Err(e) => last = Value::String(e.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let slug: String = what
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let shot = self.screenshot(&format!("timeout-{slug}")).await.ok();
        Err(HarnessError(format!(
            "timed out after {:.0?} waiting for {what}; last value: {last}; screenshot: {shot:?}",
            timeout
        )))
    }

    /// Opens `file` with the page's "Open capture…" input, as a user
    /// choosing it in the file dialog.
    ///
    /// # Errors
    /// When the button never shows, or the browser refuses the file.
    pub async fn open_capture(&self, file: &Path) -> Result<()> {
        self.wait("the open button", "document.querySelector('#open-file')")
            .await?;
        let input = self.client.find(Locator::Css("#open-file")).await?;
        Ok(input.send_keys(&file.display().to_string()).await?)
    }

    /// The errors and warnings the browser logged since the session began
    /// or since the last call (each entry is handed over once): the page's
    /// `console.error` and `console.warn`, uncaught exceptions, and the
    /// browser's own messages such as a request that failed. Each is one
    /// line, `LEVEL source: message`; see [`console`] for which levels count.
    ///
    /// # Errors
    /// When the session is gone or chromedriver's answer cannot be read.
    pub async fn console_problems(&self) -> Result<Vec<String>> {
        let entries = self.post("se/log", json!({ "type": "browser" })).await?;
        console::problems(&entries)
    }

    /// Sends `body` to chromedriver's `POST /session/{id}/<path>`, an
    /// endpoint of its own that WebDriver lacks (the browser log, DevTools
    /// commands), and returns its answer's value.
    ///
    /// # Errors
    /// When the session is gone or chromedriver refuses the request.
    pub async fn post(&self, path: &str, body: Value) -> Result<Value> {
        let session = self
            .client
            .session_id()
            .await?
            .ok_or_else(|| HarnessError(format!("no WebDriver session to send {path} to")))?;
        let request = SessionPost {
            path: format!("session/{session}/{path}"),
            body,
        };
        Ok(self.client.issue_cmd(request).await?)
    }

    /// Waits until the page says it is connected to its relay.
    ///
    /// # Errors
    /// As [`Browser::wait`].
    pub async fn wait_connected(&self) -> Result<()> {
        self.wait(
            "the link to say connected",
            "document.querySelector('#connection')?.dataset.link === 'connected'",
        )
        .await?;
        Ok(())
    }

    /// Whether the relay captures, once the page knows: `on`, or the state
    /// that says why not.
    ///
    /// # Errors
    /// As [`Browser::wait`].
    pub async fn capture_state(&self) -> Result<String> {
        let state = self
            .wait(
                "the capture capability",
                "document.querySelector('#capture')?.dataset.capture",
            )
            .await?;
        Ok(state.as_str().unwrap_or_default().to_owned())
    }

    /// [`Browser::wait_for`] with the default timeout.
    ///
    /// # Errors
    /// As [`Browser::wait_for`].
    pub async fn wait(&self, what: &str, expression: &str) -> Result<Value> {
        self.wait_for(what, expression, DEFAULT_TIMEOUT).await
    }

    /// Clicks the first element matching `css`, once it exists.
    ///
    /// # Errors
    /// When it never appears or cannot be clicked.
    pub async fn click(&self, css: &str) -> Result<()> {
        self.wait(
            &format!("{css} to exist"),
            &format!("document.querySelector({css:?})"),
        )
        .await?;
        Ok(self.client.find(Locator::Css(css)).await?.click().await?)
    }

    /// Clicks the first element matching `css` from inside the page, once
    /// it exists: the page's sticky bars may cover it where WebDriver would
    /// click, which a user would scroll past.
    ///
    /// # Errors
    /// When it never appears.
    pub async fn click_in_page(&self, css: &str) -> Result<()> {
        self.wait(
            &format!("{css} to exist"),
            &format!("document.querySelector({css:?})"),
        )
        .await?;
        // SVG elements have no click(): they get the event a click makes.
        self.eval(&format!(
            "(() => {{ const el = document.querySelector({css:?}); \
             el.click ? el.click() : el.dispatchEvent(new MouseEvent('click', {{ bubbles: true }})); \
             return 0; }})()"
        ))
        .await?;
        Ok(())
    }

    /// Picks `value` in the `<select>` matching `css`, once it exists, as a
    /// user's choice would: the change event bubbles to the page's listener.
    ///
    /// # Errors
    /// When it never appears.
    pub async fn choose(&self, css: &str, value: &str) -> Result<()> {
        self.wait(
            &format!("{css} to exist"),
            &format!("document.querySelector({css:?})"),
        )
        .await?;
        self.eval(&format!(
            "(() => {{ const s = document.querySelector({css:?}); s.value = {value:?}; \
               s.dispatchEvent(new Event('change', {{ bubbles: true }})); return 0; }})()"
        ))
        .await?;
        Ok(())
    }

    /// Replaces the text of the input matching `css` by typing `text`.
    ///
    /// # Errors
    /// When the input never appears or does not take keys.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        self.wait(
            &format!("{css} to exist"),
            &format!("document.querySelector({css:?})"),
        )
        .await?;
        let input = self.client.find(Locator::Css(css)).await?;
        input.clear().await?;
        Ok(input.send_keys(text).await?)
    }

    /// Puts `text` into the input matching `css` in one go, as pasting it
    /// would: typing a quarter of a megabyte key by key takes minutes.
    ///
    /// # Errors
    /// When the input never appears or the script fails.
    pub async fn paste(&self, css: &str, text: &str) -> Result<()> {
        self.wait(
            &format!("{css} to exist"),
            &format!("document.querySelector({css:?})"),
        )
        .await?;
        self.client
            .execute(
                "const input = document.querySelector(arguments[0]);
                 Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, arguments[1]);
                 input.dispatchEvent(new Event('input', { bubbles: true }));",
                vec![css.into(), text.into()],
            )
            .await?;
        Ok(())
    }

    /// Presses and releases one key, as the keyboard would, on whatever has
    /// the focus (the page body unless a field was clicked).
    ///
    /// # Errors
    /// When the actions cannot be performed.
    pub async fn press(&self, key: Key) -> Result<()> {
        let value: char = key.into();
        let actions = KeyActions::new("keyboard".to_string())
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
        self.client.perform_actions(actions).await?;
        Ok(())
    }

    /// Ends the WebDriver session.
    ///
    /// # Errors
    /// When the session cannot be closed.
    pub async fn close(self) -> Result<()> {
        // Dropping `self` afterwards stops what is left of the browser.
        Ok(self.client.clone().close().await?)
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// A chromedriver extension fantoccini has no method for: a POST of a JSON
/// body to a path under the session ([`Browser::post`]).
#[derive(Debug)]
pub struct SessionPost {
    path: String,
    body: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        _session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&self.path)
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}
