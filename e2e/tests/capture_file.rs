//! Capture files in the browser: a pcap tshark captured of real loopback
//! traffic, opened with "Open capture…", must draw the handshake and the
//! data; a file that is not a capture must be refused with a sentence; a recording of two
//! clients of one server can be read one connection at a time.
//!
//! Run with `cargo xtask test`, or `cargo test -p sockscope-e2e --test
//! capture_file` once the relay and `dist/` are built. Needs tshark and
//! permission to capture on `lo` (root, or CAP_NET_RAW for dumpcap).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use sockscope_e2e::paths::{Paths, TempDir, workspace};
use sockscope_e2e::{HarnessError, Result, Session};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// Packet labels of the diagram as drawn, in order.
const PACKETS: &str =
    "Array.from(document.querySelectorAll('#ladder .row.packet')).map(r => r.dataset.label)";

fn fail(message: impl Into<String>) -> HarnessError {
    HarnessError(message.into())
}

/// Captures a real TCP exchange on `lo` with tshark: connect, the client
/// sends "hello" and "world", the server answers "HELLOWORLD", both close.
async fn capture_once(dir: &Path) -> Result<(PathBuf, usize)> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| fail(e.to_string()))?;
    let port = listener
        .local_addr()
        .map_err(|e| fail(e.to_string()))?
        .port();
    let file = dir.join("exchange.pcap");
    // -P -l prints (and flushes) each packet as dumpcap hands it over, after it is
    // in the file: the test waits for those lines before stopping tshark,
    // since libpcap delivers packets in blocks and a stop drops the rest.
    let mut tshark = Command::new("tshark")
        .args([
            "-i",
            "lo",
            "-F",
            "pcap",
            "-P",
            "-l",
            "-f",
            &format!("tcp port {port}"),
            "-w",
        ])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| fail(format!("cannot start tshark: {e}")))?;
    // tshark says "Capturing on 'Loopback: lo'" once packets will be kept.
    let stderr = tshark
        .stderr
        .take()
        .ok_or_else(|| fail("no tshark stderr"))?;
    let mut lines = BufReader::new(stderr).lines();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("Capturing on") {
                return Ok(());
            }
        }
        Err(fail(
            "tshark stopped before capturing (is capture on lo allowed?)",
        ))
    })
    .await
    .map_err(|_| fail("tshark did not start capturing within 20 s"))??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stdout = tshark
        .stdout
        .take()
        .ok_or_else(|| fail("no tshark stdout"))?;
    let (seen_tx, mut seen) = tokio::sync::watch::channel(0usize);
    tokio::spawn(async move {
        let mut packets = BufReader::new(stdout).lines();
        while let Ok(Some(_)) = packets.next_line().await {
            seen_tx.send_modify(|n| *n += 1);
        }
    });

    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let server = std::thread::spawn(move || -> std::io::Result<()> {
            let (mut socket, _) = listener.accept()?;
            let mut got = [0u8; 10];
            socket.read_exact(&mut got)?;
            socket.write_all(&got.to_ascii_uppercase())?;
            let mut rest = Vec::new();
            socket.read_to_end(&mut rest)?;
            Ok(())
        });
        let mut client = TcpStream::connect(("127.0.0.1", port))?;
        client.set_nodelay(true)?;
        client.write_all(b"hello")?;
        std::thread::sleep(Duration::from_millis(20));
        client.write_all(b"world")?;
        let mut answer = [0u8; 10];
        client.read_exact(&mut answer)?;
        drop(client);
        server
            .join()
            .map_err(|_| std::io::Error::other("server thread panicked"))??;
        Ok(())
    })
    .await
    .map_err(|e| fail(e.to_string()))?
    .map_err(|e| fail(format!("the exchange failed: {e}")))?;

    // At least the handshake, two sends and the answer, then quiet for a
    // second: the close is in too.
    let waited = Instant::now();
    loop {
        let before = *seen.borrow_and_update();
        let quiet = tokio::time::timeout(Duration::from_secs(1), seen.changed())
            .await
            .is_err();
        if (quiet && before >= 6) || waited.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    let pid = tshark.id().ok_or_else(|| fail("tshark already exited"))?;
    Command::new("kill")
        .args(["-s", "INT", &pid.to_string()])
        .status()
        .await
        .map_err(|e| fail(e.to_string()))?;
    tokio::time::timeout(Duration::from_secs(10), tshark.wait())
        .await
        .map_err(|_| fail("tshark did not stop"))?
        .map_err(|e| fail(e.to_string()))?;
    let packets = *seen.borrow();
    Ok((file, packets))
}

