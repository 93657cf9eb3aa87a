//! Saving bytes the page made (an exported pcapng or event log) as a file
//! the browser downloads: a Blob, an object URL for it, and a click on a
//! link that names the file.
//!
//! The object URL keeps the Blob in memory until it is revoked, so the
//! caller holds the returned [`ObjectUrl`] and drops it (which revokes it)
//! when the next download replaces it or the page goes away. Revoking at
//! once would race the browser's own read of the Blob.

use gloo_file::{Blob, ObjectUrl};
use wasm_bindgen::JsCast;
use web_sys::HtmlAnchorElement;

/// Starts downloading `bytes` as `file_name`.
///
/// # Errors
/// A sentence when the page has no document to make the link in.
pub fn download(file_name: &str, bytes: &[u8], mime: &str) -> Result<ObjectUrl, String> {
    let url = ObjectUrl::from(Blob::new_with_options(bytes, Some(mime)));
    let link: HtmlAnchorElement = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into().ok())
        .ok_or("this page has no document to start a download from")?;
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    Ok(url)
}
