//! The built page made ready to serve: its JavaScript glue minified, and
//! gzipped copies written beside its files (`x_bg.wasm` → `x_bg.wasm.gz`)
//! for the relay to send as they are to browsers that accept gzip
//! (`relay/src/static_files.rs`).
//!
//! trunk's own minifier gives up on the module wasm-bindgen writes (it
//! cannot read `export { … as default }`) and leaves it as it is, 55 KB;
//! esbuild makes it 24 KB. index.html vouches for that file with a hash
//! (`integrity="sha384-…"`), so the hash is replaced as the file is. Two
//! things trunk writes make the browser warn on every load; they are taken
//! out ([`quiet_console`]).
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

/// Takes out of the built page what trunk writes that makes the browser
/// warn on every load, so that its console stays empty (`e2e/tests/
/// console.rs` fails on any warning):
/// - the `integrity` of the wasm's `<link rel=preload as=fetch>`: Chromium
///   ignores it there ("the `integrity` attribute is currently ignored for
///   preload destinations that do not support subresource integrity") and
///   the glue fetches the wasm without one, so it vouched for nothing; the
///   glue's own `modulepreload` keeps its hash;
/// - the file worker's loader shim calls `wasm_bindgen("…_bg.wasm")`, a
///   form the wasm-bindgen glue warns is deprecated: it is given the object
///   the glue asks for, `{module_or_path: "…_bg.wasm"}`.
///
/// # Errors
/// When a file cannot be read or written.
pub fn quiet_console(dist: &Path) -> Result<(), String> {
    let index_path = dist.join("index.html");
    let index = std::fs::read_to_string(&index_path)
        .map_err(|err| format!("cannot read {}: {err}", index_path.display()))?;
    std::fs::write(&index_path, without_wasm_preload_integrity(&index))
        .map_err(|err| format!("cannot write {}: {err}", index_path.display()))?;
    let entries =
        std::fs::read_dir(dist).map_err(|err| format!("cannot read {}: {err}", dist.display()))?;
    for entry in entries.flatten() {
        let file = entry.path();
        let is_loader = file
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with("_loader.js"));
        if !is_loader {
            continue;
        }
        let shim = std::fs::read_to_string(&file)
            .map_err(|err| format!("cannot read {}: {err}", file.display()))?;
        std::fs::write(&file, shim_with_object(&shim))
            .map_err(|err| format!("cannot write {}: {err}", file.display()))?;
    }
    Ok(())
}

/// `shim` calling `wasm_bindgen({module_or_path: "…"})` where it called
/// `wasm_bindgen("…")`; anything else unchanged.
fn shim_with_object(shim: &str) -> String {
    const CALL: &str = "wasm_bindgen(\"";
    let Some(start) = shim.find(CALL) else {
        return shim.to_string();
    };
    let path_start = start + CALL.len();
    let Some(length) = shim[path_start..].find("\")") else {
        return shim.to_string();
    };
    let path_end = path_start + length;
    format!(
        "{}wasm_bindgen({{module_or_path:\"{}\"}}){}",
        &shim[..start],
        &shim[path_start..path_end],
        &shim[path_end + 2..]
    )
}

/// `index` without the `integrity` attribute of any `<link>` that preloads
/// wasm (quoted as trunk writes it, or unquoted as its minifier leaves it).
fn without_wasm_preload_integrity(index: &str) -> String {
    let mut out = String::with_capacity(index.len());
    let mut rest = index;
    while let Some(start) = rest.find("<link") {
        let Some(length) = rest[start..].find('>') else {
            break;
        };
        let end = start + length + 1;
        out.push_str(&rest[..start]);
        let tag = &rest[start..end];
        if tag.contains("application/wasm") {
            out.push_str(&without_attribute(tag, "integrity"));
        } else {
            out.push_str(tag);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `tag` without the attribute `name` and the space before it.
fn without_attribute(tag: &str, name: &str) -> String {
    let Some(at) = tag.find(&format!(" {name}=")) else {
        return tag.to_string();
    };
    let value = &tag[at + name.len() + 2..];
    let length = match value.strip_prefix('"') {
        Some(quoted) => quoted.find('"').map_or(value.len(), |end| end + 2),
        None => value
            .find(|c: char| c.is_whitespace() || c == '>')
            .unwrap_or(value.len()),
    };
    format!("{}{}", &tag[..at], &value[length..])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_shim_passes_an_object() {
        assert_eq!(
            shim_with_object(r#"importScripts("./w.js");wasm_bindgen("./w_bg.wasm");"#),
            r#"importScripts("./w.js");wasm_bindgen({module_or_path:"./w_bg.wasm"});"#
        );
        let done = r#"importScripts("./w.js");wasm_bindgen({module_or_path:"./w_bg.wasm"});"#;
        assert_eq!(shim_with_object(done), done);
    }

    #[test]
    fn the_wasm_preload_loses_its_integrity_and_nothing_else_does() {
        let minified = "<link crossorigin href=/a.js integrity=sha384-A rel=modulepreload>\
            <link as=fetch crossorigin href=/a_bg.wasm integrity=sha384-B rel=preload type=application/wasm></head>";
        assert_eq!(
            without_wasm_preload_integrity(minified),
            "<link crossorigin href=/a.js integrity=sha384-A rel=modulepreload>\
             <link as=fetch crossorigin href=/a_bg.wasm rel=preload type=application/wasm></head>"
        );
        let quoted = r#"<link rel="preload" href="/a_bg.wasm" crossorigin="anonymous" integrity="sha384-B" as="fetch" type="application/wasm">"#;
        assert_eq!(
            without_wasm_preload_integrity(quoted),
            r#"<link rel="preload" href="/a_bg.wasm" crossorigin="anonymous" as="fetch" type="application/wasm">"#
        );
    }
}
