//! Which socket sent each segment and which it was addressed to, by the
//! rule the relay links its own capture with (`relay/src/segments.rs`):
//! the newest socket, among those that owned their addresses by the
//! packet's time, whose local address matches and whose peer is the other
//! end, else one with no peer (a listener, a UDP socket).
//!
//! A socket owns its addresses from its creation, except one that accept()
//! returned, which owns them from accept(): until then the connection's
//! packets (its SYN first) belong to the listener, as the relay says.

use std::net::SocketAddr;

use sockscope_shared::{SocketId, Transport};

use crate::calls::{AcceptResult, CallsFile, Outcome, SocketType, What, socket_id};
use crate::convert::ConvertError;

/// One socket's addresses, and since when it had them.
#[derive(Debug, Clone, Copy)]
struct Endpoint {
    socket: SocketId,
    transport: Transport,
    local: SocketAddr,
    peer: Option<SocketAddr>,
    since_us: u64,
}

/// Every socket's addresses in a recording.
#[derive(Debug, Default)]
pub struct Endpoints {
    list: Vec<Endpoint>,
}

fn addr(text: &str) -> Result<SocketAddr, ConvertError> {
    text.parse()
        .map_err(|_| ConvertError::BadAddress(text.to_owned()))
}

impl Endpoints {
    /// The sockets of a calls file: a socket is linked once a call shows
    /// its port (bind, connect, or the sendto() that bound it).
    ///
    /// # Errors
    /// [`ConvertError`] for a socket name or an address that does not
    /// parse.
    pub fn from_calls(file: &CallsFile) -> Result<Endpoints, ConvertError> {
        let mut created: Vec<(SocketId, Transport, u64)> = Vec::new();
        let mut endpoints = Endpoints::default();
        for raw in &file.calls {
            let id = raw.socket()?;
            let t_us = raw.t_us();
            if let What::Socket { transport } = &raw.what {
                let transport = match transport {
                    SocketType::Tcp => Transport::Tcp,
                    SocketType::Udp => Transport::Udp,
                };
                created.push((id, transport, t_us));
                continue;
            }
            if let What::Accept {
                result: AcceptResult::Accepted { new_sock, peer },
            } = &raw.what
                && let Some(local) = raw.bound_local()
            {
                endpoints.list.push(Endpoint {
                    socket: socket_id(new_sock)?,
                    transport: Transport::Tcp,
                    local: addr(local)?,
                    peer: Some(addr(peer)?),
                    since_us: t_us,
                });
                continue;
            }
            let failed_bind = matches!(
                &raw.what,
                What::Bind {
                    result: Outcome::Failed(_),
                    ..
                }
            );
            let connect = matches!(raw.what, What::Connect { .. });
            let Some(local) = raw.bound_local() else {
                continue;
            };
            let Some(&(_, transport, since_us)) = created.iter().find(|(s, _, _)| *s == id) else {
                continue;
            };
            // A connect() gives a bound socket its peer; any other call only
            // shows a port the socket already had.
            if failed_bind || (!connect && endpoints.list.iter().any(|e| e.socket == id)) {
                continue;
            }
            let peer = match (&raw.what, transport) {
                (What::Connect { addr: to, .. }, Transport::Tcp) => Some(addr(to)?),
                _ => None,
            };
            endpoints.list.push(Endpoint {
                socket: id,
                transport,
                local: addr(local)?,
                peer,
                since_us,
            });
        }
        Ok(endpoints)
    }

    /// The socket at `local` talking to `peer` at `t_us`.
    pub fn find(
        &self,
        transport: Transport,
        local: SocketAddr,
        peer: SocketAddr,
        t_us: u64,
    ) -> Option<SocketId> {
        let rev = || {
            self.list
                .iter()
                .rev()
                .filter(|e| e.transport == transport && e.since_us <= t_us)
        };
        rev()
            .find(|e| same(e.local, local) && e.peer == Some(peer))
            .or_else(|| rev().find(|e| same(e.local, local) && e.peer.is_none()))
            .map(|e| e.socket)
    }

    /// The TCP socket connected from `local` to `peer` at `t_us`: never a
    /// listener, which only shares the address.
    pub fn connected(&self, local: SocketAddr, peer: SocketAddr, t_us: u64) -> Option<SocketId> {
        self.list
            .iter()
            .rev()
            .find(|e| {
                e.transport == Transport::Tcp
                    && e.since_us <= t_us
                    && same(e.local, local)
                    && e.peer == Some(peer)
            })
            .map(|e| e.socket)
    }
}

/// Whether a socket bound to `bound` owns packets addressed to `addr`: the
/// same port, and the same address unless bound to the wildcard.
fn same(bound: SocketAddr, addr: SocketAddr) -> bool {
    bound.port() == addr.port() && (bound.ip().is_unspecified() || bound.ip() == addr.ip())
}
