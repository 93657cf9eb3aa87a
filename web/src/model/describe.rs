//! Words for calls and packets, as the diagram and the detail pane print
//! them: `recv(1024) → 15 bytes "hellohellohello"`,
//! `PSH, ACK seq=1 ack=1 len=5`.
//!
//! Labels read like the C calls a tutorial shows (`SHUT_WR`, `SO_REUSEADDR`)
//! and like Wireshark's packet list, so a learner can match them with what
//! they read elsewhere.

use sockscope_shared::{
    Bytes, Call, CallEvent, CallResult, Framing, Segment, SegmentEvent, ShutdownHow, SocketOption,
};

use super::hexdump::preview;

/// Relative sequence numbers (from 0 at the SYN, as Wireshark shows by
/// default) or the absolute ones on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Numbers {
    #[default]
    Relative,
    Absolute,
}

/// How long a payload preview may get in a label.
const PREVIEW: usize = 24;

/// `SYN, ACK seq=0 ack=1`, `UDP 20 bytes`, `ICMP port unreachable`.
pub fn segment_label(seg: &SegmentEvent, numbers: Numbers) -> String {
    match &seg.segment {
        Segment::Tcp {
            flags,
            seq,
            ack,
            rel_seq,
            rel_ack,
            payload_len,
            ..
        } => {
            let (seq, ack) = match numbers {
                Numbers::Relative => (*rel_seq, *rel_ack),
                Numbers::Absolute => (*seq, *ack),
            };
            let mut label = format!("{} seq={seq}", flags.label());
            if flags.ack {
                label.push_str(&format!(" ack={ack}"));
            }
            if *payload_len > 0 {
                label.push_str(&format!(" len={payload_len}"));
            }
            label
        }
        Segment::Udp(datagram) => format!("UDP len={}", datagram.payload_len),
        Segment::IcmpPortUnreachable => "ICMP port unreachable".to_string(),
    }
}

/// What a travelling packet carries written on it: its flags and payload
/// size, `PSH, ACK 3 B`, `SYN`, `UDP 20 B`.
pub fn flight_label(seg: &SegmentEvent) -> String {
    match &seg.segment {
        Segment::Tcp {
            flags, payload_len, ..
        } if *payload_len > 0 => format!("{} {payload_len} B", flags.label()),
        Segment::Tcp { flags, .. } => flags.label(),
        Segment::Udp(datagram) => format!("UDP {} B", datagram.payload_len),
        Segment::IcmpPortUnreachable => "ICMP".to_string(),
    }
}

/// `SO_LINGER {on, 0}` and friends.
pub fn option_label(option: &SocketOption) -> String {
    match option {
        SocketOption::TcpNodelay(on) => format!("TCP_NODELAY={}", u8::from(*on)),
        SocketOption::RecvBuffer(bytes) => format!("SO_RCVBUF={bytes}"),
        SocketOption::SendBuffer(bytes) => format!("SO_SNDBUF={bytes}"),
        SocketOption::LingerZero => "SO_LINGER {on, 0}".to_string(),
    }
}

pub fn shutdown_label(how: ShutdownHow) -> &'static str {
    match how {
        ShutdownHow::Read => "SHUT_RD",
        ShutdownHow::Write => "SHUT_WR",
        ShutdownHow::Both => "SHUT_RDWR",
    }
}

pub fn framing_label(framing: Framing) -> &'static str {
    match framing {
        Framing::None => "none",
        Framing::Ascii4 => "4 ASCII digits (zfill)",
        Framing::U32Le => "4 bytes little-endian ('<I')",
        Framing::U32Be => "4 bytes big-endian ('!I')",
    }
}

/// The call's C name alone: `recv`, `setsockopt`.
pub fn call_name(call: &Call) -> &'static str {
    match call {
        Call::Bind { .. } => "bind",
        Call::Listen { .. } => "listen",
        Call::Accept => "accept",
        Call::Connect { .. } => "connect",
        Call::Send { .. } => "send",
        Call::Recv { .. } => "recv",
        Call::SetOption { .. } => "setsockopt",
        Call::Shutdown { .. } => "shutdown",
        Call::Close => "close",
        Call::SendTo { .. } => "sendto",
        Call::RecvFrom { .. } => "recvfrom",
    }
}

