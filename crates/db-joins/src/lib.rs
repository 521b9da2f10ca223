//! Joins filled in from a database after a first answer: remote objects to tables
//! (`remote_objects.rs`) and tables to tables of another source (`sources.rs`).

pub mod remote_objects;
pub mod sources;

/// A statement to run: the response key it answers for, its SQL and its parameters.
pub type Statement = (String, String, Vec<Option<String>>);

/// The condition `select`'s rows must meet for one set of joined values: its own filter and
/// `column = value` for each (column, value).
pub(crate) fn joined_filter(
    filter: &rasura_ir_types::types::BoolExp,
    columns: impl Iterator<Item = (rasura_ir_types::types::ColumnRef, serde_json::Value)>,
) -> rasura_ir_types::types::BoolExp {
    use rasura_ir_types::types::{BoolExp, CompareOp};
    let mut conditions = vec![filter.clone()];
    for (column, value) in columns {
        conditions.push(BoolExp::Compare {
            column,
            cast: false,
            op: CompareOp::Eq,
            value,
        });
    }
    BoolExp::And(conditions)
}
