//! Browser end-to-end harness (work in progress).
