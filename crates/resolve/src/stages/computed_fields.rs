//! Stage 3: computed fields, SQL functions that take the table's row.

use rasura_catalog::Catalog;
use rasura_metadata::{QualifiedName, Source};

use crate::inconsistency::{in_table, Inconsistency, ObjectRef};
use crate::types::{ResolvedComputedField, ResolvedTable};

pub(super) fn resolve_computed_fields(
    source: &Source,
    catalog: &Catalog,
    tables: &mut [ResolvedTable],
    report: &mut Vec<Inconsistency>,
) {
    let tracked = super::entries::tracked(tables);
    let entries = super::entries::Entries::of(source);
    for table in tables.iter_mut() {
        let Some(entry) = entries.get(&table.name) else {
            continue;
        };
        for cf in &entry.computed_fields {
            let def = &cf.definition;
            let result = (|| {
                if table.info.column(&cf.name).is_some() {
                    return Err(format!(
                        "computed field name \"{}\" conflicts with a column",
                        cf.name
                    ));
                }
                let mut overloads =
                    catalog.functions_named(&def.function.schema, &def.function.name);
                let f = overloads
                    .next()
                    .ok_or_else(|| format!("no such function exists: \"{}\"", def.function))?;
                if overloads.next().is_some() {
                    return Err(format!("function \"{}\" is overloaded", def.function));
                }
                let position = |arg: &str| f.argument_names.iter().position(|a| a == arg);
                let table_argument = match &def.table_argument {
                    Some(a) => position(a).ok_or_else(|| format!("argument \"{a}\" not found"))?,
                    None => 0,
                };
                let arg_type = f
                    .argument_types
                    .get(table_argument)
                    .ok_or("the function takes no table argument")?;
                if arg_type.schema != table.name.schema || arg_type.name != table.name.name {
                    return Err(format!(
                        "first argument of the function \"{}\" is not of the table's row type",
                        def.function
                    ));
                }
                let session_argument = match &def.session_argument {
                    Some(a) => {
                        Some(position(a).ok_or_else(|| format!("argument \"{a}\" not found"))?)
                    }
                    None => None,
                };
                let rt = &f.return_type;
                let returns_table = (rt.kind == "c")
                    .then(|| QualifiedName::new(&rt.schema, &rt.name))
                    .filter(|t| tracked.contains(t));
                Ok(ResolvedComputedField {
                    name: cf.name.clone(),
                    function: f.clone(),
                    table_argument,
                    session_argument,
                    returns_table,
                    comment: cf.comment.clone(),
                })
            })();
            match result {
                Ok(r) => table.computed_fields.push(r),
                Err(reason) => report.push(Inconsistency::new(
                    "computed_field",
                    in_table("computed field", &cf.name, &table.name, &source.name),
                    serde_json::json!({"name": cf.name, "definition": cf.definition, "table": table.name, "source": "default"}),
                    reason,
                    ObjectRef::ComputedField(table.name.clone(), cf.name.clone()),
                )),
            }
        }
    }
}
