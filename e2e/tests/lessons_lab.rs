//! The network lab's lessons on a real relay, in headless Chromium: the
//! page moves the session onto the lesson's path, runs it, and draws what
//! crossed it (a lost segment stopping midway, Wireshark's labels, the
//! one-way delay). Screenshots of each are kept with the other tests'.
//!
//! Needs root: the relay builds network namespaces and captures in them.
//! Run with `cargo xtask test`, or `cargo test -p sockscope-e2e --test
//! lessons_lab` once the relay and `dist/` are built.

mod lesson_support;

use lesson_support::{open, run_to_end};
use serde_json::Value;
use sockscope_e2e::{Browser, Result};

/// Whether the relay this test starts may build labs; says why not.
fn may_build_labs() -> bool {
    let root = std::fs::read_to_string("/proc/self/status")
        .map(|status| {
            status
                .lines()
                .any(|line| line.starts_with("Uid:") && line.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    if !root {
        eprintln!("skipped: the network lab needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN)");
    }
    root
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The texts of every element `css` finds in the ladder, scrolling it
/// from top to bottom as a learner would (only the rows in view are
/// drawn).
async fn texts(b: &Browser, css: &str) -> Result<Vec<String>> {
    let mut seen = Vec::new();
    for page in 0..40 {
        let at_end = b
            .eval(&format!(
                "(() => {{ const box = document.querySelector('#ladder .ladder-scroll'); \
                 if (!box) return true; box.scrollTop = {page} * box.clientHeight * 0.8; \
                 return box.scrollTop + box.clientHeight >= box.scrollHeight - 1; }})()"
            ))
            .await?;
        // The rows in view are drawn at the next frame.
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let found = b
            .eval(&format!(
                "Array.from(document.querySelectorAll('#ladder {css}')).map(e => e.textContent)"
            ))
            .await?;
        seen.extend(strings(&found));
        if at_end.as_bool() == Some(true) {
            break;
        }
    }
    Ok(seen)
}

/// Scrolls the ladder to the first row that holds `css`, for a screenshot.
async fn show(b: &Browser, css: &str) -> Result<()> {
    for page in 0..40 {
        let found = b
            .eval(&format!(
                "(() => {{ const box = document.querySelector('#ladder .ladder-scroll'); \
                 const hit = document.querySelector('#ladder {css}'); \
                 if (hit) {{ hit.scrollIntoView({{block: 'center'}}); return true; }} \
                 if (box) box.scrollTop = {page} * box.clientHeight * 0.8; return false; }})()"
            ))
            .await?;
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        if found.as_bool() == Some(true) {
            return Ok(());
        }
    }
    Ok(())
}

/// The path the page says is in force.
async fn path_in_force(b: &Browser) -> Result<String> {
    let path = b
        .wait(
            "the path in force",
            "document.querySelector('#path-picker')?.dataset.path",
        )
        .await?;
    Ok(path.as_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_segment_stops_midway_and_its_resend_is_labelled() -> Result<()> {
    if !may_build_labs() {
        return Ok(());
    }
    let session = open("fast-retransmit").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    assert_eq!(path_in_force(b).await?, "custom");
    // The lesson's custom path does not open the custom form over the
    // diagram: that waits for the learner's "edit…".
    let form_open = b
        .eval("document.querySelector('#path-custom') !== null")
        .await?;
    assert_eq!(form_open.as_bool(), Some(false));
    let drops = texts(b, ".path-drop text").await?;
    assert!(
        drops.iter().any(|d| d == "lost on the path"),
        "the lost segment's ✕: {drops:?}"
    );
    let flags = texts(b, ".analysis-flag text").await?;
    assert!(
        flags.iter().any(|f| f == "TCP Dup ACK"),
        "duplicate ACKs: {flags:?}"
    );
    assert!(
        flags
            .iter()
            .any(|f| f.contains("Retransmission") || f == "TCP Out-Of-Order"),
        "the resend: {flags:?}"
    );
    show(b, ".path-drop").await?;
    b.screenshot("lost-segment").await?;
    // The time-sequence graph of the lesson's connection: the lost
    // segment's bar, the resend's, and the sender's congestion window.
    graph_bars(b, "dropped").await?;
    graph_bars(b, "again").await?;
    let cwnd = b
        .eval("document.querySelector('#seq-graph .cwnd-line')?.getAttribute('points') ?? ''")
        .await?;
    assert!(
        cwnd.as_str()
            .is_some_and(|points| points.split(' ').count() >= 2),
        "the congestion window's line: {cwnd}"
    );
    b.screenshot_of("#seq-graph", "seq-graph").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn nagle_holds_small_sends_on_a_delayed_path() -> Result<()> {
    if !may_build_labs() {
        return Ok(());
    }
    let session = open("nagle").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    // Every packet crossed a 20 ms path, and says so on its arrow.
    let notes = texts(b, ".path-note").await?;
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("+20.") || n.starts_with("+21.")),
        "the one-way delay on the arrows: {notes:?}"
    );
    b.screenshot("nagle").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_does_not_read_closes_the_window() -> Result<()> {
    if !may_build_labs() {
        return Ok(());
    }
    let session = open("zero-window").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let flags = texts(b, ".analysis-flag text").await?;
    assert!(
        flags.iter().any(|f| f == "TCP ZeroWindow"),
        "the zero window: {flags:?}"
    );
    show(b, ".analysis-flag[data-flag=zero_window]").await?;
    b.screenshot("zero-window").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_start_shows_the_window_growing_in_the_graph() -> Result<()> {
    if !may_build_labs() {
        return Ok(());
    }
    let session = open("slow-start").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    // The client's kernel: a window several times its first 10 segments.
    let cwnd = b
        .wait(
            "the client's counters",
            "document.querySelector('.kernel-end[data-end=\"0\"] .tcp-counters')?.dataset.cwnd",
        )
        .await?;
    let cwnd: u32 = cwnd.as_str().and_then(|c| c.parse().ok()).unwrap_or(0);
    assert!(cwnd >= 40, "cwnd {cwnd}");
    // The graph: every data segment of the 150,000 bytes, and the window's
    // line climbing. A live graph is drawn at most once a second, so the
    // drawing of the transfer's end may come a second after it.
    let graphed = "Number(document.querySelector('#seq-graph')?.dataset.segments ?? 0)";
    let drawn = b
        .wait("the graph of the transfer", &format!("{graphed} >= 100"))
        .await;
    let segments = b.eval(graphed).await?;
    assert!(
        drawn.is_ok(),
        "{segments} data segments in the graph: {drawn:?}"
    );
    let climbs = b
        .eval("new Set((document.querySelector('#seq-graph .cwnd-line')?.getAttribute('points') ?? '').split(' ').map(p => p.split(',')[1])).size")
        .await?;
    assert!(
        climbs.as_u64().unwrap_or(0) >= 3,
        "the cwnd line's levels: {climbs}"
    );
    b.screenshot_of("#seq-graph", "seq-graph").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_loss_the_window_is_cut_and_ssthresh_set() -> Result<()> {
    if !may_build_labs() {
        return Ok(());
    }
    let session = open("congestion-avoidance").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    // The client's counters say a threshold now, not ∞.
    let detail = b
        .wait(
            "the client's counters",
            "document.querySelector('.kernel-end[data-end=\"0\"] .tcp-counters')?.title",
        )
        .await?;
    let detail = detail.as_str().unwrap_or_default();
    let threshold: Option<u32> = detail
        .split(" · ")
        .find_map(|part| part.strip_prefix("ssthresh "))
        .and_then(|t| t.parse().ok());
    assert!(threshold.is_some_and(|t| t >= 20), "{detail}");
    // The graph: the lost segment and its resend.
    graph_bars(b, "dropped").await?;
    graph_bars(b, "again").await?;
    b.screenshot_of("#seq-graph", "seq-graph").await?;
    session.finish().await
}

/// Waits for the time-sequence graph to draw bars of `kind` (`dropped`,
/// `again`): each waited for alone, so a failure names the one missing.
async fn graph_bars(b: &Browser, kind: &str) -> Result<()> {
    b.wait(
        &format!("the graph's {kind} bars"),
        &format!("document.querySelector('#seq-graph .seg-bars.{kind}')?.getAttribute('d')"),
    )
    .await?;
    Ok(())
}
