//! The built page made ready to serve: its JavaScript glue minified, and
//! gzipped copies written beside its files (`x_bg.wasm` → `x_bg.wasm.gz`)
//! for the relay to send as they are to browsers that accept gzip
//! (`relay/src/static_files.rs`).
//!
//! trunk's own minifier gives up on the module wasm-bindgen writes (it
//! cannot read `export { … as default }`) and leaves it as it is, 55 KB;
//! esbuild makes it 24 KB. index.html vouches for that file with a hash
//! (`integrity="sha384-…"`), so the hash is replaced as the file is.
//!
//! Compressing once at build time lets the copy be as small as gzip can
//! be: zopfli searches much harder than `gzip -9` for the same format
//! (any gzip reader reads it), which takes a couple of seconds for the
//! page and would be far too slow per request. The copies are what the
//! page's size is measured on ([`crate::bundle`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::setup;

/// Minifies each JavaScript file index.html loads (the page's glue; the
/// file worker's is loaded by its own shim, as a classic script, and left
/// alone), and puts the new file's hash where the old one was.
///
/// # Errors
/// When esbuild or Node.js fails, or a file cannot be read or written.
pub fn minify_glue(dist: &Path) -> Result<(), String> {
    let index_path = dist.join("index.html");
    let mut index = std::fs::read_to_string(&index_path)
        .map_err(|err| format!("cannot read {}: {err}", index_path.display()))?;
    let esbuild = setup::tools_bin().join("esbuild").display().to_string();
    let entries =
        std::fs::read_dir(dist).map_err(|err| format!("cannot read {}: {err}", dist.display()))?;
    for entry in entries.flatten() {
        let file = entry.path();
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !name.ends_with(".js") || !index.contains(&format!("/{name}")) {
            continue;
        }
        let before = sha384(&file)?;
        let path = file.display().to_string();
        let outfile = format!("--outfile={path}");
        let args = [
            path.as_str(),
            "--minify",
            "--format=esm",
            &outfile,
            "--allow-overwrite",
            "--log-level=warning",
        ];
        crate::sh(&esbuild, &args)?;
        index = index.replace(
            &format!("sha384-{before}"),
            &format!("sha384-{}", sha384(&file)?),
        );
    }
    std::fs::write(&index_path, index)
        .map_err(|err| format!("cannot write {}: {err}", index_path.display()))
}

/// The base64 SHA-384 of `file`, as subresource integrity writes it,
/// computed by Node.js (which the npm tools need anyway).
fn sha384(file: &Path) -> Result<String, String> {
    const SCRIPT: &str = "process.stdout.write(require('crypto').createHash('sha384')\
        .update(require('fs').readFileSync(process.argv[1])).digest('base64'))";
    let out = Command::new("node")
        .args(["-e", SCRIPT])
        .arg(file)
        .output()
        .map_err(|err| format!("cannot run node (Node.js, which npm needs): {err}"))?;
    if !out.status.success() {
        return Err(format!("node could not hash {}", file.display()));
    }
    String::from_utf8(out.stdout).map_err(|_| format!("node hashed {} oddly", file.display()))
}

/// The kinds of file worth a copy: text and wasm. Images and the like are
/// compressed already, and the page has none.
const COMPRESSIBLE: &[&str] = &["wasm", "js", "css", "html", "json", "svg"];

/// Writes a gzipped copy beside every compressible file under `dist`.
///
/// # Errors
/// When a file cannot be read or its copy written.
pub fn gzip_copies(dist: &Path) -> Result<(), String> {
    for file in files_under(dist, COMPRESSIBLE)? {
        let data =
            std::fs::read(&file).map_err(|err| format!("cannot read {}: {err}", file.display()))?;
        let mut gzipped = Vec::with_capacity(data.len() / 2);
        zopfli::compress(
            zopfli::Options::default(),
            zopfli::Format::Gzip,
            data.as_slice(),
            &mut gzipped,
        )
        .map_err(|err| format!("cannot compress {}: {err}", file.display()))?;
        let copy = copy_of(&file);
        // A tiny file can come out larger: it is better sent as it is.
        if gzipped.len() >= data.len() {
            continue;
        }
        std::fs::write(&copy, gzipped)
            .map_err(|err| format!("cannot write {}: {err}", copy.display()))?;
    }
    Ok(())
}

/// Where the gzipped copy of `file` goes (and where the relay looks).
pub fn copy_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".gz");
    PathBuf::from(name)
}

/// The files under `dir`, at any depth, whose extension is one of
/// `extensions`.
///
/// # Errors
/// When a folder cannot be read.
pub fn files_under(dir: &Path, extensions: &[&str]) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|err| format!("cannot read {}: {err}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path, extensions)?);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            found.push(path);
        }
    }
    Ok(found)
}
