//! The TCP lessons on real sockets, in headless Chromium: each one is run
//! (or stepped) from the page, and its key observation is checked in what
//! the page draws.
//!
//! Run with `cargo xtask test`, or `cargo test -p sockscope-e2e --test
//! lessons_tcp` once the relay and `dist/` are built. The relay needs
//! permission to capture on `lo` (root, or CAP_NET_RAW).

mod lesson_support;

use lesson_support::{all_rows, calls, count, find, list, open, packets, result, run_to_end, step};
use sockscope_e2e::Result;

#[tokio::test(flavor = "multi_thread")]
async fn handshake_completes_before_accept_is_called() -> Result<()> {
    let session = open("handshake").await?;
    let b = &session.browser;
    // Step by step: listen, then connect.
    step(b, 0).await?;
    step(b, 1).await?;
    b.wait(
        "the handshake's last ACK",
        "Array.from(document.querySelectorAll('#ladder .row.packet')).some(r => r.dataset.label === 'ACK seq=1 ack=1')",
    )
    .await?;
    let before = calls(b).await?;
    assert!(
        find(&before, "connect(127.0.0.1:9501) → ok").is_some(),
        "{before:#?}"
    );
    assert!(
        find(&before, "accept()").is_none(),
        "accept() has not been called yet: {before:#?}"
    );
    for packet in ["SYN seq=0", "SYN, ACK seq=0 ack=1", "ACK seq=1 ack=1"] {
        assert!(packets(b).await?.iter().any(|p| p == packet), "no {packet}");
    }
    b.screenshot("handshake-before-accept").await?;
    // The third step, by keyboard (N): accept() returns the connection
    // that was waiting.
    b.client
        .find(fantoccini::Locator::Css("body"))
        .await?
        .send_keys("n")
        .await?;
    b.wait(
        "step 3 to answer",
        "document.querySelector(\"#lesson-steps li[data-step='2']\")?.dataset.state === 'done'",
    )
    .await?;
    let rows = all_rows(b).await?;
    let ack = find(&rows, "ACK seq=1 ack=1");
    let accept = find(&rows, "accept() → socket 3");
    assert!(
        ack.is_some() && accept.is_some() && ack < accept,
        "{rows:#?}"
    );
    assert!(
        result(b, 2)
            .await?
            .starts_with("accept() → socket 3 from 127.0.0.1:")
    );
    b.screenshot("handshake-accepted").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn half_close_reads_end_of_stream_and_ends_in_time_wait() -> Result<()> {
    let session = open("close-half").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let calls = calls(b).await?;
    let shutdown = find(&calls, "shutdown(SHUT_WR) → ok");
    let eof = find(&calls, "recv(1024) → b'' (end of stream");
    let last_words = find(&calls, "recv(1024) → 10 bytes \"last words\"");
    assert!(
        shutdown < eof && eof < last_words && shutdown.is_some(),
        "after shutdown(SHUT_WR) the server reads b'', and the client still reads: {calls:#?}"
    );
    let packets = packets(b).await?;
    assert_eq!(
        count(&packets, "FIN, ACK"),
        2,
        "one FIN each way: {packets:#?}"
    );
    b.wait(
        "the client socket to show TIME_WAIT",
        "document.querySelector(\"#socket-list li[data-socket='2']\")?.dataset.state === 'TIME_WAIT'",
    )
    .await?;
    b.screenshot("time-wait").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn three_quick_sends_wait_in_the_buffer_and_come_out_of_one_recv() -> Result<()> {
    let session = open("sticky-small-sends").await?;
    let b = &session.browser;
    for n in 0..6 {
        step(b, n).await?;
    }
    // Before recv(): the eleven bytes wait in the server's receive buffer.
    let waiting = b
        .wait(
            "the bytes waiting in the receive buffer",
            "Array.from(document.querySelectorAll('#streams .waiting')).map(w => w.textContent).join(' ')",
        )
        .await?;
    assert!(
        waiting.as_str().unwrap_or_default().contains("11"),
        "{waiting}"
    );
    // And the kernel says so too: recv_queue (SIOCINQ) for the server's
    // socket, shown in the socket list.
    b.wait(
        "the kernel to report 11 bytes in socket 3's receive buffer",
        "document.querySelector(\"#socket-list li[data-socket='3'] .queued\")?.dataset.queued === '11'",
    )
    .await?;
    b.screenshot("waiting-before-recv").await?;
    step(b, 6).await?;
    b.wait(
        "the receive buffer to be empty after recv()",
        "!document.querySelector(\"#socket-list li[data-socket='3'] .queued\")",
    )
    .await?;
    let calls = calls(b).await?;
    assert_eq!(
        count(&calls, "recv(1024) → 11 bytes \"onetwothree\""),
        1,
        "{calls:#?}"
    );
    let sends = b
        .wait(
            "the recv block",
            "document.querySelector('#streams .block.recv')?.dataset.sends",
        )
        .await?;
    assert_eq!(
        sends, "0,1,2",
        "one recv chunk holds the bytes of three sends"
    );
    b.screenshot("one-recv").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_twelve_byte_message_comes_out_five_bytes_at_a_time() -> Result<()> {
    let session = open("sticky-small-buffer").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let calls = calls(b).await?;
    assert!(
        find(&calls, "send(\"hello world!\") → 12 bytes").is_some(),
        "{calls:#?}"
    );
    let chunks: Vec<&String> = calls.iter().filter(|c| c.starts_with("recv(5)")).collect();
    assert_eq!(
        chunks,
        [
            "recv(5) → 5 bytes \"hello\"",
            "recv(5) → 5 bytes \" worl\"",
            "recv(5) → 5 bytes \"d!bye\""
        ],
        "the rest of a message waits for the next recv, glued to the next message"
    );
    b.screenshot("five-at-a-time").await?;
    session.finish().await
}

/// The bodies the framing decoder took off the stream, in order.
const DECODED: &str =
    "Array.from(document.querySelectorAll('#streams .framing .message')).map(m => m.textContent)";

#[tokio::test(flavor = "multi_thread")]
async fn ascii_headers_give_back_exactly_the_messages_sent() -> Result<()> {
    let session = open("zfill-header").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let calls = calls(b).await?;
    let reads: Vec<&String> = calls.iter().filter(|c| c.starts_with("recv(")).collect();
    assert_eq!(
        reads,
        [
            "recv(4) → 4 bytes \"0005\"",
            "recv(5) → 5 bytes \"hello\"",
            "recv(4) → 4 bytes \"0014\"",
            "recv(14) → 14 bytes \"sticky packets\""
        ]
    );
    let decoded = list(b, DECODED).await?;
    assert_eq!(decoded, ["\"hello\"", "\"sticky packets\""], "{decoded:#?}");
    b.screenshot("zfill").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_headers_in_either_byte_order_give_back_the_messages() -> Result<()> {
    let session = open("struct-header").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let calls = calls(b).await?;
    for expected in [
        "recv(5) → 5 bytes \"hello\"",
        "recv(13) → 13 bytes \"network order\"",
    ] {
        assert_eq!(count(&calls, expected), 1, "{expected}: {calls:#?}");
    }
    assert_eq!(count(&calls, "recv(4) → 4 bytes"), 2, "{calls:#?}");
    let decoded = list(b, DECODED).await?;
    assert_eq!(decoded, ["\"hello\"", "\"network order\""], "{decoded:#?}");
    b.screenshot("struct").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_accept_loop_serves_three_clients_and_the_third_waits_for_room() -> Result<()> {
    let session = open("upper-echo-clients").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let calls = calls(b).await?;
    for echo in [
        "recv(1024) → 12 bytes \"HELLO FROM A\"",
        "recv(1024) → 9 bytes \"HI FROM B\"",
        "recv(1024) → 8 bytes \"C WAITED\"",
    ] {
        assert_eq!(count(&calls, echo), 1, "{echo}: {calls:#?}");
    }
    assert_eq!(count(&calls, "accept() → socket"), 3, "{calls:#?}");
    // With listen(1) two connections wait; the third's SYN is dropped and
    // sent again: four SYNs for three clients.
    let packets = packets(b).await?;
    assert!(count(&packets, "SYN seq=0") >= 4, "{packets:#?}");
    b.screenshot("three-clients").await?;
    session.finish().await
}

/// Lesson 07 draws four lanes: three clients and the server. In a
/// 1440 × 900 window every lane is in view without scrolling sideways,
/// the server's included, and no two lane addresses overlap.
#[tokio::test(flavor = "multi_thread")]
async fn four_lanes_fit_a_1440_window_with_the_server_in_view() -> Result<()> {
    let session = open("upper-echo-clients").await?;
    let b = &session.browser;
    b.client.set_window_size(1440, 900).await?;
    run_to_end(b).await?;
    b.wait(
        "four lanes",
        "document.querySelectorAll('#ladder .ladder .lanes g.lane').length === 4",
    )
    .await?;
    // Laid out again for the window's width once the resize is read.
    let fits = "(() => { const box = document.querySelector('#ladder .ladder-scroll'); \
        return box.scrollWidth <= box.clientWidth + 1; })()";
    b.wait("the ladder without sideways scrolling", fits)
        .await?;
    let lanes = b
        .eval(
            "(() => { const box = document.querySelector('#ladder .ladder-scroll').getBoundingClientRect(); \
             return Array.from(document.querySelectorAll('#ladder .ladder .lanes g.lane')).map(g => { \
               const r = g.querySelector('.lane-addr').getBoundingClientRect(); \
               return {server: g.classList.contains('server'), left: r.left, right: r.right, \
                       inside: r.left >= box.left && r.right <= box.right}; }); })()",
        )
        .await?;
    let lanes = lanes.as_array().cloned().unwrap_or_default();
    assert_eq!(lanes.len(), 4, "{lanes:#?}");
    assert!(
        lanes.iter().all(|lane| lane["inside"] == true),
        "a lane's address is out of view: {lanes:#?}"
    );
    assert!(
        lanes.iter().any(|lane| lane["server"] == true),
        "no server lane: {lanes:#?}"
    );
    for pair in lanes.windows(2) {
        let (left_end, right_start) = (pair[0]["right"].as_f64(), pair[1]["left"].as_f64());
        assert!(left_end < right_start, "lane addresses overlap: {pair:#?}");
    }
    b.screenshot("four-lanes-1440").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closing_client_gives_b_empty_and_an_aborting_one_a_reset() -> Result<()> {
    let session = open("disconnect-fin-vs-rst").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let calls = calls(b).await?;
    let fin = find(&calls, "recv(1024) → b'' (end of stream");
    let reset = find(&calls, "recv(1024) → ECONNRESET");
    assert!(
        fin.is_some() && reset.is_some() && fin < reset,
        "{calls:#?}"
    );
    assert!(find(&calls, "setsockopt(SO_LINGER {on, 0}) → ok").is_some());
    let packets = packets(b).await?;
    assert!(
        packets.iter().any(|p| p.starts_with("RST")),
        "the abort sends RST: {packets:#?}"
    );
    b.screenshot("fin-vs-rst").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_fails_with_eaddrinuse_unless_it_sets_so_reuseaddr() -> Result<()> {
    let session = open("addr-in-use").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let calls = calls(b).await?;
    let refused = find(&calls, "bind(127.0.0.1:9509) → EADDRINUSE");
    let binds = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.as_str() == "bind(127.0.0.1:9509) with SO_REUSEADDR → ok")
        .map(|(i, _)| i)
        .collect::<Vec<_>>();
    assert!(refused.is_some(), "without SO_REUSEADDR: {calls:#?}");
    assert_eq!(binds.len(), 2, "{calls:#?}");
    assert!(
        binds.last().copied() > refused,
        "the restart with SO_REUSEADDR comes after the refusal and succeeds: {calls:#?}"
    );
    assert!(result(b, 7).await?.starts_with("listen(5) → ok"));
    b.screenshot("addr-in-use").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn connecting_to_a_closed_port_is_answered_by_rst() -> Result<()> {
    let session = open("refused").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let rows = all_rows(b).await?;
    let refused = find(&rows, "connect(127.0.0.1:9510) → ECONNREFUSED");
    let rst = find(&rows, "RST, ACK");
    assert!(refused.is_some() && rst.is_some(), "{rows:#?}");
    assert!(
        rst < refused,
        "the RST comes before connect() fails: {rows:#?}"
    );
    assert_eq!(count(&rows, "connect(127.0.0.1:9510) → ok"), 1, "{rows:#?}");
    assert!(find(&rows, "SYN, ACK seq=0 ack=1").is_some(), "{rows:#?}");
    b.screenshot("refused").await?;
    session.finish().await
}
