//! The TCP counters of connections that belong to other programs, read
//! from the kernel's socket table the way `ss -ti` reads them.
//!
//! `getsockopt(TCP_INFO)` ([`super::kernel::tcp_info`]) needs a file
//! descriptor, so it only answers for the relay's own sockets. When the
//! page watches a port of another program (a server the learner started
//! themselves), the relay holds no descriptor for its connections, yet the
//! learner still wants to see their congestion window and round-trip time.
//!
//! sock_diag is how the kernel answers that: a netlink protocol
//! (`NETLINK_SOCK_DIAG`, `man 7 sock_diag`) on which a program sends one
//! request, "dump every TCP socket of this address family in these
//! states", and reads back one message per socket: its addresses, its
//! state, and the attributes it asked for. Asking for the `INET_DIAG_INFO`
//! extension adds the socket's `struct tcp_info`, the very struct
//! `TCP_INFO` returns. `ss -ti` is built on this. Reading the table needs
//! no privilege, and it lists the sockets of every program and user.
//!
//! Only connections are asked for: not listeners, which have no counters
//! worth showing, and not TIME_WAIT or CLOSE, where the kernel keeps no
//! `tcp_info`. A connection still half-open on the server side (a request
//! socket in SYN_RECV) comes without `tcp_info` and so is left out. The
//! dump holds every connection on the machine; it is filtered by port
//! here, after the fact, rather than with the kernel's filter bytecode,
//! because the table is small and the bytecode is a language of its own.
//!
//! The netlink crate hands `INET_DIAG_INFO` over as raw bytes (its
//! `rich_nlas` feature would parse them, but into a struct of one fixed
//! size that fails on a kernel whose struct is shorter, and through a
//! second conversion). The bytes go through
//! [`super::kernel::tcp_info_from_bytes`] instead, the same conversion
//! `getsockopt` uses, so both paths agree on which fields a kernel left
//! absent.

use std::{
    fmt, io,
    net::{IpAddr, SocketAddr, SocketAddrV6},
};

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_sock_diag::{
    SockDiagMessage,
    constants::{AF_INET, AF_INET6, IPPROTO_TCP},
    inet::{ExtensionFlags, InetRequest, InetResponse, SocketId, StateFlags, nlas::Nla},
};
use netlink_sys::{Socket, SocketAddr as NetlinkAddress, protocols::NETLINK_SOCK_DIAG};
use sockscope_shared::TcpInfo;

use super::kernel;

/// Room for one datagram of the dump. The kernel sizes a dump's datagrams
/// to the reader's buffer, up to 32 KiB; `MSG_TRUNC` tells if one was
/// larger all the same, rather than losing its tail unseen.
const DATAGRAM_ROOM: usize = 32 * 1024;

/// Netlink messages in a datagram start on 4-byte boundaries
/// (`NLMSG_ALIGNTO`).
const MESSAGE_ALIGNMENT: usize = 4;

/// One connection the kernel reported, with its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagConnection {
    pub local: SocketAddr,
    pub peer: SocketAddr,
    pub info: TcpInfo,
}

/// Why the kernel's socket table could not be read.
#[derive(Debug)]
pub enum DiagError {
    /// The netlink socket could not be opened, bound or connected.
    Socket(io::Error),
    /// The dump request could not be sent.
    Send(io::Error),
    /// The reply could not be read, or the kernel answered with an error.
    Receive(io::Error),
    /// The reply was not the netlink messages it should be.
    Decode(String),
}

impl fmt::Display for DiagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiagError::Socket(error) => write!(f, "could not open a sock_diag socket: {error}"),
            DiagError::Send(error) => write!(f, "could not ask for the socket table: {error}"),
            DiagError::Receive(error) => {
                write!(f, "could not read the kernel's socket table: {error}")
            }
            DiagError::Decode(what) => {
                write!(f, "could not decode the kernel's socket table: {what}")
            }
        }
    }
}

impl std::error::Error for DiagError {}

