//! The sockscope page (work in progress).
