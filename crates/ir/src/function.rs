//! Tracked functions as root fields: the rows of the returned table read from the function's
//! call, with the arguments given in `args` (by position, and by name after one left out) and
//! the session variables as the session argument.

use apollo_compiler::executable::{Field as GqlField, SelectionSet};
use apollo_compiler::Node;
use serde_json::{Map, Value};

use crate::build::{Cx, ShapeKind};
use crate::error::IrError;
use crate::types::{FunctionArgValue, FunctionCall, Select};

impl Cx<'_> {
    /// `<f>(args: ..., where: ...)` (rows, or one row) or `<f>_aggregate(...)`.
    pub(crate) fn function_select(
        &self,
        index: usize,
        f: &Node<GqlField>,
        sets: &[&SelectionSet],
        path: &str,
        aggregate: bool,
    ) -> Result<Select, IrError> {
        let func = &self.schema.functions[index];
        let kind = match (aggregate, func.returns_set) {
            (true, _) => ShapeKind::Aggregate,
            (false, true) => ShapeKind::Rows,
            (false, false) => ShapeKind::Single,
        };
        let mut select = self.select(func.table, f, sets, path, kind)?;
        select.from_function = Some(self.function_call(func, f, path)?);
        Ok(select)
    }

    /// The call's arguments, as Hasura takes them: an argument without a default must be
    /// given; an unnamed argument may be left out only if no later unnamed one is given.
    pub(crate) fn function_call(
        &self,
        func: &rasura_schema::FunctionInfo,
        f: &GqlField,
        path: &str,
    ) -> Result<FunctionCall, IrError> {
        let given = self.arg(f, "args").unwrap_or(Value::Null);
        let given = given.as_object();
        let at = format!("{path}.args.args");
        let mut args = vec![];
        let mut skipped_positional = false;
        let mut skipped = false;
        for a in &func.args {
            let value = if a.session {
                Some(Value::Object(self.session_json()))
            } else {
                given.and_then(|g| g.get(&a.field)).cloned()
            };
            let Some(value) = value else {
                if !a.has_default {
                    return Err(IrError::new(&at, "Non default arguments cannot be omitted")
                        .with_code("not-supported"));
                }
                skipped_positional |= a.name.is_none();
                skipped = true;
                continue;
            };
            if a.name.is_none() && skipped_positional {
                return Err(IrError::new(
                    &at,
                    "Only last set of positional arguments can be omitted",
                )
                .with_code("not-supported"));
            }
            // By position until an argument is left out (Postgres takes no positional argument
            // after a named one), by name after.
            args.push(FunctionArgValue {
                parent_row: false,
                name: a.name.clone().filter(|_| skipped),
                type_schema: a.type_schema.clone(),
                type_name: a.type_name.clone(),
                value,
            });
        }
        Ok(FunctionCall {
            function: func.name.clone(),
            args,
        })
    }

    /// A computed field returning rows: its function called on the enclosing row (and the
    /// session), read as `table`'s rows with the field's own arguments.
    pub(crate) fn computed_rows(
        &self,
        c: &rasura_schema::ComputedInfo,
        f: &Node<GqlField>,
        sets: &[&SelectionSet],
        path: &str,
        aggregate: bool,
    ) -> Result<Select, IrError> {
        let target = c.returns_table.unwrap_or_default();
        let kind = if aggregate {
            ShapeKind::Aggregate
        } else {
            ShapeKind::Rows
        };
        let mut select = self.select(target, f, sets, path, kind)?;
        let given = self.arg(f, "args").unwrap_or(Value::Null);
        let mut args = vec![];
        for i in 0..c.arity {
            let (parent_row, schema, ty, value) = if i == c.table_argument {
                (true, String::new(), String::new(), Value::Null)
            } else if Some(i) == c.session_argument {
                let session = Value::Object(self.session_json());
                (false, "pg_catalog".to_string(), "json".to_string(), session)
            } else {
                let Some((_, a)) = c.args.iter().find(|(p, _)| *p == i) else {
                    break;
                };
                match given.get(&a.field) {
                    Some(v) => (false, a.type_schema.clone(), a.type_name.clone(), v.clone()),
                    None if a.has_default => break,
                    None => {
                        return Err(IrError::new(
                            &format!("{path}.args.args"),
                            "Non default arguments cannot be omitted",
                        )
                        .with_code("not-supported"))
                    }
                }
            };
            args.push(FunctionArgValue {
                parent_row,
                name: None,
                type_schema: schema,
                type_name: ty,
                value,
            });
        }
        select.from_function = Some(FunctionCall {
            function: c.function.clone(),
            args,
        });
        Ok(select)
    }

    /// The session variables as a function's session argument sees them (lower-case keys,
    /// the role included).
    fn session_json(&self) -> Map<String, Value> {
        let mut m: Map<String, Value> = self
            .session
            .vars
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), Value::String(v.clone())))
            .collect();
        m.entry("x-hasura-role")
            .or_insert_with(|| Value::String(self.session.role.clone()));
        m
    }
}