/// The TCP connections whose local or peer port is one of `ports`, with
/// their TCP_INFO. Blocking (a netlink round trip): call it from a
/// blocking thread (`tokio::task::spawn_blocking`), never inside async
/// code.
pub fn tcp_connections(ports: &[u16]) -> Result<Vec<DiagConnection>, DiagError> {
    if ports.is_empty() {
        return Ok(Vec::new());
    }
    let socket = open_socket()?;
    let mut connections = Vec::new();
    // One dump per family: an AF_INET6 dump lists only IPv6 sockets
    // (dual-stack ones with IPv4-mapped addresses among them), never the
    // AF_INET ones.
    for family in [AF_INET, AF_INET6] {
        request_dump(&socket, family)?;
        receive_dump(&socket, ports, &mut connections)?;
    }
    Ok(connections)
}

/// A netlink socket talking to the kernel (port 0), closed when dropped.
fn open_socket() -> Result<Socket, DiagError> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG).map_err(DiagError::Socket)?;
    socket.bind_auto().map_err(DiagError::Socket)?;
    socket
        .connect(&NetlinkAddress::new(0, 0))
        .map_err(DiagError::Socket)?;
    Ok(socket)
}

/// The states of a connection that has, or may still have, `tcp_info`.
fn connection_states() -> StateFlags {
    StateFlags::ESTABLISHED
        | StateFlags::SYN_SENT
        | StateFlags::SYN_RECV
        | StateFlags::FIN_WAIT1
        | StateFlags::FIN_WAIT2
        | StateFlags::CLOSE_WAIT
        | StateFlags::LAST_ACK
        | StateFlags::CLOSING
}

/// Sends "dump the TCP connections of `family`, with their `tcp_info`".
fn request_dump(socket: &Socket, family: u8) -> Result<(), DiagError> {
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    // A dump ignores the addresses and ports in the id: all zero asks for
    // every socket.
    let socket_id = if family == AF_INET6 {
        SocketId::new_v6()
    } else {
        SocketId::new_v4()
    };
    let request = SockDiagMessage::InetRequest(InetRequest {
        family,
        protocol: IPPROTO_TCP,
        extensions: ExtensionFlags::INFO,
        states: connection_states(),
        socket_id,
    });
    let mut message = NetlinkMessage::new(header, request.into());
    message.finalize();
    // serialize() writes into a buffer of exactly the length it reports.
    let mut bytes = vec![0; message.buffer_len()];
    message.serialize(&mut bytes);
    let sent = socket.send(&bytes, 0).map_err(DiagError::Send)?;
    if sent != bytes.len() {
        return Err(DiagError::Send(io::Error::new(
            io::ErrorKind::WriteZero,
            format!("sent {sent} of the request's {} bytes", bytes.len()),
        )));
    }
    Ok(())
}

/// Reads the dump's datagrams until the kernel's `NLMSG_DONE`, keeping the
/// connections on one of `ports`.
fn receive_dump(
    socket: &Socket,
    ports: &[u16],
    connections: &mut Vec<DiagConnection>,
) -> Result<(), DiagError> {
    let mut datagram = vec![0; DATAGRAM_ROOM];
    loop {
        // With MSG_TRUNC, recv() returns the datagram's whole length even
        // when only part of it fit.
        let length = socket
            .recv(&mut &mut datagram[..], libc::MSG_TRUNC)
            .map_err(DiagError::Receive)?;
        let Some(received) = datagram.get(..length) else {
            return Err(DiagError::Decode(format!(
                "a datagram of {length} bytes did not fit in {DATAGRAM_ROOM}"
            )));
        };
        if received.is_empty() {
            return Err(DiagError::Decode(
                "the dump ended without NLMSG_DONE".to_owned(),
            ));
        }
        let mut rest = received;
        while !rest.is_empty() {
            let message = NetlinkMessage::<SockDiagMessage>::deserialize(rest)
                .map_err(|error| DiagError::Decode(error.to_string()))?;
            let message_length = usize::try_from(message.header.length).unwrap_or(usize::MAX);
            if message_length == 0 {
                return Err(DiagError::Decode("a message of length 0".to_owned()));
            }
            match message.payload {
                NetlinkPayload::Done(_) => return Ok(()),
                NetlinkPayload::Error(error) if error.code.is_some() => {
                    return Err(DiagError::Receive(error.to_io()));
                }
                NetlinkPayload::Overrun(_) => {
                    return Err(DiagError::Decode(
                        "the kernel reported an overrun".to_owned(),
                    ));
                }
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(response)) => {
                    connections.extend(connection_on(&response, ports));
                }
                // An acknowledgement, a no-op: nothing to keep.
                _ => {}
            }
            let next = message_length.next_multiple_of(MESSAGE_ALIGNMENT);
            rest = rest.get(next..).unwrap_or_default();
        }
    }
}

