//! How much memory the browser's pages hold, as the machine sees it.
//!
//! Read from `/proc` rather than asked of the page: a page's wasm memory
//! and its workers are not in the JavaScript heap DevTools reports, and a
//! figure the page computed about itself could not catch its own leaks.

/// The resident memory of every Chromium renderer process, summed: the
/// pages' and their workers' memory as the machine sees it.
pub fn renderer_rss_bytes() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|entry| {
            let dir = entry.ok()?.path();
            let cmdline = std::fs::read(dir.join("cmdline")).ok()?;
            let renderer = String::from_utf8_lossy(&cmdline).contains("--type=renderer");
            if !renderer {
                return None;
            }
            let status = std::fs::read_to_string(dir.join("status")).ok()?;
            let kb = status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()?;
            Some(kb * 1024)
        })
        .sum()
}
