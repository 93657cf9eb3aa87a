//! When a frame of live events reaches the views: at once, or gathered with
//! the frames queued behind it.
//!
//! Each render of the views costs a few milliseconds however few events it
//! brings, and more as a session grows. At rest a frame carries one socket
//! call's events and should be drawn the moment it arrives. During a bulk
//! transfer frames come faster than the page draws them; rendering each on
//! its own would spend the page's time redrawing, and it would fall further
//! behind with every frame.
//!
//! How far behind the page is shows in the events themselves: each carries
//! the time it happened on the relay's clock. The smallest delay seen
//! between an event happening and its frame arriving is the link's own
//! (plus any difference between the two machines' clocks); a frame whose
//! first event is more than [`LATE_MS`] later than that waited in a queue
//! behind several renders.
//! Such a frame is held, with every one after it until the flush, and the
//! flush comes no sooner than [`BUSY_DRAW_EVERY_MS`] after the last
//! render: while the page is behind it draws twice a second and spends
//! the rest of its time taking events in.
//!
//! Frames can also come faster than a person reads while the page keeps
//! up: a program sending a message every 10 ms makes a hundred frames a
//! second, each cheap to draw but each a render, a layout and a paint.
//! While more than [`BUSY_FRAMES_A_SECOND`] frames, or more than
//! [`BUSY_BYTES_A_SECOND`] bytes of them (a bulk transfer's frames are few
//! and large, and each costs a render that draws its bytes), arrived in
//! the last second, a frame that comes within [`BUSY_DRAW_EVERY_MS`] of
//! the last render waits for the next draw too. A frame at rest (a
//! learner's send, its segments a few hundred microseconds behind it) is
//! drawn at once.
//!
//! Twice a second is enough to follow a stream that no one can read
//! row by row: the ladder follows its newest rows, the counts and the
//! kernel's counters move on, and every row stays there to step through.
//! Each drawing costs about the same however many events it brings (the
//! ladder keeps only the rows on screen), so drawing less often is what
//! makes such a stream cheap: measured (`cargo xtask bench growing`), a
//! message every 10 ms cost the page 1.8–2.0 ms of main thread a message
//! drawn ten times a second, 1.1–1.3 ms four times and 0.9 ms twice.
//!
//! Held frames also end with their stream. A pause of [`PAUSE_MS`] in
//! the frames' arrival draws what is held without waiting for the next
//! draw, so a stream's last events are on screen a tenth of a second after
//! they arrive at most. A burst ends sooner: while the frames' events come
//! less than [`QUIET_MS`] apart on the relay's clock (500 sends made at
//! once), a pause of [`QUIET_MS`] draws them, so the burst's last event is
//! on screen a render after it arrives. Events that come at a pace (a
//! message every 10 ms) pause for no more than their gaps, except while
//! the page's own renders stall its reading of frames for longer: so a
//! pace is not taken for a burst, and a stream's end is waited for longer
//! than a render takes. A bulk transfer's frames (more than
//! [`BUSY_BYTES_A_SECOND`] a second) come back to back however dense their
//! events, and are never a burst.
//!
//! Measured (`cargo xtask bench bulk`): 100 MiB through a fresh page took
//! 14.8 s when every late frame brought a render of its own (the main
//! thread busy the whole time, 60% of it drawing), 1.7 s drawn ten
//! times a second (2.8 s on a later day), and 1.5 s twice a second.

/// How much later than the link's own delay a frame may arrive and still be
/// drawn on its own: a trickle of sends into a long session keeps the page
/// busy and its frames a few renders late, and some events are sent a
/// while after the moment they stamp (a send's acknowledgement, read from
/// the kernel's error queue); a transfer the page cannot keep up with is
/// seconds late. (At 20 ms, a fresh session's p99 went from about 10 ms
/// to 133 ms: its stamps were held for the next draw.)
pub const LATE_MS: f64 = 100.0;

/// How often the page draws while it is behind or events come fast: twice
/// a second (see the module's notes).
pub const BUSY_DRAW_EVERY_MS: f64 = 500.0;

