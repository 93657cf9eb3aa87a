//! A bulk transfer driven through the page's send form, timed until the
//! page's byte stream holds every byte the receiver read.
//!
//! Shared by the benchmarks that ask how fast bytes flow through the page
//! (`latency`'s 10 MiB into a grown session, `bulk`'s 100 MiB into a fresh
//! one). The socket pair must already be open with auto-read on the
//! accepted end ([`crate::forms::auto_read_pair`]).

use std::time::{Duration, Instant};

use crate::{Browser, Result};

/// The shown stream's length, read from its heading ("… · 3600 bytes").
const STREAM_LENGTH: &str = "Number(document.querySelector('#streams .stream h3 .meta')\
    ?.textContent.match(/([0-9]+) bytes/)?.[1] ?? 0)";

/// What one transfer took.
#[derive(Debug, Clone, Copy)]
pub struct Transfer {
    pub bytes: u64,
    pub seconds: f64,
}

impl Transfer {
    /// Decimal megabytes a second, as network figures are given.
    pub fn mb_per_second(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds
    }
}

/// Pastes a message of `message_len` letters into the send form, sends it
/// `repeat` times at once, and waits (up to `timeout`) until the page shows
/// every byte read and no recv() waiting.
///
/// # Errors
/// When the form cannot be driven or the bytes do not all show in time.
pub async fn send_and_read_all(
    b: &Browser,
    message_len: u64,
    repeat: u64,
    timeout: Duration,
) -> Result<Transfer> {
    let before = b.eval(STREAM_LENGTH).await?.as_u64().unwrap_or(0);
    let message: String = (0..message_len)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    b.paste("#send-form input[name=message]", &message).await?;
    b.fill("#send-form input[name=repeat]", &repeat.to_string())
        .await?;
    b.fill("#send-form input[name=interval]", "0").await?;
    let started = Instant::now();
    b.click_in_page("#send-form button[type=submit]").await?;
    let total = before + message_len * repeat;
    b.wait_for(
        "every byte of the transfer read",
        &format!(
            "{STREAM_LENGTH} === {total} && !document.querySelector('#streams .stream .waiting')"
        ),
        timeout,
    )
    .await?;
    Ok(Transfer {
        bytes: message_len * repeat,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// What the page says the relay dropped while it read too slowly, if
/// anything (`#dropped`).
///
/// # Errors
/// When the page cannot be asked.
pub async fn dropped_note(b: &Browser) -> Result<Option<String>> {
    let note = b
        .eval("document.querySelector('#dropped')?.textContent ?? ''")
        .await?;
    Ok(note.as_str().filter(|d| !d.is_empty()).map(str::to_owned))
}
