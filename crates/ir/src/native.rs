//! Native queries as root fields: the rows of the query's code, its arguments taken from
//! `args` (a nullable one left out is null), under the logical model's permissions.

use std::collections::HashMap;

use apollo_compiler::executable::{Field as GqlField, SelectionSet};
use apollo_compiler::Node;
use serde_json::Value;

use crate::build::{Cx, ShapeKind};
use crate::error::IrError;
use crate::types::{NativeCall, Select};

impl Cx<'_> {
    /// The code table `table` reads its rows from, if it is a native query's (arguments not
    /// yet given: a relationship's target takes none).
    pub(crate) fn native_call(&self, table: usize) -> Option<NativeCall> {
        let native = self.schema.tables[table].native.as_ref()?;
        Some(NativeCall {
            code: native.code.clone(),
            args: HashMap::new(),
        })
    }

    /// `<root>(args: {...}, where: ...)`.
    pub(crate) fn native_select(
        &self,
        table: usize,
        f: &Node<GqlField>,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Select, IrError> {
        let mut select = self.select(table, f, sets, path, ShapeKind::Rows)?;
        let given = self.arg(f, "args").unwrap_or(Value::Null);
        let native = self.schema.tables[table]
            .native
            .as_ref()
            .ok_or_else(|| IrError::new(path, "not a native query"))?;
        let mut args = HashMap::new();
        for a in &native.arguments {
            let value = given.get(&a.name).cloned().unwrap_or(Value::Null);
            if value.is_null() && !a.nullable {
                return Err(IrError::new(
                    &format!("{path}.args.args.{}", a.name),
                    format!("missing required field '{}'", a.name),
                ));
            }
            let type_name = rasura_native_queries::model::pg_type_name(&a.type_name);
            args.insert(a.name.clone(), (type_name, value));
        }
        if let Some(call) = select.from_native.as_mut() {
            call.args = args;
        }
        Ok(select)
    }
}
