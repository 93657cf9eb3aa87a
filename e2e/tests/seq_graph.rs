//! The time-sequence graph in headless Chromium: a capture file's data
//! segments drawn where tshark puts them, zoomed and panned from the
//! keyboard, and a click on a bar selecting its segment.

use fantoccini::key::Key;
use serde_json::Value;
use sockscope_e2e::paths::workspace;
use sockscope_e2e::{HarnessError, Result, Session};

/// The bars drawn: `[low, high, segments, at]` each, left to right, as
/// the graph lists what its paths draw.
const BARS: &str = "document.querySelector('#seq-graph').dataset.bars.split(';').filter(s => s).map(s => s.split(' ').map(Number))";

/// The client x of the bars, left to right, read from the paths that
/// draw them (`M x y V y` each).
const BAR_XS: &str = "const svg = document.querySelector('#seq-graph svg'); const r = svg.getBoundingClientRect(); \
    const scale = r.width / svg.viewBox.baseVal.width; \
    const xs = Array.from(document.querySelectorAll('#seq-graph .seg-bars')).flatMap(p => (p.getAttribute('d').match(/M[0-9.]+/g) || []).map(m => r.left + m.slice(1) * scale)).sort((a, b) => a - b);";

/// tshark's data segments from port `src`: (relative seq, len).
fn tshark_data(file: &std::path::Path, src: &str) -> Result<Vec<(u64, u64)>> {
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-Y", &format!("tcp.srcport == {src} && tcp.len > 0")])
        .args(["-T", "fields", "-e", "tcp.seq", "-e", "tcp.len"])
        .output()
        .map_err(|e| HarnessError(format!("tshark: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let segments: Vec<(u64, u64)> = text
        .lines()
        .filter_map(|line| {
            let (seq, len) = line.split_once('\t')?;
            Some((seq.parse().ok()?, len.parse().ok()?))
        })
        .collect();
    if segments.is_empty() {
        return Err(HarnessError(format!(
            "tshark read no data segments from port {src}"
        )));
    }
    Ok(segments)
}

fn numbers(row: &Value) -> Vec<u64> {
    row.as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_capture_files_segments_are_the_graphs_bars() -> Result<()> {
    let session = Session::start("seq-graph").await?;
    let b = &session.browser;
    let file = workspace().join("testdata/captures/03-sticky-small-sends.pcapng");
    b.open_capture(&file).await?;
    b.wait(
        "the graph",
        "document.querySelector('#seq-graph')?.dataset.bars?.length > 0",
    )
    .await?;
    // The direction that carried the bytes: the client's three sends.
    let from = b
        .eval("document.querySelector('#seq-graph .meta').textContent.split(' → ')[0].split(':').pop()")
        .await?;
    let expected = tshark_data(&file, from.as_str().unwrap_or_default())?;
    let read_bars = || async {
        Ok::<_, HarnessError>(
            b.eval(BARS)
                .await?
                .as_array()
                .map(|a| a.iter().map(numbers).collect::<Vec<Vec<u64>>>())
                .unwrap_or_default(),
        )
    };
    // Over the whole connection, sends microseconds apart share a pixel
    // column: one bar from the first byte to the last, counting them all.
    let bars = read_bars().await?;
    let total: u64 = expected.iter().map(|(_, len)| len).sum();
    assert_eq!(
        bars.iter().map(|bar| bar[2]).sum::<u64>(),
        expected.len() as u64,
        "{bars:?}"
    );
    assert_eq!(bars.first().map(|bar| bar[0]), Some(expected[0].0));
    assert_eq!(bars.last().map(|bar| bar[1]), Some(expected[0].0 + total));
    b.screenshot_of("#seq-graph", "capture-03-whole").await?;
    // The wheel just left of the first bar zooms in around it until each
    // segment has a column of its own: then each bar is one segment, where
    // tshark has it.
    let wheel = format!(
        "(() => {{ {BAR_XS} svg.dispatchEvent(new WheelEvent('wheel', {{ bubbles: true, cancelable: true, deltaY: -100, clientX: xs[0] - 2, clientY: r.top + 50 }})); return 0; }})()"
    );
    let mut bars = bars;
    for _ in 0..80 {
        if bars.len() == expected.len() {
            break;
        }
        b.eval(&wheel).await?;
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        bars = read_bars().await?;
    }
    let drawn: Vec<(u64, u64)> = bars.iter().map(|bar| (bar[0], bar[1] - bar[0])).collect();
    assert_eq!(drawn, expected, "bars (seq, len) against tshark");
    b.screenshot_of("#seq-graph", "capture-03-zoomed").await?;
    let segments = b
        .eval("document.querySelector('#seq-graph').dataset.segments")
        .await?;
    assert_eq!(segments, expected.len().to_string());

    // A click on the second bar selects its segment in the detail pane.
    let second = bars.get(1).map(|bar| bar[3]).unwrap_or_default();
    // At the bar's own place across the graph, as a pointer would.
    b.eval(&format!(
        "(() => {{ {BAR_XS} svg.dispatchEvent(new MouseEvent('click', {{ bubbles: true, clientX: xs[1], clientY: r.top + 50 }})); return 0; }})()"
    ))
    .await?;
    let index = b
        .wait(
            "the detail pane to show the clicked segment",
            "document.querySelector('#detail')?.dataset.index",
        )
        .await?;
    let label = b
        .eval("document.querySelector('#ladder .row.selected')?.dataset.label ?? ''")
        .await?;
    assert!(
        label.as_str().is_some_and(|l| l.contains("len=5")),
        "selected row {label} (detail {index}, bar at {second})"
    );
    // `0` shows the whole again; `+` zooms in from the keyboard.
    let key = |k: &str| {
        format!(
            "document.querySelector('#seq-graph svg').dispatchEvent(new KeyboardEvent('keydown', {{ key: '{k}', bubbles: true }}))"
        )
    };
    let span = "(() => { const g = document.querySelector('#seq-graph').dataset; return g.toUs - g.fromUs; })()";
    let zoomed = b.eval(span).await?.as_f64().unwrap_or_default();
    b.eval(&key("0")).await?;
    b.wait("the whole connection", &format!("{span} > {zoomed}"))
        .await?;
    let whole = b.eval(span).await?.as_f64().unwrap_or_default();
    b.eval(&key("+")).await?;
    b.eval(&key("+")).await?;
    b.wait("the window to narrow", &format!("{span} < {whole} * 0.7"))
        .await?;
    // Panned right from the keyboard's focus, then the whole again.
    b.eval("document.querySelector('#seq-graph svg').focus()")
        .await?;
    let from = "document.querySelector('#seq-graph').dataset.fromUs * 1";
    let before = b.eval(from).await?.as_f64().unwrap_or_default();
    b.press(Key::Right).await?;
    b.wait("the window to move later", &format!("{from} > {before}"))
        .await?;
    b.eval(&key("0")).await?;
    b.wait("the whole again", &format!("{span} === {whole}"))
        .await?;

    session.finish().await
}
