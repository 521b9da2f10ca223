//! The schema of one role with its annotations.

use std::collections::HashMap;
use std::sync::Arc;

use apollo_compiler::schema::Implementers;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};
use rasura_metadata::QualifiedName;

/// A role's GraphQL schema and what each generated name stands for.
#[derive(Debug)]
pub struct RoleSchema {
    pub role: String,
    /// Shared with the other roles of the engine state whose generated SDL is the same.
    pub schema: Arc<Valid<Schema>>,
    pub implementers: apollo_compiler::collections::HashMap<Name, Implementers>,
    /// `query_root` fields.
    pub query_roots: HashMap<String, RootField>,
    /// `mutation_root` fields.
    pub mutation_roots: HashMap<String, MutationRoot>,
    pub tables: Vec<TableInfo>,
    pub table_index: HashMap<QualifiedName, usize>,
    pub functions: Vec<FunctionInfo>,
    pub actions: Vec<rasura_resolve::ResolvedAction>,
    /// Relationships of action output types to tables: (type, field) → relationship.
    pub action_relationships: HashMap<(String, String), ActionRelationship>,
    /// Remote schemas merged into this schema.
    pub remotes: Vec<rasura_resolve::ResolvedRemoteSchema>,
    /// Remote schemas left out: (name, why).
    pub remote_conflicts: Vec<(String, String)>,
    /// Remote relationships of the tables.
    pub remote_rels: Vec<RemoteRelInfo>,
    /// Relationships from the remotes' types to tables.
    pub remote_db_rels: Vec<RemoteDbRelInfo>,
    /// The fields of the actions' custom object types in the order the metadata defines them
    /// (the schema keeps them in order of name, as introspection answers them).
    pub custom_object_fields: HashMap<String, Vec<String>>,
    /// The Relay schema (`/v1beta1/relay`): tables with a primary key are `Node`s whose `id`
    /// is their global id, read through `<t>_connection`.
    pub relay: bool,
    /// How the source's generated names are spelled (convention and customization).
    pub naming: rasura_naming::Naming,
    /// The source's root fields when they are under a namespace field.
    pub namespace: Option<SourceNamespace>,
    /// The role's schemas of the other database sources served at once, whose root fields
    /// this schema has too (`RootField::Source`, `MutationRoot::Source`).
    pub sources: Vec<Arc<RoleSchema>>,
}

impl RoleSchema {
    /// A type of table `t`: `suffix` in snake case (`aggregate_fields`, `mutation_response`,
    /// ...), spelled by the schema's naming.
    pub fn table_type(&self, t: usize, suffix: &str) -> String {
        self.naming.table_type(&self.tables[t].ident, suffix)
    }
}

/// A relationship from a custom object type (an action's output) to a table.
#[derive(Debug, Clone)]
pub struct ActionRelationship {
    pub target: usize,
    pub array: bool,
    /// (field of the custom object, column of the table).
    pub mapping: Vec<(String, String)>,
}

/// What a root field of `query_root` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootField {
    Select(usize),
    SelectByPk(usize),
    SelectAggregate(usize),
    /// A tracked function (index into `RoleSchema::functions`).
    Function(usize),
    /// A native query (the index of its table).
    Native(usize),
    /// A query action (index into `RoleSchema::actions`).
    Action(usize),
    /// The stored result of an asynchronous action call.
    ActionResult(usize),
    FunctionAggregate(usize),
    /// `<t>_stream` (subscriptions only).
    SelectStream(usize),
    /// A root field of a remote schema (index into `RoleSchema::remotes`).
    Remote(usize),
    /// The namespace field of a remote schema.
    RemoteNamespace(usize),
    /// The namespace field of the database source (`customization.root_fields.namespace`):
    /// its root fields are in `RoleSchema::namespace`.
    SourceNamespace,
    /// `<t>_connection` (Relay).
    Connection(usize),
    /// `<f>_connection` of a tracked function returning rows (Relay).
    FunctionConnection(usize),
    /// `node(id)` (Relay).
    Node,
    /// `no_queries_available`: the query root of a role that may read nothing.
    Placeholder,
    /// A root field of another database source (index into `RoleSchema::sources`).
    Source(usize),
}

/// A tracked function returning rows of a table.
#[derive(Debug, Clone)]
pub struct FunctionInfo {
    pub name: QualifiedName,
    /// Input arguments in order (the session argument among them, filled by the engine).
    pub args: Vec<rasura_resolve::types::FunctionArg>,
    /// The table whose rows it returns (index into `RoleSchema::tables`).
    pub table: usize,
    /// `SETOF` rows (a list) or one row (an object or null).
    pub returns_set: bool,
    /// Exposed on the mutation root.
    pub mutation: bool,
    pub volatile: bool,
    pub root_field: String,
    pub aggregate_field: String,
    pub args_type: String,
    /// Roles given a function permission.
    pub permissions: Vec<String>,
}

