//! Steps through the page's own forms that several tests and benchmarks
//! take before what they measure.

use crate::{Browser, Result};

/// Through the forms: a listener on a port the kernel picks, accepting by
/// itself, and a client connected to it, once the accepted socket is
/// listed.
///
/// # Errors
/// When a form or the socket it makes never appears.
pub async fn connected_pair(b: &Browser) -> Result<()> {
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
    Ok(())
}

/// Chooses the listed socket of `role` (`accepted`, `client`, …), once its
/// forms show.
///
/// # Errors
/// When the socket or its forms never appear.
pub async fn choose(b: &Browser, role: &str) -> Result<()> {
    b.click_in_page(&format!("#socket-list li[data-role={role}] button"))
        .await?;
    b.wait(
        &format!("the {role} socket's forms"),
        &format!("document.querySelector('#socket-actions[data-role={role}]')"),
    )
    .await?;
    Ok(())
}

/// [`connected_pair`], then auto-read with `bufsize` on the accepted
/// socket, and the client chosen, so the send form writes to it.
///
/// # Errors
/// When a form or the socket it makes never appears.
pub async fn auto_read_pair(b: &Browser, bufsize: u32) -> Result<()> {
    connected_pair(b).await?;
    choose(b, "accepted").await?;
    b.fill("#auto-read-form input[name=bufsize]", &bufsize.to_string())
        .await?;
    b.click_in_page("#auto-read-form button[type=submit]")
        .await?;
    choose(b, "client").await
}
