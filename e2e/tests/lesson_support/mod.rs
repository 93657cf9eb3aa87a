//! What the lesson tests share: open the page on a lesson, run it or step
//! it, and read what the learner sees (the diagram's rows, each step's
//! result, the byte streams, the UDP datagrams).
//!
//! Everything is read from the page's DOM, through the ids and `data-*`
//! attributes the components set, never from the relay directly: the tests
//! check what a learner would see.

// Each test file compiles this module on its own and uses only some of it.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;
use sockscope_e2e::{Browser, HarnessError, Result, Session};

/// A whole lesson may wait for a retransmitted SYN (about a second) and
/// its pauses, on a two-core machine running a browser.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts a relay and a browser and opens the page on lesson `id`
/// (`?token=…&lesson=id`), once connected to the relay.
pub async fn open(id: &str) -> Result<Session> {
    let session = Session::start(&format!("lesson-{id}")).await?;
    let url = format!("{}&lesson={id}", session.relay.url);
    let b = &session.browser;
    b.goto(&url).await?;
    b.wait_connected().await?;
    b.wait(
        &format!("the lesson panel to show {id}"),
        &format!("document.querySelector('#lesson')?.dataset.lesson === '{id}'"),
    )
    .await?;
    let capture = b.capture_state().await?;
    if capture != "on" {
        return Err(HarnessError(
            "lessons show packets on the wire: the relay needs capture (run as root or setcap)"
                .into(),
        ));
    }
    Ok(session)
}

/// Presses Run and waits until every step has run and answered.
pub async fn run_to_end(b: &Browser) -> Result<()> {
    b.click("#lesson-run").await?;
    b.wait_for(
        "the lesson to finish",
        "document.querySelector('#lesson')?.dataset.status === 'done' || document.querySelector('#lesson')?.dataset.status === 'halted'",
        RUN_TIMEOUT,
    )
    .await?;
    let status = status(b).await?;
    if status != "done" {
        let why = b
            .eval("document.querySelector('#lesson-status')?.textContent")
            .await?;
        return Err(HarnessError(format!("the lesson stopped: {why}")));
    }
    Ok(())
}

/// Presses Step and waits until step `n` (from 0) has its answer.
pub async fn step(b: &Browser, n: usize) -> Result<()> {
    b.click("#lesson-step").await?;
    b.wait(
        &format!("step {} to answer", n + 1),
        &format!(
            "['done', 'error'].includes(document.querySelector(\"#lesson-steps li[data-step='{n}']\")?.dataset.state)"
        ),
    )
    .await?;
    Ok(())
}

/// The panel's `data-status`.
pub async fn status(b: &Browser) -> Result<String> {
    let value = b
        .eval("document.querySelector('#lesson')?.dataset.status")
        .await?;
    Ok(value.as_str().unwrap_or_default().to_string())
}

fn strings(value: Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The labels of the diagram's rows of `kind` (`call` or `packet`), in
/// the order drawn.
pub async fn rows(b: &Browser, kind: &str) -> Result<Vec<String>> {
    let value = b
        .eval(&format!(
            "Array.from(document.querySelectorAll('#ladder .row.{kind}')).map(r => r.dataset.label)"
        ))
        .await?;
    Ok(strings(value))
}

/// Every row's label, calls and packets, in the order drawn (time order).
pub async fn all_rows(b: &Browser) -> Result<Vec<String>> {
    let value = b
        .eval("Array.from(document.querySelectorAll('#ladder .row')).map(r => r.dataset.label)")
        .await?;
    Ok(strings(value))
}

/// Call labels (`recv(1024) → 11 bytes "onetwothree"`), in order.
pub async fn calls(b: &Browser) -> Result<Vec<String>> {
    rows(b, "call").await
}

/// Packet labels (`SYN, ACK seq=0 ack=1`), in order.
pub async fn packets(b: &Browser) -> Result<Vec<String>> {
    rows(b, "packet").await
}

/// What each step got back, as the step list shows it ("" before it ran).
pub async fn results(b: &Browser) -> Result<Vec<String>> {
    let value = b
        .eval(
            "Array.from(document.querySelectorAll('#lesson-steps li')).map(li => li.querySelector('.result')?.dataset.result ?? '')",
        )
        .await?;
    Ok(strings(value))
}

/// The result of step `n` (from 0).
pub async fn result(b: &Browser, n: usize) -> Result<String> {
    Ok(results(b).await?.get(n).cloned().unwrap_or_default())
}

/// Evaluates `expression` to a list of strings.
pub async fn list(b: &Browser, expression: &str) -> Result<Vec<String>> {
    Ok(strings(b.eval(expression).await?))
}

/// Position of the first label starting with `prefix`.
pub fn find(labels: &[String], prefix: &str) -> Option<usize> {
    labels.iter().position(|l| l.starts_with(prefix))
}

/// How many labels start with `prefix`.
pub fn count(labels: &[String], prefix: &str) -> usize {
    labels.iter().filter(|l| l.starts_with(prefix)).count()
}