/// The call with its arguments: `recv(1024)`.
pub fn call_label(call: &Call) -> String {
    match call {
        Call::Bind { addr, reuse_addr } => {
            if *reuse_addr {
                format!("bind({addr}) with SO_REUSEADDR")
            } else {
                format!("bind({addr})")
            }
        }
        Call::Listen { backlog } => format!("listen({backlog})"),
        Call::Accept => "accept()".to_string(),
        Call::Connect { addr } => format!("connect({addr})"),
        Call::Send { data, framing, .. } => {
            let framed = if *framing == Framing::None {
                ""
            } else {
                " framed"
            };
            format!("send({}){framed}", payload_preview(data))
        }
        Call::Recv { bufsize } => format!("recv({bufsize})"),
        Call::SetOption { option } => format!("setsockopt({})", option_label(option)),
        Call::Shutdown { how } => format!("shutdown({})", shutdown_label(*how)),
        Call::Close => "close()".to_string(),
        Call::SendTo { addr, data } => {
            format!("sendto({}, {addr})", payload_preview(data))
        }
        Call::RecvFrom { bufsize } => format!("recvfrom({bufsize})"),
    }
}

/// The start of a payload as text, or that its bytes were not kept
/// (`model::kept`).
fn payload_preview(data: &Bytes) -> String {
    if data.is_whole() {
        preview(data.as_slice(), PREVIEW)
    } else {
        "(not kept)".to_string()
    }
}

/// What the kernel answered: `15 bytes "hellohellohello"`, `ECONNREFUSED`.
pub fn result_label(result: &CallResult) -> String {
    match result {
        CallResult::Ok => "ok".to_string(),
        CallResult::Sent { bytes } => plural(*bytes, "byte"),
        CallResult::Data { data, .. } => format!(
            "{} {}",
            plural(data.len() as u64, "byte"),
            payload_preview(data)
        ),
        CallResult::EndOfStream { .. } => "b'' (end of stream: the peer sent FIN)".to_string(),
        CallResult::Accepted { new_socket, peer } => format!("socket {new_socket} from {peer}"),
        CallResult::Datagram {
            from,
            data,
            datagram_len,
        } => {
            let lost = result.truncated_bytes();
            if lost > 0 {
                format!(
                    "{} of {datagram_len} bytes from {from} {} ({lost} lost)",
                    data.len(),
                    payload_preview(data)
                )
            } else {
                format!(
                    "{} from {from} {}",
                    plural(data.len() as u64, "byte"),
                    payload_preview(data)
                )
            }
        }
        CallResult::Error(error) => error.errno.clone(),
    }
}

/// `recv(1024) → 15 bytes "hellohellohello"`.
pub fn call_event_label(call: &CallEvent) -> String {
    format!(
        "{} → {}",
        call_label(&call.call),
        result_label(&call.result)
    )
}

/// `n` thousandths (`places` 3) or tenths (`places` 1) written as a
/// decimal: `decimal(1234, 3)` is `1.234`. The page writes every fraction
/// this way, in integers: Rust's float formatter would add about 10 KB to
/// the page for the few numbers that need a decimal point.
pub fn decimal(n: u64, places: u32) -> String {
    let unit = 10u64.pow(places);
    format!("{}.{:0width$}", n / unit, n % unit, width = places as usize)
}

/// A setting as people write it, to a thousandth: `20`, `0.5`, `12.125`,
/// through integers like [`decimal`]. Negative and non-finite values (which
/// no setting takes) read as 0.
pub fn number(value: f64) -> String {
    // `as` saturates: NaN becomes 0, never a panic.
    let thousandths = (value.max(0.0) * 1000.0).round() as u64;
    let (whole, mut fraction) = (thousandths / 1000, thousandths % 1000);
    if fraction == 0 {
        return whole.to_string();
    }
    let mut places = 3;
    while fraction % 10 == 0 {
        fraction /= 10;
        places -= 1;
    }
    format!("{whole}.{fraction:0places$}")
}

