//! Live capture of the segments on the wire (work in progress).