/// The connection a response describes, if one of its ports is in `ports`
/// and the kernel sent its `tcp_info`.
fn connection_on(response: &InetResponse, ports: &[u16]) -> Option<DiagConnection> {
    let id = &response.header.socket_id;
    if !ports.contains(&id.source_port) && !ports.contains(&id.destination_port) {
        return None;
    }
    let tcp_info_bytes = response.nlas.iter().find_map(|nla| match nla {
        Nla::TcpInfo(bytes) => Some(bytes),
        _ => None,
    })?;
    Some(DiagConnection {
        local: socket_address(id.source_address, id.source_port, id.interface_id),
        peer: socket_address(id.destination_address, id.destination_port, id.interface_id),
        info: kernel::tcp_info_from_bytes(tcp_info_bytes)?,
    })
}

/// The address as `getsockname()` would give it: a link-local IPv6
/// address carries the interface it is bound to as its scope, which is
/// what the kernel reports as the socket's interface.
fn socket_address(ip: IpAddr, port: u16, interface: u32) -> SocketAddr {
    match ip {
        IpAddr::V4(_) => SocketAddr::new(ip, port),
        IpAddr::V6(v6) => {
            let scope = if v6.is_unicast_link_local() {
                interface
            } else {
                0
            };
            SocketAddr::V6(SocketAddrV6::new(v6, port, 0, scope))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        io::Write,
        net::{TcpListener, TcpStream},
        time::{Duration, Instant},
    };

    use sockscope_shared::TcpState;

    use super::*;

    #[test]
    fn finds_both_ends_of_a_connection_with_the_sockets_own_counters() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server_address = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(server_address).unwrap();
        let client_address = client.local_addr().unwrap();
        let (_server, _) = listener.accept().unwrap();
        client.write_all(&[7; 4000]).unwrap();
        // The SYN counts as one byte acknowledged.
        let all_acked = 4001;
        let deadline = Instant::now() + Duration::from_secs(2);
        while kernel::tcp_info(&client).is_none_or(|info| info.bytes_acked < all_acked)
            && Instant::now() < deadline
        {
            std::thread::yield_now();
        }
        let own = kernel::tcp_info(&client).unwrap();
        assert_eq!(own.bytes_acked, all_acked);

        let found = tcp_connections(&[server_address.port()]).unwrap();

        let client_side = found
            .iter()
            .find(|c| c.local == client_address && c.peer == server_address)
            .unwrap_or_else(|| panic!("no client side in {found:#?}"));
        assert_eq!(client_side.info.state, TcpState::Established);
        assert_eq!(client_side.info.snd_cwnd, own.snd_cwnd);
        assert_eq!(client_side.info.snd_mss, own.snd_mss);
        assert_eq!(client_side.info.bytes_acked, own.bytes_acked);
        let server_side = found
            .iter()
            .find(|c| c.local == server_address && c.peer == client_address)
            .unwrap_or_else(|| panic!("no server side in {found:#?}"));
        assert_eq!(server_side.info.bytes_received, 4000);
        assert!(
            found.iter().all(|c| c.info.state != TcpState::Listen),
            "the listener is not a connection: {found:#?}"
        );
    }

    #[test]
    fn no_ports_no_dump() {
        assert_eq!(tcp_connections(&[]).unwrap(), []);
    }
}
