//! What only the kernel can tell about a socket: its TCP state (TCP_INFO)
//! and the bytes waiting in its receive buffer (SIOCINQ).
//!
//! This is the relay's one module with `unsafe`: neither socket2 nor nix
//! wraps these two calls. Each block is a single libc call on a file
//! descriptor borrowed from a live socket, with buffers sized by the types
//! the kernel writes.
#![allow(unsafe_code)]

use std::os::fd::AsRawFd;

use sockscope_shared::TcpState;

/// The socket's TCP state, or `None` if the kernel would not say.
pub fn tcp_state(socket: &impl AsRawFd) -> Option<TcpState> {
    // SAFETY: tcp_info is plain old data; zeroed is a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = libc::socklen_t::try_from(std::mem::size_of::<libc::tcp_info>()).ok()?;
    // SAFETY: `info` and `len` are valid for writes of the size given; the
    // kernel writes at most `len` bytes and updates `len`.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&raw mut info).cast(),
            &mut len,
        )
    };
    if rc != 0 || len < 1 {
        return None;
    }
    TcpState::from_kernel(info.tcpi_state)
}

/// Bytes in the receive queue that no recv() has taken yet.
pub fn recv_queue(socket: &impl AsRawFd) -> Option<u32> {
    let mut bytes: libc::c_int = 0;
    // SAFETY: SIOCINQ (= FIONREAD) writes one int through the pointer.
    let rc = unsafe { libc::ioctl(socket.as_raw_fd(), libc::FIONREAD, &mut bytes) };
    if rc != 0 {
        return None;
    }
    u32::try_from(bytes).ok()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn listener_and_connection_states_and_queue() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        assert_eq!(tcp_state(&listener), Some(TcpState::Listen));
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        assert_eq!(tcp_state(&client), Some(TcpState::Established));
        client.write_all(b"hello").unwrap();
        // The bytes cross loopback at once, but give the kernel a moment.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while recv_queue(&server) != Some(5) && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(recv_queue(&server), Some(5));
    }
}
