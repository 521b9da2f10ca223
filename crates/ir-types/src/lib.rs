//! The IR's data, shared by the crates that build and translate it: operations, selects,
//! mutations, boolean expressions and Relay connections (`types`), the IR error, GraphQL
//! values with variables resolved (`value`) and field collection (`collect`).

pub mod collect;
pub mod error;
pub mod types;
pub mod value;

pub use types::*;
