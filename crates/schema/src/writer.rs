//! The SDL accumulator the schema's parts are written into (`build.rs` and the part files).

use std::collections::{BTreeMap, BTreeSet};

use crate::naming::TypeNames;
use crate::scalars;

/// Accumulates SDL text; types shared by several tables are written once.
#[derive(Default)]
pub(crate) struct SdlWriter {
    pub(crate) types: String,
    pub(crate) query_fields: String,
    /// Fields only the subscription root has (`<t>_stream`).
    pub(crate) subscription_fields: String,
    pub(crate) mutation_fields: String,
    pub(crate) scalars: BTreeSet<String>,
    pub(crate) comparison_types: BTreeMap<String, bool>,
    pub(crate) needs_jsonb_cast: bool,
}

pub(crate) fn select_args(t: &TypeNames) -> String {
    format!(
        "(distinct_on: [{sc}!], limit: Int, offset: Int, order_by: [{ob}!], where: {be})",
        sc = t.select_column,
        ob = t.order_by,
        be = t.bool_exp
    )
}

impl SdlWriter {
    /// Whether the generated schema already defines type `name` (a table type or a scalar).
    pub(crate) fn defines_type(&self, name: &str) -> bool {
        scalars::is_builtin(name)
            || self.scalars.contains(name)
            || self.types.contains(&format!("type {name} {{"))
            || self.types.contains(&format!("input {name} {{"))
            || self.types.contains(&format!("enum {name} {{"))
    }

    pub(crate) fn scalar(&mut self, s: &str) {
        if !scalars::is_builtin(s) {
            self.scalars.insert(s.to_string());
        }
    }
}
