//! Tracked SQL functions as root fields: `<f>(args: <f>_args, ...)` and `<f>_aggregate` on the
//! query root, or `<f>(...)` on the mutation root for a function exposed as a mutation; which
//! roles see them (the returned table's select permission, and a function permission where
//! Hasura asks for one).

use std::collections::HashMap;
use std::fmt::Write;

use rasura_metadata::QualifiedName;
use rasura_resolve::ResolvedMetadata;

use crate::naming;
use crate::scalars;
use crate::types::{FunctionInfo, MutationRoot, RootField, TableInfo};
use crate::writer::{select_args, SdlWriter};

/// `HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS` (default `true`): a role that may select from
/// the returned table may call a non-VOLATILE function without a function permission.
pub fn infer_function_permissions() -> bool {
    [
        "RASURA_INFER_FUNCTION_PERMISSIONS",
        "HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS",
    ]
    .iter()
    .filter_map(|n| std::env::var(n).ok())
    .all(|v| !v.eq_ignore_ascii_case("false"))
}

/// The tracked functions whose returned table has a GraphQL type.
pub(crate) fn function_infos(
    resolved: &ResolvedMetadata,
    table_index: &HashMap<QualifiedName, usize>,
    naming: &naming::Naming,
) -> Vec<FunctionInfo> {
    resolved
        .functions
        .iter()
        .filter_map(|f| {
            let table = *table_index.get(f.returns_table.as_ref()?)?;
            Some(FunctionInfo {
                name: f.name.clone(),
                // The fields of `args` as the convention spells them.
                args: f
                    .args
                    .iter()
                    .map(|a| rasura_resolve::FunctionArg {
                        field: naming.db_name(&a.field),
                        ..a.clone()
                    })
                    .collect(),
                table,
                returns_set: f.returns_set,
                mutation: f.exposed_as_mutation,
                volatile: f.function.volatility == "v",
                root_field: f.root_field.clone(),
                aggregate_field: f.aggregate_field.clone(),
                args_type: f.args_type.clone(),
                permissions: f.permissions.clone(),
            })
        })
        .collect()
}

/// Whether `role` may call `f`: admin always; others need select permission on the returned
/// table and, unless inferred (non-VOLATILE, inference on), a function permission.
pub(crate) fn role_may_call(f: &FunctionInfo, tables: &[TableInfo], role: &str) -> bool {
    let table = &tables[f.table];
    let Some(perms) = &table.perms else {
        return role == "admin";
    };
    perms.select.is_some()
        && ((!f.volatile && infer_function_permissions())
            || f.permissions.iter().any(|r| r == role))
}

impl SdlWriter {
    /// A tracked function's root fields.
    pub(crate) fn function(
        &mut self,
        f: &FunctionInfo,
        idx: usize,
        tables: &[TableInfo],
        catalog: &rasura_catalog::Catalog,
        roots: &mut HashMap<String, RootField>,
        mutation_roots: &mut HashMap<String, MutationRoot>,
    ) {
        if !naming::is_valid_name(&f.root_field) || !naming::is_valid_name(&f.args_type) {
            return;
        }
        let table = &tables[f.table];
        let names = self.names(table);
        let n = &self.naming;
        let root_field = n.root_field(&n.field(&f.root_field));
        let aggregate_field = n.root_field(&n.field(&f.aggregate_field));
        let args_type = n.function_args_type(&f.args_type);
        let given: Vec<_> = f.args.iter().filter(|a| !a.session).collect();
        let args_arg = if given.is_empty() {
            String::new()
        } else {
            let _ = writeln!(self.types, "input {args_type} {{");
            for a in &given {
                // A table's row is given as its text, typed `<type>_scalar` (as Hasura).
                let scalar = if catalog.table(&a.type_schema, &a.type_name).is_some() {
                    self.naming.scalar(&format!("{}_scalar", a.type_name))
                } else {
                    self.naming.scalar(&scalars::scalar_for_type(&a.type_name))
                };
                self.scalar(&scalar);
                let _ = writeln!(self.types, "  {}: {scalar}", a.field);
            }
            self.types.push_str("}\n");
            let bang = if given.iter().any(|a| !a.has_default) {
                "!"
            } else {
                ""
            };
            format!(
                "\"input parameters for function \\\"{root_field}\\\"\" args: {args_type}{bang}, "
            )
        };
        if self.relay {
            // Relay: a connection over the rows of a table with a primary key.
            if f.returns_set && !f.mutation && crate::relay::is_node(table) {
                let conn = crate::relay::connection_args(&names);
                let field = self.naming.field(&format!("{root_field}_connection"));
                let _ = writeln!(
                    self.query_fields,
                    "  \"execute function \\\"{}\\\" which returns \\\"{}\\\"\"\n  {field}({args_arg}{}): {}Connection!",
                    f.name,
                    table.name,
                    &conn[1..conn.len() - 1],
                    names.object
                );
                self.connection_types(&names.object, &naming::described(&table.name));
                roots.insert(field, RootField::FunctionConnection(idx));
            }
            return;
        }
        let select = select_args(&names);
        let inner = &select[1..select.len() - 1];
        let output = if f.returns_set {
            format!("[{}!]!", names.object)
        } else {
            names.object.clone()
        };
        let volatile = if f.mutation { "VOLATILE " } else { "" };
        let field = format!(
            "  \"execute {volatile}function \\\"{}\\\" which returns \\\"{}\\\"\"\n  {root_field}({args_arg}{inner}): {output}\n",
            f.name, table.name
        );
        if f.mutation {
            self.mutation_fields.push_str(&field);
            mutation_roots.insert(root_field, MutationRoot::Function(idx));
            return;
        }
        self.query_fields.push_str(&field);
        roots.insert(root_field, RootField::Function(idx));
        if f.returns_set && table.allow_aggregations && naming::is_valid_name(&f.aggregate_field) {
            let _ = writeln!(
                self.query_fields,
                "  \"execute function \\\"{}\\\" and query aggregates on result of table type \\\"{}\\\"\"\n  {aggregate_field}({args_arg}{inner}): {}!",
                f.name, table.name, names.aggregate
            );
            roots.insert(aggregate_field, RootField::FunctionAggregate(idx));
        }
    }
}
