//! The forwarder: one dedicated thread per lab that reads packets from each
//! side's TUN device, runs them through that direction's model, and writes
//! them to the other side when the model releases them.
//!
//! It waits in `ppoll` on both devices, an eventfd (for new settings and
//! for stopping) and a timerfd set for the next release (`alarm.rs`: an
//! absolute deadline, a short spin before it, and a real-time priority
//! when allowed, so that a 20 ms delay is 20 ms within tens of
//! microseconds). It never runs on a
//! tokio worker, and nothing async waits on it: settings arrive by a
//! channel, counts leave by a mutex held for a copy, events by a bounded
//! channel that counts what it could not take.

use std::io;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags};
use nix::sys::eventfd::{EfdFlags, EventFd};
use tun_rs::SyncDevice;

use crate::alarm::Alarm;
use crate::error::LabError;
use crate::events::{Direction, PathEvent, PathStats};
use crate::model::DirectionModel;
use crate::path::PathConfig;

/// The most packets read from one device before looking at the other, so
/// that one busy direction cannot starve the other.
const READ_BATCH: usize = 64;

/// Read buffer: larger than any MTU the lab allows.
const BUFFER: usize = 65_536;

/// What the lab asks of the forwarder thread.
enum Command {
    SetPath(Box<PathConfig>),
    Stop,
}

/// The running forwarder; dropping it stops the thread, which closes the
/// devices (a TUN device goes away with its last file descriptor).
#[derive(Debug)]
pub struct Forwarder {
    commands: Sender<Command>,
    pending: Arc<AtomicBool>,
    wake: Arc<EventFd>,
    stats: Arc<Mutex<PathStats>>,
    thread: Option<JoinHandle<()>>,
}

/// The two devices, by side.
pub struct Devices {
    /// The client namespace's device.
    pub client: SyncDevice,
    /// The server namespace's device.
    pub server: SyncDevice,
}

impl Forwarder {
    /// Starts the thread.
    ///
    /// # Errors
    ///
    /// `Device` if the eventfd cannot be made, `Thread` if the thread
    /// cannot start.
    pub fn start(
        devices: Devices,
        path: PathConfig,
        mtu: u16,
        events: tokio::sync::mpsc::Sender<PathEvent>,
    ) -> Result<Forwarder, LabError> {
        let wake = EventFd::from_flags(EfdFlags::EFD_NONBLOCK | EfdFlags::EFD_CLOEXEC)
            .map(Arc::new)
            .map_err(|errno| LabError::Device {
                name: "eventfd".into(),
                source: io::Error::from(errno),
            })?;
        let alarm = Alarm::new().map_err(|source| LabError::Device {
            name: "timerfd".into(),
            source,
        })?;
        let (commands, receiver) = std::sync::mpsc::channel();
        let pending = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Mutex::new(PathStats::default()));
        let state = Loop {
            devices,
            models: Models {
                client_to_server: DirectionModel::new(
                    Direction::ClientToServer,
                    path.client_to_server.clone(),
                    path.seed,
                    mtu,
                ),
                server_to_client: DirectionModel::new(
                    Direction::ServerToClient,
                    path.server_to_client.clone(),
                    path.seed,
                    mtu,
                ),
            },
            commands: receiver,
            pending: Arc::clone(&pending),
            wake: Arc::clone(&wake),
            alarm,
            stats: Arc::clone(&stats),
            events,
            events_missed: 0,
        };
        let thread = std::thread::Builder::new()
            .name("sockscope-lab".into())
            .spawn(move || state.run())
            .map_err(|source| LabError::Thread {
                role: "forwarder",
                source,
            })?;
        Ok(Forwarder {
            commands,
            pending,
            wake,
            stats,
            thread: Some(thread),
        })
    }

    /// Applies new settings to every packet read after this returns: the
    /// thread looks at `pending` before each packet it takes, so a packet
    /// sent after the call never slips through under the old settings,
    /// and the caller never waits for the thread.
    ///
    /// # Errors
    ///
    /// `ForwarderStopped` if the thread has ended.
    pub fn set_path(&self, path: PathConfig) -> Result<(), LabError> {
        self.commands
            .send(Command::SetPath(Box::new(path)))
            .map_err(|_| LabError::ForwarderStopped)?;
        self.pending.store(true, Ordering::Release);
        self.wake
            .write(1)
            .map_err(|_| LabError::ForwarderStopped)
            .map(drop)
    }

    /// The counts as of the forwarder's last turn.
    #[must_use]
    pub fn stats(&self) -> PathStats {
        *self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        let _sent = self.commands.send(Command::Stop);
        let _woken = self.wake.write(1);
        if let Some(thread) = self.thread.take() {
            let _joined = thread.join();
        }
    }
}

