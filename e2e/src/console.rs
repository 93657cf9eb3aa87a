//! What the browser logged: the page's console and the browser's own
//! messages about it (a failed request, a script error, a deprecation),
//! read from chromedriver's log endpoint.
//!
//! Chromium keeps these only when the session asks for them
//! ([`LOGGING_PREFS`], a capability `Browser::start` sends), and hands each
//! entry over once: every read returns what was logged since the last one.
//! The endpoint is a chromedriver extension, not W3C WebDriver, so fantoccini
//! has no method for it; [`crate::browser::SessionPost`] asks.
//!
//! A *problem* is an entry at level `SEVERE` or `WARNING`. `SEVERE` is what
//! DevTools shows in red: `console.error`, an uncaught exception, a request
//! that failed (a 404 favicon). `WARNING` is `console.warn` and the
//! browser's warnings about the page (a deprecated API, a blocked resource).
//! The page warns only of faults (web/src/relay.rs: a frame from the relay
//! it cannot read, a timer it cannot schedule), so a warning fails a test
//! as an error does.
//! `INFO` and `DEBUG` (`console.log`, `console.debug`) are not problems.

use serde_json::Value;

use crate::{HarnessError, Result};

/// The capability that makes Chromium keep every browser log entry.
pub const LOGGING_PREFS: &str = "goog:loggingPrefs";

/// The levels that count as problems, most serious first.
pub const PROBLEM_LEVELS: [&str; 2] = ["SEVERE", "WARNING"];

/// The problems among the log entries chromedriver returned (an array of
/// `{"level": "SEVERE", "source": "network", "message": "…", "timestamp": …}`),
/// each as one line: `SEVERE network: http://…/favicon.ico - Failed to load
/// resource: the server responded with a status of 404 (Not Found)`.
///
/// # Errors
/// When the answer is not an array of entries with a level and a message:
/// a log that cannot be read must not pass for a clean one.
pub fn problems(entries: &Value) -> Result<Vec<String>> {
    let entries = entries
        .as_array()
        .ok_or_else(|| HarnessError(format!("the browser log is not a list: {entries}")))?;
    let mut found = Vec::new();
    for entry in entries {
        let (Some(level), Some(message)) = (
            entry.get("level").and_then(Value::as_str),
            entry.get("message").and_then(Value::as_str),
        ) else {
            return Err(HarnessError(format!(
                "a browser log entry without level or message: {entry}"
            )));
        };
        if PROBLEM_LEVELS.contains(&level) {
            let source = entry
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            found.push(format!("{level} {source}: {message}"));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_and_warnings_are_problems_and_logs_are_not() {
        let entries = json!([
            { "level": "SEVERE", "source": "network", "timestamp": 1,
              "message": "http://127.0.0.1:1/favicon.ico - Failed to load resource: the server responded with a status of 404 (Not Found)" },
            { "level": "INFO", "source": "console-api", "timestamp": 2, "message": "\"hello\"" },
            { "level": "WARNING", "source": "console-api", "timestamp": 3, "message": "\"careful\"" },
            { "level": "DEBUG", "source": "console-api", "timestamp": 4, "message": "\"detail\"" },
        ]);
        assert_eq!(
            problems(&entries).ok(),
            Some(vec![
                "SEVERE network: http://127.0.0.1:1/favicon.ico - Failed to load resource: the server responded with a status of 404 (Not Found)".to_string(),
                "WARNING console-api: \"careful\"".to_string(),
            ])
        );
    }

    #[test]
    fn an_empty_log_has_no_problems() {
        assert_eq!(problems(&json!([])).ok(), Some(Vec::new()));
    }

    #[test]
    fn an_unreadable_log_is_an_error_not_a_clean_one() {
        assert!(problems(&json!({ "entries": [] })).is_err());
        assert!(problems(&json!([{ "source": "network" }])).is_err());
    }
}
