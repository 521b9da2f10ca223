//! All GraphQL naming of tables in one place, spelled by the source's [`Naming`] (convention
//! and customization, `rasura-naming`).

use rasura_metadata::{QualifiedName, TableConfig};
pub use rasura_naming::{is_valid_name, Ident, Naming};

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

/// The identifier of a table (its `custom_name`, else `schema_name` or `name` in `public`).
pub fn table_ident(name: &QualifiedName, config: &TableConfig) -> Ident {
    Ident::table(&name.schema, &name.name, config.custom_name.as_deref())
}

/// A root field name: the custom one for `kind` if configured (as written), else the default;
/// then the source's root prefix and suffix.
pub fn root_field(n: &Naming, ident: &Ident, config: &TableConfig, kind: RootKind) -> String {
    if let Some(custom) = config.root_field_name(kind.config_key()) {
        return n.root_field(custom);
    }
    let (before, after) = match kind {
        RootKind::Select => ("", ""),
        RootKind::SelectByPk => ("", "by_pk"),
        RootKind::SelectAggregate => ("", "aggregate"),
        RootKind::SelectStream => ("", "stream"),
        RootKind::Insert => ("insert", ""),
        RootKind::InsertOne => ("insert", "one"),
        RootKind::Update => ("update", ""),
        RootKind::UpdateByPk => ("update", "by_pk"),
        RootKind::UpdateMany => ("update", "many"),
        RootKind::Delete => ("delete", ""),
        RootKind::DeleteByPk => ("delete", "by_pk"),
    };
    n.table_root(before, ident, after)
}

/// A root field's description: the configured `comment`, else Hasura's text; as a GraphQL
/// string literal.
pub fn root_description(config: &TableConfig, kind: RootKind, default: &str) -> String {
    let text = config
        .root_field_comment(kind.config_key())
        .unwrap_or(default);
    // An empty comment means no description, as in Hasura.
    if text.is_empty() {
        return String::new();
    }
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

/// The GraphQL field name of a column: its custom name as written, else the column cased.
pub fn column_field(n: &Naming, column: &str, config: &TableConfig) -> String {
    n.column(column, config.column_name(column))
}

/// Names of the types generated for a table, spelled by the source's naming.
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
    pub(crate) naming: Naming,
    ident: Ident,
}

impl TypeNames {
    pub fn new(naming: &Naming, ident: &Ident) -> TypeNames {
        let t = |suffix: &str| naming.table_type(ident, suffix);
        TypeNames {
            object: t(""),
            bool_exp: t("bool_exp"),
            order_by: t("order_by"),
            select_column: t("select_column"),
            aggregate: t("aggregate"),
            aggregate_fields: t("aggregate_fields"),
            aggregate_order_by: t("aggregate_order_by"),
            aggregate_bool_exp: t("aggregate_bool_exp"),
            aggregate_bool_exp_count: t("aggregate_bool_exp_count"),
            naming: naming.clone(),
            ident: ident.clone(),
        }
    }

    /// Any other type of the table: `suffix` in snake case (`insert_input`, `on_conflict`, ...).
    pub fn of(&self, suffix: &str) -> String {
        self.naming.table_type(&self.ident, suffix)
    }

    /// `<base>_<op>_fields`, e.g. `author_avg_fields`.
    pub fn op_fields(&self, op: &str) -> String {
        self.of(&format!("{op}_fields"))
    }

    /// `<base>_<op>_order_by`, e.g. `author_avg_order_by`.
    pub fn op_order_by(&self, op: &str) -> String {
        self.of(&format!("{op}_order_by"))
    }
}

/// `<Scalar>_comparison_exp` (cased, never prefixed).
pub fn comparison_exp(n: &Naming, scalar: &str) -> String {
    n.type_case(&format!("{scalar}_comparison_exp"))
}

/// A table as Hasura's descriptions name it: `name` in `public`, else `schema.name`.
pub(crate) fn described(name: &rasura_metadata::QualifiedName) -> String {
    if name.schema == "public" {
        name.name.clone()
    } else {
        format!("{}.{}", name.schema, name.name)
    }
}
