//! The player cursor: which step of the session the views show.
//!
//! By default the player follows the live end: each new call or packet is
//! shown as it arrives. Stepping back stops following, so a learner can
//! walk through what happened one step at a time while more events keep
//! arriving; stepping forward past the last step, or pressing "live",
//! follows again. Playing advances one step per tick; the component owns
//! the timer and calls [`Player::tick`], so this stays plain data. The
//! [`Pace`] says how the ticks are spaced: evenly, or by the true gaps
//! between the steps.

pub use super::motion::Pace;

/// How fast playing advances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Speed {
    Quarter,
    Half,
    #[default]
    One,
    Two,
    Four,
}

impl Speed {
    pub const ALL: [Speed; 5] = [
        Speed::Quarter,
        Speed::Half,
        Speed::One,
        Speed::Two,
        Speed::Four,
    ];

    /// Milliseconds between steps while playing.
    pub fn interval_ms(self) -> u32 {
        match self {
            Speed::Quarter => 3200,
            Speed::Half => 1600,
            Speed::One => 800,
            Speed::Two => 400,
            Speed::Four => 200,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Speed::Quarter => "¼×",
            Speed::Half => "½×",
            Speed::One => "1×",
            Speed::Two => "2×",
            Speed::Four => "4×",
        }
    }
}

/// The cursor over a session's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Player {
    /// `None` follows the live end; `Some(n)` stands on step `n`.
    position: Option<usize>,
    pub playing: bool,
    pub speed: Speed,
    pub pace: Pace,
}

impl Player {
    /// The step shown, out of `steps`; `None` when there is none yet.
    pub fn current(&self, steps: usize) -> Option<usize> {
        let last = steps.checked_sub(1)?;
        Some(self.position.map_or(last, |p| p.min(last)))
    }

    pub fn is_live(&self) -> bool {
        self.position.is_none()
    }

    pub fn go_live(&mut self) {
        self.position = None;
        self.playing = false;
    }

    pub fn step_back(&mut self, steps: usize) {
        self.playing = false;
        if let Some(current) = self.current(steps) {
            self.position = Some(current.saturating_sub(1));
        }
    }

    /// One step on; reaching the last step follows the live end again.
    pub fn step_forward(&mut self, steps: usize) {
        self.playing = false;
        self.advance(steps);
    }

    fn advance(&mut self, steps: usize) {
        if let (Some(p), Some(last)) = (self.position, steps.checked_sub(1)) {
            if p + 1 >= last {
                self.position = None;
            } else {
                self.position = Some(p + 1);
            }
        }
    }

    /// Play or pause. Playing from the live end replays from the start.
    pub fn toggle_play(&mut self, steps: usize) {
        if self.playing {
            self.playing = false;
            return;
        }
        if steps == 0 {
            return;
        }
        if self.position.is_none() {
            self.position = Some(0);
        }
        self.playing = true;
    }

    /// One timer tick while playing; stops at the live end.
    pub fn tick(&mut self, steps: usize) {
        if !self.playing {
            return;
        }
        self.advance(steps);
        if self.position.is_none() {
            self.playing = false;
        }
    }

    /// Jumps to a step (the scrubber); the last step follows live.
    pub fn scrub(&mut self, step: usize, steps: usize) {
        match steps.checked_sub(1) {
            Some(last) if step < last => self.position = Some(step),
            _ => self.position = None,
        }
    }

    /// Stands still on the step it shows now (the scrubber grabbed it), so
    /// new events do not move the view.
    pub fn hold(&mut self, steps: usize) {
        if let Some(current) = self.current(steps) {
            self.position = Some(current);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_follows_new_steps_until_stepping_back() {
        let mut player = Player::default();
        assert_eq!(player.current(0), None);
        assert_eq!(player.current(3), Some(2));
        assert_eq!(player.current(5), Some(4), "live follows");
        player.step_back(5);
        assert_eq!(player.current(5), Some(3));
        assert_eq!(player.current(9), Some(3), "stays put as events arrive");
        player.step_forward(9);
        assert_eq!(player.current(9), Some(4));
        player.scrub(8, 9);
        assert!(player.is_live());
    }

    #[test]
    fn stepping_back_stops_at_the_first_step() {
        let mut player = Player::default();
        for _ in 0..5 {
            player.step_back(3);
        }
        assert_eq!(player.current(3), Some(0));
    }

    #[test]
    fn play_from_live_replays_and_stops_at_the_end() {
        let mut player = Player::default();
        player.toggle_play(3);
        assert!(player.playing);
        assert_eq!(player.current(3), Some(0));
        player.tick(3);
        assert_eq!(player.current(3), Some(1));
        player.tick(3);
        assert!(player.is_live());
        assert!(!player.playing);
        player.tick(3);
        assert_eq!(player.current(3), Some(2));
    }

    #[test]
    fn speed_sets_the_interval() {
        assert!(Speed::Four.interval_ms() < Speed::One.interval_ms());
        assert_eq!(Speed::default(), Speed::One);
    }
}
