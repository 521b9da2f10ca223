//! IR → SQL AST, a pure function: one statement per root field that returns the finished JSON.
//! User values only become bind parameters (sent as text, cast in SQL).

mod connection;
mod cx;
mod filter;
mod mutation;
mod params;
mod query;

pub use connection::translate_connection;
pub use cx::Options;
pub use mutation::{insert_row, rows_by_ctid, translate_mutation, Statement, TranslatedStatement};
pub use params::{array_literal, value_text, Params};
pub use query::{translate_select, Translated};
