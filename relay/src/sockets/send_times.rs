//! When a send()'s bytes left and when the peer acknowledged them, told by
//! the kernel itself (SO_TIMESTAMPING).
//!
//! send() returns as soon as the kernel has copied the bytes into the
//! socket's send buffer; it says nothing of when they leave (Nagle, a
//! closed window or the congestion window can hold them) or when the
//! peer's ACK covers them (a delayed ACK, a loss and its retransmission).
//! With SO_TIMESTAMPING the kernel reports both, for the last byte of
//! each send() call: a software timestamp when the segment holding it is
//! handed to the device (`SOF_TIMESTAMPING_TX_SOFTWARE`) and another when
//! a cumulative ACK covers it (`SOF_TIMESTAMPING_TX_ACK`). Each report
//! comes on the socket's error queue, read with `recvmsg(MSG_ERRQUEUE)`,
//! and names its send by `SOF_TIMESTAMPING_OPT_ID`: for TCP, the offset
//! of that last byte in the stream, counted from when the option was set,
//! which is the connection's first byte since it is set before any send.
//! `SOF_TIMESTAMPING_OPT_TSONLY` keeps the kernel from copying the packet
//! back with each report.

use std::{io, os::fd::AsRawFd};

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, TimestampingFlag, recvmsg, setsockopt,
    sockopt::Timestamping,
};
use tokio::net::TcpStream;

/// `SCM_TSTAMP_SND` and `SCM_TSTAMP_ACK` (`linux/errqueue.h`): which
/// moment a report's `ee_info` names.
const SCM_TSTAMP_SND: u32 = 0;
const SCM_TSTAMP_ACK: u32 = 2;

/// The moment a report stamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The segment holding the send's last byte went to the device.
    Sent,
    /// A cumulative ACK covered the send's last byte.
    Acked,
}

/// One report: `last_byte` is the stream offset of the send's last byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendTime {
    pub last_byte: u64,
    pub stage: Stage,
    /// Microseconds since the Unix epoch, the clock of captured packets.
    pub t_us: u64,
}

/// Asks the kernel to stamp every send() on `stream` from now on.
pub fn enable(stream: &TcpStream) -> io::Result<()> {
    let flags = TimestampingFlag::SOF_TIMESTAMPING_SOFTWARE
        | TimestampingFlag::SOF_TIMESTAMPING_TX_SOFTWARE
        | TimestampingFlag::SOF_TIMESTAMPING_OPT_ID
        | TimestampingFlag::SOF_TIMESTAMPING_OPT_TSONLY
        // nix names no flag for the ACK timestamp; the kernel's bit it is.
        | TimestampingFlag::from_bits_retain(libc::SOF_TIMESTAMPING_TX_ACK);
    setsockopt(stream, Timestamping, &flags).map_err(io::Error::from)
}

/// One report from the error queue, if one waits: `Ok(None)` for a
/// message that is not a timestamp (an ICMP error the queue also holds).
/// `WouldBlock` when the queue is empty.
pub fn read_one(stream: &TcpStream) -> io::Result<Option<SendTime>> {
    let mut control = nix::cmsg_space!(
        nix::sys::socket::Timestamps,
        libc::sock_extended_err,
        libc::sockaddr_in6
    );
    let mut data = [0u8; 1];
    let mut iov = [io::IoSliceMut::new(&mut data)];
    let message = recvmsg::<SockaddrStorage>(
        stream.as_raw_fd(),
        &mut iov,
        Some(&mut control),
        MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT,
    )
    .map_err(io::Error::from)?;
    let mut stamp = None;
    let mut report = None;
    for cmsg in message.cmsgs().map_err(io::Error::from)? {
        match cmsg {
            ControlMessageOwned::ScmTimestampsns(times) => stamp = Some(times.system),
            ControlMessageOwned::Ipv4RecvErr(err, _) | ControlMessageOwned::Ipv6RecvErr(err, _)
                if err.ee_origin == libc::SO_EE_ORIGIN_TIMESTAMPING =>
            {
                report = Some((err.ee_info, err.ee_data));
            }
            _ => {}
        }
    }
    let (Some(time), Some((info, key))) = (stamp, report) else {
        return Ok(None);
    };
    let stage = match info {
        SCM_TSTAMP_SND => Stage::Sent,
        SCM_TSTAMP_ACK => Stage::Acked,
        _ => return Ok(None),
    };
    let t_us = u64::try_from(time.tv_sec()).unwrap_or(0) * 1_000_000
        + u64::try_from(time.tv_nsec()).unwrap_or(0) / 1_000;
    Ok(Some(SendTime {
        last_byte: u64::from(key),
        stage,
        t_us,
    }))
}
