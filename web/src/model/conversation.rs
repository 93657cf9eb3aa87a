//! Conversations: the two ends of one TCP connection or one UDP exchange,
//! and everything that went between them.
//!
//! The wire names a conversation by its `conn` number; the program names
//! its sockets by id. A conversation ties both together. It is found by
//! `conn` when segments are captured, and otherwise by the pair of
//! addresses its sockets report, so that the byte-stream views work with
//! capture off too. `ends[0]` is the side that opened it (sent the SYN, or
//! the first datagram); stream and flow `d` go from `ends[d]` to the other.

use sockscope_shared::{SocketId, Transport};

use super::addr;
use super::stream::ByteStream;
use super::udp::UdpFlow;

/// One end of a conversation: an address, and the relay's socket there if
/// it owns one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub addr: String,
    pub socket: Option<SocketId>,
}

/// One TCP connection or one pair of UDP endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    /// Position in the session's list, from 0: a stable key.
    pub id: usize,
    /// The relay's connection number, once a packet was captured.
    pub conn: Option<u32>,
    pub transport: Transport,
    pub ends: [End; 2],
    /// Log positions of its captured packets, in order.
    pub segments: Vec<usize>,
    /// TCP: the bytes each way (`streams[0]` from `ends[0]`).
    pub streams: [ByteStream; 2],
    /// UDP: the datagrams each way (`flows[0]` from `ends[0]`).
    pub flows: [UdpFlow; 2],
    pub first_at: usize,
}

impl Conversation {
    /// Which end a socket is, if it is one of them.
    pub fn end_of(&self, socket: SocketId) -> Option<usize> {
        self.ends.iter().position(|end| end.socket == Some(socket))
    }

    /// The direction of a packet or call sent from `src`: 0 from `ends[0]`.
    pub fn direction_from(&self, src: &str) -> usize {
        if addr::same_endpoint(src, &self.ends[0].addr) {
            0
        } else {
            1
        }
    }

    /// Whether this conversation is between `a` and `b`, either way round.
    pub fn joins(&self, a: &str, b: &str) -> bool {
        let [x, y] = [&self.ends[0].addr, &self.ends[1].addr];
        (addr::same_endpoint(a, x) && addr::same_endpoint(b, y))
            || (addr::same_endpoint(a, y) && addr::same_endpoint(b, x))
    }

    /// `TCP 1: 127.0.0.1:46563 #2 ⇄ 127.0.0.1:9527 #5`: the connection as
    /// the lists of them name it, counted from 1 and its sockets numbered
    /// as the ladder numbers them.
    pub fn label(&self) -> String {
        let transport = match self.transport {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
        };
        let end = |end: &End| match end.socket {
            Some(id) => format!("{} #{id}", end.addr),
            None => end.addr.clone(),
        };
        format!(
            "{transport} {}: {} ⇄ {}",
            self.id + 1,
            end(&self.ends[0]),
            end(&self.ends[1])
        )
    }
}

/// One direction of a conversation: its stream or flow `direction`, which
/// goes from `ends[direction]` to the other end.
#[derive(Debug, Clone, Copy)]
pub struct OneWay<'a> {
    pub conversation: &'a Conversation,
    pub direction: usize,
}

/// All conversations of a session, in the order they began.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversations {
    pub list: Vec<Conversation>,
}

impl Conversations {
    pub fn get(&self, id: usize) -> Option<&Conversation> {
        self.list.get(id)
    }

    pub fn get_mut(&mut self, id: usize) -> Option<&mut Conversation> {
        self.list.get_mut(id)
    }

