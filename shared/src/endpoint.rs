//! A packet's source or destination as text (`127.0.0.1:40000`,
//! `[::1]:7000`), shared by every packet of a conversation.
//!
//! A capture repeats the same two endpoints in every packet of a
//! connection: a million packets held as `String`s would be two million
//! small allocations of the same few texts. An [`Endpoint`] is a shared,
//! immutable text (`Arc<str>`, cloned by a count), and the event decoder
//! hands out the one it made for the same text a moment ago
//! ([`Endpoint::recent`]), so a long capture holds each text once per
//! run of packets rather than once per packet.
//!
//! On the wire it is a plain JSON string, as before.

use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How many recently decoded texts the decoder keeps to hand out again: a
/// conversation's two ends, for the handful of conversations whose packets
/// interleave at a time.
const RECENT: usize = 16;

/// A packet's source or destination, `address:port`, as text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint(Arc<str>);

/// The texts made last, replaced in turn.
struct Recent {
    slots: [Option<Endpoint>; RECENT],
    next: usize,
}

thread_local! {
    static RECENTLY: RefCell<Recent> = const {
        RefCell::new(Recent {
            slots: [const { None }; RECENT],
            next: 0,
        })
    };
}

impl Endpoint {
    /// `text` as an endpoint, sharing the one made for the same text
    /// among the last few made this way on this thread.
    pub fn recent(text: &str) -> Endpoint {
        RECENTLY.with_borrow_mut(|recent| {
            if let Some(found) = recent.slots.iter().flatten().find(|e| *e.0 == *text) {
                return found.clone();
            }
            let endpoint = Endpoint(Arc::from(text));
            let next = recent.next;
            recent.slots[next] = Some(endpoint.clone());
            recent.next = (next + 1) % RECENT;
            endpoint
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Endpoint {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Endpoint {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for Endpoint {
    fn from(text: &str) -> Endpoint {
        Endpoint(Arc::from(text))
    }
}

impl From<String> for Endpoint {
    fn from(text: String) -> Endpoint {
        Endpoint(Arc::from(text))
    }
}

impl PartialEq<str> for Endpoint {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Endpoint {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Endpoint {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Endpoint, D::Error> {
        deserializer.deserialize_str(Text)
    }
}

/// Reads the text where it lies when it can, rather than into a `String`
/// of its own first.
struct Text;

impl serde::de::Visitor<'_> for Text {
    type Value = Endpoint;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an address and port as a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Endpoint, E> {
        Ok(Endpoint::recent(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_text_decoded_again_is_shared() {
        let a = Endpoint::recent("127.0.0.1:40000");
        let b = Endpoint::recent("127.0.0.1:7000");
        let again = Endpoint::recent("127.0.0.1:40000");
        assert!(Arc::ptr_eq(&a.0, &again.0));
        assert!(!Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(again, "127.0.0.1:40000");
    }

    #[test]
    fn a_text_pushed_out_by_others_is_made_again_and_equal() {
        let first = Endpoint::recent("10.0.0.1:1");
        for port in 0..RECENT {
            Endpoint::recent(&format!("10.0.0.2:{port}"));
        }
        let again = Endpoint::recent("10.0.0.1:1");
        assert!(!Arc::ptr_eq(&first.0, &again.0));
        assert_eq!(first, again);
    }

    #[test]
    fn travels_as_a_plain_string() {
        let endpoint = Endpoint::from("[::1]:7000");
        let json = serde_json::to_string(&endpoint).unwrap();
        assert_eq!(json, r#""[::1]:7000""#);
        let back: Endpoint = serde_json::from_str(&json).unwrap();
        assert_eq!(back, endpoint);
    }
}