/// [`capture_once`], tried again when tshark missed the exchange: it says
/// "Capturing on" a moment before the kernel hands it packets, and on a
/// busy machine that moment can swallow the handshake.
async fn capture_exchange(dir: &Path) -> Result<PathBuf> {
    let mut last = 0;
    for _ in 0..3 {
        let (file, packets) = capture_once(dir).await?;
        if packets >= 6 {
            return Ok(file);
        }
        last = packets;
    }
    Err(fail(format!(
        "tshark caught only {last} packets of the exchange, three times"
    )))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pcap_tshark_made_draws_the_handshake_and_the_data() -> Result<()> {
    let dir = TempDir::new("sockscope-e2e-capture")?;
    let file = capture_exchange(&dir.0).await?;
    let session = Session::start("capture-file").await?;
    let b = &session.browser;
    b.open_capture(&file).await?;
    b.wait(
        "the file to be shown",
        "document.querySelector('#open-name')?.textContent.includes('exchange.pcap')",
    )
    .await?;
    let labels = strings(&b.wait("packet rows", PACKETS).await?);
    for expected in ["SYN seq=0", "SYN, ACK seq=0 ack=1", "ACK seq=1 ack=1"] {
        assert!(
            labels.iter().any(|l| l == expected),
            "no {expected:?} arrow in {labels:?}"
        );
    }
    assert!(
        labels.iter().any(|l| l == "PSH, ACK seq=1 ack=1 len=5"),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|l| l == "PSH, ACK seq=6 ack=1 len=5"),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|l| l.ends_with("ack=11 len=10")),
        "the answer: {labels:?}"
    );
    // Two lanes: the client's port and the server's.
    let lanes = b
        .eval("document.querySelectorAll('#ladder .lane').length")
        .await?;
    assert_eq!(lanes, 2);
    // The page says what a capture cannot know, and the data shows in the
    // byte stream's segments lane.
    let notes = b
        .eval("document.querySelector('#file-notes')?.textContent ?? ''")
        .await?;
    assert!(
        notes
            .as_str()
            .unwrap_or_default()
            .contains("recv() returned are unknown"),
        "{notes}"
    );
    let unknown = b
        .eval("document.querySelectorAll('#streams .lane-note.calls-unknown').length")
        .await?;
    assert!(unknown.as_u64().unwrap_or_default() >= 2, "{unknown}");
    let wire = b
        .eval(
            "Array.from(document.querySelectorAll('#streams .block.wire')).map(w => w.textContent)",
        )
        .await?;
    assert!(strings(&wire).contains(&"hello".to_string()), "{wire}");
    b.screenshot("exchange").await?;
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_is_not_a_capture_is_refused_in_words() -> Result<()> {
    let dir = TempDir::new("sockscope-e2e-not-capture")?;
    let file = dir.0.join("notes.pcap");
    std::fs::write(&file, b"these are my notes, not packets").map_err(|e| fail(e.to_string()))?;
    let session = Session::start("not-a-capture").await?;
    let b = &session.browser;
    b.open_capture(&file).await?;
    let error = b
        .wait(
            "the error",
            "document.querySelector('#open-error')?.textContent",
        )
        .await?;
    let error = error.as_str().unwrap_or_default();
    assert!(
        error.starts_with("notes.pcap: this is not a .pcap, .pcapng or JSON event log"),
        "{error}"
    );
    // The page still works: the reference recordings still open.
    let truncated = dir.0.join("cut.pcapng");
    let whole = std::fs::read(workspace().join("testdata/captures/03-sticky-small-sends.pcapng"))
        .map_err(|e| fail(e.to_string()))?;
    std::fs::write(&truncated, &whole[..whole.len() / 2]).map_err(|e| fail(e.to_string()))?;
    b.open_capture(&truncated).await?;
    b.wait(
        "the cut-short note",
        "document.querySelector('#file-notes')?.textContent.includes('cut short')",
    )
    .await?;
    b.screenshot("cut-short").await?;
    session.finish().await
}

