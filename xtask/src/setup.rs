//! Installing what sockscope needs, only when it is missing.
//!
//! Rust tools come from crates.io with `cargo install` (trunk is pinned to
//! 0.21.14: 0.22 needs a newer rustc; wasm-bindgen-cli must equal the
//! wasm-bindgen in Cargo.lock, and is installed without `--locked` because
//! its own lock file names a version the registry lacks). System packages
//! come from apt when we are root on Debian or Ubuntu; anywhere else the
//! message says what to install.

use std::process::{Command, Stdio};

use crate::{root, sh};

const TRUNK_VERSION: &str = "0.21.14";

/// The binaryen release whose wasm-opt Trunk.toml asks for. Debian's
/// binaryen (108) cannot parse today's Rust wasm; npm's package runs anywhere
/// Node.js does.
const BINARYEN_VERSION: &str = "132";

/// The esbuild release that minifies the page's JavaScript glue (trunk's
/// own minifier gives up on wasm-bindgen's output; `pack.rs`).
const ESBUILD_VERSION: &str = "0.28.2";

/// Where the npm tools go: inside target/, so `cargo clean` removes them.
pub fn tools_bin() -> std::path::PathBuf {
    root().join("target/tools/node_modules/.bin")
}

/// A system package: how to tell it is there, and its Debian name.
pub struct Package {
    pub debian: &'static str,
    present: fn() -> bool,
    /// What to install elsewhere.
    pub elsewhere: &'static str,
}

pub const LIBPCAP: Package = Package {
    debian: "libpcap-dev",
    present: || {
        ["/usr/include/pcap.h", "/usr/include/pcap/pcap.h"]
            .iter()
            .any(|p| std::path::Path::new(p).exists())
    },
    elsewhere: "libpcap's development files (Fedora: libpcap-devel; macOS: included with Xcode's command line tools)",
};

pub const CHROMIUM: Package = Package {
    debian: "chromium",
    present: || found("chromium") || found("chromium-browser"),
    elsewhere: "Chromium",
};

pub const CHROMEDRIVER: Package = Package {
    debian: "chromium-driver",
    present: || found("chromedriver"),
    elsewhere: "ChromeDriver matching your Chromium",
};

pub const TSHARK: Package = Package {
    debian: "tshark",
    present: || found("tshark"),
    elsewhere: "tshark (part of Wireshark)",
};

fn found(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Installs the missing packages with apt, or says what to install.
///
/// # Errors
/// When a package is missing and cannot be installed here.
pub fn system_packages(packages: &[Package]) -> Result<(), String> {
    let missing: Vec<&Package> = packages.iter().filter(|p| !(p.present)()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|p| p.debian).collect();
    let is_root = output("id", &["-u"]).as_deref() == Some("0");
    if found("apt-get") && is_root {
        sh("apt-get", &["update", "-qq"])?;
        let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
        args.extend(&names);
        return crate::sh_env("apt-get", &args, &[("DEBIAN_FRONTEND", "noninteractive")]);
    }
    let elsewhere: Vec<&str> = missing.iter().map(|p| p.elsewhere).collect();
    Err(format!(
        "missing: {}. On Debian or Ubuntu run `sudo apt-get install {}`; elsewhere install {}.",
        names.join(", "),
        names.join(" "),
        elsewhere.join(", ")
    ))
}

/// The wasm target, trunk, wasm-bindgen-cli, and from npm wasm-opt and
/// esbuild.
///
/// # Errors
/// When an installation fails.
pub fn front_end_tools() -> Result<(), String> {
    let targets = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets.lines().any(|t| t == "wasm32-unknown-unknown") {
        sh("rustup", &["target", "add", "wasm32-unknown-unknown"])?;
    }
    let trunk = output("trunk", &["--version"]).unwrap_or_default();
    if trunk != format!("trunk {TRUNK_VERSION}") {
        eprintln!("xtask: installing trunk {TRUNK_VERSION} (takes several minutes, once)");
        sh(
            "cargo",
            &["install", "trunk", "--version", TRUNK_VERSION, "--locked"],
        )?;
    }
    let wasm_opt = tools_bin().join("wasm-opt");
    let have_opt = output(&wasm_opt.display().to_string(), &["--version"]).unwrap_or_default();
    let esbuild = tools_bin().join("esbuild");
    let have_esbuild = output(&esbuild.display().to_string(), &["--version"]).unwrap_or_default();
    if !have_opt.contains(&format!("version_{BINARYEN_VERSION}")) || have_esbuild != ESBUILD_VERSION
    {
        if !found("npm") {
            return Err(format!(
                "wasm-opt (binaryen {BINARYEN_VERSION}) and esbuild are installed with npm, which \
                 is missing: install Node.js (Debian: apt-get install npm)"
            ));
        }
        let prefix = root().join("target/tools").display().to_string();
        let binaryen = format!("binaryen@{BINARYEN_VERSION}");
        let esbuild = format!("esbuild@{ESBUILD_VERSION}");
        sh(
            "npm",
            &[
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                &prefix,
                &binaryen,
                &esbuild,
            ],
        )?;
    }
    let wanted = locked_version("wasm-bindgen")?;
    let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if have != format!("wasm-bindgen {wanted}") {
        eprintln!("xtask: installing wasm-bindgen-cli {wanted} to match Cargo.lock");
        sh(
            "cargo",
            &[
                "install",
                "wasm-bindgen-cli",
                "--version",
                &wanted,
                "--force",
            ],
        )?;
    }
    Ok(())
}

/// The version of `package` in Cargo.lock.
fn locked_version(package: &str) -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|err| format!("cannot read Cargo.lock: {err}"))?;
    let mut lines = lock.lines();
    let name_line = format!("name = \"{package}\"");
    while let Some(line) = lines.next() {
        if line == name_line {
            if let Some(version) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
            {
                return Ok(version.to_owned());
            }
        }
    }
    Err(format!("{package} is not in Cargo.lock"))
}
