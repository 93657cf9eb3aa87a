//! Structured logs with `tracing`, to stderr so stdout carries only the URL.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `RUST_LOG` wins over `-v`.
pub fn init(verbose: u8) {
    let default = match verbose {
        0 => "sockscope=info,tower_http=warn",
        1 => "sockscope=debug,sockscope_capture=debug,tower_http=debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