/// Frames a second above which they come faster than a person reads: a
/// learner's sends make a few, each send's events one frame or two.
pub const BUSY_FRAMES_A_SECOND: usize = 30;

/// Bytes of frames a second above which a transfer is under way: four of
/// the relay's largest frames. A learner's sends make a few kilobytes.
pub const BUSY_BYTES_A_SECOND: usize = 1 << 20;

/// Events closer together than this make a burst, and a pause this long
/// in their frames' arrival ends it (see the module's notes): a burst's
/// frames reach the page back to back, each read as soon as the last one
/// is.
pub const QUIET_MS: f64 = 4.0;

/// A pause in the frames' arrival after which what is held is drawn
/// without waiting for the next draw: the end of a stream, or a burst's
/// last stragglers (a send's timestamps and counters come a little after
/// it), is on screen within this of its last frame (drawn ten times a
/// second, it was within this of the last render). It is several times as
/// long as a render of a grown session, during which the page reads no
/// frames.
pub const PAUSE_MS: f64 = 100.0;

/// The longest gap between frames the burst rule remembers: halved at
/// each frame, it is forgotten within five frames of a burst.
const BURST_MEMORY_MS: f64 = 100.0;

/// What to do with a frame that just arrived.
#[derive(Debug, PartialEq)]
pub enum Arrival<T> {
    /// Hand these to the views now.
    Now(Vec<T>),
    /// Held for the next flush; `flush_in_ms` when the caller must ask
    /// [`Backlog::due`] again that many milliseconds from now.
    Held { flush_in_ms: Option<f64> },
}

/// Frames held while the page is behind, and the link's delay.
#[derive(Debug)]
pub struct Backlog<T> {
    held: Vec<T>,
    flush_due: bool,
    /// The smallest delay seen from an event happening to its frame
    /// arriving, in milliseconds.
    link_delay_ms: Option<f64>,
    /// When events were last handed to the views, on the page's clock.
    last_drawn_ms: Option<f64>,
    /// When the frames of the last second arrived, oldest first, and
    /// their sizes.
    recent: VecDeque<(f64, usize)>,
    /// The sizes in `recent`, summed.
    recent_bytes: usize,
    /// When the held frames are to be drawn at the latest.
    draw_by_ms: f64,
    /// When the last frame's first event happened, on the relay's clock.
    last_happened_ms: Option<f64>,
    /// The time between the last two frames' first events (at most
    /// [`BURST_MEMORY_MS`]), or half the gap before it if that is longer, so
    /// a burst forgets the wait before it within a few frames: the pace
    /// the events come at, whatever the page's queue did to them.
    gap_ms: f64,
}

impl<T> Default for Backlog<T> {
    fn default() -> Self {
        Backlog {
            held: Vec::new(),
            flush_due: false,
            link_delay_ms: None,
            last_drawn_ms: None,
            recent: VecDeque::new(),
            recent_bytes: 0,
            draw_by_ms: 0.0,
            last_happened_ms: None,
            gap_ms: 0.0,
        }
    }
}

