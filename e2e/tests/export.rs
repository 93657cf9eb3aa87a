//! Export from the page: a reference capture opened in the browser, saved
//! with "Export pcapng" and "Export event log", must be a file tshark reads
//! with the same packets, and a log the page opens again.
//!
//! The download itself is caught in the page: the test replaces the link's
//! `click` with one that fetches the Blob URL, so the bytes the browser
//! would have saved come back to the test.

use std::process::Command;

use fantoccini::Locator;
use serde_json::Value;
use sockscope_e2e::paths::{TempDir, workspace};
use sockscope_e2e::{Browser, HarnessError, Result, Session};

fn fail(message: impl Into<String>) -> HarnessError {
    HarnessError(message.into())
}

/// Catches the next download: its file name and bytes.
const CATCH: &str = "(window.__saved = null, HTMLAnchorElement.prototype.click = function () {
    const name = this.download;
    fetch(this.href).then(r => r.arrayBuffer()).then(b => {
        window.__saved = { name, bytes: Array.from(new Uint8Array(b)) };
    });
}, 0)";

async fn saved(b: &Browser, button: &str) -> Result<(String, Vec<u8>)> {
    b.eval(CATCH).await?;
    b.click(button).await?;
    let saved = b.wait("the download", "window.__saved").await?;
    let name = saved["name"].as_str().unwrap_or_default().to_string();
    let bytes = saved["bytes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .map(|v| v as u8)
                .collect()
        })
        .unwrap_or_default();
    Ok((name, bytes))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_opened_capture_exports_a_pcapng_tshark_reads_and_a_log_that_reopens() -> Result<()> {
    let dir = TempDir::new("sockscope-e2e-export")?;
    let session = Session::start("export").await?;
    let b = &session.browser;
    b.wait("the open button", "document.querySelector('#open-file')")
        .await?;
    let capture = workspace().join("testdata/captures/03-sticky-small-sends.pcapng");
    let input = b.client.find(Locator::Css("#open-file")).await?;
    input.send_keys(&capture.display().to_string()).await?;
    b.wait(
        "twelve packets",
        "document.querySelectorAll('#ladder .row.packet').length === 12",
    )
    .await?;
    b.screenshot("sticky-opened").await?;

    let (name, bytes) = saved(b, "#export-pcapng").await?;
    assert_eq!(name, "03-sticky-small-sends.pcapng");
    assert_eq!(
        bytes.get(..4),
        Some(&[0x0a, 0x0d, 0x0d, 0x0a][..]),
        "a pcapng"
    );
    let file = dir.0.join(&name);
    std::fs::write(&file, &bytes).map_err(|e| fail(e.to_string()))?;
    let tshark = Command::new("tshark")
        .arg("-r")
        .arg(&file)
        .args(["-T", "fields", "-e", "tcp.len", "-e", "tcp.flags.str"])
        .output()
        .map_err(|e| fail(format!("tshark: {e}")))?;
    assert!(
        tshark.status.success(),
        "{}",
        String::from_utf8_lossy(&tshark.stderr)
    );
    let lines: Vec<String> = String::from_utf8_lossy(&tshark.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 12, "{lines:?}");
    let lens: Vec<&str> = lines.iter().filter_map(|l| l.split('\t').next()).collect();
    assert_eq!(
        lens.iter().filter(|l| **l != "0").count(),
        3,
        "three data segments: {lens:?}"
    );

    // The event log opens again, with the same twelve arrows.
    let (name, log) = saved(b, "#export-log").await?;
    assert_eq!(name, "03-sticky-small-sends.events.json");
    let events: Value = serde_json::from_slice(&log).map_err(|e| fail(e.to_string()))?;
    assert_eq!(
        events.as_array().map(Vec::len),
        Some(12),
        "one event per packet"
    );
    let path = dir.0.join(&name);
    std::fs::write(&path, &log).map_err(|e| fail(e.to_string()))?;
    b.click("#close-log").await?;
    let input = b.client.find(Locator::Css("#open-file")).await?;
    input.send_keys(&path.display().to_string()).await?;
    b.wait(
        "the log to open",
        "document.querySelector('#open-name')?.textContent.includes('events.json') \
         && document.querySelectorAll('#ladder .row.packet').length === 12",
    )
    .await?;

    // A file dropped anywhere on the page opens too: here a shipped event
    // log, fetched and dropped as the browser would hand it over.
    b.eval(
        "(fetch('recordings/01-handshake.events.json').then(r => r.blob()).then(blob => {
            const dt = new DataTransfer();
            dt.items.add(new File([blob], 'dropped.events.json'));
            document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        }), 0)",
    )
    .await?;
    b.wait(
        "the dropped file to open",
        "document.querySelector('#open-name')?.textContent === 'showing dropped.events.json'",
    )
    .await?;
    session.finish().await
}
