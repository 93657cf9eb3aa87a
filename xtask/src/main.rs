//! `cargo xtask`: the two commands that set sockscope up on a fresh machine.
//!
//! - `cargo xtask run [--open] [-- RELAY ARGS]` installs what is missing
//!   (the wasm32 target, trunk, wasm-bindgen-cli at exactly the version in
//!   Cargo.lock, libpcap), builds the page and the relay in release mode and
//!   starts the relay.
//! - `cargo xtask test` does the same set-up (plus Chromium, ChromeDriver
//!   and tshark, which the tests use), then runs formatting and lint checks
//!   and every test, the browser tests included, and checks the page's
//!   download size against its budget ([`bundle`]).
//! - `cargo xtask bench [NAME…]` builds in release mode and runs the
//!   benchmarks ([`bench`]; docs/BENCHMARKS.md).
//!
//! It is plain std on purpose, but for zopfli (the page's gzipped copies,
//! [`pack`]): it must build in seconds, before anything else is installed.

mod bench;
mod bundle;
mod pack;
mod recordings;
mod setup;

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("dist") => setup::front_end_tools().and_then(|()| build_front_end()),
        Some("recordings") => recordings::run(),
        _ => {
            eprintln!(
                "usage:\n  cargo xtask run [--open] [-- RELAY ARGS]   set up, build and start sockscope\n  \
                 cargo xtask test                          set up and run every check and test\n  \
                 cargo xtask bench [NAME...]               run the benchmarks (bundle pipeline capture latency ui lab)\n  \
                 cargo xtask dist                          build the page into dist/\n  \
                 cargo xtask recordings                    write web/recordings/ from testdata/captures/"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask lives one folder below it.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Runs a command in the workspace root, failing with its name.
pub fn sh(program: &str, args: &[&str]) -> Result<(), String> {
    sh_env(program, args, &[])
}

pub fn sh_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    eprintln!("xtask: $ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .status()
        .map_err(|err| format!("cannot run {program}: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// Builds the page into dist/ ([`build_page`]).
fn build_front_end() -> Result<(), String> {
    build_page(&root().join("dist"))
}

/// Builds the page into `dist` in release mode (`trunk build --release
/// --offline`, with the npm-installed wasm-opt first on PATH so trunk finds
/// the version Trunk.toml asks for), then minifies its JavaScript glue,
/// takes out what makes the browser warn and writes the gzipped copies the
/// relay serves ([`pack`]).
pub fn build_page(dist: &Path) -> Result<(), String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![setup::tools_bin()];
    paths.extend(std::env::split_paths(&path));
    let path = std::env::join_paths(paths).map_err(|err| format!("bad PATH: {err}"))?;
    let path = path.to_string_lossy().into_owned();
    let dist_arg = dist.display().to_string();
    let args = ["build", "--release", "--offline", "--dist", &dist_arg];
    sh_env("trunk", &args, &[("PATH", &path)])?;
    pack::minify_glue(dist)?;
    pack::quiet_console(dist)?;
    pack::gzip_copies(dist)
}

fn run(args: &[String]) -> Result<(), String> {
    setup::front_end_tools()?;
    setup::system_packages(&[setup::LIBPCAP])?;
    build_front_end()?;
    sh("cargo", &["build", "--release", "--package", "sockscope"])?;
    let mut relay_args: Vec<String> =
        vec!["--dist".into(), root().join("dist").display().to_string()];
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--" => relay_args.extend(rest.by_ref().cloned()),
            other => relay_args.push(other.to_owned()),
        }
    }
    let binary = root().join("target/release/sockscope");
    eprintln!("xtask: starting {}", binary.display());
    let status = Command::new(&binary)
        .args(&relay_args)
        .status()
        .map_err(|err| format!("cannot start {}: {err}", binary.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("sockscope exited with {status}"))
    }
}

fn test(_args: &[String]) -> Result<(), String> {
    setup::front_end_tools()?;
    setup::system_packages(&[
        setup::LIBPCAP,
        setup::CHROMIUM,
        setup::CHROMEDRIVER,
        setup::TSHARK,
    ])?;
    sh("cargo", &["fmt", "--all", "--check"])?;
    sh(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    build_front_end()?;
    // Measured now and reported after the tests, so that a page over its
    // budget never hides what the tests have to say.
    let budget = bundle::check(&root().join("dist"));
    sh("cargo", &["build", "--package", "sockscope"])?;
    let root = root();
    let bin = root.join("target/debug/sockscope").display().to_string();
    let dist = root.join("dist").display().to_string();
    let tests = sh_env(
        "cargo",
        &["test", "--workspace", "--no-fail-fast"],
        &[("SOCKSCOPE_BIN", &bin), ("SOCKSCOPE_DIST", &dist)],
    );
    match (tests, budget) {
        (Ok(()), budget) => budget,
        (Err(tests), Ok(())) => Err(tests),
        (Err(tests), Err(budget)) => Err(format!("{tests}; and {budget}")),
    }
}
