//! When the forwarder wakes for its next release, and how it gets the CPU
//! on time: a delay line is only as exact as its wake-ups.
//!
//! Three things made a 20 ms delay overshoot, measured with kernel receive
//! timestamps (`lab/benches/lab.rs`, docs/BENCHMARKS.md):
//!
//! - **`ppoll`'s own slack.** The kernel lets a `poll`/`select` timeout
//!   fire late by 0.1% of its length, whatever the thread's timer slack
//!   (`select_estimate_accuracy`): 20 µs at 20 ms, 300 µs at 300 ms, 10 ms
//!   at 10 s. A timerfd on `CLOCK_MONOTONIC`, armed at an absolute time,
//!   fires with the thread's timer slack alone, set to 1 ns.
//! - **Waking up.** A thread asleep for milliseconds on an idle virtual
//!   CPU takes tens of microseconds to run again once its timer fires. The
//!   timer is set `SPIN` early, and the thread then polls its devices
//!   without sleeping until the release. It spins only after such a timer,
//!   never while packets stream (then the next release is always near and
//!   the timer is set to it exactly), so spinning costs at most `SPIN` per
//!   wake-up.
//! - **Other work on the machine.** A busy core keeps a woken thread of
//!   the normal class waiting for its turn (milliseconds while builds
//!   run). The forwarder asks for the lowest real-time priority
//!   (`SCHED_FIFO` 1), which runs it as soon as it wakes; the kernel's
//!   real-time throttling still leaves 5% of each core to other threads.
//!   Without `CAP_SYS_NICE` the request is refused and the thread stays in
//!   the normal class: the path is then exact on a quiet machine only.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};

/// How long before a release the thread wakes to spin, covering the time
/// a sleeping thread takes to run again.
pub const SPIN: Duration = Duration::from_micros(50);

/// The forwarder's timer.
#[derive(Debug)]
pub struct Alarm {
    timer: TimerFd,
    /// The release the timer is set for, and whether it fires `SPIN`
    /// early.
    armed: Option<(Instant, bool)>,
    /// The release the timer fired early for: poll until it.
    spinning: Option<Instant>,
}

impl Alarm {
    /// A disarmed alarm.
    ///
    /// # Errors
    ///
    /// The errno of `timerfd_create`.
    pub fn new() -> io::Result<Alarm> {
        let timer = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?;
        Ok(Alarm {
            timer,
            armed: None,
            spinning: None,
        })
    }

    /// Asks for the calling thread to run as soon as it wakes (see the
    /// module's doc); false when the system refuses.
    pub fn prioritise_this_thread() -> bool {
        let _exact = nix::sys::prctl::set_timerslack(1);
        thread_priority::set_thread_priority_and_policy(
            thread_priority::thread_native_id(),
            thread_priority::ThreadPriority::Min,
            thread_priority::ThreadSchedulePolicy::Realtime(
                thread_priority::RealtimeThreadSchedulePolicy::Fifo,
            ),
        )
        .is_ok()
    }

    /// Sets the timer for the release at `next`, if any, and returns the
    /// timeout for `ppoll`: none (the timer or a packet wakes the thread),
    /// or zero while spinning to the release.
    pub fn prepare(&mut self, next: Option<Instant>, now: Instant) -> Option<TimeSpec> {
        let Some(at) = next else {
            self.spinning = None;
            if self.armed.take().is_some() {
                let _unset = self.timer.unset();
            }
            return None;
        };
        if self.spinning == Some(at) {
            return Some(TimeSpec::from_duration(Duration::ZERO));
        }
        // That release is out, and the next was not woken early for.
        self.spinning = None;
        let gap = at.saturating_duration_since(now);
        let (fire, early) = match at.checked_sub(SPIN) {
            Some(fire) if gap > SPIN => (fire, true),
            _ => (at, false),
        };
        if self.armed == Some((at, early)) {
            return None;
        }
        match self.set(fire) {
            Ok(()) => {
                self.armed = Some((at, early));
                None
            }
            // Without the timer, ppoll's own timeout, less exact.
            Err(_) => Some(TimeSpec::from_duration(fire.saturating_duration_since(now))),
        }
    }

    /// The timer's file descriptor was readable: it fired.
    pub fn fired(&mut self) {
        let _ticks = nix::unistd::read(&self.timer, &mut [0u8; 8]);
        if let Some((at, true)) = self.armed.take() {
            self.spinning = Some(at);
        }
    }

    /// Arms the timer at `fire`, as an absolute time on the monotonic clock
    /// (`Instant`'s own on Linux), so that the time between reading the
    /// clock and arming does not add to the delay.
    fn set(&self, fire: Instant) -> nix::Result<()> {
        let clock = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)?;
        let deadline =
            clock + TimeSpec::from_duration(fire.saturating_duration_since(Instant::now()));
        self.timer.set(
            Expiration::OneShot(deadline),
            TimerSetTimeFlags::TFD_TIMER_ABSTIME,
        )
    }
}

impl AsFd for Alarm {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.timer.as_fd()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn spins_only_after_an_early_timer() {
        let mut alarm = Alarm::new().unwrap();
        let now = Instant::now();
        let zero = Some(TimeSpec::from_duration(Duration::ZERO));
        // Nothing to release: sleep until a packet comes.
        assert_eq!(alarm.prepare(None, now), None);
        // A release far off: the timer, set early.
        let far = now + Duration::from_millis(20);
        assert_eq!(alarm.prepare(Some(far), now), None);
        assert_eq!(alarm.armed, Some((far, true)));
        // It fired: spin to the release.
        alarm.fired();
        assert_eq!(alarm.prepare(Some(far), far - SPIN), zero);
        // Packets streaming, each release near: the timer, set exactly.
        let near = far + Duration::from_micros(10);
        assert_eq!(alarm.prepare(Some(near), far), None);
        assert_eq!(alarm.armed, Some((near, false)));
        alarm.fired();
        assert_eq!(alarm.prepare(Some(near), far), None, "no spin");
        assert_eq!(alarm.prepare(None, near), None);
        assert_eq!(alarm.armed, None);
    }
}
