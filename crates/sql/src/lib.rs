//! A small SQL AST (the Postgres subset the engine uses) and its printer; knows nothing of GraphQL.

pub mod ast;
pub mod multiplex;
pub mod print;

pub use ast::*;
pub use print::{print, print_with, Printed};
