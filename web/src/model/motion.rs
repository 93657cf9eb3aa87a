//! What moves when the player steps on, and for how long.
//!
//! Stepping forward, playing, or a live event arriving brings new rows
//! into the ladder; those rows *travel* rather than appear: a segment flies
//! from its sender's lane to its receiver's and then settles into its row,
//! a call pulses on its lane, a state change grows out of it. Stepping back
//! moves nothing: the picture simply is as it was. A jump of many steps at
//! once (scrubbing, opening a file at its end, a bulk transfer arriving)
//! moves nothing either: there would be nothing to follow.
//!
//! This module decides *which* rows move and *how long* each motion takes;
//! the browser does the moving, with CSS animations of transforms and
//! opacity, so no frame of the motion runs Rust or re-renders the page.

use super::player::Speed;

/// At most this many steps move at once; a larger jump shows at once.
pub const MOST_MOVING: usize = 4;

/// The rows whose steps are in `first..=upto` travel, in step order (the
/// queue, [`InFlight`], puts them one after another).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moving {
    pub first: usize,
    pub upto: usize,
}

impl Moving {
    /// Whether `step` is one that moves.
    pub fn contains(&self, step: usize) -> bool {
        (self.first..=self.upto).contains(&step)
    }
}

/// What moves when the player goes from showing step `before` to `now`.
pub fn moving(before: Option<usize>, now: Option<usize>) -> Option<Moving> {
    let now = now?;
    let first = before.map_or(0, |b| b + 1);
    if now < first || now - first >= MOST_MOVING {
        return None;
    }
    Some(Moving { first, upto: now })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pace {
    /// Every step takes the same time, set by the speed: what a person can
    /// follow.
    #[default]
    Steady,
    /// Steps are spaced by their true gaps (scaled by the speed), so a
    /// 40 ms delayed ACK and a 200 ms retransmission timer look different
    /// from the microseconds between loopback packets.
    RealTime,
}

/// The shortest wait between two steps in real time: a browser frame
/// or two, so that microsecond gaps still show one step at a time.
pub const REAL_TIME_FLOOR_MS: u32 = 30;
/// The longest wait between two steps in real time: a 60 s TIME_WAIT or a
/// long pause is cut to this, and the page says so.
pub const REAL_TIME_CEILING_MS: u32 = 8_000;

impl Speed {
    /// How much faster than 1× this speed runs.
    pub fn factor(self) -> f64 {
        match self {
            Speed::Quarter => 0.25,
            Speed::Half => 0.5,
            Speed::One => 1.0,
            Speed::Two => 2.0,
            Speed::Four => 4.0,
        }
    }

    /// How long one step's motion takes: most of the time between two
    /// steps, so each settles before the next one starts.
    pub fn motion_ms(self) -> u32 {
        self.interval_ms() * 7 / 10
    }
}

/// The wait before the next step in real time, for a true gap of `gap_us`:
/// the gap divided by the speed, within the floor and the ceiling.
pub fn real_time_wait_ms(gap_us: u64, speed: Speed) -> u32 {
    let ms = gap_us as f64 / 1000.0 / speed.factor();
    // Clamped in f64 first, so no gap can overflow the cast.
    ms.clamp(
        f64::from(REAL_TIME_FLOOR_MS),
        f64::from(REAL_TIME_CEILING_MS),
    ) as u32
}

/// Whether a true gap is longer than real time shows it.
pub fn real_time_cut(gap_us: u64, speed: Speed) -> bool {
    gap_us as f64 / 1000.0 / speed.factor() > f64::from(REAL_TIME_CEILING_MS)
}

/// When a row's motion starts (after the render that brought it in) and
/// how long it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub delay_ms: u32,
    pub ms: u32,
}

impl Arrival {
    /// The CSS variables the animations read.
    pub fn style(self) -> String {
        format!("--delay:{}ms;--ms:{}ms", self.delay_ms, self.ms)
    }
}

