//! The HTTP side: the router shared by `main` and the tests.
//!
//! `/` and its files come from `dist/`; `/health` says the relay is up;
//! `/ws` upgrades to a session once the request has shown the launch token
//! and comes from the relay's own origin. A page from any other site could
//! otherwise open sockets on the user's machine (cross-site WebSocket
//! hijacking): browsers always send `Origin` on WebSocket upgrades, so a
//! foreign page is refused, while scripts (which send no `Origin`) still
//! need the token.

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Body,
    extract::{Query, State, WebSocketUpgrade},
    http::{HeaderMap, Request, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use sockscope_shared::frame::BINARY_SUBPROTOCOL;
use sockscope_shared::{CaptureState, LabAvailability};
use tokio::sync::{Semaphore, watch};

use crate::{Config, static_files, ws};

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// Whether this machine lets the relay capture packets, found once at
    /// start-up and announced in every hello.
    pub capture: CaptureState,
    /// Whether this machine lets the relay build network labs, found once
    /// at start-up and announced in every hello.
    pub lab: LabAvailability,
    /// One permit per live session: `max_sessions` bounds them.
    pub sessions: Arc<Semaphore>,
    /// Flips to `true` when the relay is shutting down.
    pub stopping: watch::Sender<bool>,
}

impl AppState {
    pub fn new(config: Config) -> AppState {
        // Loopback traffic is all on `lo`; once remote targets are allowed
        // their packets cross other interfaces too.
        let interface = if config.allow_remote.is_empty() {
            "lo"
        } else {
            "any"
        };
        let capture = if config.capture {
            probe_capture(config.packet_source.as_ref(), interface)
        } else {
            tracing::info!("packet capture is off (--no-capture)");
            CaptureState::Off {
                reason: "packet capture was turned off when the relay started (--no-capture)"
                    .into(),
                fix: "restart the relay without --no-capture".into(),
            }
        };
        let lab = probe_lab();
        AppState {
            sessions: Arc::new(Semaphore::new(config.max_sessions)),
            config: Arc::new(config),
            capture,
            lab,
            stopping: watch::Sender::new(false),
        }
    }
}

fn probe_capture(source: &dyn crate::segments::PacketSource, interface: &str) -> CaptureState {
    match source.probe(interface) {
        Ok(()) => {
            tracing::info!(interface, "packet capture is available");
            CaptureState::On {
                interface: interface.into(),
            }
        }
        Err(unavailable) => {
            tracing::warn!(
                reason = %unavailable.reason,
                fix = %unavailable.fix,
                "packet capture is off: socket calls will still be shown"
            );
            CaptureState::Off {
                reason: unavailable.reason,
                fix: unavailable.fix,
            }
        }
    }
}

/// Whether this process may build network labs; without the capabilities
/// it says which are missing and the command that grants them, and the
/// page keeps to loopback.
fn probe_lab() -> LabAvailability {
    match sockscope_lab::check_capabilities() {
        Ok(()) => {
            // Labs a crashed relay left behind (a crash skips their
            // removal) go now rather than at the next boot.
            match sockscope_lab::cleanup_stale() {
                Ok(removed) if !removed.is_empty() => {
                    tracing::info!(?removed, "removed labs left by a relay that is gone");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not look for labs left behind"),
            }
            tracing::info!("the network lab is available");
            LabAvailability::On
        }
        Err(missing) => {
            tracing::warn!(%missing, "the network lab is off: loopback only");
            LabAvailability::Off {
                reason: missing.to_string(),
                fix: missing.grant_command(),
            }
        }
    }
}

/// The relay's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ws", get(upgrade))
        .fallback(files)
        // A bug in one handler answers 500 to that request; the relay and
        // every other session go on. (Session tasks are separate tokio
        // tasks: a panic there ends only that session.)
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .with_state(state)
}

/// What `/health` answers: that the relay is up, which protocol it
/// speaks, whether it captures, and how many pages it serves.
#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    protocol_version: u32,
    capture: bool,
    sessions: usize,
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        protocol_version: sockscope_shared::PROTOCOL_VERSION,
        capture: matches!(state.capture, CaptureState::On { .. }),
        sessions: state.config.max_sessions - state.sessions.available_permits(),
    })
}

async fn files(State(state): State<AppState>, request: Request<Body>) -> Response {
    static_files::serve(&state.config.dist, request).await
}

#[derive(Debug, Deserialize)]
struct WsQuery {
    token: Option<String>,
}

async fn upgrade(
    State(state): State<AppState>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Err(refusal) = check_origin(&headers, &state.config.allowed_origins) {
        tracing::warn!(%refusal, "refused a WebSocket from another origin");
        return (StatusCode::FORBIDDEN, refusal).into_response();
    }
    if query.token.as_deref() != Some(state.config.token.as_str()) {
        let message = if query.token.is_none() {
            "missing token: open the URL sockscope printed (it ends in ?token=...)"
        } else {
            "wrong token: open the URL this sockscope printed when it started"
        };
        return (StatusCode::UNAUTHORIZED, message).into_response();
    }
    let Ok(permit) = state.sessions.clone().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many open pages: close another sockscope tab and reload",
        )
            .into_response();
    };
    let max_frame = ws::max_request_bytes(&state.config.limits);
    let upgrade = upgrade.protocols([BINARY_SUBPROTOCOL]);
    let encoding = ws::Encoding::chosen(
        upgrade
            .selected_protocol()
            .and_then(|chosen| chosen.to_str().ok()),
    );
    upgrade
        .max_message_size(max_frame)
        .max_frame_size(max_frame)
        .on_upgrade(move |socket| async move {
            ws::serve(socket, state, encoding).await;
            drop(permit);
        })
}

/// Allows upgrades with no `Origin` (not a browser), whose origin is the
/// relay itself as named by the `Host` the browser connected to, or one the
/// user allowed with `--allow-origin`.
fn check_origin(headers: &HeaderMap, also: &[String]) -> Result<(), String> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let same = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| !host.is_empty() && rest == host);
    if same || also.iter().any(|allowed| allowed == origin) {
        Ok(())
    } else {
        Err(format!(
            "origin {origin} may not use this relay: only pages served by it (http://{host}) may"
        ))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn only_the_relays_own_origin_is_let_in() {
        let none: &[String] = &[];
        assert!(check_origin(&headers(None, "127.0.0.1:7878"), none).is_ok());
        assert!(
            check_origin(
                &headers(Some("http://127.0.0.1:7878"), "127.0.0.1:7878"),
                none
            )
            .is_ok()
        );
        assert!(
            check_origin(
                &headers(Some("http://evil.example"), "127.0.0.1:7878"),
                none
            )
            .is_err()
        );
        let trunk = "http://127.0.0.1:8080";
        assert!(check_origin(&headers(Some(trunk), "127.0.0.1:7878"), none).is_err());
        assert!(check_origin(&headers(Some(trunk), "127.0.0.1:7878"), &[trunk.into()]).is_ok());
        assert!(check_origin(&headers(Some("null"), "127.0.0.1:7878"), none).is_err());
    }
}
