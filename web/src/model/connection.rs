//! The link to the relay: its states and the retry policy.
//!
//! The page reconnects by itself when the WebSocket closes, waiting longer
//! after each failure (0.5 s, 1 s, 2 s, 4 s, 8 s) so that a relay that is
//! restarting is found again quickly without a dead one being hammered.
//! After [`GIVE_UP_AFTER`] failures in a row the page says the relay is
//! gone, and keeps trying only every [`GONE_RETRY_MS`].

/// Failed attempts in a row after which the relay counts as gone.
pub const GIVE_UP_AFTER: u32 = 5;
/// Retry interval once the relay counts as gone.
pub const GONE_RETRY_MS: u32 = 15_000;

/// A wait in milliseconds as seconds to a tenth: `1.5`.
pub fn tenths_of_seconds(ms: u32) -> String {
    crate::model::describe::decimal((u64::from(ms) + 50) / 100, 1)
}

/// What the page knows about its relay.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Link {
    /// The first attempt is under way.
    #[default]
    Connecting,
    Connected,
    /// The connection dropped or failed; the next try is in `retry_in_ms`.
    Reconnecting {
        attempt: u32,
        retry_in_ms: u32,
    },
    /// Several tries failed in a row.
    Gone {
        retry_in_ms: u32,
    },
}

impl Link {
    /// The one-word status the header shows.
    pub fn label(&self) -> &'static str {
        match self {
            Link::Connecting => "connecting",
            Link::Connected => "connected",
            Link::Reconnecting { .. } => "reconnecting",
            Link::Gone { .. } => "relay gone",
        }
    }
}

/// Counts failures in a row and says how long to wait before the next try.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// A connection opened: the next failure starts from the short delay.
    pub fn connected(&mut self) {
        self.failures = 0;
    }

    /// A connection closed or failed: the state to show, with the delay
    /// before the next try.
    pub fn failed(&mut self) -> Link {
        self.failures = self.failures.saturating_add(1);
        if self.failures > GIVE_UP_AFTER {
            return Link::Gone {
                retry_in_ms: GONE_RETRY_MS,
            };
        }
        let retry_in_ms = 500u32.saturating_mul(1 << (self.failures - 1).min(4));
        Link::Reconnecting {
            attempt: self.failures,
            retry_in_ms,
        }
    }
}

/// Where the WebSocket is: same host as the page, `wss` under https, the
/// page's `token` passed on.
pub fn websocket_url(protocol: &str, host: &str, token: Option<&str>) -> String {
    let scheme = if protocol == "https:" { "wss" } else { "ws" };
    match token {
        Some(token) if !token.is_empty() => {
            format!("{scheme}://{host}/ws?token={}", url_encode(token))
        }
        _ => format!("{scheme}://{host}/ws"),
    }
}

/// Percent-encodes everything but unreserved characters.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_gives_up() {
        let mut backoff = Backoff::default();
        let delays: Vec<Link> = (0..7).map(|_| backoff.failed()).collect();
        assert_eq!(
            delays[0],
            Link::Reconnecting {
                attempt: 1,
                retry_in_ms: 500
            }
        );
        assert_eq!(
            delays[4],
            Link::Reconnecting {
                attempt: 5,
                retry_in_ms: 8000
            }
        );
        assert_eq!(delays[5].label(), "relay gone");
        backoff.connected();
        assert_eq!(backoff.failed().label(), "reconnecting");
    }

    #[test]
    fn websocket_url_follows_the_page() {
        assert_eq!(
            websocket_url("http:", "127.0.0.1:7878", Some("ab c")),
            "ws://127.0.0.1:7878/ws?token=ab%20c"
        );
        assert_eq!(websocket_url("https:", "h", None), "wss://h/ws");
    }
}
