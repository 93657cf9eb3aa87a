//! Motion, in headless Chromium on real sockets: a segment travels from
//! its sender's lane to its receiver's, the receive buffer fills with each
//! send's bytes and empties at the recv(), the close's states change on
//! each side with TIME_WAIT counting down, and stepping back moves nothing.
//!
//! Positions are sampled from the page's own frames (`requestAnimationFrame`)
//! while the motion runs; the buffer is read from the numbers the page
//! shows (`data-waiting`, the relay's offsets, and `data-kernel`, the
//! relay's SIOCINQ). Run with `cargo xtask test`.

mod lesson_support;

use fantoccini::key::Key;
use lesson_support::{open, run_to_end, step};
use serde_json::Value;
use sockscope_e2e::{Browser, HarnessError, Result};

/// Samples, at every frame for `ms`, where each travelling packet is:
/// its index, its centre's x in the diagram's coordinates, its opacity,
/// and where its flight starts and ends (`data-from`, `data-to`).
async fn sample_flights(b: &Browser, ms: u32) -> Result<Vec<Value>> {
    let script = format!(
        "new Promise(done => {{
            const samples = [];
            const end = performance.now() + {ms};
            const frame = () => {{
                const canvas = document.querySelector('#ladder .ladder-canvas');
                for (const f of document.querySelectorAll('#ladder .flight')) {{
                    const r = f.getBoundingClientRect();
                    const left = canvas.getBoundingClientRect().left;
                    samples.push({{
                        index: f.dataset.index,
                        label: f.textContent.trim(),
                        x: r.left + r.width / 2 - left,
                        opacity: Number(getComputedStyle(f).opacity),
                        from: Number(f.dataset.from),
                        to: Number(f.dataset.to),
                    }});
                }}
                if (performance.now() < end) requestAnimationFrame(frame); else done(samples);
            }};
            requestAnimationFrame(frame);
        }})"
    );
    match b.eval(&script).await? {
        Value::Array(samples) => Ok(samples),
        other => Err(HarnessError(format!("the sampler returned {other}"))),
    }
}

/// The visible positions of the newest flight labelled `label` (an older
/// one may still be on its way), in frame order.
fn track(samples: &[Value], label: &str) -> Vec<(f64, f64, f64)> {
    let index = |s: &Value| s["index"].as_str().and_then(|i| i.parse::<u64>().ok());
    let newest = samples
        .iter()
        .filter(|s| s["label"] == label)
        .filter_map(index)
        .max();
    samples
        .iter()
        .filter(|s| index(s) == newest && s["opacity"].as_f64().unwrap_or(0.0) > 0.5)
        .filter_map(|s| Some((s["x"].as_f64()?, s["from"].as_f64()?, s["to"].as_f64()?)))
        .collect()
}

/// Checks that a flight went from its start lane to its end lane through
/// the frames in between, moving one way only.
fn assert_travelled(track: &[(f64, f64, f64)], what: &str) {
    assert!(
        track.len() >= 5,
        "{what}: too few frames seen in motion: {track:?}"
    );
    let (first, from, to) = track[0];
    let (last, ..) = track[track.len() - 1];
    let span = (to - from).abs();
    assert!(
        span > 100.0,
        "{what}: it should cross between lanes: {track:?}"
    );
    assert!(
        (first - from).abs() < span * 0.35,
        "{what}: it should start near its sender's lane ({from}): {track:?}"
    );
    assert!(
        (last - to).abs() < span * 0.35,
        "{what}: it should end near its receiver's lane ({to}): {track:?}"
    );
    let direction = (to - from).signum();
    let onward = track
        .windows(2)
        .all(|w| (w[1].0 - w[0].0) * direction >= -0.5);
    assert!(onward, "{what}: it should only move onward: {track:?}");
    let distinct = track
        .windows(2)
        .filter(|w| (w[1].0 - w[0].0).abs() > 1.0)
        .count();
    assert!(distinct >= 3, "{what}: it should move, not jump: {track:?}");
}

