//! UDP datagrams: each one a unit from sendto() through the wire to
//! recvfrom(), and what a too-small buffer cut off.
//!
//! UDP has no sequence numbers, so the three sightings of a datagram are
//! matched by order: the n-th sendto() from A to B, the n-th datagram on the
//! wire from A to B and the n-th recvfrom() at B that names A as sender. On
//! loopback nothing is reordered and, unless a receive buffer overflows,
//! nothing is lost, so order is enough.

/// The sendto() that sent a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentDatagram {
    pub at: usize,
    pub data: sockscope_shared::Bytes,
}

/// The datagram as captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireDatagram {
    pub at: usize,
    pub payload_len: u32,
}

/// The recvfrom() that read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedDatagram {
    pub at: usize,
    pub data: sockscope_shared::Bytes,
    /// The datagram's real length; more than `data` means bytes were lost.
    pub datagram_len: u32,
    pub bufsize: u32,
}

/// One datagram, as far as it has been seen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Datagram {
    /// Its number within the direction, from 0.
    pub ordinal: usize,
    pub sent: Option<SentDatagram>,
    pub wire: Option<WireDatagram>,
    pub received: Option<ReceivedDatagram>,
}

impl Datagram {
    /// The datagram's length, from whichever sighting knows it.
    pub fn len(&self) -> u32 {
        if let Some(r) = &self.received {
            return r.datagram_len;
        }
        if let Some(w) = &self.wire {
            return w.payload_len;
        }
        self.sent
            .as_ref()
            .map_or(0, |s| u32::try_from(s.data.len()).unwrap_or(u32::MAX))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes recvfrom() threw away because its buffer was too small.
    pub fn lost_bytes(&self) -> u32 {
        self.received.as_ref().map_or(0, |r| {
            r.datagram_len
                .saturating_sub(u32::try_from(r.data.len()).unwrap_or(u32::MAX))
        })
    }

    /// The first position at which any sighting of it happened.
    pub fn first_at(&self) -> usize {
        [
            self.sent.as_ref().map(|s| s.at),
            self.wire.map(|w| w.at),
            self.received.as_ref().map(|r| r.at),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(usize::MAX)
    }
}

/// The datagrams going one way between two endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UdpFlow {
    pub datagrams: Vec<Datagram>,
    sent: usize,
    wired: usize,
    received: usize,
}

impl UdpFlow {
    fn slot(&mut self, n: usize) -> &mut Datagram {
        while self.datagrams.len() <= n {
            let ordinal = self.datagrams.len();
            self.datagrams.push(Datagram {
                ordinal,
                ..Datagram::default()
            });
        }
        &mut self.datagrams[n]
    }

    pub fn add_sent(&mut self, sent: SentDatagram) {
        let n = self.sent;
        self.sent += 1;
        self.slot(n).sent = Some(sent);
    }

    pub fn add_wire(&mut self, wire: WireDatagram) {
        let n = self.wired;
        self.wired += 1;
        self.slot(n).wire = Some(wire);
    }

    pub fn add_received(&mut self, received: ReceivedDatagram) {
        let n = self.received;
        self.received += 1;
        self.slot(n).received = Some(received);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sightings_pair_up_by_order() {
        let mut flow = UdpFlow::default();
        flow.add_sent(SentDatagram {
            at: 1,
            data: b"twenty bytes of data".to_vec().into(),
        });
        flow.add_sent(SentDatagram {
            at: 2,
            data: b"next".to_vec().into(),
        });
        flow.add_wire(WireDatagram {
            at: 3,
            payload_len: 20,
        });
        flow.add_received(ReceivedDatagram {
            at: 5,
            data: b"twent".to_vec().into(),
            datagram_len: 20,
            bufsize: 5,
        });
        assert_eq!(flow.datagrams.len(), 2);
        assert_eq!(flow.datagrams[0].lost_bytes(), 15);
        assert_eq!(flow.datagrams[1].len(), 4);
        assert_eq!(flow.datagrams[1].lost_bytes(), 0);
        assert!(flow.datagrams[1].received.is_none());
    }
}
