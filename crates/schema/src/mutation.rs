//! The mutation part of a table's schema: insert, update and delete root fields and their
//! input types, named as Hasura names them.

use std::collections::HashMap;
use std::fmt::Write;

use rasura_resolve::ResolvedTable;

use crate::naming::{self, RootKind};
use crate::scalars;
use crate::types::{ColumnInfo, MutationRoot, TableField, TableInfo};
use crate::writer::SdlWriter;

impl SdlWriter {
    pub(crate) fn mutations(
        &mut self,
        t: &ResolvedTable,
        tables: &[TableInfo],
        idx: usize,
        qualified: &str,
        roots: &mut HashMap<String, MutationRoot>,
    ) {
        let info = &tables[idx];
        let names = self.names(info);
        let n = self.naming.clone();
        let base = names.object.clone();
        let t_mutation_response = names.of("mutation_response");
        let t_constraint = names.of("constraint");
        let t_on_conflict = names.of("on_conflict");
        let t_update_column = names.of("update_column");
        let t_insert_input = names.of("insert_input");
        let t_obj_rel_insert_input = names.of("obj_rel_insert_input");
        let t_arr_rel_insert_input = names.of("arr_rel_insert_input");
        let t_set_input = names.of("set_input");
        let t_inc_input = names.of("inc_input");
        let t_pk_columns_input = names.of("pk_columns_input");
        let t_updates = names.of("updates");
        let t_bool_exp = names.bool_exp.clone();
        let affected_rows = n.field("affected_rows");
        let update_columns = n.field("update_columns");
        let on_conflict_arg = n.field("on_conflict");
        let pk_columns = n.field("pk_columns");
        let pick = |names: &[String]| {
            let mut v: Vec<&ColumnInfo> =
                names.iter().filter_map(|n| info.columns.get(n)).collect();
            v.sort_by_key(|c| c.field.clone());
            v
        };
        let insert_cols = pick(&info.insert_columns);
        let cols = pick(&info.update_columns);
        let perms = info.perms.as_ref();
        let can_insert = info.can_insert();
        let can_update = info.updatable && perms.is_none_or(|p| p.update.is_some());
        let can_delete = info.deletable && perms.is_none_or(|p| p.delete.is_some());
        let catalog = |c: &ColumnInfo| t.info.column(&c.name).expect("column of this table");
        let numeric: Vec<&ColumnInfo> = cols
            .iter()
            .copied()
            .filter(|c| scalars::is_numeric(catalog(c)))
            .collect();
        let jsonb: Vec<&ColumnInfo> = cols
            .iter()
            .copied()
            .filter(|c| scalars::is_jsonb(catalog(c)))
            .collect();
        // Upserts need the update permission too.
        let has_constraints = !info.constraints.is_empty() && can_update;
        let pk_cols = info.primary_key.iter().filter_map(|c| info.columns.get(c));
        for c in insert_cols
            .iter()
            .copied()
            .chain(cols.iter().copied())
            .chain(pk_cols)
        {
            self.scalar(&c.scalar);
        }
        let w = &mut self.types;

        // Shared output type; the rows only to a role that may read them.
        let returning = if info.visible {
            format!("\n  \"data from the rows affected by the mutation\"\n  returning: [{base}!]!")
        } else {
            String::new()
        };
        let _ = writeln!(
            w,
            "\"response of any mutation on the table \\\"{qualified}\\\"\"\ntype {t_mutation_response} {{\n  \
             \"number of rows affected by the mutation\"\n  {affected_rows}: Int!{returning}\n}}"
        );

        // Constraint and update-column enums, on_conflict.
        if has_constraints {
            let _ = writeln!(w, "\"unique or primary key constraints on table \\\"{qualified}\\\"\"\nenum {t_constraint} {{");
            for c in &info.constraints {
                let _ = writeln!(w, "  {}", self.naming.db_name(c));
            }
            w.push_str("}\n");
            let _ = writeln!(
                w,
                "\"on_conflict condition type for table \\\"{qualified}\\\"\"\ninput {t_on_conflict} {{\n  \
                 constraint: {t_constraint}!\n  {update_columns}: [{t_update_column}!]! = []\n  where: {t_bool_exp}\n}}"
            );
        }
        let _ = writeln!(
            w,
            "\"update columns of table \\\"{qualified}\\\"\"\nenum {t_update_column} {{"
        );
        if cols.is_empty() {
            w.push_str("  _PLACEHOLDER\n");
        }
        for c in &cols {
            let _ = writeln!(w, "  \"column name\"\n  {}", c.field);
        }
        w.push_str("}\n");

        // Insert input, with nested relationship inputs.
        let _ = writeln!(w, "\"input type for inserting data into table \\\"{qualified}\\\"\"\ninput {t_insert_input} {{");
        for c in &insert_cols {
            let _ = writeln!(w, "  {}: {}", c.field, c.scalar);
        }
        // A relationship is offered only when the role may insert into its target: every
        // level of a nested insert is an insert with that table's permission.
        let mut rels: Vec<(&String, &TableField)> = info
            .fields
            .iter()
            .filter(|(_, f)| match f {
                TableField::ObjectRel(r) | TableField::ArrayRel(r) => tables[r.target].can_insert(),
                _ => false,
            })
            .collect();
        rels.sort_by_key(|(n, _)| n.as_str());
        for (name, f) in &rels {
            match f {
                TableField::ObjectRel(r) => {
                    let target = self
                        .naming
                        .table_type(&tables[r.target].ident, "obj_rel_insert_input");
                    let _ = writeln!(w, "  {name}: {target}");
                }
                TableField::ArrayRel(r) => {
                    let target = self
                        .naming
                        .table_type(&tables[r.target].ident, "arr_rel_insert_input");
                    let _ = writeln!(w, "  {name}: {target}");
                }
                _ => {}
            }
        }
        if insert_cols.is_empty()
            && !rels
                .iter()
                .any(|(_, f)| matches!(f, TableField::ObjectRel(_) | TableField::ArrayRel(_)))
        {
            w.push_str("  _PLACEHOLDER: String\n");
        }
        w.push_str("}\n");
        let conflict = if has_constraints {
            format!("\n  {on_conflict_arg}: {t_on_conflict}")
        } else {
            String::new()
        };
        let _ = writeln!(
            w,
            "\"input type for inserting object relation for remote table \\\"{qualified}\\\"\"\ninput {t_obj_rel_insert_input} {{\n  data: {t_insert_input}!{conflict}\n}}\n\
             \"input type for inserting array relation for remote table \\\"{qualified}\\\"\"\ninput {t_arr_rel_insert_input} {{\n  data: [{t_insert_input}!]!{conflict}\n}}"
        );

        // Update inputs.
        let mut ops: Vec<String> = vec![];
        if !cols.is_empty() {
            let _ = writeln!(w, "\"input type for updating data in table \\\"{qualified}\\\"\"\ninput {t_set_input} {{");
            for c in &cols {
                let _ = writeln!(w, "  {}: {}", c.field, c.scalar);
            }
            w.push_str("}\n");
            ops.push(format!(
                "\"sets the columns of the filtered rows to the given values\" _set: {t_set_input}"
            ));
        }
        if !numeric.is_empty() {
            let _ = writeln!(w, "\"input type for incrementing numeric columns in table \\\"{qualified}\\\"\"\ninput {t_inc_input} {{");
            for c in &numeric {
                let _ = writeln!(w, "  {}: {}", c.field, c.scalar);
            }
            w.push_str("}\n");
            ops.push(format!("\"increments the numeric columns with given value of the filtered values\" _inc: {t_inc_input}"));
        }
        if !jsonb.is_empty() {
            for (op, suffix, ty, doc) in [
                ("_append", "append_input", "jsonb", "append existing jsonb value of filtered columns with new jsonb value"),
                ("_prepend", "prepend_input", "jsonb", "prepend existing jsonb value of filtered columns with new jsonb value"),
                ("_delete_key", "delete_key_input", "String", "delete key/value pair or string element. key/value pairs are matched based on their key value"),
                ("_delete_elem", "delete_elem_input", "Int", "delete the array element with specified index (negative integers count from the end). throws an error if top level container is not an array"),
                ("_delete_at_path", "delete_at_path_input", "[String!]", "delete the field or element with specified path (for JSON arrays, negative integers count from the end)"),
            ] {
                let input = names.of(suffix);
                let _ = writeln!(w, "input {input} {{");
                let ty = if ty == "jsonb" { self.naming.scalar(ty) } else { ty.to_string() };
                for c in &jsonb {
                    let _ = writeln!(w, "  {}: {ty}", c.field);
                }
                w.push_str("}\n");
                ops.push(format!("\"{doc}\" {}: {input}", n.field(op)));
            }
        }
        let pk: Vec<&ColumnInfo> = info
            .primary_key
            .iter()
            .filter_map(|c| info.columns.get(c))
            .collect();
        let has_pk = !pk.is_empty() && pk.len() == info.primary_key.len();
        if has_pk {
            let _ = writeln!(w, "\"primary key columns input for table: {qualified}\"\ninput {t_pk_columns_input} {{");
            for c in &pk {
                let _ = writeln!(w, "  {}: {}!", c.field, c.scalar);
            }
            w.push_str("}\n");
        }
        if !ops.is_empty() {
            let _ = writeln!(w, "input {t_updates} {{");
            for part in &ops {
                let _ = writeln!(w, "  {part}");
            }
            let _ = writeln!(
                w,
                "  \"filter the rows which have to be updated\"\n  where: {t_bool_exp}!\n}}"
            );
        }

        // Root fields.
        let f = &mut self.mutation_fields;
        let ops: String = ops.iter().map(|o| format!("{o}, ")).collect();
        let on_conflict = if has_constraints {
            format!(", \"upsert condition\" {on_conflict_arg}: {t_on_conflict}")
        } else {
            String::new()
        };
        let pk_args: Vec<String> = pk
            .iter()
            .map(|c| format!("{}: {}!", c.field, c.scalar))
            .collect();
        let config = &t.config;
        let name = |k: RootKind| naming::root_field(&n, &info.ident, config, k);
        let doc = |k: RootKind, default: &str| naming::root_description(config, k, default);
        // The fields answering one row need the select permission.
        let readable = info.visible;
        if can_insert {
            let insert = name(RootKind::Insert);
            let _ = writeln!(
                f,
                "  {}\n  {insert}(\"the rows to be inserted\" objects: [{t_insert_input}!]!{on_conflict}): {t_mutation_response}",
                doc(RootKind::Insert, &format!("insert data into the table: \"{qualified}\"")),
            );
            roots.insert(insert, MutationRoot::Insert(idx));
        }
        if can_insert && readable {
            let one = name(RootKind::InsertOne);
            let _ = writeln!(
                f,
                "  {}\n  {one}(\"the row to be inserted\" object: {t_insert_input}!{on_conflict}): {base}",
                doc(RootKind::InsertOne, &format!("insert a single row into the table: \"{qualified}\"")),
            );
            roots.insert(one, MutationRoot::InsertOne(idx));
        }
        if can_update && !ops.is_empty() {
            let (update, many) = (name(RootKind::Update), name(RootKind::UpdateMany));
            let _ = writeln!(
                f,
                "  {}\n  {update}({ops}\"filter the rows which have to be updated\" where: {t_bool_exp}!): {t_mutation_response}\n  \
                 {}\n  {many}(\"updates to execute, in order\" updates: [{t_updates}!]!): [{t_mutation_response}]",
                doc(RootKind::Update, &format!("update data of the table: \"{qualified}\"")),
                doc(RootKind::UpdateMany, &format!("update multiples rows of table: \"{qualified}\"")),
            );
            roots.insert(update, MutationRoot::Update(idx));
            roots.insert(many, MutationRoot::UpdateMany(idx));
            if has_pk && readable {
                let by_pk = name(RootKind::UpdateByPk);
                let _ = writeln!(
                    f,
                    "  {}\n  {by_pk}({ops}{pk_columns}: {t_pk_columns_input}!): {base}",
                    doc(
                        RootKind::UpdateByPk,
                        &format!("update single row of the table: \"{qualified}\"")
                    ),
                );
                roots.insert(by_pk, MutationRoot::UpdateByPk(idx));
            }
        }
        if can_delete {
            let delete = name(RootKind::Delete);
            let _ = writeln!(
                f,
                "  {}\n  {delete}(\"filter the rows which have to be deleted\" where: {t_bool_exp}!): {t_mutation_response}",
                doc(RootKind::Delete, &format!("delete data from the table: \"{qualified}\"")),
            );
            roots.insert(delete, MutationRoot::Delete(idx));
            if has_pk && readable {
                let by_pk = name(RootKind::DeleteByPk);
                let _ = writeln!(
                    f,
                    "  {}\n  {by_pk}({}): {base}",
                    doc(
                        RootKind::DeleteByPk,
                        &format!("delete single row from the table: \"{qualified}\"")
                    ),
                    pk_args.join(", ")
                );
                roots.insert(by_pk, MutationRoot::DeleteByPk(idx));
            }
        }
    }
}
