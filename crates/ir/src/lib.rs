//! A validated GraphQL operation → IR: one tree per root field, naming tables, columns and
//! relationships instead of GraphQL names, with argument values resolved.

mod action;
pub mod bool_exp;
pub mod build;
mod computed;
mod enums;
mod function;
mod geojson;
mod mutation;
mod native;
pub mod order_by;
pub mod permission;
mod redact;
pub mod relay;
mod roots;
pub mod stream;

/// Remote-schema fields printed for forwarding (`rasura-ir-remote`).
use rasura_ir_remote as remote;
pub use rasura_ir_types::{collect, error, types, value};

pub use error::IrError;
pub use roots::build_ir;
pub use types::*;