impl<T> Backlog<T> {
    /// A frame of `bytes` arrived at `now_ms`; its first event happened at
    /// `happened_ms` (both milliseconds since the Unix epoch, the first on
    /// the page's clock, the second on the relay's).
    pub fn arrive(
        &mut self,
        now_ms: f64,
        happened_ms: f64,
        bytes: usize,
        items: Vec<T>,
    ) -> Arrival<T> {
        if let Some(last) = self.last_happened_ms {
            self.gap_ms = (happened_ms - last)
                .min(BURST_MEMORY_MS)
                .max(self.gap_ms / 2.0);
        }
        self.last_happened_ms = Some(happened_ms);
        let delay = now_ms - happened_ms;
        let link = self.link_delay_ms.map_or(delay, |link| link.min(delay));
        self.link_delay_ms = Some(link);
        self.recent.push_back((now_ms, bytes));
        self.recent_bytes += bytes;
        while let Some(&(t, size)) = self.recent.front()
            && t < now_ms - 1000.0
        {
            self.recent.pop_front();
            self.recent_bytes -= size;
        }
        let busy =
            self.recent.len() > BUSY_FRAMES_A_SECOND || self.recent_bytes > BUSY_BYTES_A_SECOND;
        let drawn_just_now = self
            .last_drawn_ms
            .is_some_and(|last| now_ms - last < BUSY_DRAW_EVERY_MS);
        let late = delay - link > LATE_MS;
        let wait = self.flush_due || late || (busy && drawn_just_now);
        if !wait {
            self.last_drawn_ms = Some(now_ms);
            return Arrival::Now(items);
        }
        self.held.extend(items);
        if self.flush_due {
            return Arrival::Held { flush_in_ms: None };
        }
        self.flush_due = true;
        let next_draw = self
            .last_drawn_ms
            .map_or(now_ms, |last| last + BUSY_DRAW_EVERY_MS);
        // Clamped: the page's clock may have been set back since the last
        // render, and no frame should wait for it to catch up.
        self.draw_by_ms = now_ms + (next_draw - now_ms).clamp(0.0, BUSY_DRAW_EVERY_MS);
        Arrival::Held {
            flush_in_ms: Some(self.wait_ms(now_ms)),
        }
    }

    /// How long from `now_ms` until the held frames are due: at the next
    /// draw, or sooner once the frames have paused (a burst's for
    /// [`QUIET_MS`], any other's for [`PAUSE_MS`]).
    fn wait_ms(&self, now_ms: f64) -> f64 {
        let due = self.draw_by_ms - now_ms;
        let pause = if self.gap_ms < QUIET_MS && self.recent_bytes <= BUSY_BYTES_A_SECOND {
            QUIET_MS
        } else {
            PAUSE_MS
        };
        let last = self.recent.back().map_or(now_ms, |&(t, _)| t);
        due.min(last + pause - now_ms).max(0.0)
    }

    /// The held frames' timer, at `now_ms`: everything held if it is due
    /// (the next draw is due, or the frames paused), else how much
    /// longer to wait (a frame came since the timer was set).
    pub fn due(&mut self, now_ms: f64) -> Arrival<T> {
        if !self.flush_due {
            return Arrival::Held { flush_in_ms: None };
        }
        match self.wait_ms(now_ms) {
            0.0 => Arrival::Now(self.flush(now_ms)),
            wait => Arrival::Held {
                flush_in_ms: Some(wait),
            },
        }
    }

    /// Everything held, in order, drawn at `now_ms`.
    fn flush(&mut self, now_ms: f64) -> Vec<T> {
        self.flush_due = false;
        self.last_drawn_ms = Some(now_ms);
        std::mem::take(&mut self.held)
    }

    /// A new link, perhaps to another machine with another clock: its delay
    /// is learnt afresh.
    pub fn relinked(&mut self) {
        self.link_delay_ms = None;
        self.last_happened_ms = None;
    }
}

