//! `cargo xtask bench [NAME…]`: every benchmark, or the ones named, with
//! what they measure built first, and the figures saved with a description
//! of the machine that produced them.
//!
//! | name       | what                                                   | where                     |
//! |------------|--------------------------------------------------------|---------------------------|
//! | `bundle`   | wasm + JS of the release page, gzipped                 | `xtask/src/bundle.rs`     |
//! | `pipeline` | events a second through the writer to a WebSocket      | `relay/benches/pipeline.rs` |
//! | `capture`  | bulk transfer with capture on and off; count vs tshark | `relay/benches/capture.rs`  |
//! | `latency`  | socket operation to event on screen in Chromium        | `e2e/benches/latency.rs`    |
//! | `growing`  | main-thread time a message as a watched session grows  | `e2e/benches/growing.rs`    |
//! | `bulk`     | 100 MiB through a fresh page: throughput, renderer memory | `e2e/benches/bulk.rs`     |
//! | `ui`       | 100,000 and 1,000,000 segments: load, step, scroll, memory; frames in motion | `e2e/benches/ui_scale.rs`   |
//! | `lab`      | the network lab: throughput, added latency, delay      | `lab/benches/lab.rs`        |
//!
//! The page is built in release mode into `<target>/bench-dist` (not
//! `dist/`, so a test run building the page meanwhile cannot swap it
//! underneath), and the relay in release mode. Each benchmark prints lines
//! for people and one JSON object per figure; those objects, with the
//! machine, its load before and after, and the date, are written to
//! `<target>/bench-results.json`. docs/BENCHMARKS.md publishes them.
//!
//! Benchmarks print figures and never fail on them: targets are judged by
//! people reading the figures next to the machine's load. Only the bundle
//! budget is a check, in `cargo xtask test`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::{bundle, root, setup};

const ALL: [&str; 8] = [
    "bundle", "pipeline", "capture", "latency", "growing", "bulk", "ui", "lab",
];

/// Runs the benchmarks named in `args` (all of them when none is).
///
/// # Errors
/// When a name is unknown, a build fails, or a benchmark cannot run.
pub fn run(args: &[String]) -> Result<(), String> {
    let wanted: Vec<&str> = if args.is_empty() {
        ALL.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    if let Some(unknown) = wanted.iter().find(|name| !ALL.contains(name)) {
        return Err(format!(
            "no benchmark called {unknown:?}: choose from {}",
            ALL.join(", ")
        ));
    }
    let wants = |name: &str| wanted.contains(&name);
    let browser = wants("latency") || wants("growing") || wants("bulk") || wants("ui");

    setup::front_end_tools()?;
    let mut packages = vec![setup::LIBPCAP];
    if browser {
        packages.extend([setup::CHROMIUM, setup::CHROMEDRIVER]);
    }
    if wants("capture") {
        packages.push(setup::TSHARK);
    }
    setup::system_packages(&packages)?;

    let load_before = load_average();
    let target = target_dir();
    let dist = target.join("bench-dist");
    let mut results: Vec<String> = Vec::new();
    if wants("bundle") || browser {
        crate::build_page(&dist)?;
    }
    if wants("bundle") {
        let sizes = bundle::measure(&dist)?;
        let (size, worker) = (sizes.page, sizes.worker);
        eprintln!("bundle   {}", sizes.describe());
        results.push(format!(
            "{{\"bench\":\"bundle\",\"gzip_bytes\":{},\"wasm_gzip_bytes\":{},\"js_gzip_bytes\":{},\
             \"wasm_bytes\":{},\"js_bytes\":{},\"budget_bytes\":{},\"target_bytes\":{},\
             \"worker_gzip_bytes\":{},\"gzip9_bytes\":{}}}",
            size.gzip(),
            size.wasm_gzip,
            size.js_gzip,
            size.wasm,
            size.js,
            bundle::BUDGET,
            bundle::TARGET,
            worker.gzip(),
            size.gzip9
        ));
    }
    if browser {
        crate::sh("cargo", &["build", "--release", "--package", "sockscope"])?;
    }
    let relay = target.join("release/sockscope").display().to_string();
    let dist_arg = dist.display().to_string();
    let browser_env = [
        ("SOCKSCOPE_BIN", relay.as_str()),
        ("SOCKSCOPE_DIST", dist_arg.as_str()),
    ];
    for (name, package, bench, env) in [
        ("pipeline", "sockscope", "pipeline", &[][..]),
        ("capture", "sockscope", "capture", &[][..]),
        ("latency", "sockscope-e2e", "latency", &browser_env[..]),
        ("growing", "sockscope-e2e", "growing", &browser_env[..]),
        ("bulk", "sockscope-e2e", "bulk", &browser_env[..]),
        ("ui", "sockscope-e2e", "ui_scale", &browser_env[..]),
        ("lab", "sockscope-lab", "lab", &[][..]),
    ] {
        if wants(name) {
            results.extend(cargo_bench(package, bench, env)?);
        }
    }
    let load_after = load_average();

    let machine = machine(&load_before, &load_after);
    let json = format!(
        "{{\n  \"machine\": {machine},\n  \"results\": [\n    {}\n  ]\n}}\n",
        results.join(",\n    ")
    );
    let out = target.join("bench-results.json");
    std::fs::write(&out, json).map_err(|err| format!("cannot write {}: {err}", out.display()))?;
    eprintln!("xtask: machine {machine}");
    eprintln!("xtask: figures written to {}", out.display());
    Ok(())
}

/// Runs one `cargo bench` target, showing its lines for people and
/// keeping its JSON lines.
fn cargo_bench(package: &str, bench: &str, env: &[(&str, &str)]) -> Result<Vec<String>, String> {
    let args = ["bench", "--package", package, "--bench", bench];
    eprintln!("xtask: $ cargo {}", args.join(" "));
    let mut child = Command::new("cargo")
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    let mut figures = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with('{') {
                figures.push(line);
            } else {
                eprintln!("{line}");
            }
        }
    }
    let status = child
        .wait()
        .map_err(|err| format!("cargo bench {bench}: {err}"))?;
    if !status.success() {
        return Err(format!("the {bench} benchmark failed ({status})"));
    }
    Ok(figures)
}

/// Where cargo puts build output: `CARGO_TARGET_DIR`, else `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// `/proc/loadavg`'s three averages: how busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// The machine as a JSON object: CPU, cores, memory, kernel, tools, date.
fn machine(load_before: &str, load_after: &str) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown", |(_, name)| name.trim());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or_else(
            || "unknown".into(),
            |kb| format!("{:.1} GiB", kb as f64 / 1048576.0),
        );
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = first_line("uname", &["-r"]);
    let fields = [
        ("date", first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"])),
        ("cpu", cpu.to_owned()),
        ("cores", cores.to_string()),
        ("memory", memory),
        ("kernel", kernel),
        ("rustc", first_line("rustc", &["--version"])),
        ("chromium", first_line("chromium", &["--version"])),
        ("load_before", load_before.to_owned()),
        ("load_after", load_after.to_owned()),
    ];
    let body: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("\"{key}\": \"{}\"", escape(value)))
        .collect();
    format!("{{{}}}", body.join(", "))
}

fn escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c if c.is_control() => vec![' '],
            c => vec![c],
        })
        .collect()
}
