//! The UDP lessons on real sockets, the language switch, the lesson list
//! (each lesson's file fetched when it is chosen), and lesson files a
//! teacher writes, in headless Chromium.
//!
//! Run with `cargo xtask test`, or `cargo test -p sockscope-e2e --test
//! lessons_udp` once the relay and `dist/` are built.

mod lesson_support;

use lesson_support::{calls, count, find, list, open, packets, result, run_to_end, status};
use sockscope_e2e::paths::TempDir;
use sockscope_e2e::{HarnessError, Result};

#[tokio::test(flavor = "multi_thread")]
async fn udp_servers_answer_in_upper_case_and_with_the_time() -> Result<()> {
    let session = open("udp-echo-and-time").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let calls = calls(b).await?;
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("recvfrom(1024) → 9 bytes from 127.0.0.1:9511 \"HELLO UDP\"")),
        "{calls:#?}"
    );
    // The time server's answer: "%Y-%m-%d %H:%M:%S" formatted.
    let time = result(b, 10).await?;
    let quoted = time.split('"').nth(1).unwrap_or_default();
    let shape: String = quoted
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "9999-99-99 99:99:99", "{time}");
    // No handshake and no ACK: only datagrams on the wire.
    let packets = packets(b).await?;
    assert_eq!(packets.len(), 4, "two requests, two answers: {packets:#?}");
    assert!(
        packets.iter().all(|p| p.starts_with("UDP len=")),
        "{packets:#?}"
    );
    b.screenshot("echo-and-time").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn each_recvfrom_returns_exactly_one_datagram() -> Result<()> {
    let session = open("udp-boundaries").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let calls = calls(b).await?;
    let reads: Vec<&String> = calls
        .iter()
        .filter(|c| c.starts_with("recvfrom("))
        .collect();
    assert_eq!(reads.len(), 3, "{calls:#?}");
    for (read, word) in reads.iter().zip(["one", "two", "three"]) {
        assert!(
            read.ends_with(&format!("\"{word}\"")),
            "{read} should hold {word} alone"
        );
    }
    b.screenshot("boundaries").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_short_recvfrom_buffer_loses_the_rest_of_the_datagram() -> Result<()> {
    let session = open("udp-truncation").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let calls = calls(b).await?;
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("recvfrom(5) → 5 of 20 bytes from ")
                && c.ends_with("\"twent\" (15 lost)")),
        "{calls:#?}"
    );
    // The next recvfrom gets the next datagram, not the lost rest.
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("recvfrom(5) → 4 bytes from ") && c.ends_with("\"next\"")),
        "{calls:#?}"
    );
    let lost = list(
        b,
        "Array.from(document.querySelectorAll('#udp tr.datagram')).map(r => r.dataset.lost)",
    )
    .await?;
    assert!(
        lost.iter().any(|l| l == "15"),
        "the UDP view shows 15 lost: {lost:?}"
    );
    b.screenshot("truncation").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_sendto_is_a_real_datagram() -> Result<()> {
    let session = open("udp-empty").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    let packets = packets(b).await?;
    assert_eq!(count(&packets, "UDP len=0"), 1, "{packets:#?}");
    let calls = calls(b).await?;
    assert!(
        find(&calls, "recvfrom(1024) → 0 bytes from 127.0.0.1:").is_some(),
        "{calls:#?}"
    );
    b.wait(
        "the UDP view to show an empty datagram",
        "document.querySelector('#udp .empty-dgram')",
    )
    .await?;
    b.screenshot("empty").await?;
    session.finish().await
}

/// The lesson title as the panel shows it.
const TITLE: &str = "document.querySelector('#lesson .explanation summary')?.textContent";

