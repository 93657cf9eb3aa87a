//! Serving the built front end from `dist/`.
//!
//! The page is read from disk rather than embedded in the binary, so that a
//! front-end rebuild (`trunk build`) needs no relay rebuild, and the relay's
//! tests need no wasm build. When `dist/` is missing, `/` answers with a
//! short page saying how to build it instead of a bare 404.
//!
//! `cargo xtask dist` writes a gzipped copy beside each file
//! (`x_bg.wasm.gz`), compressed once at build time as hard as gzip allows;
//! a browser that accepts gzip gets that copy (`Content-Encoding: gzip`),
//! a third of the page's bytes, and anyone else the file itself. A page
//! built by `trunk build` alone has no copies and is served as it is.

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
    match ServeDir::new(dist)
        .precompressed_gzip()
        .oneshot(request)
        .await
    {
        Ok(mut response) => {
            // The page is rebuilt often while developing; never let a
            // browser keep a stale index that points at an old wasm file,
            // or a file worker from another build than the page.
            if !content_named(&path) {
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

/// Whether a file's name carries a hash of its content (trunk names the
/// page's wasm, JS and CSS `name-<16 hex digits>`): such a file never
/// changes under its name, and may be kept as long as the browser likes.
/// Anything else (the index, the file worker, lessons, recordings) is
/// checked with the relay on each use.
fn content_named(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(name, hash)| {
        !name.is_empty() && hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
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

#[cfg(test)]
mod tests {
    use super::content_named;

    #[test]
    fn only_files_named_by_their_content_may_be_kept() {
        for kept in [
            "/sockscope-web-4011bc8fabf404d9.js",
            "/sockscope-web-4011bc8fabf404d9_bg.wasm",
            "/style-89ae0b79a20dd4df.css",
        ] {
            assert!(content_named(kept), "{kept}");
        }
        for checked in [
            "/",
            "/index.html",
            "/sockscope-files.js",
            "/sockscope-files_bg.wasm",
            "/sockscope-files_loader.js",
            "/lessons/01-handshake.json",
            "/recordings/03-sticky-small-sends.events.json",
            "/not-a-hash-zzzzzzzzzzzzzzzz.js",
        ] {
            assert!(!content_named(checked), "{checked}");
        }
    }
}
