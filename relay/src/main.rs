//! The `sockscope` binary: parse the command line, bind, serve until Ctrl-C
//! or SIGTERM.
//!
//! Everything else lives in the library so tests can run the same server
//! in-process.

use std::process::ExitCode;

use clap::Parser;
use sockscope::{Config, cli::Cli};
use tokio::signal::unix::{SignalKind, signal};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    sockscope::logging::init(cli.verbose);

    let config = match Config::from_cli(&cli) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("sockscope: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(cli.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!(
                "sockscope: {}",
                sockscope::cli::bind_failure(cli.listen, &err)
            );
            return ExitCode::from(1);
        }
    };
    let url = match sockscope::page_url(&listener, &config) {
        Ok(url) => url,
        Err(err) => {
            eprintln!("sockscope: cannot read the listening address: {err}");
            return ExitCode::from(1);
        }
    };
    // Listened for before the address is announced: a stop sent the moment
    // the relay says where it is still finds its handler. Ctrl-C is
    // SIGINT; a service manager, a container or `kill` stops it with
    // SIGTERM: the same orderly end, labs removed.
    let stops = [SignalKind::interrupt(), SignalKind::terminate()].map(signal);
    sockscope::announce(&url, &config);
    if cli.open {
        sockscope::cli::open_browser(&url);
    }

    let shutdown = async {
        // A handler that could not be set up waits forever, rather than
        // ending the server at once: it serves until killed.
        let [interrupted, terminated] = stops.map(|stop| async move {
            match stop {
                Ok(mut stop) => {
                    stop.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        });
        let why = tokio::select! {
            () = interrupted => "Ctrl-C",
            () = terminated => "SIGTERM",
        };
        tracing::info!("{why}: closing every session's sockets and stopping");
    };
    let served = sockscope::run(listener, config, shutdown).await;
    // Every session has dropped its lab by now; a name left by one that
    // could not finish is removed rather than left to the next start.
    if let Err(err) = sockscope_lab::remove_all_of_this_process() {
        tracing::warn!(%err, "could not remove this relay's network labs");
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sockscope: {err}");
            ExitCode::from(1)
        }
    }
}