#[tokio::test(flavor = "multi_thread")]
async fn the_language_switch_changes_lessons_and_interface_and_is_remembered() -> Result<()> {
    let session = open("refused").await?;
    let b = &session.browser;
    b.click("#lang-en").await?;
    b.wait("English", &format!("{TITLE} === 'Connection refused'"))
        .await?;
    b.click("#lang-zh-CN").await?;
    b.wait("Chinese", &format!("{TITLE} === '连接被拒绝'"))
        .await?;
    let run = b
        .eval("document.querySelector('#lesson-run').textContent")
        .await?;
    assert_eq!(run, "▶ 运行");
    assert_eq!(
        b.eval("document.documentElement.lang").await?,
        "zh-CN",
        "the document says which language it is in"
    );
    run_to_end(b).await?;
    let note = b
        .eval("document.querySelector(\"#lesson-steps li[data-step='0'] .note\").textContent")
        .await?;
    assert!(
        note.as_str().unwrap_or_default().contains("ECONNREFUSED"),
        "{note}"
    );
    b.screenshot("chinese").await?;
    // Reloaded, the page keeps the choice.
    b.goto(&format!("{}&lesson=refused", session.relay.url))
        .await?;
    b.wait(
        "Chinese after a reload",
        &format!("{TITLE} === '连接被拒绝'"),
    )
    .await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lesson_chosen_from_the_list_is_fetched_and_runs() -> Result<()> {
    let session = open("handshake").await?;
    let b = &session.browser;
    b.choose("#lesson-choice", "refused").await?;
    b.wait(
        "the chosen lesson",
        "document.querySelector('#lesson')?.dataset.lesson === 'refused'",
    )
    .await?;
    let explanation = b
        .eval("document.querySelector('#lesson-explanation').textContent")
        .await?;
    assert!(
        explanation
            .as_str()
            .unwrap_or_default()
            .contains("nothing listens"),
        "{explanation}"
    );
    let steps = b
        .eval("document.querySelectorAll('#lesson-steps li').length")
        .await?;
    assert_eq!(steps, 3, "the fetched lesson's steps");
    let address = b.eval("location.search").await?;
    assert!(
        address
            .as_str()
            .unwrap_or_default()
            .contains("lesson=refused"),
        "{address}"
    );
    run_to_end(b).await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_teachers_lesson_file_runs_and_a_broken_one_says_what_is_wrong() -> Result<()> {
    let session = open("handshake").await?;
    let b = &session.browser;
    let dir = TempDir::new("sockscope-e2e-lesson")?;
    let good = dir.0.join("mine.json");
    let write = |path: &std::path::Path, text: &str| {
        std::fs::write(path, text).map_err(|e| HarnessError(format!("{}: {e}", path.display())))
    };
    write(
        &good,
        r#"{"id": "my-udp", "title": {"en": "My UDP test"}, "explanation": {"en": "Two datagrams."},
            "steps": [
              {"note": {"en": "bind"}, "do": {"cmd": "udp_bind", "host": "127.0.0.1", "port": 9599}},
              {"note": {"en": "send to myself"}, "do": {"cmd": "send_to", "socket": 1, "host": "127.0.0.1", "port": 9599, "payload": {"text": "me"}}},
              {"note": {"en": "read it"}, "do": {"cmd": "recv_from", "socket": 1, "bufsize": 10}}
            ]}"#,
    )?;
    let input = b
        .client
        .find(fantoccini::Locator::Css("#lesson-file"))
        .await?;
    input.send_keys(&good.display().to_string()).await?;
    b.wait(
        "the file's lesson",
        "document.querySelector('#lesson')?.dataset.lesson === 'my-udp'",
    )
    .await?;
    run_to_end(b).await?;
    assert!(
        result(b, 2).await?.contains("\"me\""),
        "{:?}",
        lesson_support::results(b).await?
    );
    // A step that names a socket no step created is refused, by step.
    let broken = dir.0.join("broken.json");
    write(
        &broken,
        r#"{"id": "broken", "title": {"en": "Broken"}, "explanation": {"en": "x"},
            "steps": [{"note": {"en": "recv on nothing"}, "do": {"cmd": "recv", "socket": 2, "bufsize": 5}}]}"#,
    )?;
    let input = b
        .client
        .find(fantoccini::Locator::Css("#lesson-file"))
        .await?;
    input.send_keys(&broken.display().to_string()).await?;
    let intro = b
        .wait(
            "the problem to be shown",
            "document.querySelector('#lesson-problems p')?.textContent",
        )
        .await?;
    assert_eq!(intro, "broken.json cannot be used:");
    let problems = list(
        b,
        "Array.from(document.querySelectorAll('#lesson-problems li')).map(li => li.textContent)",
    )
    .await?;
    assert_eq!(
        problems,
        ["Step 1: socket 2 does not exist yet (the steps before it create 0)."]
    );
    assert_eq!(status(b).await?, "done", "the loaded lesson stays");
    b.screenshot("lesson-file").await?;
    session.finish().await
}
