//! The page against the real relay in headless Chromium.
//!
//! Run with `cargo xtask test` (which builds the relay and the page first),
//! or directly once `target/debug/sockscope` and `dist/` exist:
//! `cargo test -p sockscope-e2e`.

use fantoccini::key::Key;
use serde_json::Value;
use sockscope_e2e::{Result, Session, forms, transfer};

/// The label of the connection status.
const LINK: &str = "document.querySelector('#connection')?.dataset.link";

/// How many diagram rows of `kind` (`packet` or `call`) have a label for
/// which the JavaScript predicate `test` (over `l`) holds.
fn count_rows(kind: &str, test: &str) -> String {
    format!(
        "Array.from(document.querySelectorAll('#ladder .row.{kind}')).filter(r => {{ const l = r.dataset.label; return {test}; }}).length"
    )
}

/// Packet labels of the diagram, in order.
const PACKETS: &str =
    "Array.from(document.querySelectorAll('#ladder .row.packet')).map(r => r.dataset.label)";

#[tokio::test(flavor = "multi_thread")]
async fn a_page_loads_and_shows_connected_and_capture() -> Result<()> {
    let session = Session::start("loads").await?;
    let b = &session.browser;
    b.wait_connected().await?;
    let capture = b.capture_state().await?;
    if capture == "off" {
        // Off must say how to turn it on.
        b.wait(
            "the fix command",
            "document.querySelector('#capture-fix')?.textContent.trim()",
        )
        .await?;
    } else {
        assert_eq!(capture, "on");
    }
    b.screenshot("connected").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn b_killing_the_relay_shows_reconnecting() -> Result<()> {
    let mut session = Session::start("relay-killed").await?;
    session
        .browser
        .wait(
            "the link to say connected",
            &format!("{LINK} === 'connected'"),
        )
        .await?;
    session.relay.kill().await?;
    let b = &session.browser;
    let link = b
        .wait(
            "the link to say it lost the relay",
            &format!("['reconnecting', 'relay gone'].includes({LINK}) && {LINK}"),
        )
        .await?;
    assert!(link == "reconnecting" || link == "relay gone", "{link}");
    b.wait(
        "the retry button",
        "document.querySelector('#connection button')",
    )
    .await?;
    b.screenshot("reconnecting").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn c_three_sends_one_recv_shows_three_colours_in_one_chunk() -> Result<()> {
    let session = Session::start("sticky").await?;
    let b = &session.browser;
    b.wait_connected().await?;
    let capture = b.capture_state().await?;
    assert_eq!(
        capture, "on",
        "this scenario checks packets on the wire: the relay needs capture (run as root or setcap)"
    );

    // A listener that accepts by itself, then a client.
    b.fill("#listen-form input[name=port]", "0").await?;
    b.click("#listen-form button[type=submit]").await?;
    let port = b
        .wait(
            "the listener's port",
            "document.querySelector('#socket-list li[data-role=listener] .addr')?.textContent.split(':').pop()",
        )
        .await?;
    let port = port.as_str().unwrap_or_default().to_string();
    b.fill("#connect-form input[name=port]", &port).await?;
    b.click("#connect-form button[type=submit]").await?;
    b.wait(
        "the client and the accepted socket",
        "document.querySelector('#socket-list li[data-role=accepted]') && document.querySelector('#socket-actions[data-role=client]')",
    )
    .await?;
    b.screenshot("connected").await?;

    // send("hello") three times from the client.
    b.fill("#send-form input[name=message]", "hello").await?;
    b.fill("#send-form input[name=repeat]", "3").await?;
    b.click("#send-form button[type=submit]").await?;
    b.wait(
        "three sends and three 5-byte segments",
        &format!(
            "{} === 3 && {} === 3",
            count_rows("call", "l.startsWith('send(\"hello\")')"),
            count_rows("packet", "l.endsWith('len=5')")
        ),
    )
    .await?;

    // Then one recv(1024) on the accepted socket.
    b.click("#socket-list li[data-role=accepted] button")
        .await?;
    b.wait(
        "the accepted socket's forms",
        "document.querySelector('#socket-actions[data-role=accepted]')",
    )
    .await?;
    b.fill("#recv-form input[name=bufsize]", "1024").await?;
    b.click("#recv-form button[type=submit]").await?;
    b.wait(
        "one recv holding all 15 bytes",
        &format!(
            "{} === 1",
            count_rows("call", "l.startsWith('recv(1024) → 15 bytes')")
        ),
    )
    .await?;

    let packets = b.eval(PACKETS).await?;
    let labels: Vec<&str> = packets
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for expected in ["SYN seq=0", "SYN, ACK seq=0 ack=1", "ACK seq=1 ack=1"] {
        assert!(
            labels.contains(&expected),
            "no {expected:?} arrow in {labels:?}"
        );
    }
    assert_eq!(
        labels.iter().filter(|l| l.ends_with("len=5")).count(),
        3,
        "{labels:?}"
    );

    // The recv chunk holds bytes of sends 0, 1 and 2, in three colours.
    let recv = b
        .wait(
            "the recv block",
            "document.querySelector('#streams .block.recv')?.dataset.sends",
        )
        .await?;
    assert_eq!(recv, "0,1,2");
    let colours = b
        .eval(
            "new Set(Array.from(document.querySelectorAll('#streams .block.recv .byte')).map(s => s.className)).size",
        )
        .await?;
    assert_eq!(colours, 3);
    b.screenshot("one-recv-three-colours").await?;

    // Stepping back and forward moves the highlighted row.
    // Take the focus out of the recv form, as a click beside it would.
    b.click("#position").await?;
    let last = b
        .wait(
            "a current row",
            "document.querySelector('#ladder .row.current')?.dataset.step",
        )
        .await?;
    let last: u64 = last
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    b.press(Key::Left).await?;
    b.wait(
        "the highlight to move back one step",
        &format!(
            "document.querySelector('#ladder .row.current')?.dataset.step === '{}'",
            last - 1
        ),
    )
    .await?;
    b.wait(
        "the player to stop following live",
        "document.querySelector('#player').dataset.live === 'false'",
    )
    .await?;
    b.screenshot("stepped-back").await?;
    b.click("#step-forward").await?;
    b.wait(
        "the highlight to move forward again",
        &format!("document.querySelector('#ladder .row.current')?.dataset.step === '{last}'"),
    )
    .await?;
    b.screenshot("stepped-forward").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn d_a_form_says_what_is_wrong_before_and_after_sending() -> Result<()> {
    let session = Session::start("form-errors").await?;
    let b = &session.browser;
    b.wait_connected().await?;
    const ERROR: &str = "document.querySelector('#connect-form .form-error')?.textContent";

    // A port out of range never leaves the page.
    b.fill("#connect-form input[name=port]", "70000").await?;
    b.click("#connect-form button[type=submit]").await?;
    let local = b.wait("the form's own complaint", ERROR).await?;
    assert_eq!(local, "port must be between 1 and 65535, got 70000");
    let sockets = b
        .eval("document.querySelectorAll('#socket-list li').length")
        .await?;
    assert_eq!(sockets, 0, "a socket was opened for a bad port");

    // A good port with nobody listening: the kernel's answer takes the
    // complaint's place under the same form.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port");
    b.fill("#connect-form input[name=port]", &closed.to_string())
        .await?;
    b.click("#connect-form button[type=submit]").await?;
    let remote = b
        .wait(
            "the kernel's answer under the form",
            &format!("(({ERROR}) || '').includes('ECONNREFUSED') && ({ERROR})"),
        )
        .await?;
    assert!(
        remote.as_str().is_some_and(|m| !m.contains("65535")),
        "{remote}"
    );
    b.screenshot("refused").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn e_a_bulk_transfer_arrives_whole_and_the_page_stays_usable() -> Result<()> {
    let session = Session::start("bulk").await?;
    let b = &session.browser;
    b.wait_connected().await?;
    forms::auto_read_pair(b, 65536).await?;

    // 40 sends of a pasted quarter megabyte: 10 MiB, every byte of which
    // the relay reports twice (sent, then read) and the page keeps.
    transfer::send_and_read_all(b, 1 << 18, 40, std::time::Duration::from_secs(120)).await?;
    let dropped = transfer::dropped_note(b).await?;
    assert!(
        dropped.is_none(),
        "the page was told events were dropped: {dropped:?}"
    );
    b.screenshot("bulk-transfer-read").await?;

    // The framing table lists the last 64 of its recv() calls, and says how
    // many came before them.
    let framing = b
        .eval(
            "(() => { const t = document.querySelector('#streams .framing table'); \
             return [t.querySelector('.framing-earlier')?.textContent, t.querySelectorAll('tbody:not([class]) tr').length]; })()",
        )
        .await?;
    let earlier = framing[0].as_str().unwrap_or_default();
    assert!(
        earlier.ends_with(" earlier recv() calls, read but not listed"),
        "{framing}"
    );
    assert_eq!(framing[1], 64, "{framing}");

    // A 64 KiB recv, picked in the ladder, is dumped by its first 4 KiB.
    b.click_in_page("#ladder .row.call[data-label^='recv(65536) → 65536 bytes']")
        .await?;
    let more = b
        .wait(
            "the hex dump's note of what it left out",
            "document.querySelector('#detail .hex-more')?.textContent",
        )
        .await?;
    assert_eq!(more, "… and 61,440 more bytes, not drawn");
    let lines = b
        .eval("document.querySelectorAll('#detail .hexdump .hex-line').length")
        .await?;
    assert_eq!(lines, 256);
    b.screenshot("bulk-transfer-hex-dump").await?;
    session.finish().await
}

/// With `&keep_mib=1` in the address, a 3 MiB transfer keeps its first
/// mebibyte's bytes and the lengths of the rest: the stream's length and
/// the ladder stay exact, the byte streams say from which offset on the
/// bytes were not kept, and a recv() past it says so instead of a dump.
#[tokio::test]
async fn f_a_stream_past_its_keep_amount_keeps_lengths_and_says_where_it_stopped() -> Result<()> {
    let session = Session::start("keep").await?;
    let b = &session.browser;
    b.goto(&format!("{}&keep_mib=1", session.relay.url)).await?;
    b.wait_connected().await?;
    forms::auto_read_pair(b, 65536).await?;
    let transfer =
        transfer::send_and_read_all(b, 1 << 20, 3, std::time::Duration::from_secs(120)).await?;
    assert_eq!(transfer.bytes, 3 << 20);
    let note = b
        .wait(
            "the note of where the page stopped keeping bytes",
            "document.querySelector('#streams .stream .kept-note')?.dataset.keptUntil",
        )
        .await?;
    // The send() or recv() that would take its stream past the mebibyte
    // is let go where it starts: at 1 MiB for a send that took a whole
    // message, before it for a recv() (or a send) that took part of one.
    let kept_until: u64 = note.as_str().unwrap_or_default().parse().unwrap_or(0);
    assert!((1..=1 << 20).contains(&kept_until), "kept until {note}");
    let text = b
        .eval("document.querySelector('#streams .stream .kept-note').textContent")
        .await?;
    assert!(
        text.as_str().unwrap_or_default().starts_with(&format!(
            "bytes from offset {kept_until} on are not kept: the page keeps the first 1 MiB of each stream"
        )),
        "{text}"
    );
    let length = b
        .eval("document.querySelector('#streams .stream h3 .meta').textContent")
        .await?;
    assert_eq!(
        length, " · 3145728 bytes",
        "the stream's length stays exact"
    );
    // The last recv() read bytes past the first mebibyte: its length is
    // in the ladder, its bytes are not in the detail pane.
    let last_recv =
        "[...document.querySelectorAll(\"#ladder .row.call[data-label^='recv(65536) → ']\")].pop()";
    b.eval(&format!(
        "{last_recv}.dispatchEvent(new MouseEvent('click', {{bubbles: true}}))"
    ))
    .await?;
    let let_go = b
        .wait(
            "the detail pane's note that the bytes were not kept",
            "document.querySelector('#detail .hex-let-go')?.textContent",
        )
        .await?;
    assert!(
        let_go
            .as_str()
            .unwrap_or_default()
            .contains(" bytes, not kept: past the amount"),
        "{let_go}"
    );
    b.screenshot("keep-past-the-amount").await?;
    b.screenshot_of("#detail", "keep-detail").await?;
    b.screenshot_of("#streams", "keep-streams").await?;
    session.finish().await
}
