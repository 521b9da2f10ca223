//! Resolved metadata as data: what of the metadata fits the database (`types`), what does not
//! (`inconsistency`), and the query-tags setting (`query_tags`).

pub mod inconsistency;
pub mod query_tags;
pub mod types;
