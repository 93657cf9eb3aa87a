//! A clean console: loading the page, running a lesson to its end and
//! opening a capture file log no error and no warning in the browser (a
//! missing favicon, a failed request, a panic in the page, a
//! `console.warn`). What counts is decided in `sockscope_e2e::console`.
//!
//! Each test reads the log once, at its end, so a problem logged at any
//! moment since the browser started (the favicon is asked for after the
//! page has loaded) is caught.
//!
//! Run with `cargo xtask test`, or `cargo test -p sockscope-e2e --test
//! console` once the relay and `dist/` are built. The lesson needs
//! permission to capture on `lo` (root, or CAP_NET_RAW).

mod lesson_support;

use lesson_support::{open, packets, run_to_end};
use sockscope_e2e::paths::workspace;
use sockscope_e2e::{Browser, Result, Session};

/// Waits until the page is linked to its relay and has finished loading.
async fn loaded(b: &Browser) -> Result<()> {
    b.wait(
        "the page loaded and connected",
        "document.readyState === 'complete' \
         && document.querySelector('#connection')?.dataset.link === 'connected'",
    )
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_page_logs_no_error_or_warning() -> Result<()> {
    let session = Session::start("console-load").await?;
    let b = &session.browser;
    loaded(b).await?;
    // The page as a learner first sees it: the socket forms are drawn.
    b.wait(
        "the listen form",
        "!!document.querySelector('#listen-form')",
    )
    .await?;
    let problems = b.console_problems().await?;
    assert!(problems.is_empty(), "on load: {problems:#?}");
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lesson_run_to_its_end_logs_no_error_or_warning() -> Result<()> {
    let session = open("close-half").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let drawn = packets(b).await?;
    assert!(!drawn.is_empty(), "the lesson drew no packet");
    let problems = b.console_problems().await?;
    assert!(problems.is_empty(), "after the lesson: {problems:#?}");
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn opening_a_capture_logs_no_error_or_warning() -> Result<()> {
    let session = Session::start("console-capture").await?;
    let b = &session.browser;
    loaded(b).await?;
    b.open_capture(&workspace().join("testdata/captures/01-handshake.pcapng"))
        .await?;
    b.wait(
        "the handshake drawn from the file",
        "Array.from(document.querySelectorAll('#ladder .row.packet'))\
         .some(r => r.dataset.label === 'ACK seq=1 ack=1')",
    )
    .await?;
    let problems = b.console_problems().await?;
    assert!(
        problems.is_empty(),
        "after opening a capture: {problems:#?}"
    );
    session.finish().await
}
