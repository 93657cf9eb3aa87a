//! Starting the relay binary for a test, stopping it when the test ends,
//! and killing it as a crash would (test b).

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::paths::{Paths, free_port};
use crate::{HarnessError, Result};

/// The line the relay prints once it listens, before the URL.
const READY: &str = "sockscope listening on ";

/// How long a relay asked to stop may take to close its sessions and
/// remove its labs before it is killed.
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// A running relay. Dropping it stops the process as a person would
/// (SIGTERM: sessions closed, labs removed, also when a test fails), and
/// kills it if it has not ended within [`STOP_WITHIN`].
pub struct Relay {
    child: Option<Child>,
    /// The page URL the relay printed, token included.
    pub url: String,
    pub port: u16,
    pub token: String,
}

impl Relay {
    /// Starts `sockscope --listen 127.0.0.1:<free port> --dist <dist>
    /// --token <fresh>` and waits for the URL line.
    ///
    /// # Errors
    /// When it cannot be started or prints no URL within 30 s.
    pub async fn start(paths: &Paths) -> Result<Relay> {
        let port = free_port()?;
        let token = format!("e2e{}x{port}", std::process::id());
        let mut child = Command::new(&paths.relay_bin)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--dist")
            .arg(&paths.dist)
            .arg("--token")
            .arg(&token)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            // Until it is a `Relay`, whose drop stops it in order.
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                HarnessError(format!("cannot start {}: {e}", paths.relay_bin.display()))
            })?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| HarnessError("the relay's stdout was not captured".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.trim().strip_prefix(READY) {
                    return Some(url.to_string());
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or_else(|| HarnessError(format!("the relay printed no {READY:?} line within 30 s")))?;
        // Keep reading stdout so the relay never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Relay {
            child: Some(child),
            url,
            port,
            token,
        })
    }

    /// Kills the relay and waits for it to exit, as if it had crashed.
    ///
    /// # Errors
    /// When the process cannot be killed.
    pub async fn kill(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child
                .kill()
                .await
                .map_err(|e| HarnessError(format!("cannot kill the relay: {e}")))?;
        }
        Ok(())
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
            let asked = std::time::Instant::now();
            while asked.elapsed() < STOP_WITHIN {
                match child.try_wait() {
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                    Ok(Some(_)) | Err(_) => return,
                }
            }
        }
        let _ = child.start_kill();
    }
}
