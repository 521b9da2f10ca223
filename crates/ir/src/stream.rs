//! `<t>_stream` root fields (streaming subscriptions) → IR: the rows past the cursor, in cursor
//! order, at most `batch_size`; each row also carries its cursor value under
//! [`STREAM_CURSOR_KEY`], which the engine takes off before sending and uses to advance the
//! cursor (passed back through the reserved variable [`STREAM_CURSOR_VAR`]).

use apollo_compiler::executable::{Field as GqlField, SelectionSet};
use apollo_compiler::Node;
use serde_json::{json, Value};

use crate::bool_exp::parse_bool_exp;
use crate::build::{column_ref, Cx, ShapeKind};
use crate::error::IrError;
use crate::order_by::parse_order_by;
use crate::types::{BoolExp, Field, Select, Shape};

/// The reserved variable holding the advanced cursor's value.
pub const STREAM_CURSOR_VAR: &str = "__rasura_stream_cursor";
pub use crate::types::STREAM_CURSOR_KEY;

impl Cx<'_> {
    pub(crate) fn stream(
        &self,
        table: usize,
        f: &Node<GqlField>,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Select, IrError> {
        let args = format!("{path}.args");
        let mut select = self.select(table, f, sets, path, ShapeKind::Rows)?;
        let batch = self
            .arg(f, "batch_size")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| {
                IrError::new(
                    &format!("{args}.batch_size"),
                    "batch_size must be a non-negative integer",
                )
            })?;
        let cursor = match self.arg(f, "cursor") {
            Some(Value::Array(mut list)) if list.len() == 1 => list.remove(0),
            Some(v @ Value::Object(_)) => v,
            _ => {
                return Err(IrError::new(
                    &format!("{args}.cursor"),
                    "one cursor is expected",
                ))
            }
        };
        let descending = cursor.get("ordering").and_then(Value::as_str) == Some("DESC");
        let initial_value = self.schema.naming.field("initial_value");
        let initial = cursor
            .get(&initial_value)
            .and_then(Value::as_object)
            .filter(|m| m.len() == 1)
            .ok_or_else(|| {
                IrError::new(
                    &format!("{args}.cursor.initial_value"),
                    "exactly one cursor column is expected",
                )
            })?;
        let (field, given) = initial.iter().next().expect("one entry");
        let value = self
            .vars
            .get(STREAM_CURSOR_VAR)
            .cloned()
            .unwrap_or_else(|| given.clone());
        let info = &self.schema.tables[table];
        let column = info.column_by_field(field).ok_or_else(|| {
            IrError::unknown_field(
                &format!("{args}.cursor.initial_value"),
                field,
                &info.type_name,
            )
        })?;
        let op = if descending { "_lt" } else { "_gt" };
        let past = parse_bool_exp(
            self.schema,
            self.session,
            table,
            &json!({field.as_str(): {op: value}}),
            &args,
        )?;
        select.filter = BoolExp::And(vec![
            std::mem::replace(&mut select.filter, BoolExp::True),
            past,
        ]);
        let direction = if descending { "desc" } else { "asc" };
        select.order_by = parse_order_by(
            self.schema,
            self.session,
            table,
            &json!({field.as_str(): direction}),
            &args,
        )?;
        select.limit = Some(batch);
        if let Shape::Rows(fields) = &mut select.shape {
            fields.push((
                STREAM_CURSOR_KEY.to_string(),
                Field::Column {
                    column: column_ref(column),
                    path: None,
                    upper: false,
                },
            ));
        }
        Ok(select)
    }
}
