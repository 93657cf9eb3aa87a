//! How much of each stream's payload the page keeps.
//!
//! A transfer through the page brings its bytes twice: in the send() that
//! wrote them and in the recv() that read them. A gigabyte moved would be
//! two gigabytes in the page. So the page keeps the bytes of the first
//! [`DEFAULT_KEEP_BYTES`] of each socket's outgoing and incoming stream
//! (the address's `keep_mib` parameter sets another amount), and of every
//! payload after that only its length ([`Bytes::let_go`]): the ladder, the
//! counts and the offsets stay exact, and the byte streams say from which
//! offset on the bytes were not kept.
//!
//! Whole payloads are kept or let go, never split: the first payload that
//! would pass the amount is let go, and so is every one after it on that
//! stream, so what is kept is one unbroken start of the stream. Segments
//! are not counted here: the relay already carries at most
//! `segment_payload_cap` bytes of each.

use std::collections::HashMap;

use sockscope_shared::{Bytes, Call, CallResult, EventKind, SocketId};

/// Bytes kept of each stream unless the page's address says otherwise.
pub const DEFAULT_KEEP_BYTES: u64 = 64 << 20;

/// The address parameter that sets the amount, in mebibytes.
pub const KEEP_PARAMETER: &str = "keep_mib";

/// A socket's stream: what it sent, or what it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Way {
    Out,
    In,
}

/// What has been kept of each stream so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Keeping {
    limit: u64,
    /// What the address gave for the amount, when it was not one.
    pub refused: Option<String>,
    /// Bytes kept of each stream; `None` once a payload was let go.
    kept: HashMap<(SocketId, Way), Option<u64>>,
}

impl Default for Keeping {
    fn default() -> Self {
        Keeping::at_most(DEFAULT_KEEP_BYTES)
    }
}

impl Keeping {
    /// Keeps at most `limit` bytes of each stream.
    pub fn at_most(limit: u64) -> Keeping {
        Keeping {
            limit,
            refused: None,
            kept: HashMap::new(),
        }
    }

    /// The same amount, with nothing kept yet: for a new session.
    pub fn afresh(&self) -> Keeping {
        Keeping {
            limit: self.limit,
            refused: self.refused.clone(),
            kept: HashMap::new(),
        }
    }

    /// The amount kept of each stream, in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Reads an amount in mebibytes from the address parameter: a whole
    /// number from 1 to a million. Anything else keeps the default, and
    /// is remembered in [`Keeping::refused`] for the page to say so.
    pub fn from_parameter(value: Option<&str>) -> Keeping {
        let Some(value) = value else {
            return Keeping::default();
        };
        match value
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|mib| (1..=1_000_000).contains(mib))
        {
            Some(mib) => Keeping::at_most(mib << 20),
            None => Keeping {
                refused: Some(value.to_owned()),
                ..Keeping::default()
            },
        }
    }

    /// Lets go of the event's payload if its stream has kept all it may.
    pub fn keep(&mut self, event: &mut EventKind) {
        let EventKind::Call(call) = event else {
            return;
        };
        let socket = call.socket;
        let (way, data) = match (&mut call.call, &mut call.result) {
            (Call::Send { data, .. } | Call::SendTo { data, .. }, _) => (Way::Out, data),
            (_, CallResult::Data { data, .. } | CallResult::Datagram { data, .. }) => {
                (Way::In, data)
            }
            _ => return,
        };
        if data.is_empty() {
            return;
        }
        let kept = self.kept.entry((socket, way)).or_insert(Some(0));
        let more = kept
            .map(|so_far| so_far + data.len() as u64)
            .filter(|&total| total <= self.limit);
        *kept = more;
        if more.is_none() {
            *data = Bytes::let_go(data);
        }
    }
}

#[cfg(test)]
mod tests {
    use sockscope_shared::{CallEvent, Framing, Transport};

    use super::*;

    fn send(socket: SocketId, len: usize) -> EventKind {
        EventKind::Call(CallEvent {
            socket,
            request: None,
            transport: Transport::Tcp,
            call: Call::Send {
                data: Bytes::from(vec![7; len]),
                offset: 0,
                message: 0,
                framing: Framing::None,
            },
            result: CallResult::Sent { bytes: len as u64 },
            local: None,
            peer: None,
            state: None,
        })
    }

    fn recv(socket: SocketId, len: usize) -> EventKind {
        EventKind::Call(CallEvent {
            socket,
            request: None,
            transport: Transport::Tcp,
            call: Call::Recv { bufsize: 65536 },
            result: CallResult::Data {
                data: Bytes::from(vec![7; len]),
                offset: 0,
            },
            local: None,
            peer: None,
            state: None,
        })
    }

    fn payload(event: &EventKind) -> &Bytes {
        match event {
            EventKind::Call(CallEvent {
                call: Call::Send { data, .. },
                ..
            })
            | EventKind::Call(CallEvent {
                result: CallResult::Data { data, .. },
                ..
            }) => data,
            other => panic!("no payload in {other:?}"),
        }
    }

    #[test]
    fn each_stream_keeps_an_unbroken_start_and_then_lengths_only() {
        let mut keeping = Keeping::at_most(10);
        let mut events = vec![
            send(1, 6),
            recv(2, 6),
            send(1, 4),
            send(1, 5),
            send(1, 1),
            recv(2, 4),
        ];
        for event in &mut events {
            keeping.keep(event);
        }
        let whole: Vec<(usize, bool)> = events
            .iter()
            .map(|e| (payload(e).len(), payload(e).is_whole()))
            .collect();
        assert_eq!(
            whole,
            [
                (6, true),
                (6, true),
                (4, true),
                (5, false),
                (1, false),
                (4, true)
            ],
            "socket 1's outgoing stream keeps 10 bytes, then lets even a small send go; \
             socket 2's incoming stream is counted on its own"
        );
        assert!(payload(&events[3]).as_slice().is_empty());
    }

    #[test]
    fn the_address_sets_the_amount_in_mebibytes() {
        assert_eq!(Keeping::from_parameter(Some("2")).limit(), 2 << 20);
        assert_eq!(Keeping::from_parameter(None).limit(), DEFAULT_KEEP_BYTES);
        let zero = Keeping::from_parameter(Some("0"));
        assert_eq!(
            (zero.limit(), zero.refused.as_deref()),
            (DEFAULT_KEEP_BYTES, Some("0"))
        );
        let lots = Keeping::from_parameter(Some("lots"));
        assert_eq!(
            (lots.limit(), lots.refused.as_deref()),
            (DEFAULT_KEEP_BYTES, Some("lots"))
        );
        assert_eq!(Keeping::from_parameter(None).refused, None);
    }
}
