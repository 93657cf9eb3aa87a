//! What the lab's tests share: a lab or the reason there cannot be one,
//! a TCP transfer across it, and tshark inside a namespace as the witness.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

pub mod witness;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use sockscope_lab::{Family, Lab, LabConfig, Side};

/// A lab, or `None` (with the reason printed) where labs cannot be made:
/// not root, or without the capabilities.
pub fn lab(config: LabConfig) -> Option<Lab> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: the lab's tests create network namespaces, which needs root");
        return None;
    }
    if let Err(missing) = sockscope_lab::check_capabilities() {
        eprintln!("skipped: {missing}");
        return None;
    }
    Some(Lab::create(config).expect("the lab is created"))
}

/// What a transfer measured.
pub struct Transfer {
    /// How long the client's connect() took.
    pub connect: Duration,
    /// What the server read, to the end.
    pub received: Vec<u8>,
    /// The server's port.
    pub port: u16,
}

/// Connects from the client namespace to a listener in the server
/// namespace, sends `data`, closes, and returns what arrived.
pub fn transfer(lab: &Lab, family: Family, data: &[u8]) -> Transfer {
    let server_address = Lab::address(Side::Server, family);
    let listener = lab
        .in_namespace(Side::Server, || {
            TcpListener::bind(SocketAddr::new(server_address, 0))
        })
        .unwrap()
        .expect("the server binds inside its namespace");
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut received = Vec::new();
        stream.read_to_end(&mut received).unwrap();
        received
    });
    let (stream, connect) = lab
        .in_namespace(Side::Client, || {
            let start = Instant::now();
            let stream = TcpStream::connect_timeout(
                &SocketAddr::new(server_address, port),
                Duration::from_secs(30),
            );
            (stream, start.elapsed())
        })
        .unwrap();
    let mut stream = stream.expect("the client connects across the path");
    stream.write_all(data).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let received = server.join().unwrap();
    Transfer {
        connect,
        received,
        port,
    }
}

/// `len` bytes that are not all alike, so that a misplaced chunk shows.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|n| (n % 251) as u8).collect()
}

/// The names of this process's labs under /run/netns.
pub fn our_namespaces() -> Vec<String> {
    let prefix = format!("sockscope-{}-", std::process::id());
    let Ok(entries) = std::fs::read_dir(Path::new(sockscope_lab::NETNS_DIR)) else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(&prefix))
        .collect()
}