/// The rows in motion, by log position. A row's motion is fixed when it
/// starts: events that arrive meanwhile queue behind it rather than cut it
/// short, so a live handshake shows its three packets one after another
/// even when they reach the page in three batches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InFlight {
    entries: Vec<Flying>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Flying {
    at: usize,
    arrival: Arrival,
    /// When its motion ends, on the clock `now_ms` is read from.
    ends_ms: f64,
}

impl InFlight {
    /// The player went from showing step `before` to `now` at `now_ms`;
    /// `moved` holds the log positions of the rows that moved, in step
    /// order, each taking `ms`. Stepping back or jumping (nothing moved
    /// though the step changed) stops every motion.
    pub fn on_step(
        &mut self,
        before: Option<usize>,
        now: Option<usize>,
        moved: &[usize],
        now_ms: f64,
        ms: u32,
    ) {
        if moved.is_empty() {
            if before != now {
                self.entries.clear();
            }
            return;
        }
        self.entries.retain(|f| f.ends_ms > now_ms);
        let mut start = self
            .entries
            .iter()
            .map(|f| f.ends_ms)
            .fold(now_ms, f64::max);
        // Events arriving faster than they can move would fall ever
        // further behind: a row waits at most one motion, and those that
        // would wait longer overlap, a quarter of a motion apart.
        let latest = now_ms + f64::from(ms);
        let mut waiting = 0.0;
        for &at in moved {
            if self.entries.iter().any(|f| f.at == at) {
                continue;
            }
            if start > latest + waiting {
                start = latest + waiting;
                waiting += f64::from(ms) / 4.0;
            }
            let delay_ms = (start - now_ms).max(0.0) as u32;
            let ends_ms = start + f64::from(ms);
            self.entries.push(Flying {
                at,
                arrival: Arrival { delay_ms, ms },
                ends_ms,
            });
            start = ends_ms;
        }
    }

