//! Live packet capture and TCP/UDP segment parsing for sockscope.
//!
//! This crate sees the wire: it opens a libpcap capture on the right
//! interface, keeps the packets of the ports it is told to watch, parses
//! them into plain Rust values, and groups them into conversations with
//! Wireshark's relative numbers. It knows nothing of JSON, the WebSocket or
//! the page: the relay converts its values to protocol events at the edge.
//!
//! # Live capture
//!
//! ```no_run
//! # #[cfg(feature = "live")]
//! # async fn example() -> Result<(), sockscope_capture::Unavailable> {
//! use sockscope_capture::{Capture, CaptureEvent, Tracker, interface_for, probe};
//!
//! let interface = interface_for(std::net::Ipv4Addr::LOCALHOST.into());
//! probe(&interface)?; // Err tells the user what to run (setcap) to allow capture
//! let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
//! let capture = Capture::start(&interface, 4096, tx).await?;
//! capture.set_ports(&[9527]).await?; // packets of port 9527 are reported from now on
//! let mut tracker = Tracker::new();
//! while let Some(event) = rx.recv().await {
//!     match event {
//!         CaptureEvent::Packet(packet) => {
//!             let tracked = tracker.observe(&packet);
//!             let _ = (tracked.conn, tracked.rel_seq, packet.ts_us);
//!         }
//!         CaptureEvent::Stats { dropped_by_kernel, .. } => { let _ = dropped_by_kernel; }
//!     }
//! }
//! drop(capture); // stops the capture thread
//! # Ok(()) }
//! ```
//!
//! # The API
//!
//! - [`interface_for`]`(target: IpAddr) -> String`: `"lo"` for loopback
//!   targets, otherwise `"any"`.
//! - [`probe`]`(interface: &str) -> Result<(), Unavailable>`: whether a live
//!   capture can be opened. [`Unavailable`] has a `kind`, a `reason` and a
//!   `fix`; without CAP_NET_RAW the fix is the exact
//!   `sudo setcap cap_net_raw,cap_net_admin=eip <this program>` command.
//! - [`Capture::start`]`(interface, payload_cap, events: tokio::sync::mpsc::Sender<CaptureEvent>)
//!   -> impl Future<Output = Result<Capture, Unavailable>>` runs libpcap
//!   (immediate mode) on its own thread; [`Capture::set_ports`]`(&[u16]) ->
//!   impl Future<Output = Result<(), Unavailable>>` sends the new kernel
//!   filter at once and resolves once it is in force (no ports: nothing is
//!   reported). The thread answers both through a tokio oneshot, so
//!   awaiting them parks no tokio worker. [`Capture::failure`] says why a
//!   capture stopped on its own; dropping the `Capture` stops the thread
//!   (waiting at most 2 s, so async code drops it on a blocking thread).
//! - [`CaptureEvent`]: `Packet(Packet)` or `Stats { received,
//!   dropped_by_kernel, dropped_by_interface }` (about every 500 ms when they
//!   changed, and at the end). The channel closes when the capture ends.
//! - [`Packet`]`{ ts_us, src, dst, kind }` with [`PacketKind`]`::Tcp(`[`TcpSegment`]`)`,
//!   `::Udp { payload_len, payload }` or `::IcmpPortUnreachable` (whose
//!   `src`/`dst` are those of the UDP datagram that bounced).
//! - [`parse_packet`]`(link: LinkType, ts_us, frame: &[u8], payload_cap) ->
//!   Option<Packet>`: the pure parser behind both live capture and files, for
//!   Ethernet, Linux cooked SLL/SLL2, raw IP and BSD loopback frames
//!   ([`LinkType::from_dlt`] maps libpcap's numbers).
//! - [`Tracker`]`::observe(&Packet) -> Tracked { conn, forward, rel_seq,
//!   rel_ack, window_scaled }`: conversations and Wireshark's relative
//!   numbers, with no I/O.
//! - [`Connection`]`::observe(from: End, &Header) -> Changed { sender,
//!   receiver }`: the TCP state of each end of one conversation as its
//!   segments show it ([`EndState`]: SYN_SENT to TIME_WAIT and CLOSED), and
//!   what a capture cannot see of it (module `states`).
//! - [`Analyzer`]`::observe(&Packet) -> TcpAnalyses` (feature
//!   `protocol`): Wireshark's `tcp.analysis.*` flags for each packet of one
//!   capture, fed in capture order (module `analysis`).
//! - [`Endpoints`] (feature `protocol`): sockets' addresses and the rule
//!   that links a segment's two ends to the sockets that own them.
//! - [`read_file`]`(path) -> Result<Vec<Packet>, FileError>`: a pcap or
//!   pcapng file, read offline.
//!
//! # Features
//!
//! `live` (default) brings libpcap and tokio: [`Capture`], [`probe`],
//! [`interface_for`], [`read_file`] and [`Unavailable`]. Without it the
//! crate is the pure part, [`parse_packet`], [`LinkType`], [`Tracker`] and
//! the state machine [`Connection`],
//! which builds for `wasm32-unknown-unknown`: the page imports capture files
//! with it, so a file and a live run go through the same parser.
//!
//! # Loopback
//!
//! On `lo` the kernel hands every packet to packet sockets twice, once
//! going out and once coming in. libpcap drops the outgoing copy on the
//! loopback device (for `lo` and for `any`), so each packet is reported
//! exactly once, stamped when it came back in; the live tests check this
//! against tshark.

#[cfg(feature = "protocol")]
mod analysis;
#[cfg(feature = "protocol")]
mod endpoints;
#[cfg(feature = "live")]
mod file;
#[cfg(feature = "live")]
mod filter;
mod link;
#[cfg(feature = "live")]
mod live;
mod packet;
mod parse;
#[cfg(feature = "protocol")]
mod protocol;
mod states;
mod tracker;
#[cfg(feature = "live")]
mod unavailable;

#[cfg(feature = "protocol")]
pub use analysis::{Analyzer, REMEMBERED as ANALYZED_CONVERSATIONS};
#[cfg(feature = "protocol")]
pub use endpoints::{Endpoint, Endpoints};
#[cfg(feature = "live")]
pub use file::{FileError, read_file};
pub use link::LinkType;
#[cfg(feature = "live")]
pub use live::{Capture, CaptureEvent, interface_for, probe};
pub use packet::{Packet, PacketKind, SackBlock, TcpFlags, TcpOptions, TcpSegment, Timestamps};
pub use parse::parse_packet;
#[cfg(feature = "protocol")]
pub use protocol::{to_header, to_segment, to_tcp_state};
pub use states::{Changed, Connection, End, EndState, Header};
pub use tracker::{Tracked, Tracker};
#[cfg(feature = "live")]
pub use unavailable::{Unavailable, UnavailableKind};
