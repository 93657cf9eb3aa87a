//! How much memory the browser's pages hold, as the machine sees it.
//!
//! Read from `/proc` rather than asked of the page: a page's wasm memory
//! and its workers are not in the JavaScript heap DevTools reports, and a
//! figure the page computed about itself could not catch its own leaks.
//!
//! Chromium runs a page in several renderer processes that map the same
//! libraries, so their resident sets summed count Chromium's own code
//! three or four times over: a blank page "holds" about 420 MB that way.
//! The proportional set size (`Pss` in `smaps_rollup`) shares each page
//! of memory among the processes that map it, so summed over every
//! renderer it counts each page once: about 180 MB for a blank page here,
//! the figure to compare with what a page is allowed to cost.

/// The renderers' memory, summed over every Chromium renderer process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renderers {
    /// Resident set sizes summed: shared libraries counted once a process.
    pub resident_bytes: u64,
    /// Proportional set sizes summed: every page of memory counted once.
    pub proportional_bytes: u64,
    /// Renderer processes whose memory could not be read (`smaps_rollup`
    /// needs the right to trace them: a sandboxed renderer's is refused),
    /// left out of the sums.
    pub unreadable: usize,
}

impl Renderers {
    /// The renderers' memory now; zero where `/proc` cannot be read.
    pub fn now() -> Renderers {
        let mut sum = Renderers {
            resident_bytes: 0,
            proportional_bytes: 0,
            unreadable: 0,
        };
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return sum;
        };
        for dir in entries.filter_map(|entry| Some(entry.ok()?.path())) {
            let Ok(cmdline) = std::fs::read(dir.join("cmdline")) else {
                continue;
            };
            if !String::from_utf8_lossy(&cmdline).contains("--type=renderer") {
                continue;
            }
            let Ok(rollup) = std::fs::read_to_string(dir.join("smaps_rollup")) else {
                sum.unreadable += 1;
                continue;
            };
            sum.resident_bytes += kib_of(&rollup, "Rss:") * 1024;
            sum.proportional_bytes += kib_of(&rollup, "Pss:") * 1024;
        }
        sum
    }

    /// `resident 913 MB, proportional 410 MB`, for a benchmark's line,
    /// saying so when some renderers could not be read.
    pub fn describe(&self) -> String {
        let left_out = match self.unreadable {
            0 => String::new(),
            n => format!(" ({n} renderer processes unreadable, left out)"),
        };
        format!(
            "resident {} MB, proportional {} MB{left_out}",
            megabytes(self.resident_bytes),
            megabytes(self.proportional_bytes)
        )
    }
}

/// Whole megabytes (10^6 bytes), rounded.
pub fn megabytes(bytes: u64) -> u64 {
    (bytes + 500_000) / 1_000_000
}

/// The KiB a `smaps_rollup` line gives, such as `Pss:  75761 kB`.
fn kib_of(rollup: &str, field: &str) -> u64 {
    rollup
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollup_gives_its_fields_in_kib() {
        let rollup = "55a0-7ffd ---p 00000000 00:00 0  [rollup]\n\
                      Rss:              159860 kB\n\
                      Pss:               75761 kB\n\
                      Pss_Dirty:         38000 kB\n";
        assert_eq!(kib_of(rollup, "Rss:"), 159_860);
        assert_eq!(kib_of(rollup, "Pss:"), 75_761);
        assert_eq!(kib_of(rollup, "Swap:"), 0);
        assert_eq!(megabytes(75_761 * 1024), 78);
    }

    #[test]
    fn this_process_has_memory() {
        let own = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
        assert!(kib_of(&own, "Rss:") > 0, "{own}");
        assert!(kib_of(&own, "Pss:") > 0, "{own}");
    }
}
