//! Slow steps: the parts of a command that wait on something, run in tasks
//! of their own while the session goes on with other commands.
//!
//! Two things can keep a command waiting: a host name's lookup, and the
//! capture filter taking in a new port (which may first start the
//! capture). The session task does neither. It hands the slow part to a
//! task ([`Session::defer`]), together with the rest of the command as a
//! closure; the task waits, and sends both back as a [`Resume`], which the
//! session runs like any other message. A slow lookup on one socket thus
//! never holds up a recv on another.
//!
//! Commands on one socket still run in the order the page sent them: while
//! a step for a socket is under way, the socket's later commands are held,
//! in order, and handled once it is done ([`Session::hold_if_busy`]). A new
//! socket waiting for its filter is held the same way.

use std::{
    collections::{HashMap, VecDeque},
    future::Future,
    net::SocketAddr,
    sync::Arc,
};

use sockscope_shared::{ErrorCode, Request, SocketId};
use tokio::sync::{Semaphore, mpsc};

use super::{
    Session,
    policy::{self, Refusal, Role},
    resolve,
};
use crate::{segments::Applied, sockets::OP_QUEUE};

/// Who asked for a command: its refusal names them.
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    pub request: Option<u64>,
    pub command: &'static str,
}

/// The rest of a command, run on the session with what its slow step
/// found.
type Rest = Box<dyn FnOnce(&mut Session) -> Result<(), Refusal> + Send>;

/// The rest of a command, once its slow step is done.
pub struct Resume {
    asked: Asked,
    /// The socket whose held commands wait for this step.
    socket: Option<SocketId>,
    then: Rest,
}

/// The session's slow steps under way.
pub struct Steps {
    done_tx: mpsc::Sender<Resume>,
    pub done: mpsc::Receiver<Resume>,
    /// Sockets with a step under way, each with the commands for it that
    /// arrived meanwhile, oldest first.
    held: HashMap<SocketId, VecDeque<Request>>,
    /// Turns for name lookups (see [`resolve::LOOKUPS_AT_ONCE`]).
    lookups: Arc<Semaphore>,
}

impl Steps {
    pub fn new() -> Steps {
        let (done_tx, done) = mpsc::channel(256);
        Steps {
            done_tx,
            done,
            held: HashMap::new(),
            lookups: Arc::new(Semaphore::new(resolve::LOOKUPS_AT_ONCE)),
        }
    }
}

impl Session {
    /// Runs `slow` in a task, then `then` with its output back on the
    /// session. Commands for `socket` are held until then.
    pub(super) fn defer<T, F>(
        &mut self,
        asked: Asked,
        socket: Option<SocketId>,
        slow: impl Future<Output = T> + Send + 'static,
        then: F,
    ) where
        T: Send + 'static,
        F: FnOnce(&mut Session, T) -> Result<(), Refusal> + Send + 'static,
    {
        if let Some(socket) = socket {
            self.steps.held.entry(socket).or_default();
        }
        let done = self.steps.done_tx.clone();
        tokio::spawn(async move {
            let output = slow.await;
            let resume = Resume {
                asked,
                socket,
                then: Box::new(move |session| then(session, output)),
            };
            // If the session has ended, what the step made (a bound
            // socket) is dropped here, which closes it.
            let _ = done.send(resume).await;
        });
    }

    /// Finishes a command whose slow step is done, then handles the
    /// commands that were held behind it.
    pub(super) fn resume(&mut self, resume: Resume) {
        let held = resume
            .socket
            .and_then(|socket| self.steps.held.remove(&socket));
        let result = (resume.then)(self);
        self.report(resume.asked, result);
        // A held command may start another step for the socket; those
        // after it are held again, still in order.
        for request in held.into_iter().flatten() {
            self.handle(request);
        }
    }

    /// Holds `request` if its socket has a step under way; gives it back
    /// when it can run now.
    pub(super) fn hold_if_busy(&mut self, request: Request) -> Option<Request> {
        let Some(socket) = request.command.socket() else {
            return Some(request);
        };
        let Some(queue) = self.steps.held.get_mut(&socket) else {
            return Some(request);
        };
        if queue.len() >= OP_QUEUE {
            let asked = Asked {
                request: request.id,
                command: request.command.name(),
            };
            let refusal = Refusal::new(
                ErrorCode::LimitReached,
                "this socket already has too many operations waiting; let them finish first",
            );
            self.report(asked, Err(refusal));
            return None;
        }
        queue.push_back(request);
        None
    }

    /// Runs `then` with the address `host` names for `role`: at once for
    /// an IP address, after a lookup in a task for a name. Commands for
    /// `socket` wait for the lookup.
    pub(super) fn with_address<F>(
        &mut self,
        asked: Asked,
        socket: Option<SocketId>,
        host: &str,
        port: u16,
        role: Role,
        then: F,
    ) -> Result<(), Refusal>
    where
        F: FnOnce(&mut Session, SocketAddr) -> Result<(), Refusal> + Send + 'static,
    {
        policy::check_port(port, role)?;
        if let Some(ip) = policy::literal(host) {
            let addr = self.allowed(SocketAddr::new(ip, port), role)?;
            return then(self, addr);
        }
        let lookup = resolve::lookup(
            Arc::clone(&self.config.resolver),
            Arc::clone(&self.steps.lookups),
            host.to_owned(),
            port,
        );
        self.defer(asked, socket, lookup, move |session, found| {
            let addr = session.allowed(found?, role)?;
            then(session, addr)
        });
        Ok(())
    }

    /// Runs `then` once the capture filter asked for is in force: at once
    /// when there is nothing to wait for. Commands for `socket` wait.
    pub(super) fn after_filter<F>(
        &mut self,
        asked: Asked,
        socket: Option<SocketId>,
        applied: Applied,
        then: F,
    ) -> Result<(), Refusal>
    where
        F: FnOnce(&mut Session) -> Result<(), Refusal> + Send + 'static,
    {
        if applied.is_ready() {
            return then(self);
        }
        self.defer(asked, socket, applied.wait(), move |session, ()| {
            then(session)
        });
        Ok(())
    }
}