use std::collections::VecDeque;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_on_time_are_drawn_at_once_whatever_the_clocks_differ_by() {
        let mut backlog = Backlog::default();
        // The relay's clock is 500 ms behind the page's; frames take 1-3 ms.
        assert_eq!(
            backlog.arrive(1501.0, 1000.0, 0, vec![1]),
            Arrival::Now(vec![1])
        );
        assert_eq!(
            backlog.arrive(1603.0, 1100.0, 0, vec![2]),
            Arrival::Now(vec![2])
        );
        assert_eq!(
            backlog.arrive(1720.0, 1200.0, 0, vec![3]),
            Arrival::Now(vec![3])
        );
    }

    #[test]
    fn frames_that_waited_for_the_page_are_drawn_together_in_order() {
        let mut backlog = Backlog::default();
        assert_eq!(backlog.arrive(1.0, 0.0, 0, vec![1]), Arrival::Now(vec![1]));
        // The page was busy for 600 ms while these queued: the last
        // render was more than a draw ago, so they are drawn in the next
        // task.
        assert_eq!(
            backlog.arrive(601.0, 2.0, 0, vec![2, 3]),
            Arrival::Held {
                flush_in_ms: Some(0.0)
            }
        );
        // Later ones join the flush already asked for, even on time.
        assert_eq!(
            backlog.arrive(602.0, 601.0, 0, vec![4]),
            Arrival::Held { flush_in_ms: None }
        );
        assert_eq!(backlog.flush(603.0), vec![2, 3, 4]);
        // After the flush a frame on time is drawn at once again.
        assert_eq!(
            backlog.arrive(700.0, 699.0, 0, vec![5]),
            Arrival::Now(vec![5])
        );
        assert_eq!(backlog.flush(701.0), Vec::<i32>::new());
    }

    /// Frames `(arriving, happened, bytes)` in the order they arrive, the
    /// held frames' timer run whenever it is due (before a frame arriving
    /// at the same moment), up to `until`: each render's time and what it
    /// drew.
    fn renders(frames: &[(f64, f64, usize)], until: f64) -> Vec<(f64, Vec<usize>)> {
        fn fire(
            backlog: &mut Backlog<usize>,
            at: f64,
            out: &mut Vec<(f64, Vec<usize>)>,
        ) -> Option<f64> {
            match backlog.due(at) {
                Arrival::Now(items) => {
                    out.push((at, items));
                    None
                }
                Arrival::Held { flush_in_ms } => flush_in_ms.map(|wait| at + wait),
            }
        }
        let (mut backlog, mut timer, mut out) = (Backlog::default(), None, Vec::new());
        for (n, &(now, happened, bytes)) in frames.iter().enumerate() {
            while let Some(at) = timer.filter(|&at| at <= now) {
                timer = fire(&mut backlog, at, &mut out);
            }
            match backlog.arrive(now, happened, bytes, vec![n]) {
                Arrival::Now(items) => out.push((now, items)),
                Arrival::Held { flush_in_ms } => {
                    if let Some(wait) = flush_in_ms {
                        assert!(wait <= BUSY_DRAW_EVERY_MS, "{wait}");
                        timer = Some(now + wait);
                    }
                }
            }
        }
        while let Some(at) = timer.filter(|&at| at <= until) {
            timer = fire(&mut backlog, at, &mut out);
        }
        // Every frame drawn once, in order.
        let drawn: Vec<usize> = out.iter().flat_map(|(_, items)| items.clone()).collect();
        assert_eq!(drawn, (0..frames.len()).collect::<Vec<_>>());
        out
    }

    #[test]
    fn while_behind_the_page_draws_twice_a_second() {
        // Events 10 ms apart. A render at 1 took until 126: the twelve
        // frames queued meanwhile are read back to back, more than 100 ms
        // late, and the rest come as they happen, until 1200.
        let mut frames = vec![(1.0, 0.0, 0)];
        frames.extend((1..=120).map(|n| {
            let happened = f64::from(n) * 10.0;
            let now = if n <= 12 {
                126.0 + f64::from(n) * 0.1
            } else {
                happened + 1.0
            };
            (now, happened, 0)
        }));
        let drawn = renders(&frames, 2000.0);
        let times: Vec<f64> = drawn.iter().map(|(t, _)| *t).collect();
        // The queued frames, and those that joined them, half a second
        // after the last render; by then more than 30 came in a second, so
        // every half second after it, and the last a tenth of a second
        // after it arrived at 1201: events 10 ms apart are not a burst.
        assert_eq!(times, [1.0, 501.0, 1001.0, 1301.0]);
    }

    #[test]
    fn frames_faster_than_a_person_reads_are_drawn_twice_a_second() {
        // A frame every 10 ms for two seconds, each on time.
        let frames: Vec<_> = (0..200)
            .map(|n| {
                let now = f64::from(n) * 10.0;
                (now, now - 1.0, 0)
            })
            .collect();
        let drawn = renders(&frames, 3000.0);
        // Once more than 30 came in a second (the 31st, at 300), one render
        // half a second after the last, and the last frame (1990) a tenth
        // of a second after it came.
        let busy: Vec<f64> = drawn
            .iter()
            .map(|(t, _)| *t)
            .filter(|&t| t > 300.0)
            .collect();
        assert_eq!(busy, [790.0, 1290.0, 1790.0, 2090.0]);
    }

    #[test]
    fn a_bursts_last_frame_is_drawn_once_the_frames_pause() {
        // 500 sends at once: 40 frames of events a tenth of a millisecond
        // apart, read back to back after a first render of 20 ms.
        let mut frames = vec![(0.0, 0.0, 0)];
        frames.extend((1..40).map(|n| {
            let n = f64::from(n);
            (20.0 + n * 0.1, n * 0.1, 2000)
        }));
        let drawn = renders(&frames, 1000.0);
        let (last_at, last) = drawn.last().cloned().unwrap_or_default();
        assert!(last.contains(&39));
        // The last frame came at 23.9: drawn 4 ms later, not at the next
        // draw.
        assert!((last_at - 27.9).abs() < 1e-9, "{drawn:?}");
    }

    #[test]
    fn a_transfer_is_drawn_twice_a_second_and_once_it_pauses() {
        // Frames of a quarter mebibyte, 5 ms apart, for 600 ms, then none.
        let frames: Vec<_> = (0..120)
            .map(|n| {
                let now = f64::from(n) * 5.0;
                (now, now, 256 << 10)
            })
            .collect();
        let drawn = renders(&frames, 2000.0);
        let times: Vec<f64> = drawn.iter().map(|(t, _)| *t).collect();
        // The first four drawn at once; then half a second after the
        // last render, and the rest a tenth of a second after the last
        // frame, at 595.
        assert_eq!(times, [0.0, 5.0, 10.0, 15.0, 515.0, 695.0]);
    }

    #[test]
    fn a_transfers_large_frames_are_held_from_the_fifth() {
        let mut backlog = Backlog::default();
        let frame = 256 << 10;
        for n in 0..4 {
            let now = f64::from(n) * 5.0;
            assert_eq!(
                backlog.arrive(now, now, frame, vec![n]),
                Arrival::Now(vec![n])
            );
        }
        // A fifth quarter mebibyte within the second: a transfer. Its
        // timer asks again when the frames would have paused.
        assert_eq!(
            backlog.arrive(20.0, 20.0, frame, vec![4]),
            Arrival::Held {
                flush_in_ms: Some(100.0)
            }
        );
        // A sixth came meanwhile: the pause is counted from it.
        assert_eq!(
            backlog.arrive(60.0, 60.0, frame, vec![5]),
            Arrival::Held { flush_in_ms: None }
        );
        assert_eq!(
            backlog.due(120.0),
            Arrival::Held {
                flush_in_ms: Some(40.0)
            }
        );
        assert_eq!(backlog.due(160.0), Arrival::Now(vec![4, 5]));
    }

    #[test]
    fn a_clock_set_back_never_holds_a_frame_longer_than_a_draw() {
        let mut backlog = Backlog::default();
        assert_eq!(backlog.arrive(1e6, 1e6, 0, vec![1]), Arrival::Now(vec![1]));
        // The clock went back an hour; a late frame waits at most 500 ms.
        let held = backlog.arrive(1e6 - 3.6e6, 1e6 - 3.6e6 - 500.0, 0, vec![2]);
        assert!(
            matches!(held, Arrival::Held { flush_in_ms: Some(wait) } if (0.0..=BUSY_DRAW_EVERY_MS).contains(&wait)),
            "{held:?}"
        );
    }

    #[test]
    fn a_new_link_learns_its_delay_afresh() {
        let mut backlog = Backlog::default();
        assert_eq!(backlog.arrive(1.0, 0.0, 0, vec![1]), Arrival::Now(vec![1]));
        // A relay on another machine whose clock is 300 ms ahead: without
        // forgetting the old link, every frame would look late.
        backlog.relinked();
        assert_eq!(
            backlog.arrive(10.0, -290.0, 0, vec![2]),
            Arrival::Now(vec![2])
        );
        assert_eq!(
            backlog.arrive(20.0, -280.0, 0, vec![3]),
            Arrival::Now(vec![3])
        );
    }
}
