//! The aggregate types of a table: `<t>_aggregate`, `<t>_aggregate_fields`, the per-operation
//! field types (`<t>_avg_fields`, ...) and their order-by and bool-exp inputs.

use std::fmt::Write;

use crate::naming::TypeNames;
use crate::scalars;
use crate::types::ColumnInfo;
use crate::writer::SdlWriter;

impl SdlWriter {
    pub(crate) fn aggregate_types<'a>(
        &mut self,
        names: &TypeNames,
        qualified: &str,
        cols: &[&ColumnInfo],
        catalog_col: &dyn Fn(&str) -> &'a rasura_catalog::Column,
    ) {
        let numeric: Vec<&ColumnInfo> = cols
            .iter()
            .copied()
            .filter(|c| scalars::is_numeric(catalog_col(&c.name)))
            .collect();
        let comparable: Vec<&ColumnInfo> = cols
            .iter()
            .copied()
            .filter(|c| !c.is_enum && scalars::is_comparable(catalog_col(&c.name)))
            .collect();
        let _ = writeln!(
            self.types,
            "\"aggregated selection of \\\"{qualified}\\\"\"\ntype {} {{\n  aggregate: {}\n  nodes: [{}!]!\n}}",
            names.aggregate, names.aggregate_fields, names.object
        );
        let _ = writeln!(
            self.types,
            "\"aggregate fields of \\\"{qualified}\\\"\"\ntype {} {{\n  count(columns: [{}!], distinct: Boolean): Int!",
            names.aggregate_fields, names.select_column
        );
        let n = &self.naming;
        let order_by_type = n.type_case("order_by");
        let mut order_by = format!(
            "input {} {{\n  count: {order_by_type}\n",
            names.aggregate_order_by
        );
        if !numeric.is_empty() {
            for op in scalars::FLOAT_AGGREGATES.iter().chain(["sum"].iter()) {
                let field = n.field(op);
                let _ = writeln!(self.types, "  {field}: {}", names.op_fields(op));
                let _ = writeln!(order_by, "  {field}: {}", names.op_order_by(op));
            }
        }
        if !comparable.is_empty() {
            for op in ["max", "min"] {
                let _ = writeln!(self.types, "  {op}: {}", names.op_fields(op));
                let _ = writeln!(order_by, "  {op}: {}", names.op_order_by(op));
            }
        }
        self.types.push_str("}\n");
        order_by.push_str("}\n");
        self.types.push_str(&order_by);
        if !numeric.is_empty() {
            for op in scalars::FLOAT_AGGREGATES {
                self.op_types(names, op, &numeric, |_| "Float".to_string());
            }
            self.op_types(names, "sum", &numeric, |c| c.scalar.clone());
        }
        if !comparable.is_empty() {
            for op in ["max", "min"] {
                self.op_types(names, op, &comparable, |c| c.scalar.clone());
            }
        }
        // Aggregation predicates: bool_and/bool_or where there is a boolean column to fold.
        let booleans: Vec<&ColumnInfo> = cols
            .iter()
            .copied()
            .filter(|c| !c.is_array && catalog_col(&c.name).type_name == "bool")
            .collect();
        let folds: &[&str] = if booleans.is_empty() {
            &[]
        } else {
            &["bool_and", "bool_or"]
        };
        let _ = writeln!(self.types, "input {} {{", names.aggregate_bool_exp);
        for f in folds {
            let own = names.of(&format!("aggregate_bool_exp_{f}"));
            let _ = writeln!(self.types, "  {f}: {own}");
        }
        let _ = writeln!(
            self.types,
            "  count: {}\n}}\ninput {} {{\n  arguments: [{}!]\n  distinct: Boolean\n  filter: {}\n  predicate: {}!\n}}",
            names.aggregate_bool_exp_count,
            names.aggregate_bool_exp_count,
            names.select_column,
            names.bool_exp,
            crate::naming::comparison_exp(&self.naming, "Int"),
        );
        for f in folds {
            let own = names.of(&format!("aggregate_bool_exp_{f}"));
            let columns = names.of(&format!(
                "select_column_{}_aggregate_bool_exp_{f}_arguments_columns",
                names.of("")
            ));
            let _ = writeln!(
                self.types,
                "input {own} {{\n  arguments: {columns}!\n  distinct: Boolean\n  filter: {}\n  predicate: {}!\n}}",
                names.bool_exp,
                crate::naming::comparison_exp(&self.naming, "Boolean"),
            );
            let _ = writeln!(
                self.types,
                "\"select \\\"{}_{f}_arguments_columns\\\" columns of table \\\"{qualified}\\\"\"\nenum {columns} {{",
                names.aggregate_bool_exp
            );
            for c in &booleans {
                let _ = writeln!(self.types, "  \"column name\"\n  {}", c.field);
            }
            self.types.push_str("}\n");
        }
        if !folds.is_empty() {
            self.comparison_types
                .entry("Boolean".into())
                .or_insert(false);
        }
        self.comparison_types.entry("Int".into()).or_insert(false);
    }

    fn op_types(
        &mut self,
        names: &TypeNames,
        op: &str,
        cols: &[&ColumnInfo],
        ty: impl Fn(&ColumnInfo) -> String,
    ) {
        let _ = writeln!(self.types, "type {} {{", names.op_fields(op));
        for c in cols {
            let _ = writeln!(self.types, "  {}: {}", c.field, ty(c));
        }
        self.types.push_str("}\n");
        let _ = writeln!(self.types, "input {} {{", names.op_order_by(op));
        let order_by_type = self.naming.type_case("order_by");
        for c in cols {
            let _ = writeln!(self.types, "  {}: {order_by_type}", c.field);
        }
        self.types.push_str("}\n");
    }
}
