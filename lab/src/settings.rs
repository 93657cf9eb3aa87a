//! From the protocol's `PathSettings` (what the page asks for, in the units
//! a learner reads: milliseconds, percent, kilobits per second, a mean
//! burst length) to the lab's `PathConfig` (durations, probabilities, a
//! loss model). The named paths live in the protocol
//! (`PathPreset::settings`), so the page, the relay and the lab agree on
//! one list.
//!
//! The mapping keeps what the learner asked for on average:
//!
//! - a loss with a mean burst of 1 packet (or 0) is independent
//!   (`Loss::Random`); a longer burst `b` is a Gilbert–Elliott chain that
//!   loses every packet in its bad state and none in its good one, leaves
//!   the bad state with probability `1/b` (bursts of `b` packets on
//!   average) and enters it with `p·(1/b)/(1−p)`, so that its share of
//!   bad packets, hence its mean loss, is `p`. When the gaps between
//!   bursts would have to be shorter than one packet (a high loss with a
//!   short burst, `p > b/(b+1)`), the chain enters the bad state at every
//!   good packet and the bursts grow instead: the mean loss is kept, the
//!   burst length is not.
//! - A rate with no queue gets `DEFAULT_QUEUE_BYTES`.
//!
//! The MTU is not part of a `PathConfig`: it is the lab's
//! (`LabConfig::mtu`), fixed when the devices are made.

use std::time::Duration;

use sockscope_shared::{LinkSettings, PathSettings};

use crate::path::{DirectionConfig, GilbertElliott, Loss, PathConfig, Rate};

/// The queue of a rate limit whose settings give none (`queue_bytes` 0):
/// 64 KiB, about 44 full-sized packets, a small router's buffer; at
/// 10 Mbit/s it holds 52 ms of traffic.
pub const DEFAULT_QUEUE_BYTES: u32 = 64 * 1024;

impl PathConfig {
    /// The lab's path for the protocol's settings, with `seed` for its
    /// random decisions. The settings are expected to have passed
    /// `PathSettings::check`; a value out of range here becomes one that
    /// `PathConfig::validate` (and so `Lab::set_path`) refuses, never a
    /// panic.
    #[must_use]
    pub fn from_settings(settings: &PathSettings, seed: u64) -> PathConfig {
        PathConfig {
            client_to_server: DirectionConfig::from_link(&settings.client_to_server),
            server_to_client: DirectionConfig::from_link(&settings.server_to_client),
            seed,
        }
    }
}

impl DirectionConfig {
    /// One direction's settings.
    fn from_link(link: &LinkSettings) -> DirectionConfig {
        DirectionConfig {
            delay: millis(link.delay_ms),
            jitter: millis(link.jitter_ms),
            loss: loss(link.loss_percent / 100.0, link.loss_burst),
            reorder: link.reorder_percent / 100.0,
            duplicate: link.duplicate_percent / 100.0,
            rate: (link.rate_kbps > 0).then(|| Rate {
                bits_per_second: u64::from(link.rate_kbps) * 1000,
                queue_bytes: if link.queue_bytes == 0 {
                    DEFAULT_QUEUE_BYTES
                } else {
                    link.queue_bytes
                },
            }),
        }
    }
}

/// Milliseconds as a duration; a negative, infinite or NaN value becomes
/// the longest duration, which validation refuses.
fn millis(ms: f64) -> Duration {
    Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX)
}

