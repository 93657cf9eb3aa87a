//! The kernel beside the wire, in headless Chromium on real sockets: a
//! recv() with nothing to read shows waiting (its row, and a bar down its
//! lane until it returns), and each end shows its congestion window,
//! bytes in flight and RTT from TCP_INFO.

use fantoccini::key::Key;
use sockscope_e2e::{Result, Session, forms};

/// The wait bars drawn: how many, and how many still open.
const BARS: &str = "[document.querySelectorAll('#ladder .wait-bar').length, document.querySelectorAll('#ladder .wait-bar.open').length]";

#[tokio::test(flavor = "multi_thread")]
async fn a_recv_with_nothing_to_read_shows_waiting_until_data_comes() -> Result<()> {
    let session = Session::start("kernel-view").await?;
    let b = &session.browser;
    b.wait_connected().await?;

    forms::connected_pair(b).await?;
    // The client's kernel: Linux's initial window of ten segments, nothing
    // in flight, a round trip of microseconds.
    let cwnd = b
        .wait(
            "the client's counters",
            "document.querySelector('.kernel-end[data-end=\"0\"] .tcp-counters')?.dataset.cwnd",
        )
        .await?;
    assert_eq!(cwnd, "10");
    let line = b
        .eval("document.querySelector('.kernel-end[data-end=\"0\"] .tcp-counters').textContent")
        .await?;
    let line = line.as_str().unwrap_or_default();
    assert!(
        line.starts_with("cwnd 10 · 0 B in flight · rtt ") && line.ends_with("µs"),
        "{line}"
    );

    // recv(1024) on the accepted socket, which has nothing to read.
    forms::choose(b, "accepted").await?;
    b.fill("#recv-form input[name=bufsize]", "1024").await?;
    b.click("#recv-form button[type=submit]").await?;
    let waiting = b
        .wait(
            "a row saying recv() waits",
            "Array.from(document.querySelectorAll('#ladder .row.call')).map(r => r.dataset.label).find(l => l.startsWith('recv(1024) …'))",
        )
        .await?;
    assert_eq!(waiting, "recv(1024) … waits: nothing in the receive buffer");
    assert_eq!(b.eval(BARS).await?, serde_json::json!([1, 1]));
    // Motion ends within a second at 1×: the picture then is the page at rest.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    b.screenshot("recv-waiting").await?;

    // The client sends; the recv returns, and its bar closes there.
    forms::choose(b, "client").await?;
    b.fill("#send-form input[name=message]", "hello").await?;
    b.click("#send-form button[type=submit]").await?;
    b.wait(
        "the recv to return the five bytes",
        "Array.from(document.querySelectorAll('#ladder .row.call')).some(r => r.dataset.label.startsWith('recv(1024) → 5 bytes'))",
    )
    .await?;
    // The sender's kernel stamped the send leaving and acknowledged.
    let stamped = b
        .wait(
            "the send's timestamps in the byte stream",
            "document.querySelector('.send-times li')?.textContent",
        )
        .await?;
    let stamped = stamped.as_str().unwrap_or_default();
    assert!(
        stamped.starts_with("send #0: left after ") && stamped.contains(", acknowledged after "),
        "{stamped}"
    );
    b.wait(
        "the bar to close",
        &format!("JSON.stringify({BARS}) === '[1,0]'"),
    )
    .await?;
    // The bar runs from under the waiting row's dot to the middle of the
    // row where recv() returned.
    let span = b
        .eval(
            "(() => { const bar = document.querySelector('#ladder .wait-bar'); const rows = Array.from(document.querySelectorAll('#ladder .row.call')); \
             const y = l => { const r = rows.find(r => r.dataset.label.startsWith(l)); return r.querySelector('.row-bg').getAttribute('y') * 1 + 24; }; \
             return [bar.getAttribute('y') * 1, bar.getAttribute('y') * 1 + bar.getAttribute('height') * 1, y('recv(1024) …'), y('recv(1024) →')]; })()",
        )
        .await?;
    let span: Vec<f64> = span
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default();
    assert_eq!(span.len(), 4, "{span:?}");
    assert_eq!((span[0], span[1]), (span[2] + 7.0, span[3]), "{span:?}");
    // Motion ends within a second at 1×: the picture then is the page at rest.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    b.screenshot("recv-returned").await?;

    // Stepped back to where recv() began, it waits again.
    b.click("#position").await?;
    for _ in 0..12 {
        b.press(Key::Left).await?;
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let label = b
            .eval("document.querySelector('#ladder .row.current')?.dataset.label ?? ''")
            .await?;
        if label
            .as_str()
            .is_some_and(|l| l.starts_with("recv(1024) …"))
        {
            break;
        }
    }
    b.wait(
        "the bar open again at the step where recv() began",
        &format!("JSON.stringify({BARS}) === '[1,1]'"),
    )
    .await?;
    session.finish().await
}