/// Which of the file worker's files the page has fetched so far (the
/// worker's own fetches, its module, are in the worker's timeline).
/// How far the file worker started ahead of need has come, as the page
/// marks it on its root element (`null` before it is started).
const WORKER_STAGE: &str = "document.documentElement.dataset.fileWorker ?? null";

/// The page loads without its file worker, starts it when the user reaches
/// for a file (pressing the open button), and the capture then opens.
#[tokio::test(flavor = "multi_thread")]
async fn the_file_worker_is_fetched_when_the_user_reaches_for_a_file() -> Result<()> {
    let session = Session::start("worker-fetched").await?;
    let b = &session.browser;
    b.wait(
        "the page linked to its relay",
        "document.querySelector('#connection')?.dataset.link === 'connected'",
    )
    .await?;
    assert_eq!(
        b.eval(WORKER_STAGE).await?,
        serde_json::Value::Null,
        "a page that opens no file does not start the file worker"
    );
    // The user presses the Open capture button (the label of the file
    // input). A pointerdown is dispatched rather than a click, which would
    // open the file chooser; nor is focus() used, which a headless browser
    // without window focus may not report as a focus event.
    b.eval(
        "(document.querySelector('#open-file').closest('label')\
         .dispatchEvent(new PointerEvent('pointerdown', {bubbles: true})), 1)",
    )
    .await?;
    // Ready means its script was fetched, loaded and answered.
    b.wait(
        "the worker started and ready",
        &format!("{WORKER_STAGE} === 'ready'"),
    )
    .await?;
    b.open_capture(&workspace().join("testdata/captures/01-handshake.pcapng"))
        .await?;
    b.wait(
        "the handshake drawn",
        "document.querySelectorAll('#ladder .row.packet').length > 0",
    )
    .await?;
    session.finish().await
}

/// A page whose file worker is missing (a copy of `dist/` without it) says
/// so when a capture is opened, still opens event logs, and goes on
/// working.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_without_its_file_worker_says_so_and_goes_on() -> Result<()> {
    let mut paths = Paths::from_env()?;
    let dir = TempDir::new("sockscope-e2e-no-worker")?;
    let entries = std::fs::read_dir(&paths.dist).map_err(|e| fail(e.to_string()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && !name.starts_with("sockscope-files") {
            std::fs::copy(entry.path(), dir.0.join(&name)).map_err(|e| fail(e.to_string()))?;
        }
    }
    paths.dist = dir.0.clone();
    let session = Session::start_with("no-worker", paths).await?;
    let b = &session.browser;
    b.open_capture(&workspace().join("testdata/captures/01-handshake.pcapng"))
        .await?;
    let error = b
        .wait(
            "the error",
            "document.querySelector('#open-error')?.textContent",
        )
        .await?;
    assert_eq!(
        error.as_str().unwrap_or_default(),
        "could not read 01-handshake.pcapng: the file worker could not be started: \
         is sockscope-files_loader.js beside the page?"
    );
    let waiting = b.eval("!!document.querySelector('#opening')").await?;
    assert_eq!(
        waiting,
        Value::Bool(false),
        "the page no longer says it is opening"
    );
    // An event log needs no worker: the page reads it itself.
    b.open_capture(&workspace().join("web/recordings/01-handshake.events.json"))
        .await?;
    b.wait(
        "the handshake drawn from the event log",
        "document.querySelectorAll('#ladder .row.packet').length > 0 \
         && !document.querySelector('#open-error')",
    )
    .await?;
    // The live session is untouched: the page is still linked to its relay
    // and offers its sockets.
    b.wait(
        "the link to the relay",
        "document.querySelector('#connection')?.dataset.link === 'connected' \
         && !!document.querySelector('#listen-form')",
    )
    .await?;
    b.screenshot("no-worker").await?;
    session.finish().await
}