/// A computed field: a function of the row.
#[derive(Debug, Clone, PartialEq)]
pub struct ComputedInfo {
    /// The field's name (what an inherited role's redactions are keyed by).
    pub name: String,
    pub function: QualifiedName,
    pub table_argument: usize,
    pub session_argument: Option<usize>,
    pub arity: usize,
    /// The scalar it returns, or `None` for a set of rows of `returns_table`.
    pub scalar: Option<(String, String, String)>,
    pub returns_table: Option<usize>,
    /// The arguments the client gives (`args: <field>_<table>_args`): (position, argument).
    pub args: Vec<(usize, rasura_resolve::FunctionArg)>,
    /// `<field>_<table>_args`.
    pub args_type: String,
    /// The description of the `args` argument (it names the field and its table).
    pub args_description: String,
    /// The field's description (none for an empty metadata comment).
    pub description: Option<String>,
}

/// What a root field of `mutation_root` does (the index of its table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MutationRoot {
    Insert(usize),
    InsertOne(usize),
    Update(usize),
    UpdateByPk(usize),
    UpdateMany(usize),
    Delete(usize),
    DeleteByPk(usize),
    /// A tracked function exposed as a mutation (index into `RoleSchema::functions`).
    Function(usize),
    /// A mutation action (index into `RoleSchema::actions`).
    Action(usize),
    /// A mutation of a remote schema (index into `RoleSchema::remotes`).
    Remote(usize),
    /// The namespace field of a remote schema's mutations.
    RemoteNamespace(usize),
    /// The namespace field of the database source's mutations.
    SourceNamespace,
    /// A mutation of another database source (index into `RoleSchema::sources`).
    Source(usize),
}

/// The database source's root fields when its customization puts them under a namespace
/// field: the types of that field and the fields in them.
#[derive(Debug, Default)]
pub struct SourceNamespace {
    pub field: String,
    pub query_type: String,
    pub mutation_type: String,
    pub subscription_type: String,
    pub query_roots: HashMap<String, RootField>,
    pub mutation_roots: HashMap<String, MutationRoot>,
}

/// One table as this role sees it: the facts every role has alike (`base`, read through
/// `Deref`) and the role's own. Equal bases and field maps are one allocation for all the roles
/// of an engine state (`build.rs`, `SharedTypes::one_of`): with 10,000 tables each role's copy
/// was tens of megabytes.
#[derive(Debug, Clone)]
pub struct TableInfo {
    pub base: Arc<TableBase>,
    /// GraphQL field name of the object type → what it is.
    pub fields: Arc<HashMap<String, TableField>>,
    /// Whether the role can select from it (its types are in the schema).
    pub visible: bool,
    pub allow_aggregations: bool,
    /// Columns the role may give in inserts and updates (Postgres names, presets excluded).
    pub insert_columns: Vec<String>,
    pub update_columns: Vec<String>,
    /// The role's permissions; `None` for admin.
    pub perms: Option<Box<crate::RolePerms>>,
    /// A native query's table: its rows come from its code.
    pub native: Option<Arc<rasura_resolve::types::NativeTable>>,
}

/// What a table is whatever the role.
#[derive(Debug, Clone, PartialEq)]
pub struct TableBase {
    pub name: QualifiedName,
    /// The object type's name.
    pub type_name: String,
    /// The identifier the table's names are built from.
    pub ident: rasura_naming::Ident,
    /// Postgres column name → column facts.
    pub columns: HashMap<String, ColumnInfo>,
    /// Primary-key columns (Postgres names).
    pub primary_key: Vec<String>,
    /// Primary-key and unique constraint names (the `<t>_constraint` enum values).
    pub constraints: Vec<String>,
    /// Whether the table (or view) takes inserts, updates, deletes.
    pub insertable: bool,
    pub updatable: bool,
    pub deletable: bool,
    /// Every relationship by name, visible or not (permission rules may traverse any).
    pub relationships: HashMap<String, RelInfo>,
    /// Computed fields by name, visible or not.
    pub computed: HashMap<String, ComputedInfo>,
}

impl std::ops::Deref for TableInfo {
    type Target = TableBase;

    fn deref(&self) -> &TableBase {
        &self.base
    }
}

impl TableInfo {
    /// Whether the role may insert into the table (admin: whenever the table takes inserts).
    pub fn can_insert(&self) -> bool {
        self.insertable && self.perms.as_ref().is_none_or(|p| p.insert.is_some())
    }

    /// The column with GraphQL name `field`, selectable or not (for insert and update inputs,
    /// which validation has already restricted to the role's columns).
    pub fn column_by_any_field(&self, field: &str) -> Option<&ColumnInfo> {
        self.columns.values().find(|c| c.field == field)
    }

