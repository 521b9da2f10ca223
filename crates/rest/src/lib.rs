//! RESTified endpoints: the metadata edits, the per-version table of endpoints with their
//! URL matching, and the variables of a call.

pub mod edits;
pub mod endpoints;
pub mod variables;

pub use endpoints::{problems, Endpoint, Endpoints, RestError};

#[cfg(test)]
mod tests;
