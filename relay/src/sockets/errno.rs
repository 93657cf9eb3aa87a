//! Turning a failed system call into something a learner can act on.
//!
//! The errno name (`ECONNREFUSED`) is what a learner will meet again in
//! their own programs and tutorials, so it always comes first; the sentence
//! after it says what happened on the wire and what to try.

use std::{io, net::SocketAddr};

use nix::errno::Errno;
use sockscope_shared::OsError;

/// Which call failed, and on what, so the message can be specific.
#[derive(Debug, Clone, Copy)]
pub enum Context {
    Bind(SocketAddr),
    Listen,
    Accept,
    Connect(SocketAddr),
    Send,
    Recv,
    SetOption,
    Shutdown,
    SendTo(SocketAddr),
    RecvFrom,
}

/// Describes `err`, returned by the call in `context`.
pub fn describe(err: &io::Error, context: Context) -> OsError {
    let Some(code) = err.raw_os_error() else {
        let message = if err.kind() == io::ErrorKind::TimedOut {
            "timed out: no answer came back (is the host reachable and the port open?)".into()
        } else {
            err.to_string()
        };
        let (errno, code) = if err.kind() == io::ErrorKind::TimedOut {
            ("ETIMEDOUT".to_owned(), Errno::ETIMEDOUT as i32)
        } else {
            ("EIO".to_owned(), Errno::EIO as i32)
        };
        return OsError {
            errno,
            code,
            message,
        };
    };
    let errno = Errno::from_raw(code);
    OsError {
        errno: format!("{errno:?}"),
        code,
        message: explain(errno, context),
    }
}

fn explain(errno: Errno, context: Context) -> String {
    use Context::*;
    match (errno, context) {
        (Errno::EADDRINUSE, Bind(addr)) => format!(
            "Address already in use: another socket holds {addr}. If a server there just closed, \
             its connections may linger in TIME_WAIT for about a minute: set SO_REUSEADDR (on \
             Linux the old socket needs it too), wait, or pick another port."
        ),
        (Errno::EACCES, Bind(addr)) => format!(
            "Permission denied: binding {addr} needs root because ports below 1024 are \
             privileged. Use a port from 1024 up."
        ),
        (Errno::EADDRNOTAVAIL, Bind(addr)) => format!(
            "Cannot assign requested address: this machine has no address {}.",
            addr.ip()
        ),
        (Errno::ECONNREFUSED, Connect(addr)) => format!(
            "Connection refused: nothing is listening on {addr}, so the kernel answered the SYN \
             with RST. Open a listener on that port first."
        ),
        (Errno::ECONNREFUSED, _) => "Connection refused: an earlier datagram reached a port \
             with no socket, and ICMP port unreachable came back."
            .into(),
        (Errno::ETIMEDOUT, Connect(addr)) => format!(
            "Connection timed out: {addr} never answered the SYN. Is the host up and is a \
             firewall dropping packets?"
        ),
        (Errno::ENETUNREACH | Errno::EHOSTUNREACH, Connect(addr) | SendTo(addr)) => format!(
            "No route to {}: this machine does not know how to reach that network.",
            addr.ip()
        ),
        (Errno::ECONNRESET, _) => "Connection reset by peer: the other side aborted the \
             connection with RST (it closed with unread data, or with SO_LINGER 0)."
            .into(),
        (Errno::EPIPE, _) => "Broken pipe: this connection can no longer send (it was shut \
             down for writing, or the peer reset it)."
            .into(),
        (Errno::ENOTCONN, _) => {
            "Transport endpoint is not connected: the connection is not (or no longer) open.".into()
        }
        (Errno::EINVAL, Listen) => {
            "Invalid argument: this socket cannot listen (is it already connected?).".into()
        }
        (Errno::EMSGSIZE, SendTo(_)) => {
            "Message too long: a UDP datagram carries at most 65,507 bytes over IPv4.".into()
        }
        (other, _) => format!("{}.", other.desc()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(code: Errno, context: Context) -> OsError {
        describe(&io::Error::from_raw_os_error(code as i32), context)
    }

    #[test]
    fn refused_names_the_errno_and_the_port() {
        let err = os(
            Errno::ECONNREFUSED,
            Context::Connect("127.0.0.1:9".parse().unwrap()),
        );
        assert_eq!(err.errno, "ECONNREFUSED");
        assert!(err.message.contains("127.0.0.1:9"), "{}", err.message);
        assert!(err.message.contains("RST"), "{}", err.message);
    }

    #[test]
    fn in_use_suggests_so_reuseaddr() {
        let err = os(
            Errno::EADDRINUSE,
            Context::Bind("127.0.0.1:9527".parse().unwrap()),
        );
        assert_eq!(err.errno, "EADDRINUSE");
        assert!(err.message.contains("SO_REUSEADDR"), "{}", err.message);
    }

    #[test]
    fn other_errnos_fall_back_to_the_system_text() {
        let err = os(Errno::ENOBUFS, Context::Send);
        assert_eq!(err.errno, "ENOBUFS");
        assert!(!err.message.is_empty());
    }
}
