//! The SDL accumulator the schema's parts are written into (`build.rs` and the part files).

use std::collections::{BTreeMap, BTreeSet};

use crate::naming::TypeNames;
use crate::scalars;

/// Accumulates SDL text; types shared by several tables are written once.
#[derive(Default)]
pub(crate) struct SdlWriter {
    /// Writing the Relay schema (`relay.rs`).
    pub(crate) relay: bool,
    /// How generated names are spelled.
    pub(crate) naming: crate::naming::Naming,
    pub(crate) types: String,
    pub(crate) query_fields: String,
    /// Fields only the subscription root has (`<t>_stream`).
    pub(crate) subscription_fields: String,
    pub(crate) mutation_fields: String,
    pub(crate) scalars: BTreeSet<String>,
    pub(crate) comparison_types: BTreeMap<String, bool>,
    pub(crate) needs_jsonb_cast: bool,
    /// The enum types of the enum tables, by type name: written if some field uses them.
    pub(crate) enum_types: BTreeMap<String, rasura_catalog::EnumRows>,
    /// The enum types some field or comparison refers to.
    pub(crate) used_enums: BTreeSet<String>,
    /// Definitions written once, at the end: input types operators take (`st_d_within_input`,
    /// ...) and Relay's connection and edge types.
    pub(crate) extra_inputs: BTreeSet<String>,
}

pub(crate) fn select_args(t: &TypeNames) -> String {
    format!(
        "({d}: [{sc}!], limit: Int, offset: Int, {o}: [{ob}!], where: {be})",
        d = t.naming.field("distinct_on"),
        o = t.naming.field("order_by"),
        sc = t.select_column,
        ob = t.order_by,
        be = t.bool_exp
    )
}

impl SdlWriter {
    /// An empty writer with this one's settings (for another thread's share of the tables).
    pub(crate) fn fresh(&self) -> SdlWriter {
        SdlWriter {
            relay: self.relay,
            naming: self.naming.clone(),
            enum_types: self.enum_types.clone(),
            ..SdlWriter::default()
        }
    }

    /// What `later` wrote, appended as if this writer had gone on to write it.
    pub(crate) fn append(&mut self, later: SdlWriter) {
        self.types.push_str(&later.types);
        self.query_fields.push_str(&later.query_fields);
        self.subscription_fields
            .push_str(&later.subscription_fields);
        self.mutation_fields.push_str(&later.mutation_fields);
        self.scalars.extend(later.scalars);
        for (scalar, jsonb) in later.comparison_types {
            *self.comparison_types.entry(scalar).or_default() |= jsonb;
        }
        self.needs_jsonb_cast |= later.needs_jsonb_cast;
        self.used_enums.extend(later.used_enums);
        self.extra_inputs.extend(later.extra_inputs);
    }

    /// Whether the generated schema already defines type `name` (a table type or a scalar).
    pub(crate) fn defines_type(&self, name: &str) -> bool {
        scalars::is_builtin(name)
            || self.scalars.contains(name)
            || self.types.contains(&format!("type {name} {{"))
            || self
                .types
                .contains(&format!("type {name} implements Node {{"))
            || self.types.contains(&format!("input {name} {{"))
            || self.types.contains(&format!("enum {name} {{"))
    }

    /// Records that a field has type `s`, so that its definition is written.
    pub(crate) fn scalar(&mut self, s: &str) {
        if self.enum_types.contains_key(s) {
            self.used_enums.insert(s.to_string());
        } else if !scalars::is_builtin(s) {
            self.scalars.insert(s.to_string());
        }
    }

    /// The definitions of the enum tables' types that are used: values sorted, each value's
    /// comment its description (the type itself has none, as in Hasura).
    pub(crate) fn write_enum_types(&self, out: &mut String) {
        for name in &self.used_enums {
            let Some(values) = self.enum_types.get(name) else {
                continue;
            };
            out.push_str("enum ");
            out.push_str(name);
            out.push_str(" {\n");
            for (value, comment) in values {
                if let Some(c) = comment {
                    out.push_str("  ");
                    out.push_str(&string_literal(c));
                    out.push('\n');
                }
                out.push_str("  ");
                out.push_str(&self.naming.enum_value(value));
                out.push('\n');
            }
            out.push_str("}\n");
        }
    }

    /// `<enum>_comparison_exp`: equality operators only, as Hasura gives enum columns.
    pub(crate) fn write_enum_comparison(&self, out: &mut String, name: &str) {
        out.push_str(&format!(
            "\"Boolean expression to compare columns of type \\\"{name}\\\". All fields are combined with logical 'AND'.\"\ninput {} {{\n  _eq: {name}\n  _in: [{name}!]\n  {}: Boolean\n  _neq: {name}\n  _nin: [{name}!]\n}}\n",
            crate::naming::comparison_exp(&self.naming, name),
            self.naming.field("_is_null"),
        ));
    }
}

/// A GraphQL string literal of any text (a description).
fn string_literal(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}
