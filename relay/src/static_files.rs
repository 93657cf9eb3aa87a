//! Serving the built front end from `dist/`.
//!
//! The page is read from disk rather than embedded in the binary, so that a
//! front-end rebuild (`trunk build`) needs no relay rebuild, and the relay's
//! tests need no wasm build. When `dist/` is missing, `/` answers with a
//! short page saying how to build it instead of a bare 404.

use std::path::Path;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// Answers a request for a file of the front end.
pub async fn serve(dist: &Path, request: Request<Body>) -> Response {
    let path = request.uri().path().to_owned();
    if !dist.join("index.html").is_file() {
        return if path == "/" || path == "/index.html" {
            not_built(dist).into_response()
        } else {
            StatusCode::NOT_FOUND.into_response()
        };
    }
    match ServeDir::new(dist).oneshot(request).await {
        Ok(mut response) => {
            // The page is rebuilt often while developing; never let a
            // browser keep a stale index that points at an old wasm file.
            if path == "/" || path.ends_with(".html") {
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    header::HeaderValue::from_static("no-cache"),
                );
            }
            response.map(Body::new)
        }
        Err(infallible) => match infallible {},
    }
}

fn not_built(dist: &Path) -> (StatusCode, Html<String>) {
    let dist = html_escape(&dist.display().to_string());
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>sockscope: front end not built</title>\
             <style>body{{font:18px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em}}\
             code{{background:#eee;padding:.1em .3em;border-radius:3px}}</style></head><body>\
             <h1>The sockscope page has not been built yet</h1>\
             <p>The relay is running, but it found no front end in <code>{dist}</code>.</p>\
             <p>From the sockscope source folder, run <code>cargo xtask run</code>: it installs \
             what is missing, builds the page and starts the relay. Or build the page alone with \
             <code>trunk build --release</code> and reload this page.</p></body></html>"
        )),
    )
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