/// What socket `socket`'s receive buffer shows: bytes waiting.
fn waiting_of(socket: u32) -> String {
    format!(
        "document.querySelector(\"#kernel-strip .kernel-end[data-socket='{socket}'] .rbuf\")?.dataset.waiting"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn sends_travel_and_fill_the_receive_buffer_until_one_recv_empties_it() -> Result<()> {
    let session = open("sticky-small-sends").await?;
    let b = &session.browser;
    for n in 0..3 {
        step(b, n).await?;
    }
    // send(b'one'): the call pulses, then its segment flies to the server.
    b.click("#lesson-step").await?;
    let samples = sample_flights(b, 3000).await?;
    let data = track(&samples, "PSH, ACK 3 B");
    assert_travelled(&data, "the segment of send(b'one')");
    assert!(
        data[0].1 < data[0].2,
        "client to server is left to right: {data:?}"
    );
    let ack = track(&samples, "ACK");
    assert_travelled(&ack, "the server's ACK");
    assert!(ack[0].1 > ack[0].2, "the ACK goes back: {ack:?}");
    b.wait(
        "3 bytes in the server's buffer",
        &format!("{} === '3'", waiting_of(3)),
    )
    .await?;
    b.screenshot("buffer-3").await?;
    step(b, 4).await?;
    b.wait("6 bytes", &format!("{} === '6'", waiting_of(3)))
        .await?;
    step(b, 5).await?;
    b.wait("11 bytes", &format!("{} === '11'", waiting_of(3)))
        .await?;
    // The kernel's own count agrees, and the bytes keep their sends' colours.
    b.wait(
        "the kernel's count of 11",
        "document.querySelector(\"#kernel-strip .kernel-end[data-socket='3'] .rbuf\")?.dataset.kernel === '11'",
    )
    .await?;
    let colours = b
        .eval(
            "Array.from(document.querySelectorAll(\"#kernel-strip .kernel-end[data-socket='3'] .buf-track .buf-bytes\")).map(e => [e.dataset.len, e.className.match(/send-\\d/)?.[0]].join(' '))",
        )
        .await?;
    assert_eq!(
        colours,
        serde_json::json!(["3 send-0", "3 send-1", "5 send-2"]),
        "three sends' bytes wait side by side"
    );
    b.screenshot("buffer-11").await?;
    step(b, 6).await?;
    b.wait(
        "the recv() to empty the buffer",
        &format!("{} === '0'", waiting_of(3)),
    )
    .await?;
    let taken = b
        .eval("document.querySelector('#kernel-strip .taken-label')?.textContent")
        .await?;
    assert_eq!(taken, "recv(1024) took 11 B");
    b.screenshot("buffer-taken").await?;
    session.finish().await
}

/// The close-state badges of sockets 2 and 3 at the step shown.
async fn badges(b: &Browser) -> Result<(String, String)> {
    let read = |socket: u32| {
        format!(
            "document.querySelector(\"#kernel-strip .kernel-end[data-socket='{socket}'] .state-badge\")?.dataset.state ?? ''"
        )
    };
    let client = b.eval(&read(2)).await?;
    let server = b.eval(&read(3)).await?;
    Ok((
        client.as_str().unwrap_or_default().to_string(),
        server.as_str().unwrap_or_default().to_string(),
    ))
}

/// `states` without repeats, in order.
fn changes(states: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for state in states.filter(|s| !s.is_empty()) {
        if seen.last() != Some(&state) {
            seen.push(state);
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn the_close_changes_each_sides_state_and_time_wait_counts_down() -> Result<()> {
    let session = open("close-half").await?;
    let b = &session.browser;
    run_to_end(b).await?;
    // At the live end the client waits in TIME_WAIT, its clock running.
    b.wait("the client's TIME_WAIT", "document.querySelector(\"#kernel-strip .kernel-end[data-socket='2'] .state-badge\")?.dataset.state === 'TIME_WAIT'")
        .await?;
    // The clock the page shows: the integer the browser counts down.
    let left = "Number(getComputedStyle(document.querySelector('#kernel-strip .time-wait-left')).getPropertyValue('--time-wait-left'))";
    let first = b.eval(left).await?.as_u64().unwrap_or(0);
    assert!(
        (50..=60).contains(&first),
        "TIME_WAIT lasts 60 s: {first} s left"
    );
    b.wait_for(
        "the TIME_WAIT clock to tick",
        &format!("{left} < {first}"),
        std::time::Duration::from_secs(5),
    )
    .await?;
    b.screenshot("time-wait").await?;
    // Walk back to the start, reading each side's state at every step.
    let steps = b
        .eval("Number(document.querySelector('#scrub')?.max)")
        .await?
        .as_u64()
        .unwrap_or(0);
    assert!(steps > 10, "a whole connection takes many steps: {steps}");
    let mut seen = vec![badges(b).await?];
    for _ in 0..steps {
        b.press(Key::Left).await?;
        seen.push(badges(b).await?);
    }
    seen.reverse();
    let client = changes(seen.iter().map(|(c, _)| c.clone()));
    let server = changes(seen.iter().map(|(_, s)| s.clone()));
    // FIN_WAIT_1 and LAST_ACK last until the peer's ACK, microseconds on
    // loopback: the kernel's state is sampled and may not be caught in
    // them (an ACK in before the call returns leaves the call's own event
    // saying FIN_WAIT_2).
    let without_fin_wait_1: Vec<&String> = client.iter().filter(|s| *s != "FIN_WAIT_1").collect();
    assert_eq!(
        without_fin_wait_1,
        ["ESTABLISHED", "FIN_WAIT_2", "TIME_WAIT"],
        "the side that closed first: {client:?}"
    );
    let without_last_ack: Vec<&String> = server.iter().filter(|s| *s != "LAST_ACK").collect();
    assert_eq!(
        without_last_ack,
        ["ESTABLISHED", "CLOSE_WAIT", "CLOSED"],
        "the side that closed second: {server:?}"
    );
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recording_moves_forward_and_stepping_back_moves_nothing() -> Result<()> {
    let session = sockscope_e2e::Session::start("motion-recording").await?;
    let b = &session.browser;
    b.goto(&format!("{}&log=01-handshake", session.relay.url))
        .await?;
    b.wait(
        "the recording",
        "document.querySelectorAll('#ladder .row').length > 5",
    )
    .await?;
    // Back to the first step, then on: the SYN travels.
    for _ in 0..40 {
        b.press(Key::Left).await?;
    }
    b.wait(
        "the first step",
        "document.querySelector('#player')?.dataset.step === '0'",
    )
    .await?;
    let mut syn = Vec::new();
    for _ in 0..6 {
        b.press(Key::Right).await?;
        let samples = sample_flights(b, 900).await?;
        syn = track(&samples, "SYN");
        if !syn.is_empty() {
            break;
        }
    }
    assert_travelled(&syn, "the SYN of the recording");
    b.press(Key::Right).await?;
    b.press(Key::Left).await?;
    let after_back = b
        .eval("document.querySelectorAll('#ladder .flight, #ladder .row.arriving').length")
        .await?;
    assert_eq!(after_back, 0, "stepping back moves nothing");
    // Motion off: stepping on shows the row at once.
    b.click("#motion").await?;
    let before = b
        .eval("document.querySelector('#player').dataset.step")
        .await?;
    b.press(Key::Right).await?;
    b.wait(
        "the next step",
        &format!("document.querySelector('#player').dataset.step !== {before}"),
    )
    .await?;
    let moving = b
        .eval("document.querySelectorAll('#ladder .flight, #ladder .row.arriving').length")
        .await?;
    assert_eq!(moving, 0, "with motion off nothing travels");
    let shown = b
        .eval("(() => { const step = document.querySelector('#player').dataset.step; const row = document.querySelector(`#ladder .row[data-step='${step}']`); return row !== null && getComputedStyle(row).opacity === '1'; })()")
        .await?;
    assert_eq!(shown, true, "the new row is there, whole");
    session.finish().await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_handshake_in_frames_and_in_both_languages() -> Result<()> {
    let session = open("handshake").await?;
    let b = &session.browser;
    step(b, 0).await?;
    // At a quarter of the speed, each packet takes two seconds to cross.
    b.choose("#speed", "¼×").await?;
    b.click("#lesson-step").await?;
    // A sequence of pictures while the handshake's packets travel.
    let mut in_flight = 0;
    for n in 0..8 {
        in_flight += b
            .eval("document.querySelectorAll('#ladder .flight').length")
            .await?
            .as_u64()
            .unwrap_or(0);
        b.screenshot(&format!("handshake-frame-{n}")).await?;
    }
    assert!(
        in_flight > 0,
        "the handshake's packets travel while pictured"
    );
    b.wait(
        "the handshake's last ACK",
        "Array.from(document.querySelectorAll('#ladder .row.packet')).some(r => r.dataset.label === 'ACK seq=1 ack=1')",
    )
    .await?;
    b.click("#lang-zh-CN").await?;
    b.wait(
        "the page in Chinese",
        "document.documentElement.lang === 'zh-CN'",
    )
    .await?;
    step(b, 2).await?;
    b.screenshot("handshake-zh").await?;
    session.finish().await
}
