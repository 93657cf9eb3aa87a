//! Capturing inside a lab's namespace.
//!
//! A packet socket belongs to the network namespace of the thread that
//! opened it, and a thread starts in its parent's namespace. So the lab's
//! capture is libpcap as on loopback, started from a thread inside the
//! side's namespace ([`sockscope_lab::Lab::in_namespace`]): the capture
//! thread it spawns opens its device there, and stays there.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sockscope_capture::{Capture, CaptureEvent, Unavailable};
use sockscope_lab::{Lab, Side};
use tokio::sync::mpsc;

use super::source::{PacketSource, Tap};

/// Opens captures on one side of a lab.
#[derive(Debug, Clone)]
pub struct LabSide {
    pub lab: Arc<Lab>,
    pub side: Side,
}

impl PacketSource for LabSide {
    fn probe(&self, _interface: &str) -> Result<(), Unavailable> {
        // Whoever may build a lab may capture in it.
        Ok(())
    }

    fn start(
        &self,
        interface: &str,
        payload_cap: usize,
        events: mpsc::Sender<CaptureEvent>,
    ) -> BoxFuture<'static, Result<Box<dyn Tap>, Unavailable>> {
        let interface = interface.to_owned();
        let LabSide { lab, side } = self.clone();
        let runtime = tokio::runtime::Handle::current();
        Box::pin(async move {
            // Entering the namespace takes a thread of its own, which then
            // waits for libpcap to open: off the async workers.
            let opened = tokio::task::spawn_blocking(move || {
                lab.in_namespace(side, || {
                    runtime.block_on(Capture::start(&interface, payload_cap, events))
                })
            })
            .await;
            match opened {
                Ok(Ok(Ok(capture))) => Ok(Box::new(capture) as Box<dyn Tap>),
                Ok(Ok(Err(unavailable))) => Err(unavailable),
                Ok(Err(lab_error)) => Err(Unavailable::failed(format!(
                    "cannot enter the lab's {side:?} namespace to capture: {lab_error}"
                ))),
                Err(join) => Err(Unavailable::failed(format!(
                    "the lab's capture could not start: {join}"
                ))),
            }
        })
    }
}