/// The two directions' models.
struct Models {
    client_to_server: DirectionModel,
    server_to_client: DirectionModel,
}

/// Everything the forwarder thread owns.
struct Loop {
    devices: Devices,
    models: Models,
    commands: Receiver<Command>,
    pending: Arc<AtomicBool>,
    wake: Arc<EventFd>,
    alarm: Alarm,
    stats: Arc<Mutex<PathStats>>,
    events: tokio::sync::mpsc::Sender<PathEvent>,
    events_missed: u64,
}

impl Loop {
    fn run(mut self) {
        // Timers on time and the CPU when woken (see `alarm.rs`); without
        // them the path is only less exact, so a refusal is ignored.
        let _prioritised = Alarm::prioritise_this_thread();
        let mut buffer = vec![0u8; BUFFER];
        let mut decided = Vec::new();

        loop {
            let now = Instant::now();
            release(&mut self.models.client_to_server, &self.devices.server, now);
            release(&mut self.models.server_to_client, &self.devices.client, now);
            self.publish(&mut decided);
            let next = [
                self.models.client_to_server.next_release(),
                self.models.server_to_client.next_release(),
            ]
            .into_iter()
            .flatten()
            .min();
            let timeout = self.alarm.prepare(next, now);
            let ready = {
                let mut fds = [
                    PollFd::new(self.devices.client.as_fd(), PollFlags::POLLIN),
                    PollFd::new(self.devices.server.as_fd(), PollFlags::POLLIN),
                    PollFd::new(self.wake.as_fd(), PollFlags::POLLIN),
                    PollFd::new(self.alarm.as_fd(), PollFlags::POLLIN),
                ];
                match nix::poll::ppoll(&mut fds, timeout, None) {
                    Ok(_) => fds.map(|fd| fd.any().unwrap_or(false)),
                    Err(Errno::EINTR) => continue,
                    // Nothing to wait on any more: the lab is going away.
                    Err(_) => return,
                }
            };
            if ready[3] {
                self.alarm.fired();
            }
            if ready[2] && !self.obey() {
                return;
            }
            for (side, ready) in [Direction::ClientToServer, Direction::ServerToClient]
                .into_iter()
                .zip([ready[0], ready[1]])
            {
                if ready && !self.admit(side, &mut buffer, &mut decided) {
                    return;
                }
            }
        }
    }

    /// Reads what the sending side's device has (up to a batch) into the
    /// direction's model; false when told to stop.
    fn admit(
        &mut self,
        direction: Direction,
        buffer: &mut [u8],
        decided: &mut Vec<PathEvent>,
    ) -> bool {
        for _ in 0..READ_BATCH {
            if self.pending.swap(false, Ordering::Acquire) && !self.obey() {
                return false;
            }
            let (from, model) = match direction {
                Direction::ClientToServer => {
                    (&self.devices.client, &mut self.models.client_to_server)
                }
                Direction::ServerToClient => {
                    (&self.devices.server, &mut self.models.server_to_client)
                }
            };
            match from.recv(buffer) {
                Ok(len) => {
                    let packet = buffer.get(..len).unwrap_or_default().to_vec();
                    model.admit(Instant::now(), packet, decided);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        true
    }

    /// Applies pending commands; false when told to stop.
    fn obey(&mut self) -> bool {
        let _count = self.wake.read();
        loop {
            match self.commands.try_recv() {
                Ok(Command::SetPath(path)) => {
                    self.models
                        .client_to_server
                        .set_config(path.client_to_server, path.seed);
                    self.models
                        .server_to_client
                        .set_config(path.server_to_client, path.seed);
                }
                Ok(Command::Stop) | Err(TryRecvError::Disconnected) => return false,
                Err(TryRecvError::Empty) => return true,
            }
        }
    }

    /// Sends the turn's events and copies the counts out.
    fn publish(&mut self, decided: &mut Vec<PathEvent>) {
        for event in decided.drain(..) {
            if self.events.try_send(event).is_err() {
                self.events_missed += 1;
            }
        }
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        *stats = PathStats {
            client_to_server: self.models.client_to_server.stats(),
            server_to_client: self.models.server_to_client.stats(),
            events_missed: self.events_missed,
        };
    }
}

/// Writes every packet due to the receiving side's device.
fn release(model: &mut DirectionModel, to: &SyncDevice, now: Instant) {
    while let Some(packet) = model.pop_due(now) {
        if to.send(&packet).is_err() {
            model.count_write_error();
        }
    }
}