const LANES: &str =
    "Array.from(document.querySelectorAll('#ladder .lane')).map(l => l.dataset.addr)";

#[tokio::test(flavor = "multi_thread")]
async fn two_clients_of_one_server_are_read_one_connection_at_a_time() -> Result<()> {
    let session = Session::start("focus").await?;
    let b = &session.browser;
    b.choose("#recording", "07-upper-echo-clients").await?;
    b.wait(
        "both connections drawn",
        "document.querySelectorAll('#ladder .lane').length === 3",
    )
    .await?;
    let all = strings(&b.eval(PACKETS).await?);
    let options = strings(
        &b.eval(
            "Array.from(document.querySelectorAll('#ladder-focus option')).map(o => o.textContent)",
        )
        .await?,
    );
    assert_eq!(options.len(), 3, "{options:?}");
    assert_eq!(options[0], "all 2 connections");
    assert!(options[1].starts_with("TCP 1: 127.0.0.1:"), "{options:?}");

    b.choose("#ladder-focus", "1").await?;
    b.wait(
        "one connection drawn",
        "document.querySelectorAll('#ladder .lane').length === 2",
    )
    .await?;
    let lanes = strings(&b.eval(LANES).await?);
    let one = strings(&b.eval(PACKETS).await?);
    // The second client's lane and the server's, and only their packets:
    // a handshake, the request and its answer, a close.
    assert!(
        options[2].contains(&lanes[0]),
        "{lanes:?} for {:?}",
        options[2]
    );
    assert!(
        options[2].contains(&lanes[1]),
        "{lanes:?} for {:?}",
        options[2]
    );
    assert!(one.len() < all.len(), "{one:?} of {all:?}");
    assert_eq!(
        one[..3],
        ["SYN seq=0", "SYN, ACK seq=0 ack=1", "ACK seq=1 ack=1"]
    );
    assert!(one.iter().any(|l| l.starts_with("FIN")), "{one:?}");
    let calls = strings(
        &b.eval(
            "Array.from(document.querySelectorAll('#ladder .row.call')).map(r => r.dataset.label)",
        )
        .await?,
    );
    assert!(calls.iter().any(|c| c.starts_with("accept()")), "{calls:?}");
    b.screenshot("one-connection").await?;

    // A packet picked there keeps its connection: all of them again, then
    // the detail pane's button brings that one back alone.
    b.eval(
        "(document.querySelector('#ladder .row.packet').dispatchEvent(new MouseEvent('click', { bubbles: true })), 0)",
    )
    .await?;
    b.choose("#ladder-focus", "").await?;
    b.wait(
        "both connections again",
        "document.querySelectorAll('#ladder .lane').length === 3",
    )
    .await?;
    assert_eq!(strings(&b.eval(PACKETS).await?), all);
    b.click_in_page("#detail-focus").await?;
    b.wait(
        "the picked packet's connection alone",
        "document.querySelectorAll('#ladder .lane').length === 2",
    )
    .await?;
    assert_eq!(strings(&b.eval(LANES).await?), lanes);
    assert_eq!(
        b.eval("document.querySelector('#ladder-focus').value")
            .await?,
        "1"
    );
    b.screenshot("from-the-detail-pane").await?;
    b.click_in_page("#detail-focus").await?;
    b.wait(
        "every connection from the detail pane",
        "document.querySelectorAll('#ladder .lane').length === 3",
    )
    .await?;
    session.finish().await
}
