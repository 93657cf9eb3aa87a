//! A 100,000-packet capture in the browser: it opens, the ladder draws only
//! the rows in view, scrolls, jumps sideways and steps back, and stays
//! responsive all the while.
//!
//! Run with `cargo xtask test`, or `cargo test -p sockscope-e2e --test
//! capture_file_large` once the relay and `dist/` are built.

use std::time::{Duration, Instant};

use sockscope_e2e::paths::{TempDir, workspace};
use sockscope_e2e::{Browser, HarnessError, Result, Session};

fn fail(message: impl Into<String>) -> HarnessError {
    HarnessError(message.into())
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
    b.open_capture(&file).await?;
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