    /// The motion of the row for the event at `at`, if it is moving.
    pub fn arrival(&self, at: usize) -> Option<Arrival> {
        self.entries.iter().find(|f| f.at == at).map(|f| f.arrival)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Whether the page moves things at all, and how long a motion takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MotionSettings {
    /// Off when the reader asked for less motion (the system setting or
    /// the page's toggle).
    pub on: bool,
    /// How long one step's motion takes, in milliseconds.
    pub ms: u32,
}

impl Default for MotionSettings {
    fn default() -> MotionSettings {
        MotionSettings {
            on: true,
            ms: Speed::default().motion_ms(),
        }
    }
}

impl MotionSettings {
    /// The motion for a player at `speed` and `pace`, `wait_ms` being the
    /// real-time wait before the next step when there is one: in real time
    /// a motion never outlasts the gap after it, but stays long enough
    /// (a tenth of a second) to be seen.
    pub fn of(on: bool, speed: Speed, pace: Pace, wait_ms: Option<u32>) -> MotionSettings {
        let steady = speed.motion_ms();
        let ms = match (pace, wait_ms) {
            (Pace::RealTime, Some(wait)) => wait.max(100).min(steady),
            _ => steady,
        };
        MotionSettings { on, ms }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_step_forward_moves_that_step() {
        let moving = moving(Some(4), Some(5)).expect("a step on moves");
        assert!(moving.contains(5));
        assert!(!moving.contains(4));
        assert!(!moving.contains(6));
    }

    #[test]
    fn the_first_step_of_all_moves() {
        let moving = moving(None, Some(0)).expect("the first step moves");
        assert!(moving.contains(0));
    }

    #[test]
    fn a_few_new_steps_move_one_after_another() {
        let moving = moving(Some(2), Some(5)).expect("three new steps move");
        let moves: Vec<_> = (0..8).map(|s| moving.contains(s)).collect();
        assert_eq!(moves, [false, false, false, true, true, true, false, false]);
    }

    #[test]
    fn stepping_back_or_standing_still_moves_nothing() {
        assert_eq!(moving(Some(5), Some(4)), None);
        assert_eq!(moving(Some(5), Some(5)), None);
        assert_eq!(moving(Some(5), None), None);
    }

    #[test]
    fn a_long_jump_moves_nothing() {
        assert_eq!(moving(Some(0), Some(1 + MOST_MOVING)), None);
        assert_eq!(moving(None, Some(99_999)), None);
        assert!(moving(Some(0), Some(MOST_MOVING)).is_some());
    }

    #[test]
    fn real_time_scales_true_gaps_by_the_speed() {
        // A 40 ms delayed ACK and a 200 ms timer differ; loopback's
        // microseconds take the floor.
        assert_eq!(real_time_wait_ms(40_000, Speed::One), 40);
        assert_eq!(real_time_wait_ms(200_000, Speed::One), 200);
        assert_eq!(real_time_wait_ms(200_000, Speed::Quarter), 800);
        assert_eq!(real_time_wait_ms(200_000, Speed::Four), 50);
        assert_eq!(real_time_wait_ms(12, Speed::One), REAL_TIME_FLOOR_MS);
        assert_eq!(
            real_time_wait_ms(60_000_000, Speed::One),
            REAL_TIME_CEILING_MS
        );
        assert_eq!(
            real_time_wait_ms(u64::MAX, Speed::Quarter),
            REAL_TIME_CEILING_MS
        );
        assert!(real_time_cut(60_000_000, Speed::One));
        assert!(!real_time_cut(200_000, Speed::One));
    }

    #[test]
    fn a_motion_fits_the_time_between_steps() {
        for speed in Speed::ALL {
            assert!(speed.motion_ms() < speed.interval_ms());
        }
        let steady = MotionSettings::of(true, Speed::One, Pace::Steady, Some(30));
        assert_eq!(steady.ms, Speed::One.motion_ms());
        let real = MotionSettings::of(true, Speed::One, Pace::RealTime, Some(30));
        assert_eq!(real.ms, 100, "short gaps still show a visible motion");
        let long = MotionSettings::of(true, Speed::One, Pace::RealTime, Some(5_000));
        assert_eq!(long.ms, Speed::One.motion_ms());
    }

    #[test]
    fn rows_that_arrive_while_others_move_queue_behind_them() {
        let mut flying = InFlight::default();
        // The SYN arrives alone; 100 ms later the SYN-ACK and ACK.
        flying.on_step(Some(1), Some(2), &[10], 1000.0, 500);
        flying.on_step(Some(2), Some(4), &[11, 12], 1100.0, 500);
        assert_eq!(
            flying.arrival(10),
            Some(Arrival {
                delay_ms: 0,
                ms: 500
            })
        );
        assert_eq!(
            flying.arrival(11),
            Some(Arrival {
                delay_ms: 400,
                ms: 500
            })
        );
        // It would wait 900 ms: it waits one motion at most.
        assert_eq!(
            flying.arrival(12),
            Some(Arrival {
                delay_ms: 500,
                ms: 500
            })
        );
        // Long after, a new row starts at once, and the finished ones go.
        flying.on_step(Some(4), Some(5), &[13], 5000.0, 500);
        assert_eq!(
            flying.arrival(13),
            Some(Arrival {
                delay_ms: 0,
                ms: 500
            })
        );
        assert_eq!(flying.arrival(10), None);
    }

    #[test]
    fn a_burst_of_rows_falls_behind_by_one_motion_at_most() {
        let mut flying = InFlight::default();
        for n in 0..20 {
            let t = 1000.0 + f64::from(n) * 10.0;
            let at = 100 + n as usize;
            flying.on_step(Some(at), Some(at + 1), &[at], t, 500);
            let delay = flying.arrival(at).map(|a| a.delay_ms);
            assert!(
                delay.is_some_and(|d| d <= 500 + 125 * 4),
                "row {n}: {delay:?}"
            );
        }
    }

    #[test]
    fn stepping_back_stops_every_motion() {
        let mut flying = InFlight::default();
        flying.on_step(Some(1), Some(2), &[10], 1000.0, 500);
        // A render at the same step changes nothing.
        flying.on_step(Some(2), Some(2), &[], 1010.0, 500);
        assert!(flying.arrival(10).is_some());
        flying.on_step(Some(2), Some(1), &[], 1020.0, 500);
        assert!(flying.is_empty());
    }
}
