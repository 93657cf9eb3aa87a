//! What only the kernel can tell about a socket: its TCP counters
//! (TCP_INFO) and the bytes waiting in its receive buffer (SIOCINQ).
//!
//! This is the relay's one module with `unsafe`: neither socket2 nor nix
//! wraps these two calls. Each block is a single libc call on a file
//! descriptor borrowed from a live socket, with buffers sized by the types
//! the kernel writes.
//!
//! `struct tcp_info` grows with the kernel: an older kernel writes a
//! shorter prefix of it and says how long. A field past the returned
//! length was never written, so it is read as absent, never as zero.
#![allow(unsafe_code)]

use std::{
    mem::offset_of,
    os::fd::{AsFd, AsRawFd},
};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use sockscope_shared::{CaState, TcpInfo, TcpState};

/// `TCP_INFINITE_SSTHRESH`: no loss has set the slow-start threshold yet.
const INFINITE_SSTHRESH: u32 = 0x7fff_ffff;

/// The socket's TCP state, or `None` if the kernel would not say.
pub fn tcp_state(socket: &impl AsRawFd) -> Option<TcpState> {
    let (raw, len) = raw_tcp_info(socket)?;
    if len < 1 {
        return None;
    }
    TcpState::from_kernel(raw.tcpi_state)
}

/// The socket's TCP counters, or `None` if the kernel would not say or is
/// older than Linux 4.9 (the first to return `tcpi_delivery_rate`).
pub fn tcp_info(socket: &impl AsRawFd) -> Option<TcpInfo> {
    let (raw, len) = raw_tcp_info(socket)?;
    tcp_info_from(&raw, len)
}

/// TCP counters from the `struct tcp_info` that sock_diag's
/// `INET_DIAG_INFO` attribute carries: the same layout as `TCP_INFO`, as
/// long as the kernel's version of it. At most the part of it this build
/// of libc knows is read; a shorter one leaves the rest absent.
pub(crate) fn tcp_info_from_bytes(bytes: &[u8]) -> Option<TcpInfo> {
    let copied = bytes.len().min(size_of::<libc::tcp_info>());
    // SAFETY: tcp_info is plain old data; zeroed is a valid value.
    let mut raw: libc::tcp_info = unsafe { std::mem::zeroed() };
    // SAFETY: `copied` is at most the length of both the source slice and
    // the destination struct, and the two do not overlap. Any bytes make a
    // valid tcp_info: all its fields are integers.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), (&raw mut raw).cast::<u8>(), copied);
    }
    tcp_info_from(&raw, copied)
}

/// TCP counters from a `struct tcp_info` of which the kernel wrote the
/// first `len` bytes, however it was read: fields past `len` are absent,
/// and a struct too short to reach `tcpi_delivery_rate` (older than Linux
/// 4.9) gives `None`.
pub(crate) fn tcp_info_from(raw: &libc::tcp_info, len: usize) -> Option<TcpInfo> {
    let written = |offset: usize, size: usize| len >= offset + size;
    macro_rules! newer {
        ($field:ident) => {
            written(offset_of!(libc::tcp_info, $field), size_of_val(&raw.$field))
                .then_some(raw.$field)
        };
    }
    if !written(offset_of!(libc::tcp_info, tcpi_delivery_rate), 8) {
        return None;
    }
    Some(TcpInfo {
        state: TcpState::from_kernel(raw.tcpi_state)?,
        ca_state: CaState::from_kernel(raw.tcpi_ca_state)?,
        retransmits: raw.tcpi_retransmits,
        backoff: raw.tcpi_backoff,
        rto_us: raw.tcpi_rto,
        ato_us: raw.tcpi_ato,
        snd_mss: raw.tcpi_snd_mss,
        rcv_mss: raw.tcpi_rcv_mss,
        unacked: raw.tcpi_unacked,
        sacked: raw.tcpi_sacked,
        lost: raw.tcpi_lost,
        retrans: raw.tcpi_retrans,
        total_retrans: raw.tcpi_total_retrans,
        rtt_us: raw.tcpi_rtt,
        rttvar_us: raw.tcpi_rttvar,
        min_rtt_us: raw.tcpi_min_rtt,
        snd_cwnd: raw.tcpi_snd_cwnd,
        snd_ssthresh: (raw.tcpi_snd_ssthresh < INFINITE_SSTHRESH).then_some(raw.tcpi_snd_ssthresh),
        rcv_space: raw.tcpi_rcv_space,
        pacing_rate: (raw.tcpi_pacing_rate != u64::MAX).then_some(raw.tcpi_pacing_rate),
        delivery_rate: raw.tcpi_delivery_rate,
        notsent_bytes: raw.tcpi_notsent_bytes,
        bytes_acked: raw.tcpi_bytes_acked,
        bytes_received: raw.tcpi_bytes_received,
        snd_wnd: newer!(tcpi_snd_wnd),
        rcv_wnd: newer!(tcpi_rcv_wnd),
        total_rto: newer!(tcpi_total_rto),
    })
}

