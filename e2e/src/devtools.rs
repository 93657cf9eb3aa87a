//! Chrome DevTools Protocol commands through chromedriver, for what
//! WebDriver cannot measure: how long the page's main thread was busy.
//!
//! chromedriver forwards `POST /session/{id}/goog/cdp/execute` with
//! `{"cmd": "Domain.method", "params": {…}}` to the browser and answers with
//! the command's result. It is a chromedriver extension, so fantoccini has
//! no method for it; [`crate::browser::SessionPost`] asks.
//!
//! [`MainThread`] reads `Performance.getMetrics`: `TaskDuration` is the
//! seconds the renderer's main thread spent running tasks (script, style,
//! layout, paint, garbage collection) since the page loaded, the figure
//! DevTools' Performance monitor plots as "CPU usage".
//!
//! [`wasm_memory_bytes`] finds the page's WebAssembly memory among its
//! objects.
//!
//! [`start_profile`] and [`stop_profile`] take a CPU profile of the page:
//! a `.cpuprofile` that DevTools' Performance panel opens (function names
//! need the page built as BENCHMARKS.md's "Profiling the page" says).

use serde_json::{Value, json};

use crate::{Browser, HarnessError, Result};

/// What the page's main thread has done since it loaded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MainThread {
    /// Seconds spent running tasks.
    pub task_s: f64,
    /// Seconds of those spent in script.
    pub script_s: f64,
    /// Seconds spent working out styles.
    pub style_s: f64,
    /// Seconds spent in layout.
    pub layout_s: f64,
    /// Layouts done, each of the page or a part of it.
    pub layouts: f64,
    /// The JavaScript heap in use, in bytes (the wasm memory is not in it).
    pub js_heap_bytes: f64,
}

impl MainThread {
    /// Turns DevTools' performance metrics on; [`MainThread::read`] needs it.
    ///
    /// # Errors
    /// When the session is gone or chromedriver refuses the command.
    pub async fn enable(b: &Browser) -> Result<()> {
        devtools(b, "Performance.enable", json!({})).await?;
        Ok(())
    }

    /// The main thread's totals now.
    ///
    /// # Errors
    /// When the session is gone, or the answer lacks a metric.
    pub async fn read(b: &Browser) -> Result<MainThread> {
        let answer = devtools(b, "Performance.getMetrics", json!({})).await?;
        let metric = |name: &str| -> Result<f64> {
            answer["metrics"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|m| m["name"] == name)
                .and_then(|m| m["value"].as_f64())
                .ok_or_else(|| HarnessError(format!("DevTools reported no {name}: {answer}")))
        };
        Ok(MainThread {
            task_s: metric("TaskDuration")?,
            script_s: metric("ScriptDuration")?,
            style_s: metric("RecalcStyleDuration")?,
            layout_s: metric("LayoutDuration")?,
            layouts: metric("LayoutCount")?,
            js_heap_bytes: metric("JSHeapUsedSize")?,
        })
    }
}

/// Runs one DevTools command and returns its result.
///
/// # Errors
/// When the session is gone or chromedriver refuses the command.
pub async fn devtools(b: &Browser, cmd: &str, params: Value) -> Result<Value> {
    b.post("goog/cdp/execute", json!({ "cmd": cmd, "params": params }))
        .await
}

/// Starts DevTools' sampling CPU profiler, sampling every `interval_us`.
///
/// # Errors
/// When the session is gone or chromedriver refuses the command.
pub async fn start_profile(b: &Browser, interval_us: u32) -> Result<()> {
    devtools(b, "Profiler.enable", json!({})).await?;
    devtools(
        b,
        "Profiler.setSamplingInterval",
        json!({ "interval": interval_us }),
    )
    .await?;
    devtools(b, "Profiler.start", json!({})).await?;
    Ok(())
}

/// Stops the profiler [`start_profile`] started and writes its profile to
/// `path`.
///
/// # Errors
/// When the session is gone, chromedriver refuses the command, or the
/// file cannot be written.
pub async fn stop_profile(b: &Browser, path: &std::path::Path) -> Result<()> {
    let taken = devtools(b, "Profiler.stop", json!({})).await?;
    std::fs::write(path, taken["profile"].to_string())
        .map_err(|e| HarnessError(format!("cannot write {}: {e}", path.display())))
}

/// The bytes of every WebAssembly memory the page's main context holds:
/// the page's heap, whose size is its high-water mark (wasm memory grows
/// and never shrinks). Found by DevTools among the page's objects
/// (`Runtime.queryObjects` on `WebAssembly.Memory.prototype`), so the
/// page neither takes part nor can get it wrong; a worker's memory is in
/// a context of its own and not counted.
///
/// # Errors
/// When the session is gone, chromedriver refuses a command, or DevTools
/// finds no memory (the page's module has not started).
pub async fn wasm_memory_bytes(b: &Browser) -> Result<u64> {
    let prototype = devtools(
        b,
        "Runtime.evaluate",
        json!({ "expression": "WebAssembly.Memory.prototype" }),
    )
    .await?;
    let prototype_id = object_id(&prototype["result"], "WebAssembly.Memory.prototype")?;
    let found = devtools(
        b,
        "Runtime.queryObjects",
        json!({ "prototypeObjectId": prototype_id }),
    )
    .await?;
    let memories_id = object_id(&found["objects"], "the page's wasm memories")?;
    let sizes = devtools(
        b,
        "Runtime.callFunctionOn",
        json!({
            "objectId": memories_id,
            "functionDeclaration": "function () { return this.map(m => m.buffer.byteLength); }",
            "returnByValue": true,
        }),
    )
    .await?;
    let sizes: Vec<u64> = sizes["result"]["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    if sizes.is_empty() {
        return Err(HarnessError(
            "DevTools found no WebAssembly memory in the page: has its module started?".into(),
        ));
    }
    Ok(sizes.iter().sum())
}

/// The `objectId` of a DevTools `RemoteObject`.
fn object_id(remote: &Value, what: &str) -> Result<String> {
    remote["objectId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| HarnessError(format!("DevTools gave no handle on {what}: {remote}")))
}