/// A mean loss `p` (0..=1) in bursts of `burst` packets on average.
fn loss(p: f64, burst: f64) -> Loss {
    if p == 0.0 {
        return Loss::None;
    }
    // Not a burst, or no good state left to have gaps in: independent
    // losses (out-of-range values are left for validation to refuse).
    if burst <= 1.0 || burst.is_nan() || !(0.0..1.0).contains(&p) {
        return Loss::Random { probability: p };
    }
    let mut leave_bad = 1.0 / burst;
    let mut enter_bad = p * leave_bad / (1.0 - p);
    if enter_bad > 1.0 {
        enter_bad = 1.0;
        leave_bad = (1.0 - p) / p;
    }
    Loss::GilbertElliott(GilbertElliott {
        enter_bad,
        leave_bad,
        loss_in_good: 0.0,
        loss_in_bad: 1.0,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use sockscope_shared::PathPreset;

    use super::*;

    /// The chain's long-run share of lost packets.
    fn mean_loss(model: GilbertElliott) -> f64 {
        let bad = model.enter_bad / (model.enter_bad + model.leave_bad);
        bad * model.loss_in_bad + (1.0 - bad) * model.loss_in_good
    }

    fn link(loss_percent: f64, loss_burst: f64) -> DirectionConfig {
        DirectionConfig::from_link(&LinkSettings {
            loss_percent,
            loss_burst,
            ..LinkSettings::default()
        })
    }

    #[test]
    fn bursts_keep_the_mean_loss_and_have_the_asked_length() {
        for (percent, burst) in [
            (1.0, 3.0),
            (0.5, 2.0),
            (10.0, 5.0),
            (30.0, 1.5),
            (50.0, 1000.0),
        ] {
            let Loss::GilbertElliott(model) = link(percent, burst).loss else {
                panic!("{percent}% in bursts of {burst} is Gilbert–Elliott");
            };
            let mean = mean_loss(model);
            assert!((mean - percent / 100.0).abs() < 1e-12, "{percent}%: {mean}");
            assert!((1.0 / model.leave_bad - burst).abs() < 1e-9, "{model:?}");
            assert!((0.0..=1.0).contains(&model.enter_bad), "{model:?}");
            assert!(link(percent, burst).validate().is_ok());
        }
    }

    #[test]
    fn a_loss_too_high_for_its_burst_keeps_its_mean_with_longer_bursts() {
        // 80% in bursts of 2 would need gaps of half a packet.
        let Loss::GilbertElliott(model) = link(80.0, 2.0).loss else {
            panic!("Gilbert–Elliott");
        };
        assert_eq!(model.enter_bad, 1.0);
        assert!((mean_loss(model) - 0.8).abs() < 1e-12);
        assert!((1.0 / model.leave_bad - 4.0).abs() < 1e-9, "bursts of 4");
    }

    #[test]
    fn no_burst_is_independent_loss_and_the_edges_hold() {
        assert_eq!(link(5.0, 1.0).loss, Loss::Random { probability: 0.05 });
        assert_eq!(link(5.0, 0.0).loss, Loss::Random { probability: 0.05 });
        assert_eq!(link(0.0, 3.0).loss, Loss::None);
        assert_eq!(link(100.0, 3.0).loss, Loss::Random { probability: 1.0 });
        // Out of range stays out of range, for validation to refuse.
        assert!(link(150.0, 3.0).validate().is_err());
        assert!(link(f64::NAN, 1.0).validate().is_err());
    }

    #[test]
    fn units_become_durations_probabilities_and_a_rate() {
        let settings = PathSettings {
            mtu: 1500,
            client_to_server: LinkSettings {
                delay_ms: 20.5,
                jitter_ms: 2.0,
                reorder_percent: 25.0,
                duplicate_percent: 1.0,
                rate_kbps: 10_000,
                queue_bytes: 0,
                ..LinkSettings::default()
            },
            server_to_client: LinkSettings {
                rate_kbps: 2_000,
                queue_bytes: 30_000,
                ..LinkSettings::default()
            },
        };
        let path = PathConfig::from_settings(&settings, 9);
        let up = &path.client_to_server;
        assert_eq!(up.delay, Duration::from_micros(20_500));
        assert_eq!(up.jitter, Duration::from_millis(2));
        assert_eq!((up.reorder, up.duplicate), (0.25, 0.01));
        assert_eq!(
            up.rate,
            Some(Rate {
                bits_per_second: 10_000_000,
                queue_bytes: DEFAULT_QUEUE_BYTES
            })
        );
        let down = &path.server_to_client;
        assert_eq!(
            down.rate,
            Some(Rate {
                bits_per_second: 2_000_000,
                queue_bytes: 30_000
            })
        );
        assert_eq!((down.delay, down.loss), (Duration::ZERO, Loss::None));
        assert_eq!(path.seed, 9);
        let mut far = settings.client_to_server.clone();
        far.delay_ms = -1.0;
        assert!(DirectionConfig::from_link(&far).validate().is_err());
    }

    #[test]
    fn every_named_path_is_valid() {
        for preset in [
            PathPreset::Loopback,
            PathPreset::Lan,
            PathPreset::Wifi,
            PathPreset::Internet,
            PathPreset::Lossy,
            PathPreset::Custom,
        ] {
            if let Some(settings) = preset.settings() {
                assert_eq!(settings.check(), Ok(()), "{preset:?}");
                let path = PathConfig::from_settings(&settings, 1);
                assert_eq!(path.validate(), Ok(()), "{preset:?}");
            }
        }
    }
}
