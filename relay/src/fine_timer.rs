//! Waits shorter than a millisecond, kept short.
//!
//! tokio's timers tick in whole milliseconds and round every deadline up to
//! the next tick, so "wait 300 µs" becomes a wait of one to two
//! milliseconds. The event writer waits that briefly for each moment's
//! stragglers (see [`crate::ws::write_events`]), and what it waits is added
//! to the latency a learner sees, so it sleeps on one of tokio's blocking
//! threads instead: the thread sleeps on the kernel's high-resolution timer
//! (overshooting by tens of microseconds) and the waiting task is woken
//! when it returns.
//!
//! A wait given up early (the awaited event came first) lets its thread
//! finish sleeping on its own; nothing else is held. Each page's writer
//! waits at most once at a time, and pages are capped (`--max-sessions`),
//! so the threads asleep at once are few, and tokio's pool reuses them.

use std::time::Duration;

use tokio::time::Instant;

/// Waits longer than this go to tokio's own timer: a tick's rounding no
/// longer matters there, and no thread is kept asleep for long.
const FINE_UP_TO: Duration = Duration::from_millis(5);

/// Completes at `deadline`, or at once if it has passed.
pub async fn sleep_until(deadline: Instant) {
    let wait = deadline.saturating_duration_since(Instant::now());
    if wait.is_zero() {
        return;
    }
    if wait > FINE_UP_TO
        || tokio::task::spawn_blocking(move || std::thread::sleep(wait))
            .await
            .is_err()
    {
        tokio::time::sleep_until(deadline).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn never_wakes_before_its_deadline() {
        for micros in [50, 300, 700, 1500, 6000] {
            let start = Instant::now();
            sleep_until(start + Duration::from_micros(micros)).await;
            assert!(start.elapsed() >= Duration::from_micros(micros));
        }
    }

    #[tokio::test]
    async fn a_passed_deadline_returns_at_once() {
        let start = Instant::now();
        let past = start.checked_sub(Duration::from_millis(5)).unwrap_or(start);
        sleep_until(past).await;
        assert!(start.elapsed() < Duration::from_millis(5));
    }
}
