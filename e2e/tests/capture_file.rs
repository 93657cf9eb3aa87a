//! Capture files in the browser: a pcap tshark captured of real loopback
//! traffic, opened with "Open capture…", must draw the handshake and the
//! data; a 100,000-packet file must open and stay responsive; a file that
//! is not a capture must be refused with a sentence; a recording of two
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

use fantoccini::Locator;
use serde_json::Value;
use sockscope_e2e::paths::{Paths, TempDir, workspace};
use sockscope_e2e::{Browser, HarnessError, Result, Session};
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

/// Opens `file` with the page's "Open capture…" input.
async fn open(b: &Browser, file: &Path) -> Result<()> {
    b.wait("the open button", "document.querySelector('#open-file')")
        .await?;
    let input = b.client.find(Locator::Css("#open-file")).await?;
    Ok(input.send_keys(&file.display().to_string()).await?)
}

/// A screenshot of the window as a user sees it, scrolled to the ladder
/// (the harness's whole-page shots resize the window, and a tall ladder
/// draws only what its box showed before).
async fn ladder_shot(b: &Browser, name: &str) -> Result<()> {
    // The ladder's top just below the sticky status and player bars.
    b.eval(
        "(window.scrollTo(0, document.querySelector('#ladder').getBoundingClientRect().top + window.scrollY \
          - document.querySelector('#player').getBoundingClientRect().height - 90), 0)",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let png = b.client.screenshot().await?;
    let dir = workspace().join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir).map_err(|e| fail(e.to_string()))?;
    std::fs::write(dir.join(format!("large-capture-{name}.png")), png)
        .map_err(|e| fail(e.to_string()))
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
    open(b, &file).await?;
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
    open(b, &file).await?;
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
    open(b, &truncated).await?;
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
    open(
        b,
        &workspace().join("testdata/captures/01-handshake.pcapng"),
    )
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
    open(
        b,
        &workspace().join("testdata/captures/01-handshake.pcapng"),
    )
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
    open(
        b,
        &workspace().join("web/recordings/01-handshake.events.json"),
    )
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

/// A classic pcap of `packets` TCP packets: ten connections on loopback,
/// each a handshake, ten-byte requests each ACKed, and a close.
fn large_pcap(packets: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(packets as usize * 80);
    out.extend([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend(65_535u32.to_le_bytes());
    out.extend(1u32.to_le_bytes()); // Ethernet
    let per_conn = packets / 10;
    let mut written = 0u32;
    let mut frame = |conn: u32, forward: bool, flags: u8, seq: u32, ack: u32, len: usize| {
        let (client, server) = (40_000 + conn as u16, 9527u16);
        let (sport, dport) = if forward {
            (client, server)
        } else {
            (server, client)
        };
        let mut f = vec![0u8; 12];
        f.extend([0x08, 0x00]);
        let total = (40 + len) as u16;
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        let sum = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        f.extend(ip);
        f.extend(sport.to_be_bytes());
        f.extend(dport.to_be_bytes());
        f.extend(seq.to_be_bytes());
        f.extend(ack.to_be_bytes());
        f.extend([0x50, flags, 0x02, 0x00, 0, 0, 0, 0]);
        f.extend(std::iter::repeat_n(b'a' + (seq % 26) as u8, len));
        let t = 1_795_431_092u64 * 1_000_000 + u64::from(written) * 10;
        out.extend(((t / 1_000_000) as u32).to_le_bytes());
        out.extend(((t % 1_000_000) as u32).to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend(f);
        written += 1;
    };
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const PSH: u8 = 0x08;
    const FIN: u8 = 0x01;
    for conn in 1..=10 {
        let (c, s) = (conn * 1_000_000, 7_000_000u32);
        frame(conn, true, SYN, c, 0, 0);
        frame(conn, false, SYN | ACK, s, c + 1, 0);
        frame(conn, true, ACK, c + 1, s + 1, 0);
        let requests = (per_conn - 6) / 2;
        for k in 0..requests {
            frame(conn, true, PSH | ACK, c + 1 + k * 10, s + 1, 10);
            frame(conn, false, ACK, s + 1, c + 11 + k * 10, 0);
        }
        let end = c + 1 + requests * 10;
        frame(conn, true, FIN | ACK, end, s + 1, 0);
        frame(conn, false, FIN | ACK, s + 1, end + 1, 0);
        frame(conn, true, ACK, end + 1, s + 2, 0);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_thousand_packets_open_and_stay_responsive() -> Result<()> {
    let dir = TempDir::new("sockscope-e2e-large")?;
    let file = dir.0.join("large-100k.pcap");
    std::fs::write(&file, large_pcap(100_000)).map_err(|e| fail(e.to_string()))?;
    let session = Session::start("large-capture").await?;
    let b = &session.browser;
    b.wait("the open button", "document.querySelector('#open-file')")
        .await?;
    let started = Instant::now();
    open(b, &file).await?;
    b.wait_for(
        "100,000 rows",
        "document.querySelector('#ladder')?.dataset.rows === '100000'",
        Duration::from_secs(120),
    )
    .await?;
    let load = started.elapsed();
    eprintln!("100,000 packets opened and drawn in {load:?}");
    // Only the rows in view are in the page.
    let drawn = b
        .eval("document.querySelectorAll('#ladder .row').length")
        .await?;
    let drawn = drawn.as_u64().unwrap_or(u64::MAX);
    assert!(drawn < 200, "{drawn} rows in the DOM");
    ladder_shot(b, "top").await?;

    // Scrolling to the middle draws the rows there, quickly.
    let started = Instant::now();
    b.eval("(document.querySelector('#ladder .ladder-scroll').scrollTop = 46 * 50000, 0)")
        .await?;
    b.wait(
        "rows near the middle",
        "Array.from(document.querySelectorAll('#ladder .row')).some(r => Math.abs(r.dataset.step - 50000) < 30)",
    )
    .await?;
    let scroll = started.elapsed();
    eprintln!("scrolled to row 50,000 in {scroll:?}");
    ladder_shot(b, "middle").await?;
    // Those rows are between lanes far to the right: the page says so and
    // takes the view there.
    b.eval("(window.scrollTo(0, 0), 0)").await?;
    let jump = b
        .wait(
            "the hint to the lanes",
            "document.querySelector('#ladder-jump')?.parentElement.textContent",
        )
        .await?;
    assert!(
        jump.as_str().unwrap_or_default().contains("127.0.0.1:9527"),
        "{jump}"
    );
    b.click("#ladder-jump").await?;
    b.wait(
        "the view on those lanes",
        "!document.querySelector('#ladder-jump')",
    )
    .await?;
    ladder_shot(b, "middle-lanes").await?;

    // The player still steps: one step back from the end moves the cursor.
    let started = Instant::now();
    b.eval("(window.scrollTo(0, 0), 0)").await?;
    b.click("#step-back").await?;
    b.wait(
        "the player to step back",
        "document.querySelector('#player').dataset.step === '99998'",
    )
    .await?;
    b.wait(
        "the current row in view",
        "document.querySelector('#ladder .row.current')?.dataset.step === '99998'",
    )
    .await?;
    let step = started.elapsed();
    eprintln!("one step back (click to row drawn, through WebDriver) in {step:?}");
    // Stepping brings the current row into view, sideways too.
    b.wait(
        "no hint: the row's lanes are in view",
        "!document.querySelector('#ladder-jump')",
    )
    .await?;
    // The same in the page's own clock: ← pressed, until the player shows
    // the new step (the reducer ran and the DOM changed).
    b.eval(
        "(window.__stepped = null, (() => {
            const player = document.querySelector('#player');
            const t0 = performance.now();
            new MutationObserver((_, o) => { window.__stepped = performance.now() - t0; o.disconnect(); })
                .observe(player, { attributes: true, attributeFilter: ['data-step'] });
            document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
        })(), 0)",
    )
    .await?;
    let in_page = b.wait("the step in the page", "window.__stepped").await?;
    eprintln!("one step back in the page: {in_page} ms");
    assert!(load < Duration::from_secs(60), "opening took {load:?}");
    assert!(scroll < Duration::from_secs(5), "scrolling took {scroll:?}");
    assert!(step < Duration::from_secs(5), "a step took {step:?}");
    ladder_shot(b, "stepped-back").await?;
    b.screenshot("page").await?;
    session.finish().await
}
