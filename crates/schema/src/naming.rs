//! All GraphQL naming in one place (Hasura's `hasura-default` convention).

use rasura_metadata::{QualifiedName, TableConfig};

/// The base GraphQL name of a table: `custom_name`, else `name` in `public`, else `schema_name`.
pub fn table_base(name: &QualifiedName, config: &TableConfig) -> String {
    if let Some(custom) = &config.custom_name {
        return custom.clone();
    }
    if name.schema == "public" {
        name.name.clone()
    } else {
        format!("{}_{}", name.schema, name.name)
    }
}

/// A root field name: the custom one for `kind` if configured, else the default.
pub fn root_field(base: &str, config: &TableConfig, kind: RootKind) -> String {
    if let Some(custom) = config.root_field_name(kind.config_key()) {
        return custom.to_string();
    }
    match kind {
        RootKind::Select => base.to_string(),
        RootKind::SelectByPk => format!("{base}_by_pk"),
        RootKind::SelectAggregate => format!("{base}_aggregate"),
        RootKind::SelectStream => format!("{base}_stream"),
        RootKind::Insert => format!("insert_{base}"),
        RootKind::InsertOne => format!("insert_{base}_one"),
        RootKind::Update => format!("update_{base}"),
        RootKind::UpdateByPk => format!("update_{base}_by_pk"),
        RootKind::UpdateMany => format!("update_{base}_many"),
        RootKind::Delete => format!("delete_{base}"),
        RootKind::DeleteByPk => format!("delete_{base}_by_pk"),
    }
}

/// A root field's description: the configured `comment`, else Hasura's text; as a GraphQL
/// string literal.
pub fn root_description(config: &TableConfig, kind: RootKind, default: &str) -> String {
    let text = config
        .root_field_comment(kind.config_key())
        .unwrap_or(default);
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// The kinds of root fields a table gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind {
    Select,
    SelectByPk,
    SelectAggregate,
    SelectStream,
    Insert,
    InsertOne,
    Update,
    UpdateByPk,
    UpdateMany,
    Delete,
    DeleteByPk,
}

impl RootKind {
    /// The key in `custom_root_fields` and in permissions' `query_root_fields`.
    pub fn config_key(self) -> &'static str {
        match self {
            RootKind::Select => "select",
            RootKind::SelectByPk => "select_by_pk",
            RootKind::SelectAggregate => "select_aggregate",
            RootKind::SelectStream => "select_stream",
            RootKind::Insert => "insert",
            RootKind::InsertOne => "insert_one",
            RootKind::Update => "update",
            RootKind::UpdateByPk => "update_by_pk",
            RootKind::UpdateMany => "update_many",
            RootKind::Delete => "delete",
            RootKind::DeleteByPk => "delete_by_pk",
        }
    }
}

/// The GraphQL field name of a column.
pub fn column_field(column: &str, config: &TableConfig) -> String {
    config
        .column_name(column)
        .map_or_else(|| column.to_string(), str::to_string)
}

/// Whether `s` is a valid GraphQL name.
pub fn is_valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Names of the types generated for a table with base name `base`.
#[derive(Debug, Clone)]
pub struct TypeNames {
    pub object: String,
    pub bool_exp: String,
    pub order_by: String,
    pub select_column: String,
    pub aggregate: String,
    pub aggregate_fields: String,
    pub aggregate_order_by: String,
    pub aggregate_bool_exp: String,
    pub aggregate_bool_exp_count: String,
}

impl TypeNames {
    pub fn new(base: &str) -> TypeNames {
        TypeNames {
            object: base.to_string(),
            bool_exp: format!("{base}_bool_exp"),
            order_by: format!("{base}_order_by"),
            select_column: format!("{base}_select_column"),
            aggregate: format!("{base}_aggregate"),
            aggregate_fields: format!("{base}_aggregate_fields"),
            aggregate_order_by: format!("{base}_aggregate_order_by"),
            aggregate_bool_exp: format!("{base}_aggregate_bool_exp"),
            aggregate_bool_exp_count: format!("{base}_aggregate_bool_exp_count"),
        }
    }

    /// `<base>_<op>_fields`, e.g. `author_avg_fields`.
    pub fn op_fields(&self, op: &str) -> String {
        format!("{}_{op}_fields", self.object)
    }

    /// `<base>_<op>_order_by`, e.g. `author_avg_order_by`.
    pub fn op_order_by(&self, op: &str) -> String {
        format!("{}_{op}_order_by", self.object)
    }
}

/// `<Scalar>_comparison_exp`.
pub fn comparison_exp(scalar: &str) -> String {
    format!("{scalar}_comparison_exp")
}

/// A table as Hasura's descriptions name it: `name` in `public`, else `schema.name`.
pub(crate) fn described(name: &rasura_metadata::QualifiedName) -> String {
    if name.schema == "public" {
        name.name.clone()
    } else {
        format!("{}.{}", name.schema, name.name)
    }
}