    /// A field of the table's boolean expression or ordering input: as in the object type,
    /// or an array relationship's aggregate by its input name (`RelInfo::aggregate_input`).
    pub fn input_field(&self, key: &str) -> Option<&TableField> {
        self.fields.get(key).or_else(|| {
            self.fields
                .values()
                .find(|f| matches!(f, TableField::ArrayAggregate(r) if r.aggregate_input == key))
        })
    }

    /// The column behind a GraphQL field name, if the field is a column.
    pub fn column_by_field(&self, field: &str) -> Option<&ColumnInfo> {
        match self.fields.get(field)? {
            TableField::Column(c) => self.columns.get(c),
            _ => None,
        }
    }
}

/// A field of a table's object type.
#[derive(Debug, Clone, PartialEq)]
pub enum TableField {
    /// A column, by its Postgres name.
    Column(String),
    ObjectRel(RelInfo),
    ArrayRel(RelInfo),
    /// `<rel>_aggregate`.
    ArrayAggregate(RelInfo),
    /// `<rel>_connection` (Relay, to a target with a primary key).
    ArrayConnection(RelInfo),
    /// A scalar computed field, by name.
    Computed(String),
    /// A computed field returning rows of a table (`SETOF <table>`), by name.
    ComputedRows(String),
    /// `<computed field>_aggregate` of such a field, by the field's name.
    ComputedAggregate(String),
    /// A remote relationship (index into `RoleSchema::remote_rels`).
    RemoteRel(usize),
    /// A relationship to a table of another database source.
    SourceRel(SourceRelInfo),
}

/// A relationship to a table of another database source, as the merged schema has it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRelInfo {
    /// The target's source (0: the first served, `k + 1`: `RoleSchema::sources[k]`) and its
    /// index among that schema's tables.
    pub source: usize,
    pub target: usize,
    /// (this table's column, the target's column).
    pub mapping: Vec<(String, String)>,
    pub array: bool,
}

/// A relationship from a table's rows to a remote schema's field.
#[derive(Debug, Clone)]
pub struct RemoteRelInfo {
    /// Index into `RoleSchema::remotes`.
    pub remote: usize,
    /// The table's columns the arguments use.
    pub lhs: Vec<String>,
    /// From the remote's root: (field, arguments with `"$column"` values).
    pub path: Vec<(String, serde_json::Map<String, serde_json::Value>)>,
    /// The remote's own name of the type the last field returns.
    pub result_type: String,
}

/// A relationship's target (index into `RoleSchema::tables`) and column mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct RelInfo {
    pub target: usize,
    /// (this table's column, target's column).
    pub mapping: Vec<(String, String)>,
    /// In a nested insert, the related row is inserted after this one (array relationships,
    /// and object relationships on the target's foreign key or with `after_parent`).
    pub insert_after_parent: bool,
    /// The field of its aggregate in boolean expressions and ordering (an array
    /// relationship's): `<rel>_aggregate`, or under graphql-default `<rel>Aggregate` (the
    /// relationship's name as written, where the selection field is cased whole).
    pub aggregate_input: String,
}

/// A column's facts needed to compile queries.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    pub field: String,
    pub type_schema: String,
    pub type_name: String,
    /// The GraphQL type: a scalar, or `<enum table>_enum` for a column referencing an enum table.
    pub scalar: String,
    /// Whether `scalar` is an enum table's enum type (no min/max, only equality operators).
    pub is_enum: bool,
    pub is_array: bool,
    pub nullable: bool,
    /// Whether inserts and updates may set it (not a generated column).
    pub writable: bool,
    /// For a column referencing an enum table whose values the naming spells differently
    /// (graphql-default upper-cases them): the stored value of each GraphQL value.
    pub enum_values: Option<Arc<HashMap<String, String>>>,
}

impl ColumnInfo {
    /// The SQL type to cast a text parameter to, e.g. `"pg_catalog"."int4"`.
    pub fn sql_type(&self) -> (String, String) {
        (self.type_schema.clone(), self.type_name.clone())
    }
}

/// A relationship from a remote type to a table, as a role has it.
#[derive(Debug, Clone)]
pub struct RemoteDbRelInfo {
    /// Index into `RoleSchema::remotes`.
    pub remote: usize,
    /// The remote's own name of the type.
    pub type_name: String,
    pub field: String,
    /// The table's source (0: this schema's; `k + 1`: `RoleSchema::sources[k]`) and its index
    /// among that schema's tables.
    pub source: usize,
    pub target: usize,
    pub array: bool,
    /// The field's `<name>_aggregate` companion, if the role has one.
    pub aggregate_field: Option<String>,
    /// (the remote type's field, the table's column).
    pub mapping: Vec<(String, String)>,
}
