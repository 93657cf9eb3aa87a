//! What the path between the two namespaces does to packets: the settings
//! of each direction and the seed. Plain data, checked by `validate`.

use std::time::Duration;

use crate::error::ConfigError;

/// The longest delay or jitter the lab accepts: a queue of 10 s of traffic
/// is already more than any lesson needs.
const MAX_DELAY: Duration = Duration::from_secs(10);

/// Both directions of the path and the seed of its random decisions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PathConfig {
    /// Packets the client side sends.
    pub client_to_server: DirectionConfig,
    /// Packets the server side sends.
    pub server_to_client: DirectionConfig,
    /// The same seed gives the same decisions at the same packets of the
    /// same flows (see `model`).
    pub seed: u64,
}

impl PathConfig {
    /// The same settings in both directions.
    #[must_use]
    pub fn symmetric(direction: DirectionConfig, seed: u64) -> PathConfig {
        PathConfig {
            client_to_server: direction.clone(),
            server_to_client: direction,
            seed,
        }
    }

    /// Checks every setting.
    ///
    /// # Errors
    ///
    /// The first setting out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.client_to_server.validate()?;
        self.server_to_client.validate()
    }
}

/// What one direction does to its packets, applied in this order: loss,
/// duplication, the rate limit's queue, delay and jitter, reordering.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DirectionConfig {
    /// The one-way delay every packet gets.
    pub delay: Duration,
    /// Each packet's delay varies uniformly by up to this much either way.
    /// Packets still leave in order (a queue does not overtake itself);
    /// reordering is `reorder`'s.
    pub jitter: Duration,
    /// Packets dropped on purpose.
    pub loss: Loss,
    /// The probability (0..=1) that a packet is held back and sent after
    /// the next packet of its direction.
    pub reorder: f64,
    /// The probability (0..=1) that a packet is sent twice.
    pub duplicate: f64,
    /// A bottleneck link, when set.
    pub rate: Option<Rate>,
}

impl DirectionConfig {
    /// A direction that drops every packet: a dark link.
    #[must_use]
    pub fn dark() -> DirectionConfig {
        DirectionConfig {
            loss: Loss::Random { probability: 1.0 },
            ..DirectionConfig::default()
        }
    }

    /// Checks every setting.
    ///
    /// # Errors
    ///
    /// The first setting out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [("delay", self.delay), ("jitter", self.jitter)] {
            if value > MAX_DELAY {
                return Err(ConfigError::DelayTooLong {
                    field,
                    millis: value.as_millis(),
                });
            }
        }
        probability("reorder", self.reorder)?;
        probability("duplicate", self.duplicate)?;
        match self.loss {
            Loss::None => {}
            Loss::Random { probability: p } => probability("loss", p)?,
            Loss::GilbertElliott(model) => {
                probability("enter_bad", model.enter_bad)?;
                probability("leave_bad", model.leave_bad)?;
                probability("loss_in_good", model.loss_in_good)?;
                probability("loss_in_bad", model.loss_in_bad)?;
            }
        }
        if let Some(rate) = self.rate
            && rate.bits_per_second == 0
        {
            return Err(ConfigError::ZeroRate);
        }
        Ok(())
    }
}

/// How packets are lost on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Loss {
    /// None.
    #[default]
    None,
    /// Each packet independently.
    Random {
        /// The probability (0..=1) of losing a packet.
        probability: f64,
    },
    /// In bursts.
    GilbertElliott(GilbertElliott),
}

/// The Gilbert–Elliott model: a good and a bad state, each losing packets
/// with its own probability, and a chance to change state at every packet.
/// Losses come in bursts of mean length about `1 / leave_bad`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GilbertElliott {
    /// The probability of going from good to bad at a packet.
    pub enter_bad: f64,
    /// The probability of going from bad to good at a packet.
    pub leave_bad: f64,
    /// The probability of losing a packet in the good state (often 0).
    pub loss_in_good: f64,
    /// The probability of losing a packet in the bad state (often 1).
    pub loss_in_bad: f64,
}

/// A bottleneck: packets leave one after another at `bits_per_second`, and
/// wait in a queue of at most `queue_bytes`; a packet that does not fit is
/// dropped and counted as a queue overflow, apart from configured loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// The link's speed.
    pub bits_per_second: u64,
    /// The most bytes waiting to be sent.
    pub queue_bytes: u32,
}

/// Checks that `value` is a probability.
fn probability(field: &'static str, value: f64) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::Probability { field, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_out_of_range() {
        let mut direction = DirectionConfig {
            loss: Loss::Random { probability: 1.5 },
            ..DirectionConfig::default()
        };
        assert!(matches!(
            direction.validate(),
            Err(ConfigError::Probability { field: "loss", .. })
        ));
        direction.loss = Loss::None;
        direction.reorder = f64::NAN;
        assert!(direction.validate().is_err());
        direction.reorder = 0.0;
        direction.rate = Some(Rate {
            bits_per_second: 0,
            queue_bytes: 1,
        });
        assert_eq!(direction.validate(), Err(ConfigError::ZeroRate));
        assert_eq!(DirectionConfig::dark().validate(), Ok(()));
    }
}
