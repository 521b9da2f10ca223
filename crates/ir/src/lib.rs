//! A validated GraphQL operation → IR: one tree per root field, naming tables, columns and
//! relationships instead of GraphQL names, with argument values resolved.

mod action;
pub mod bool_exp;
pub mod build;
pub mod collect;
mod computed;
pub mod error;
mod function;
mod mutation;
pub mod order_by;
pub mod permission;
mod redact;
mod remote;
pub mod stream;
pub mod types;
pub mod value;

pub use build::build_ir;
pub use error::IrError;
pub use types::*;
