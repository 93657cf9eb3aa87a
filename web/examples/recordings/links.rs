//! The sockets' addresses in a calls file, for linking each segment to the
//! socket that sent it and the one it was addressed to by the very rule
//! the relay links its own capture with ([`Endpoints::find`], in the
//! capture crate): the newest socket, among those that owned their
//! addresses by the packet's time, whose local address matches and whose
//! peer is the other end, else one with no peer (a listener, a UDP socket).
//!
//! A socket owns its addresses from its creation, except one that accept()
//! returned, which owns them from accept(): until then the connection's
//! packets (its SYN first) belong to the listener, as the relay says.

use std::net::SocketAddr;

use sockscope_capture::{Endpoint, Endpoints};
use sockscope_shared::{SocketId, Transport};

use crate::calls::{AcceptResult, CallsFile, Outcome, SocketType, What, socket_id};
use crate::convert::ConvertError;

fn addr(text: &str) -> Result<SocketAddr, ConvertError> {
    text.parse()
        .map_err(|_| ConvertError::BadAddress(text.to_owned()))
}

/// The sockets of a calls file: a socket is linked once a call shows
/// its port (bind, connect, or the sendto() that bound it).
///
/// # Errors
/// [`ConvertError`] for a socket name or an address that does not
/// parse.
pub fn from_calls(file: &CallsFile) -> Result<Endpoints, ConvertError> {
    let mut created: Vec<(SocketId, Transport, u64)> = Vec::new();
    let mut endpoints = Endpoints::new();
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
            endpoints.push(Endpoint {
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
        if failed_bind || (!connect && endpoints.knows(id)) {
            continue;
        }
        let peer = match (&raw.what, transport) {
            (What::Connect { addr: to, .. }, Transport::Tcp) => Some(addr(to)?),
            _ => None,
        };
        endpoints.push(Endpoint {
            socket: id,
            transport,
            local: addr(local)?,
            peer,
            since_us,
        });
    }
    Ok(endpoints)
}
