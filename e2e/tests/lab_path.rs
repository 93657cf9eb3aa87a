//! The path selector and a lab session in the browser.
//!
//! The selector sits beside the connection status: loopback is chosen,
//! the custom path form opens from "custom…" and says which field is out
//! of range before sending anything; a named path is sent to the relay,
//! whose answer (the path in force, or its refusal) shows there. A lab session's event log (hand-written
//! in the relay's format: `web/tests/live/lab-internet.events.json`), opened
//! with "Open capture…", draws each packet once: the lost one's arrow stops
//! at a ✕ with its fate, the others carry their one-way delay, the
//! duplicated ACK a ×2, and Wireshark's analysis flags sit under the arrows.
//!
//! Run with `cargo xtask test`, or `cargo test -p sockscope-e2e --test
//! lab_path` once the relay and `dist/` are built.

use serde_json::Value;
use sockscope_e2e::paths::workspace;
use sockscope_e2e::{Result, Session};

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_selector_offers_loopback_and_checks_a_custom_path() -> Result<()> {
    let session = Session::start("lab-path-selector").await?;
    let b = &session.browser;
    b.wait(
        "the hello",
        "document.querySelector('#connection')?.dataset.link === 'connected'",
    )
    .await?;
    let description = b
        .wait(
            "the path's description",
            "document.querySelector('#path-description')?.textContent",
        )
        .await?;
    assert_eq!(
        description.as_str(),
        Some("one kernel talking to itself: no delay, no loss")
    );
    b.screenshot("loopback").await?;
    let lab_on = b
        .eval("!document.querySelector('#path-picker option[value=internet]').disabled")
        .await?;
    if lab_on == Value::Bool(true) {
        b.choose("#path-picker select[name=path]", "custom").await?;
        b.wait("the custom form", "document.querySelector('#path-custom')")
            .await?;
        b.fill(
            "#path-custom input[name='client_to_server.loss_percent']",
            "150",
        )
        .await?;
        b.click("#path-apply").await?;
        let complaint = b
            .wait(
                "the complaint beside the loss field",
                "document.querySelector('#path-custom .field-error')?.textContent",
            )
            .await?;
        assert_eq!(complaint.as_str(), Some("must be from 0 to 100"));
        b.screenshot("custom").await?;
        // A named path goes to the relay: it is in force, or the refusal
        // shows beside the selector (a relay whose sessions have no lab yet).
        b.choose("#path-picker select[name=path]", "internet")
            .await?;
        let answer = b
            .wait(
                "the relay's answer to set_path",
                "document.querySelector('#path-picker .form-error')?.textContent \
                 || (document.querySelector('#path-picker')?.dataset.path === 'internet' && 'in force')",
            )
            .await?;
        assert!(!answer.as_str().unwrap_or_default().is_empty(), "{answer}");
        b.screenshot("internet").await?;
    } else {
        let note = b
            .wait(
                "the lab-off note",
                "document.querySelector('#lab-off')?.textContent",
            )
            .await?;
        assert!(!note.as_str().unwrap_or_default().is_empty());
    }
    session.finish().await
}

#[tokio::test]
async fn a_lab_session_draws_each_packet_once_with_its_trip() -> Result<()> {
    let session = Session::start("lab-path-session").await?;
    let b = &session.browser;
    b.open_capture(&workspace().join("web/tests/live/lab-internet.events.json"))
        .await?;
    b.wait(
        "the file to be shown",
        "document.querySelector('#open-name')?.textContent.includes('lab-internet')",
    )
    .await?;
    b.click("#go-live").await?;
    let drops = b
        .wait(
            "the dropped packet's ✕",
            "Array.from(document.querySelectorAll('#ladder .path-drop text')).map(t => t.textContent)",
        )
        .await?;
    assert_eq!(strings(&drops), ["lost on the path"]);
    let notes = strings(
        &b.eval(
            "Array.from(document.querySelectorAll('#ladder .path-note')).map(t => t.textContent)",
        )
        .await?,
    );
    assert!(notes.iter().any(|n| n == "+20.1 ms"), "{notes:?}");
    assert!(notes.iter().any(|n| n.ends_with("×2")), "{notes:?}");
    let flags = strings(
        &b.eval("Array.from(document.querySelectorAll('#ladder .analysis-flag text')).map(t => t.textContent)")
            .await?,
    );
    assert_eq!(
        flags,
        [
            "TCP Previous segment not captured",
            "TCP Dup ACK",
            "TCP Retransmission"
        ]
    );
    let rows = b
        .eval("document.querySelectorAll('#ladder .row.packet').length")
        .await?;
    assert_eq!(rows.as_u64(), Some(10));
    b.click_in_page("#ladder .row.packet:has(.analysis-flag[data-flag=retransmission])")
        .await?;
    let detail = b
        .wait(
            "the detail pane's analysis",
            "document.querySelector('#detail-analysis')?.textContent",
        )
        .await?;
    assert!(
        detail
            .as_str()
            .unwrap_or_default()
            .starts_with("TCP Retransmission"),
        "{detail}"
    );
    b.screenshot("ladder").await?;
    session.finish().await
}
