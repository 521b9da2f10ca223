//! Native queries in a role's schema: one root field per query,
//! `<root>(args: <root>_arguments!, distinct_on, limit, offset, order_by, where): [<model>!]!`,
//! and its logical model's types (`<model>`, `<model>_enum_name`, `<model>_bool_exp`,
//! `<model>_order_by`), written once however many queries return the model.

use std::collections::HashMap;
use std::fmt::Write;

use rasura_resolve::ResolvedTable;

use crate::build::literal as quoted;
use crate::naming;
use crate::types::{ColumnInfo, RootField, TableField, TableInfo};
use crate::writer::{select_args, SdlWriter};

impl SdlWriter {
    /// Native query `t`'s root field and, unless written already, its model's types.
    pub(crate) fn native(
        &mut self,
        t: &ResolvedTable,
        tables: &[TableInfo],
        idx: usize,
        roots: &mut HashMap<String, RootField>,
    ) {
        let info = &tables[idx];
        let Some(native) = &info.native else {
            return;
        };
        if self.relay || !naming::is_valid_name(&native.root_field) {
            return;
        }
        let names = self.names(info);
        let root = self.naming.root_field(&native.root_field);
        let mut args = String::new();
        if !native.arguments.is_empty() {
            let input = format!("{}_arguments", native.root_field);
            let about = quoted(&format!("{}Native Query Arguments", native.root_field));
            let _ = writeln!(self.types, "{about}\ninput {input} {{");
            for a in &native.arguments {
                let scalar = self.naming.scalar(&crate::scalars::scalar_for_type(
                    &rasura_native_queries::model::pg_type_name(&a.type_name),
                ));
                self.scalar(&scalar);
                let about = a
                    .description
                    .clone()
                    .unwrap_or_else(|| format!("Native Query argument {}", a.name));
                let bang = if a.nullable { "" } else { "!" };
                let _ = writeln!(
                    self.types,
                    "  {}\n  {}: {scalar}{bang}",
                    quoted(&about),
                    a.name
                );
            }
            self.types.push_str("}\n");
            args = format!("{about} args: {input}!, ");
        }
        let select = select_args(&names);
        let description = native
            .description
            .as_deref()
            .map(|d| format!("{}\n  ", quoted(d)))
            .unwrap_or_default();
        let _ = writeln!(
            self.query_fields,
            "  {description}{root}({args}{}): [{}!]!",
            &select[1..select.len() - 1],
            names.object
        );
        roots.insert(root, RootField::Native(idx));
        if !self.defines_type(&names.object) {
            self.model_types(t, info, tables, &names);
        }
    }

    /// The object type of a native query's rows and its inputs.
    fn model_types(
        &mut self,
        t: &ResolvedTable,
        info: &TableInfo,
        tables: &[TableInfo],
        names: &naming::TypeNames,
    ) {
        let model = info
            .native
            .as_ref()
            .map(|n| n.model.clone())
            .unwrap_or_default();
        let mut cols: Vec<&ColumnInfo> = t
            .info
            .columns
            .iter()
            .filter_map(|c| info.columns.get(&c.name))
            .filter(|c| matches!(info.fields.get(&c.field), Some(TableField::Column(_))))
            .collect();
        cols.sort_by_key(|c| c.field.clone());
        let about = info
            .native
            .as_ref()
            .and_then(|n| n.model_description.clone());
        let about = about
            .map(|d| format!("{}\n", quoted(&d)))
            .unwrap_or_default();
        let _ = writeln!(self.types, "{about}type {} {{", names.object);
        for c in &cols {
            self.scalar(&c.scalar);
            let about = t
                .info
                .column(&c.name)
                .and_then(|col| col.description.clone())
                .map(|d| format!("  {}\n", quoted(&d)))
                .unwrap_or_default();
            let bang = if c.nullable { "" } else { "!" };
            let _ = writeln!(self.types, "{about}  {}: {}{bang}", c.field, c.scalar);
        }
        let mut rels: Vec<(&String, &TableField)> = info
            .fields
            .iter()
            .filter(|(_, f)| matches!(f, TableField::ObjectRel(_) | TableField::ArrayRel(_)))
            .collect();
        rels.sort_by_key(|(n, _)| n.as_str());
        for (name, f) in rels {
            match f {
                TableField::ObjectRel(r) => {
                    let target = self.names(&tables[r.target]);
                    let _ = writeln!(
                        self.types,
                        "  \"An object relationship\"\n  {name}: {}",
                        target.object
                    );
                }
                TableField::ArrayRel(r) => {
                    let target = self.names(&tables[r.target]);
                    let _ = writeln!(
                        self.types,
                        "  \"An array relationship\"\n  {name}{}: [{}!]",
                        select_args(&target),
                        target.object
                    );
                }
                _ => {}
            }
        }
        // A type without fields is declared without a field list.
        if self.types.ends_with(" {\n") {
            self.types.truncate(self.types.len() - 3);
            self.types.push('\n');
        } else {
            self.types.push_str("}\n");
        }
        let _ = writeln!(self.types, "enum {} {{", names.select_column);
        if cols.is_empty() {
            self.types.push_str("  _PLACEHOLDER\n");
        }
        for c in &cols {
            let _ = writeln!(self.types, "  \"column name\"\n  {}", c.field);
        }
        self.types.push_str("}\n");
        let about = format!(
            "Boolean expression to filter rows from the logical model for {}. All fields are combined with a logical 'AND'.",
            quoted(&model)
        );
        let _ = writeln!(
            self.types,
            "{}\ninput {be} {{\n  _and: [{be}!]\n  _not: {be}\n  _or: [{be}!]",
            quoted(&about),
            be = names.bool_exp
        );
        for c in &cols {
            self.comparison_types
                .entry(c.scalar.clone())
                .or_insert(false);
            let exp = naming::comparison_exp(&self.naming, &c.scalar);
            let _ = writeln!(self.types, "  {}: {exp}", c.field);
        }
        self.types.push_str("}\n");
        let about = format!(
            "Ordering options when selecting data from {}.",
            quoted(&model)
        );
        let _ = writeln!(
            self.types,
            "{}\ninput {} {{",
            quoted(&about),
            names.order_by
        );
        let order_by = self.naming.type_case("order_by");
        if cols.is_empty() {
            let _ = writeln!(self.types, "  _PLACEHOLDER: {order_by}");
        }
        for c in &cols {
            let _ = writeln!(self.types, "  {}: {order_by}", c.field);
        }
        self.types.push_str("}\n");
    }
}
