//! Steps through the page's own forms that several tests and benchmarks
//! take before what they measure.

use crate::{Browser, Result};

/// Through the forms: a listener on a port the kernel picks, accepting by
/// itself, and a client connected to it; then auto-read with `bufsize` on
/// the accepted socket, and the client chosen, so the send form writes to
/// it.
///
/// # Errors
/// When a form or the socket it makes never appears.
pub async fn auto_read_pair(b: &Browser, bufsize: u32) -> Result<()> {
    b.fill("#listen-form input[name=port]", "0").await?;
    b.click_in_page("#listen-form button[type=submit]").await?;
    let port = b
        .wait(
            "the listener's port",
            "document.querySelector('#socket-list li[data-role=listener] .addr')?.textContent.split(':').pop()",
        )
        .await?;
    b.fill(
        "#connect-form input[name=port]",
        port.as_str().unwrap_or_default(),
    )
    .await?;
    b.click_in_page("#connect-form button[type=submit]").await?;
    b.wait(
        "the accepted socket",
        "document.querySelector('#socket-list li[data-role=accepted]')",
    )
    .await?;
    b.click_in_page("#socket-list li[data-role=accepted] button")
        .await?;
    b.wait(
        "the accepted socket's forms",
        "document.querySelector('#socket-actions[data-role=accepted]')",
    )
    .await?;
    b.fill("#auto-read-form input[name=bufsize]", &bufsize.to_string())
        .await?;
    b.click_in_page("#auto-read-form button[type=submit]")
        .await?;
    b.click_in_page("#socket-list li[data-role=client] button")
        .await?;
    b.wait(
        "the client's forms",
        "document.querySelector('#socket-actions[data-role=client]')",
    )
    .await?;
    Ok(())
}
