//! The sockscope relay: a small web server that opens real sockets on this
//! machine for the page it serves, and reports what they did.
//!
//! - [`server`] builds the axum router: the page, `/health`, and `/ws`.
//! - [`ws`] is the WebSocket edge: the only module that knows JSON. It
//!   decodes [`sockscope_shared::Request`]s, and batches events out.
//! - [`session`] is one page's world: its sockets, its capture, its events.
//!   It never awaits anything slow: lookups, connects and capture changes
//!   run in tasks and report back.
//! - [`sockets`] drives real kernel sockets, one task per socket.
//! - [`segments`] turns captured packets into segment events linked to the
//!   session's sockets.
//! - [`Config`] carries the settings, and the two slow dependencies tests
//!   replace: the resolver ([`session::Resolve`]) and the packet source
//!   ([`segments::PacketSource`]).
//! - [`events`] is the bounded queue between a session and its writer
//!   ([`ws::write_events`]); public so benchmarks can drive the writer alone.
//!
//! `main.rs` only parses the command line and calls [`run`].

pub mod cli;
pub mod config;
pub mod events;
pub mod logging;
pub mod segments;
pub mod server;
pub mod session;
pub mod sockets;
pub mod static_files;
pub mod ws;

mod clock;
mod fine_timer;
mod proc_net;

use std::{future::Future, io};

use axum::serve::ListenerExt;
pub use config::Config;
use tokio::net::TcpListener;

/// Serves the page and its WebSocket on `listener` until `shutdown`
/// completes, then closes every session (and so every socket) and returns.
///
/// # Errors
/// When the listener fails in a way axum cannot recover from.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let state = server::AppState::new(config);
    let stopping = state.stopping.clone();
    let app = server::router(state);
    // Every frame of events must leave at once. With Nagle's algorithm a
    // small frame written while the previous one is still unacknowledged
    // waits for the browser's delayed ACK: up to 40 ms on Linux loopback.
    let listener = listener.tap_io(|stream| {
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%err, "cannot set TCP_NODELAY on a page's connection");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            // Sessions hold open WebSockets; they end when told to, and
            // only then can graceful shutdown finish.
            stopping.send_replace(true);
        })
        .await
}

/// The URL a person opens: the relay's address with the launch token.
///
/// # Errors
/// When the listener's local address cannot be read.
pub fn page_url(listener: &TcpListener, config: &Config) -> io::Result<String> {
    let addr = listener.local_addr()?;
    Ok(format!("http://{addr}/?token={}", config.token))
}

/// Prints the line people (and scripts) look for, and where capture stands.
#[allow(clippy::print_stdout)] // The URL must reach stdout: scripts read it there.
pub fn announce(url: &str, config: &Config) {
    println!("sockscope listening on {url}");
    if !config.dist.join("index.html").is_file() {
        tracing::warn!(
            dist = %config.dist.display(),
            "the front end is not built; the page will say how to build it (cargo xtask run)"
        );
    }
}
