//! The relay (work in progress).
