//! Stage 5: tracked SQL functions that exist and return rows of a tracked table.

use rasura_catalog::Catalog;
use rasura_metadata::{QualifiedName, Source};

use crate::inconsistency::{Inconsistency, ObjectRef};
use crate::types::{ResolvedFunction, ResolvedTable};

pub(super) fn resolve_functions(
    source: &Source,
    catalog: &Catalog,
    tables: &[ResolvedTable],
    report: &mut Vec<Inconsistency>,
) -> Vec<ResolvedFunction> {
    let mut out = vec![];
    for entry in &source.functions {
        let name = &entry.function;
        let config = entry.configuration.clone().unwrap_or_default();
        let result = (|| {
            let mut overloads = catalog.functions_named(&name.schema, &name.name);
            let f = overloads
                .next()
                .ok_or_else(|| format!("no such function exists in source: \"{name}\""))?;
            if overloads.next().is_some() {
                return Err(format!("function \"{name}\" is overloaded"));
            }
            let rt = QualifiedName::new(&f.return_type.schema, &f.return_type.name);
            let returns_table = tables.iter().any(|t| t.name == rt).then_some(rt);
            if returns_table.is_none() {
                return Err(format!(
                    "the function \"{name}\" cannot be tracked because the function does not return a \"COMPOSITE\" type of a tracked table"
                ));
            }
            Ok(ResolvedFunction {
                name: name.clone(),
                function: f.clone(),
                returns_table,
                exposed_as_mutation: config.get("exposed_as").and_then(|v| v.as_str())
                    == Some("mutation")
                    || (f.volatility == "v" && config.get("exposed_as").is_none()),
                session_argument: config
                    .get("session_argument")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                custom_name: config
                    .get("custom_name")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
            })
        })();
        match result {
            Ok(f) => out.push(f),
            Err(reason) => report.push(Inconsistency::new(
                "function",
                format!("function {name} in source default"),
                serde_json::json!({"function": name, "source": "default"}),
                reason,
                ObjectRef::Function(name.clone()),
            )),
        }
    }
    out
}
