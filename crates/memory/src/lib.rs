//! Memory within bounds: byte-budgeted caches and the threads that return freed pages.

pub mod cache;
pub mod threads;
