//! Snapshot tests of the translation (see query.rs).
