//! The command line, parsed by clap, and the few things `main` does with it
//! before the server runs (explaining a bind failure, opening a browser).

use std::{io, net::SocketAddr, path::PathBuf};

use clap::Parser;

/// sockscope: watch real TCP and UDP sockets work, in your browser.
///
/// The relay opens real sockets on this machine for the page it serves,
/// captures their segments on the wire, and streams both to the page.
#[derive(Debug, Parser)]
#[command(name = "sockscope", version, about, long_about = None)]
pub struct Cli {
    /// Address and port the page and its WebSocket are served on.
    #[arg(long, default_value = "127.0.0.1:7878", value_name = "ADDR")]
    pub listen: SocketAddr,

    /// Allow --listen on an address other than loopback. Anyone who can
    /// reach that address and knows the token can open sockets here.
    #[arg(long)]
    pub expose: bool,

    /// The built front end (the output of `trunk build`).
    #[arg(long, value_name = "DIR", default_value_os_t = default_dist())]
    pub dist: PathBuf,

    /// The secret the page must present to use the relay. A random one is
    /// made at each launch when this is not given.
    #[arg(long, value_name = "TOKEN", env = "SOCKSCOPE_TOKEN")]
    pub token: Option<String>,

    /// Let the page's sockets reach these networks too (CIDR, such as
    /// 10.0.0.0/8 or 192.168.1.7/32). By default only loopback is allowed.
    #[arg(long = "allow-remote", value_name = "CIDR", num_args = 1..)]
    pub allow_remote: Vec<String>,

    /// Also accept WebSocket sessions from pages served at this origin,
    /// such as `trunk serve` at http://127.0.0.1:8080 during front-end work.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,

    /// Do not capture packets: sockets only. The page shows socket calls
    /// and says capture was turned off (for machines where capture is
    /// unwanted, and to measure what capture costs).
    #[arg(long)]
    pub no_capture: bool,

    #[command(flatten)]
    pub limits: LimitArgs,

    /// Open the page in the default browser once the relay is listening.
    #[arg(long)]
    pub open: bool,

    /// Log more (-v: debug, -vv: trace). RUST_LOG overrides this.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Bounds that keep one page, or many, from exhausting the relay.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Pages (WebSocket sessions) served at once.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub max_sessions: usize,
    /// Sockets one page may hold open at once.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub max_sockets: u32,
    /// Largest payload of one send or sendto, in bytes.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_payload: u32,
    /// Largest recv or recvfrom buffer, in bytes.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_bufsize: u32,
    /// Largest `repeat` of one send command.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub max_repeat: u32,
    /// Commands one page may send per second; more are refused.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub commands_per_second: u32,
    /// Events sent to one page per second at most.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub events_per_second: u32,
    /// Events held for a page that reads slowly; beyond this they are
    /// dropped and the page is told how many.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub event_queue: usize,
    /// Bytes of data (sent and received payloads) held for a page that
    /// reads slowly; beyond this the page's sockets wait before their next
    /// send or recv, so a bulk transfer goes at the page's pace.
    #[arg(long, default_value_t = crate::events::ROOM_BYTES, value_name = "BYTES")]
    pub event_queue_bytes: usize,
}

/// `dist/` at the root of the source tree this binary was built from, so
/// that `cargo run` finds the front end wherever it is started.
fn default_dist() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../dist"))
}

/// The message for a failed bind of the relay's own port, naming the port
/// and the flag that picks another.
pub fn bind_failure(addr: SocketAddr, err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::AddrInUse => format!(
            "cannot listen on {addr}: port {} is already in use (is another sockscope running?). \
             Choose another port with --listen {}:{}",
            addr.port(),
            addr.ip(),
            addr.port().wrapping_add(1).max(1024),
        ),
        io::ErrorKind::PermissionDenied => format!(
            "cannot listen on {addr}: permission denied (ports below 1024 need root). \
             Choose another port with --listen {}:7878",
            addr.ip()
        ),
        io::ErrorKind::AddrNotAvailable => format!(
            "cannot listen on {addr}: this machine has no such address. \
             Use --listen 127.0.0.1:{}",
            addr.port()
        ),
        _ => format!("cannot listen on {addr}: {err}"),
    }
}

/// Opens `url` with the desktop's default browser, logging (not failing)
/// when there is none.
pub fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(_) => tracing::info!(%url, "opened the page in the browser"),
        Err(err) => tracing::warn!(%err, "could not run {opener}; open {url} yourself"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_in_use_names_the_port_and_the_flag() {
        let err = io::Error::from(io::ErrorKind::AddrInUse);
        let message = bind_failure("127.0.0.1:7878".parse().unwrap(), &err);
        assert!(message.contains("port 7878 is already in use"), "{message}");
        assert!(message.contains("--listen 127.0.0.1:7879"), "{message}");
    }

    #[test]
    fn defaults_are_loopback_and_7878() {
        let cli = Cli::parse_from(["sockscope"]);
        assert_eq!(cli.listen, "127.0.0.1:7878".parse().unwrap());
        assert!(!cli.expose);
        assert!(cli.allow_remote.is_empty());
        assert!(!cli.no_capture);
    }
}
