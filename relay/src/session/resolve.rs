//! Turning host names into addresses, off the session task.
//!
//! A name lookup asks the system's resolver, which may read files, ask a
//! DNS server and wait seconds for an answer that never comes. The session
//! must not wait that long: a recv on another socket would wait with it.
//! So names are looked up in a task of their own (the system's resolver
//! runs on tokio's blocking threads), and the rest of the command comes
//! back to the session when the answer does (see [`super::steps`]).
//!
//! The resolver is a [`Resolve`] trait object in the [`crate::Config`]:
//! the relay uses [`SystemResolver`]; tests put in one that answers when
//! the test says so, which makes a slow lookup deterministic and keeps
//! every packet on loopback.

use std::{
    fmt, io,
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use futures_util::future::BoxFuture;
use tokio::sync::Semaphore;

use super::policy::{self, Refusal};

/// Name lookups one session may have in flight; more wait their turn, so
/// that a page cannot tie up the blocking threads every session shares.
pub const LOOKUPS_AT_ONCE: usize = 4;

/// Looks up host names.
pub trait Resolve: Send + Sync + fmt::Debug {
    /// The addresses `name` stands for, the preferred one first.
    fn lookup(&self, name: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>>;
}

/// The system's resolver (`getaddrinfo`, on a blocking thread).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn lookup(&self, name: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>> {
        let name = name.to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            Ok(found.map(|addr| addr.ip()).collect())
        })
    }
}

/// Looks up `host` and gives its first address with `port`, waiting for a
/// turn among the session's lookups first. The address is not checked
/// yet: [`policy::allowed`] does that on the session.
///
/// # Errors
/// [`sockscope_shared::ErrorCode::BadHost`] when the name does not
/// resolve.
pub async fn lookup(
    resolver: Arc<dyn Resolve>,
    turns: Arc<Semaphore>,
    host: String,
    port: u16,
) -> Result<SocketAddr, Refusal> {
    // The semaphore is never closed; without a permit the lookup still runs.
    let _turn = turns.acquire_owned().await.ok();
    let name = host.trim();
    let found = resolver
        .lookup(name)
        .await
        .ok()
        .and_then(|ips| ips.first().copied());
    match found {
        Some(ip) => Ok(SocketAddr::new(ip, port)),
        None => Err(policy::unknown_host(&host)),
    }
}
