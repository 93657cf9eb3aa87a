//! The HTTP side as a browser or script meets it: the page, the health
//! check, unknown paths, and who may open a session.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Test code.

mod common;

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Command, Stdio},
};

use common::Relay;
use sockscope::Config;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

/// A plain HTTP/1.1 GET, returning the status code and body.
fn get(addr: std::net::SocketAddr, path: &str, headers: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_and_unknown_paths_are_404() {
    let relay = Relay::start().await;
    let addr = relay.addr;
    let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/health", ""))
        .await
        .unwrap();
    assert_eq!(status, 200);
    // The body may be chunked: the JSON is the line that starts with '{'.
    let json = body.lines().find(|l| l.starts_with('{')).unwrap();
    let health: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(health["status"], "ok");
    let (status, _) = tokio::task::spawn_blocking(move || get(addr, "/no/such/thing", ""))
        .await
        .unwrap();
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_the_page_is_built_the_relay_says_how_to_build_it() {
    let mut config = Config::for_tests();
    config.dist = std::env::temp_dir().join("sockscope-no-dist-here");
    let relay = Relay::start_with(config).await;
    let addr = relay.addr;
    let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/", ""))
        .await
        .unwrap();
    assert_eq!(status, 503);
    assert!(body.contains("cargo xtask run"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_page_is_served_at_the_root() {
    let dist = std::env::temp_dir().join(format!("sockscope-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<title>sockscope page</title>").unwrap();
    let mut config = Config::for_tests();
    config.dist = dist;
    let relay = Relay::start_with(config).await;
    let addr = relay.addr;
    let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/", ""))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("sockscope page"));
}

/// The response's header lines, lower-cased.
fn head(addr: std::net::SocketAddr, path: &str) -> String {
    head_and_body(addr, path, "").0
}

/// The response's header lines, lower-cased, and its body as bytes.
fn head_and_body(addr: std::net::SocketAddr, path: &str, headers: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let end = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
    (head, response[end + 4..].to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_that_accepts_gzip_gets_the_gzipped_copy_beside_a_file() {
    let dist = std::env::temp_dir().join(format!("sockscope-gzip-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<title>page</title>").unwrap();
    std::fs::write(dist.join("page_bg.wasm"), b"\0asm plain").unwrap();
    // Not real gzip: what matters is which of the two files is sent.
    std::fs::write(dist.join("page_bg.wasm.gz"), b"gzipped copy").unwrap();
    let mut config = Config::for_tests();
    config.dist = dist;
    let relay = Relay::start_with(config).await;
    let addr = relay.addr;
    let ask = move |headers: &'static str| {
        tokio::task::spawn_blocking(move || head_and_body(addr, "/page_bg.wasm", headers))
    };

    let (head, body) = ask("Accept-Encoding: gzip, deflate\r\n").await.unwrap();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("content-type: application/wasm"), "{head}");
    assert_eq!(body, b"gzipped copy");

    let (head, body) = ask("").await.unwrap();
    assert!(!head.contains("content-encoding"), "{head}");
    assert_eq!(body, b"\0asm plain");

    // A file with no copy beside it is served as it is, gzip or not.
    let (head, body) = tokio::task::spawn_blocking(move || {
        head_and_body(addr, "/index.html", "Accept-Encoding: gzip\r\n")
    })
    .await
    .unwrap();
    assert!(!head.contains("content-encoding"), "{head}");
    assert_eq!(body, b"<title>page</title>");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_files_named_by_their_content_may_be_kept_by_the_browser() {
    let dist = std::env::temp_dir().join(format!("sockscope-cache-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    let files = [
        ("index.html", true),
        ("sockscope-files_loader.js", true),
        ("sockscope-files_bg.wasm", true),
        ("sockscope-web-0123456789abcdef.js", false),
        ("sockscope-web-0123456789abcdef_bg.wasm", false),
    ];
    for (name, _) in files {
        std::fs::write(dist.join(name), name).unwrap();
    }
    let mut config = Config::for_tests();
    config.dist = dist;
    let relay = Relay::start_with(config).await;
    let addr = relay.addr;
    for (name, checked) in files {
        let head = tokio::task::spawn_blocking(move || head(addr, &format!("/{name}")))
            .await
            .unwrap();
        assert!(head.starts_with("http/1.1 200"), "{name}: {head}");
        assert_eq!(
            head.contains("cache-control: no-cache"),
            checked,
            "{name}: {head}"
        );
    }
}

async fn ws_status(url: &str, origin: Option<&str>) -> Result<(), u16> {
    let mut request = url.into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => Ok(()),
        Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("unexpected failure: {other}"),
    }
}

#[tokio::test]
async fn only_the_token_holder_from_the_relays_origin_gets_a_session() {
    let relay = Relay::start().await;
    let base = format!("ws://{}/ws", relay.addr);
    assert_eq!(ws_status(&base, None).await, Err(401));
    assert_eq!(
        ws_status(&format!("{base}?token=guess"), None).await,
        Err(401)
    );
    let good = relay.ws_url();
    assert_eq!(
        ws_status(&good, Some("http://evil.example")).await,
        Err(403)
    );
    let own = format!("http://{}", relay.addr);
    assert_eq!(ws_status(&good, Some(&own)).await, Ok(()));
    assert_eq!(ws_status(&good, None).await, Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_upgrade_is_refused_cleanly() {
    let relay = Relay::start().await;
    let addr = relay.addr;
    let path = format!("/ws?token={}", relay.token);
    let (status, _) =
        tokio::task::spawn_blocking(move || get(addr, &path, "Upgrade: websocket\r\n"))
            .await
            .unwrap();
    assert!((400..500).contains(&status), "{status}");
    // The relay still serves sessions afterwards.
    relay.client().await;
}

#[test]
fn a_second_relay_on_a_port_in_use_names_the_port_and_the_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let output = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("port {port} is already in use")),
        "{stderr}"
    );
    assert!(stderr.contains("--listen"), "{stderr}");
}

#[test]
fn the_binary_prints_the_url_with_its_token() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["--listen", "127.0.0.1:0", "--token", "abc123"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.starts_with("sockscope listening on http://127.0.0.1:"),
        "{line}"
    );
    assert!(line.trim_end().ends_with("/?token=abc123"), "{line}");
}
