//! Helpers shared by the capture crate's tests: the reference recordings,
//! a packet's flag bits as tshark prints them, tshark's timestamps, and
//! tshark's fields for every packet of a file. Each fails the test,
//! naming the file, when what it reads is missing, broken or empty: a
//! comparison with nothing would pass on nothing.

// Each test crate uses only some of these.
#![allow(dead_code)]
// Test helpers: a panic here is the test failing, with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sockscope_capture::TcpFlags;

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures")
}

/// `testdata/captures/<name>.pcapng`, which must exist.
pub fn recording(name: &str) -> PathBuf {
    let path = captures().join(format!("{name}.pcapng"));
    assert!(path.is_file(), "no reference recording {}", path.display());
    path
}

/// The names of the fourteen reference recordings, sorted.
pub fn all_recordings() -> Vec<String> {
    let dir = captures();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            entry
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter_map(|name| name.strip_suffix(".pcapng").map(str::to_owned))
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        14,
        "the fourteen reference recordings in {}",
        dir.display()
    );
    names
}

/// The flags as tshark's `tcp.flags` prints them: FIN is bit 0, SYN bit 1,
/// and so on to CWR, bit 7.
pub fn flag_bits(flags: TcpFlags) -> u16 {
    [
        flags.fin, flags.syn, flags.rst, flags.psh, flags.ack, flags.urg, flags.ece, flags.cwr,
    ]
    .iter()
    .enumerate()
    .fold(0, |bits, (bit, on)| bits | (u16::from(*on) << bit))
}

/// tshark's `frame.time_epoch` (seconds, with up to nine decimals) in
/// whole microseconds, as libpcap timestamps are.
pub fn epoch_us(text: &str) -> u64 {
    let (seconds, fraction) = text.split_once('.').unwrap_or((text, ""));
    let micros: String = format!("{fraction:0<6}").chars().take(6).collect();
    let parse = |digits: &str| {
        digits
            .parse::<u64>()
            .unwrap_or_else(|e| panic!("frame.time_epoch {text:?}: {e}"))
    };
    parse(seconds) * 1_000_000 + parse(&micros)
}

/// tshark's `fields` for every packet of `path` (after `options`, such as
/// a display filter), one row of exactly `fields.len()` values a packet.
/// tshark failing, or reading no packet, fails the test.
pub fn tshark_fields(path: &Path, options: &[&str], fields: &[&str]) -> Vec<Vec<String>> {
    let mut command = Command::new("tshark");
    command.arg("-r").arg(path).args(options);
    command.args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]);
    for field in fields {
        command.args(["-e", field]);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("tshark (apt-get install tshark): {e}"));
    assert!(
        output.status.success(),
        "tshark -r {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout)
        .unwrap_or_else(|e| panic!("tshark -r {}: {e}", path.display()));
    let rows: Vec<Vec<String>> = text
        .lines()
        .map(|line| {
            let row: Vec<String> = line.split('\t').map(str::to_owned).collect();
            assert_eq!(
                row.len(),
                fields.len(),
                "tshark -r {}: {line:?}",
                path.display()
            );
            row
        })
        .collect();
    assert!(
        !rows.is_empty(),
        "tshark -r {} {options:?} read no packets",
        path.display()
    );
    rows
}
