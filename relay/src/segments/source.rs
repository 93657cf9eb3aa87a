//! Where a session's packets come from: libpcap on this machine, or a
//! stand-in.
//!
//! The session steers its capture by ports and reads what it reports; it
//! never needs libpcap itself. Putting that behind [`PacketSource`] and
//! [`Tap`] lets a test stand in for the wire and decide when a filter
//! takes effect, which is how the relay's tests show that a slow capture
//! holds up no other socket. The relay runs with [`Libpcap`]
//! ([`crate::Config::packet_source`]).
//!
//! Both traits hand back boxed futures rather than blocking: the capture
//! thread answers through a oneshot, so waiting parks a task, not a tokio
//! worker.

use std::fmt;

use futures_util::future::BoxFuture;
use sockscope_capture::{Capture, CaptureEvent, Unavailable};
use tokio::sync::mpsc;

/// Opens captures on an interface.
pub trait PacketSource: Send + Sync + fmt::Debug {
    /// Whether capture is possible on `interface`, asked once when the
    /// relay starts.
    ///
    /// # Errors
    /// Why not, and what to run to allow it.
    fn probe(&self, interface: &str) -> Result<(), Unavailable>;

    /// Starts capturing on `interface`, reporting to `events` (payloads cut
    /// to `payload_cap` bytes). Nothing is reported until
    /// [`Tap::set_ports`] names ports.
    fn start(
        &self,
        interface: &str,
        payload_cap: usize,
        events: mpsc::Sender<CaptureEvent>,
    ) -> BoxFuture<'static, Result<Box<dyn Tap>, Unavailable>>;
}

/// A running capture, steered by ports. Dropping it stops the capture, and
/// may wait for a thread to end: drop it off the async workers.
pub trait Tap: Send + Sync {
    /// Asks for a new port filter now; the future resolves once it is in
    /// force. Filters take effect in the order they were asked for.
    fn set_ports(&self, ports: &[u16]) -> BoxFuture<'static, Result<(), Unavailable>>;

    /// Why the capture stopped on its own, once its channel has closed.
    fn failure(&self) -> Option<Unavailable>;
}

/// Live capture with libpcap, through the capture crate.
#[derive(Debug, Default, Clone, Copy)]
pub struct Libpcap;

impl PacketSource for Libpcap {
    fn probe(&self, interface: &str) -> Result<(), Unavailable> {
        sockscope_capture::probe(interface)
    }

    fn start(
        &self,
        interface: &str,
        payload_cap: usize,
        events: mpsc::Sender<CaptureEvent>,
    ) -> BoxFuture<'static, Result<Box<dyn Tap>, Unavailable>> {
        let interface = interface.to_owned();
        Box::pin(async move {
            let capture = Capture::start(&interface, payload_cap, events).await?;
            Ok(Box::new(capture) as Box<dyn Tap>)
        })
    }
}

impl Tap for Capture {
    fn set_ports(&self, ports: &[u16]) -> BoxFuture<'static, Result<(), Unavailable>> {
        Box::pin(Capture::set_ports(self, ports))
    }

    fn failure(&self) -> Option<Unavailable> {
        Capture::failure(self)
    }
}

/// Drops a tap on a blocking thread when there is a runtime, since
/// stopping a capture thread may take a moment.
pub fn release(tap: Box<dyn Tap>) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn_blocking(move || drop(tap));
        }
        Err(_) => drop(tap),
    }
}
