//! Named paths for the page's path selector: each a `PathConfig` a learner
//! can recognise, so that a lesson says "over a mobile link" rather than
//! listing numbers. The page names a preset, the relay asks for its
//! `PathConfig`, and may still change any setting with `Lab::set_path`.

use std::time::Duration;

use crate::path::{DirectionConfig, GilbertElliott, Loss, PathConfig, Rate};

/// A named path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// A quiet LAN: nothing but the MTU. Segments are MSS-sized, ACKs
    /// delayed, and nothing is lost.
    Lan,
    /// A continent away: 40 ms each way, a 50 Mbit/s bottleneck with
    /// 256 KB of queue (slow start and the window become visible).
    Continental,
    /// A mobile link: 30 ms ± 10 ms each way, 10 Mbit/s down and 2 up,
    /// and losses in bursts.
    Mobile,
    /// A geostationary satellite: 300 ms each way.
    Satellite,
    /// A LAN that loses 5% of packets at random: retransmissions.
    Lossy,
}

impl Preset {
    /// Every preset, in the order a selector lists them.
    pub const ALL: [Preset; 5] = [
        Preset::Lan,
        Preset::Continental,
        Preset::Mobile,
        Preset::Satellite,
        Preset::Lossy,
    ];

    /// A stable identifier, for the protocol and lesson files.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Preset::Lan => "lan",
            Preset::Continental => "continental",
            Preset::Mobile => "mobile",
            Preset::Satellite => "satellite",
            Preset::Lossy => "lossy",
        }
    }

    /// The preset with identifier `id`.
    #[must_use]
    pub fn from_id(id: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|preset| preset.id() == id)
    }

    /// The path, with `seed` for its random decisions.
    #[must_use]
    pub fn path(self, seed: u64) -> PathConfig {
        let delay = |millis| Duration::from_millis(millis);
        match self {
            Preset::Lan => PathConfig {
                seed,
                ..PathConfig::default()
            },
            Preset::Continental => PathConfig::symmetric(
                DirectionConfig {
                    delay: delay(40),
                    rate: Some(Rate {
                        bits_per_second: 50_000_000,
                        queue_bytes: 256 * 1024,
                    }),
                    ..DirectionConfig::default()
                },
                seed,
            ),
            Preset::Mobile => {
                let mobile = |bits_per_second| DirectionConfig {
                    delay: delay(30),
                    jitter: delay(10),
                    loss: Loss::GilbertElliott(GilbertElliott {
                        enter_bad: 0.005,
                        leave_bad: 0.3,
                        loss_in_good: 0.0,
                        loss_in_bad: 0.8,
                    }),
                    rate: Some(Rate {
                        bits_per_second,
                        queue_bytes: 128 * 1024,
                    }),
                    ..DirectionConfig::default()
                };
                PathConfig {
                    client_to_server: mobile(2_000_000),
                    server_to_client: mobile(10_000_000),
                    seed,
                }
            }
            Preset::Satellite => PathConfig::symmetric(
                DirectionConfig {
                    delay: delay(300),
                    ..DirectionConfig::default()
                },
                seed,
            ),
            Preset::Lossy => PathConfig::symmetric(
                DirectionConfig {
                    loss: Loss::Random { probability: 0.05 },
                    ..DirectionConfig::default()
                },
                seed,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid_and_found_by_its_id() {
        for preset in Preset::ALL {
            assert_eq!(preset.path(1).validate(), Ok(()), "{preset:?}");
            assert_eq!(Preset::from_id(preset.id()), Some(preset));
        }
        assert_eq!(Preset::from_id("moon"), None);
    }
}