    /// Both directions of every conversation over `transport`, in the
    /// order the conversations began and the opener's direction first: the
    /// boxes the byte-stream and datagram views list, one per direction.
    pub fn directions(&self, transport: Transport) -> impl Iterator<Item = OneWay<'_>> {
        self.list
            .iter()
            .filter(move |c| c.transport == transport)
            .flat_map(|conversation| {
                (0..2).map(move |direction| OneWay {
                    conversation,
                    direction,
                })
            })
    }

    /// The conversation a socket is an end of, and which end.
    pub fn of_socket(&self, socket: SocketId) -> Option<(usize, usize)> {
        self.list
            .iter()
            .rev()
            .find_map(|c| c.end_of(socket).map(|end| (c.id, end)))
    }

    fn latest_between(&self, transport: Transport, a: &str, b: &str) -> Option<usize> {
        self.list
            .iter()
            .rev()
            .find(|c| c.transport == transport && c.joins(a, b))
            .map(|c| c.id)
    }

    fn open(&mut self, transport: Transport, opener: &str, other: &str, at: usize) -> usize {
        let id = self.list.len();
        self.list.push(Conversation {
            id,
            conn: None,
            transport,
            ends: [
                End {
                    addr: opener.to_string(),
                    socket: None,
                },
                End {
                    addr: other.to_string(),
                    socket: None,
                },
            ],
            segments: Vec::new(),
            streams: Default::default(),
            flows: Default::default(),
            first_at: at,
        });
        id
    }

    /// The conversation of a captured packet, opening one if needed, with
    /// the relay's socket ids at each end recorded.
    pub fn for_packet(
        &mut self,
        at: usize,
        conn: u32,
        transport: Transport,
        src: &str,
        dst: &str,
        sockets: (Option<SocketId>, Option<SocketId>),
    ) -> usize {
        let known = self
            .list
            .iter()
            .rev()
            .find(|c| c.conn == Some(conn) && c.joins(src, dst))
            .map(|c| c.id)
            .or_else(|| {
                // A conversation so far known from calls only.
                self.latest_between(transport, src, dst)
                    .filter(|&id| self.list.get(id).is_some_and(|c| c.conn.is_none()))
            });
        let id = known.unwrap_or_else(|| self.open(transport, src, dst, at));
        if let Some(conv) = self.list.get_mut(id) {
            conv.conn = Some(conn);
            conv.segments.push(at);
            let d = conv.direction_from(src);
            for (end, socket) in [(d, sockets.0), (1 - d, sockets.1)] {
                if conv.ends[end].socket.is_none() {
                    conv.ends[end].socket = socket;
                }
                // The wire address is the precise one: keep it (a copy
                // only when it differs, not one per packet).
                let wire = if end == d { src } else { dst };
                if conv.ends[end].addr != wire {
                    conv.ends[end].addr = wire.to_string();
                }
            }
        }
        id
    }

    /// The conversation a socket at `local` talking to `remote` belongs to,
    /// opening one if needed. `local_opened` says whether this socket's side
    /// opened it (a TCP client, or the sender of a first datagram).
    pub fn for_socket(
        &mut self,
        at: usize,
        transport: Transport,
        socket: SocketId,
        local: &str,
        remote: &str,
        local_opened: bool,
    ) -> usize {
        if let Some((id, _)) = self.of_socket(socket)
            && self.list.get(id).is_some_and(|c| c.joins(local, remote))
        {
            return id;
        }
        let existing = self.latest_between(transport, local, remote).filter(|&id| {
            self.list.get(id).is_some_and(|c| {
                let end = 1 - c.direction_from(remote);
                c.ends[end].socket.is_none_or(|s| s == socket)
            })
        });
        let id = existing.unwrap_or_else(|| {
            if local_opened {
                self.open(transport, local, remote, at)
            } else {
                self.open(transport, remote, local, at)
            }
        });
        if let Some(conv) = self.list.get_mut(id) {
            let end = 1 - conv.direction_from(remote);
            conv.ends[end].socket.get_or_insert(socket);
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_then_packets_share_one_conversation() {
        let mut convs = Conversations::default();
        let client = convs.for_socket(
            1,
            Transport::Tcp,
            2,
            "127.0.0.1:5000",
            "127.0.0.1:9527",
            true,
        );
        let server = convs.for_socket(
            2,
            Transport::Tcp,
            3,
            "127.0.0.1:9527",
            "127.0.0.1:5000",
            false,
        );
        assert_eq!(client, server);
        let on_wire = convs.for_packet(
            3,
            1,
            Transport::Tcp,
            "127.0.0.1:9527",
            "127.0.0.1:5000",
            (None, None),
        );
        assert_eq!(on_wire, client);
        let conv = &convs.list[client];
        assert_eq!(conv.ends[0].socket, Some(2));
        assert_eq!(conv.ends[1].socket, Some(3));
        assert_eq!(conv.direction_from("127.0.0.1:9527"), 1);
    }

    #[test]
    fn a_reused_address_pair_with_a_new_conn_is_a_new_conversation() {
        let mut convs = Conversations::default();
        let first = convs.for_packet(
            1,
            1,
            Transport::Tcp,
            "127.0.0.1:1",
            "127.0.0.1:2",
            (None, None),
        );
        let second = convs.for_packet(
            9,
            2,
            Transport::Tcp,
            "127.0.0.1:1",
            "127.0.0.1:2",
            (None, None),
        );
        assert_ne!(first, second);
    }

    #[test]
    fn a_wildcard_udp_socket_joins_its_wire_address() {
        let mut convs = Conversations::default();
        let sent = convs.for_socket(
            1,
            Transport::Udp,
            2,
            "0.0.0.0:47267",
            "127.0.0.1:49733",
            true,
        );
        let wire = convs.for_packet(
            2,
            1,
            Transport::Udp,
            "127.0.0.1:47267",
            "127.0.0.1:49733",
            (None, None),
        );
        assert_eq!(sent, wire);
        assert_eq!(convs.list[sent].ends[0].addr, "127.0.0.1:47267");
    }
}
