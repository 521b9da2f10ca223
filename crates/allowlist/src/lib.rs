//! Query collections and the allow list: the metadata edits, the normal form queries are
//! compared in, and the check a request of a non-admin role passes when the list is enabled.

pub mod check;
pub mod collections;
pub mod normalize;

pub use check::{problems, Allowlist, Verdict};
pub use collections::{apply, CollectionError};

#[cfg(test)]
mod tests;