/// A span of `us` microseconds: `35 µs` under a millisecond, else
/// `1.204 ms`.
pub fn duration(us: u64) -> String {
    if us < 1000 {
        format!("{us} µs")
    } else {
        format!("{} ms", decimal(us, 3))
    }
}

/// A count with its thousands separated: `100,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 byte`, `5 bytes`.
pub fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_counts_read_with_separators() {
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn decimals_are_written_from_integers() {
        assert_eq!(decimal(1234, 3), "1.234");
        assert_eq!(decimal(5, 3), "0.005");
        assert_eq!(decimal(1000, 3), "1.000");
        assert_eq!(decimal(15, 1), "1.5");
        assert_eq!(decimal(0, 1), "0.0");
        assert_eq!(duration(35), "35 µs");
        assert_eq!(duration(1204), "1.204 ms");
        assert_eq!(number(20.0), "20");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(0.05), "0.05");
        assert_eq!(number(12.125), "12.125");
        assert_eq!(number(f64::NAN), "0");
    }
    use sockscope_shared::{Bytes, Direction, OsError, TcpFlags, TcpOptions, Transport};

    fn data_segment() -> SegmentEvent {
        SegmentEvent {
            conn: 1,
            src: "127.0.0.1:45396".into(),
            dst: "127.0.0.1:9527".into(),
            direction: Direction::Forward,
            from_socket: sockscope_shared::NonZeroSocketId::new(2),
            to_socket: sockscope_shared::NonZeroSocketId::new(3),
            tap: None,
            crossing: None,
            analysis: sockscope_shared::TcpAnalyses::NONE,
            segment: Segment::Tcp {
                flags: TcpFlags {
                    psh: true,
                    ack: true,
                    ..TcpFlags::default()
                },
                seq: 1000,
                ack: 2000,
                rel_seq: 1,
                rel_ack: 1,
                window: 512,
                window_scaled: 65536,
                options: TcpOptions::default(),
                payload_len: 5,
                payload: Bytes::from(b"hello".to_vec()),
            },
        }
    }

    #[test]
    fn segments_read_like_wireshark() {
        let seg = data_segment();
        assert_eq!(
            segment_label(&seg, Numbers::Relative),
            "PSH, ACK seq=1 ack=1 len=5"
        );
        assert_eq!(
            segment_label(&seg, Numbers::Absolute),
            "PSH, ACK seq=1000 ack=2000 len=5"
        );
    }

    #[test]
    fn calls_read_like_c() {
        let call = CallEvent {
            socket: 3,
            request: None,
            transport: Transport::Tcp,
            call: Call::Recv { bufsize: 1024 },
            result: CallResult::Data {
                data: Bytes::from(b"hellohellohello".to_vec()),
                offset: 0,
            },
            local: None,
            peer: None,
            state: None,
        };
        assert_eq!(
            call_event_label(&call),
            "recv(1024) → 15 bytes \"hellohellohello\""
        );
        let refused = CallResult::Error(OsError {
            errno: "ECONNREFUSED".into(),
            code: 111,
            message: "refused".into(),
        });
        assert_eq!(result_label(&refused), "ECONNREFUSED");
        assert_eq!(call_name(&call.call), "recv");
        assert_eq!(
            call_label(&Call::Shutdown {
                how: ShutdownHow::Write
            }),
            "shutdown(SHUT_WR)"
        );
        let truncated = CallResult::Datagram {
            from: "127.0.0.1:5".into(),
            data: Bytes::from(b"twent".to_vec()),
            datagram_len: 20,
        };
        assert_eq!(
            result_label(&truncated),
            "5 of 20 bytes from 127.0.0.1:5 \"twent\" (15 lost)"
        );
    }
}