/// `getsockopt(TCP_INFO)`: the struct, and how many bytes of it the
/// kernel wrote.
fn raw_tcp_info(socket: &impl AsRawFd) -> Option<(libc::tcp_info, usize)> {
    // SAFETY: tcp_info is plain old data; zeroed is a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = libc::socklen_t::try_from(size_of::<libc::tcp_info>()).ok()?;
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
    if rc != 0 {
        return None;
    }
    Some((info, usize::try_from(len).ok()?))
}

/// Whether a recv(), recvfrom() or accept() on the socket would return now
/// rather than wait: data, a datagram, a completed connection, the end of
/// the stream or an error is there to be taken (`poll` with no timeout).
pub fn readable_now(socket: &impl AsFd) -> bool {
    let mut fds = [PollFd::new(socket.as_fd(), PollFlags::POLLIN)];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(ready) => ready > 0,
        // A socket poll() cannot ask: let the call itself say why.
        Err(_) => true,
    }
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
        assert!(!readable_now(&listener), "the queue is empty again");
        assert!(!readable_now(&server), "nothing sent yet");
        assert_eq!(tcp_state(&client), Some(TcpState::Established));
        client.write_all(b"hello").unwrap();
        // The bytes cross loopback at once, but give the kernel a moment.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while recv_queue(&server) != Some(5) && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(recv_queue(&server), Some(5));
        assert!(readable_now(&server));
    }

    #[test]
    fn counters_of_a_connection_that_sent() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_server, _) = listener.accept().unwrap();
        client.write_all(&[7; 1000]).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let mut info = tcp_info(&client).unwrap();
        while info.bytes_acked < 1001 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
            info = tcp_info(&client).unwrap();
        }
        assert_eq!(info.state, TcpState::Established);
        assert_eq!(info.ca_state, CaState::Open);
        // The SYN counts as one byte acknowledged.
        assert_eq!(info.bytes_acked, 1001);
        // Linux's initial window, which slow start may have grown by one
        // for the segment acknowledged.
        assert!((10..=11).contains(&info.snd_cwnd), "{info:?}");
        assert_eq!(info.snd_ssthresh, None, "no loss, no threshold");
        assert!(info.rtt_us > 0 && info.rto_us >= 200_000, "{info:?}");
        // This kernel (6.x) returns the newer fields.
        assert!(
            info.snd_wnd.is_some() && info.total_rto == Some(0),
            "{info:?}"
        );
        assert!(tcp_info(&listener).is_some_and(|l| l.state == TcpState::Listen));
    }

    #[test]
    fn counters_from_bytes_as_long_as_the_kernel_wrote() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (raw, len) = raw_tcp_info(&client).unwrap();
        // SAFETY: the struct's own bytes, no more than it has.
        let bytes = unsafe {
            std::slice::from_raw_parts((&raw const raw).cast::<u8>(), len.min(size_of_val(&raw)))
        };
        let full = tcp_info_from_bytes(bytes).unwrap();
        assert_eq!(Some(&full), tcp_info_from(&raw, len).as_ref());
        assert!(full.snd_wnd.is_some(), "{full:?}");
        // A kernel's struct longer than libc's is read as far as libc's.
        let mut longer = bytes.to_vec();
        longer.extend([0xff; 64]);
        assert_eq!(tcp_info_from_bytes(&longer), Some(full.clone()));
        // A Linux 4.9 struct ends with tcpi_delivery_rate.
        let linux_4_9 = offset_of!(libc::tcp_info, tcpi_delivery_rate) + 8;
        let older = TcpInfo {
            snd_wnd: None,
            rcv_wnd: None,
            total_rto: None,
            ..full
        };
        assert_eq!(tcp_info_from_bytes(&bytes[..linux_4_9]), Some(older));
        assert_eq!(tcp_info_from_bytes(&bytes[..linux_4_9 - 1]), None);
        assert_eq!(tcp_info_from_bytes(&[]), None);
    }
}
