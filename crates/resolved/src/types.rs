//! The output of resolution: tables, relationships, computed fields and functions that fit.

use std::collections::HashMap;
use std::sync::Arc;

use rasura_catalog::{Catalog, Function, Table};
use rasura_metadata::{
    DeletePermission, InsertPermission, QualifiedName, SelectPermission, TableConfig,
    UpdatePermission,
};

use crate::inconsistency::Inconsistency;

/// Everything of the metadata that fits the database, plus the report of what does not.
#[derive(Debug, Clone, Default)]
pub struct ResolvedMetadata {
    pub tables: Vec<ResolvedTable>,
    pub functions: Vec<ResolvedFunction>,
    pub actions: Vec<ResolvedAction>,
    pub event_triggers: Vec<ResolvedEventTrigger>,
    pub cron_triggers: Vec<ResolvedCronTrigger>,
    pub remote_schemas: Vec<ResolvedRemoteSchema>,
    /// Remote schema permissions are enforced (`HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS`):
    /// roles other than admin see only the remotes, and the parts, granted to them.
    pub remote_schema_permissions: bool,
    /// `custom_types` as the metadata gives them, less the relationships that do not fit.
    pub custom_types: serde_json::Value,
    /// How the served source's generated names are spelled: its `customization` (naming
    /// convention, prefixes) under the server's settings.
    pub naming: rasura_naming::Naming,
    /// The served source's query tags (`query_tags.rs`).
    pub query_tags: crate::query_tags::QueryTags,
    /// The database source served, its connection resolved (none: no usable source).
    pub source: Option<ResolvedSource>,
    pub inconsistencies: Vec<Inconsistency>,
    pub catalog: Arc<Catalog>,
    /// The other database sources served at once, each resolved on its own (tables,
    /// functions, permissions; their inconsistencies are in this one's list).
    pub sources: Vec<ResolvedMetadata>,
    /// This source's tables' relationships to tables of a database source (`to_source`).
    pub source_relationships: Vec<ResolvedSourceRel>,
    index: HashMap<QualifiedName, usize>,
}

impl ResolvedMetadata {
    pub fn new(
        tables: Vec<ResolvedTable>,
        functions: Vec<ResolvedFunction>,
        inconsistencies: Vec<Inconsistency>,
        catalog: Arc<Catalog>,
    ) -> Self {
        let index = tables
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        ResolvedMetadata {
            query_tags: Default::default(),
            tables,
            functions,
            actions: vec![],
            event_triggers: vec![],
            cron_triggers: vec![],
            remote_schemas: vec![],
            remote_schema_permissions: false,
            custom_types: serde_json::Value::Null,
            naming: rasura_naming::Naming::default(),
            source: None,
            inconsistencies,
            catalog,
            sources: vec![],
            source_relationships: vec![],
            index,
        }
    }

    /// This source and the others served with it, by number (0: this one, `k + 1`:
    /// `sources[k]`).
    pub fn served(&self) -> impl Iterator<Item = &ResolvedMetadata> {
        std::iter::once(self).chain(&self.sources)
    }

    /// The served source named `name` ([`Self::served`]), with its number.
    pub fn served_named(&self, name: &str) -> Option<(usize, &ResolvedMetadata)> {
        self.served()
            .enumerate()
            .find(|(_, r)| r.source.as_ref().is_some_and(|s| s.name == name))
    }

    pub fn table(&self, name: &QualifiedName) -> Option<&ResolvedTable> {
        self.index.get(name).map(|&i| &self.tables[i])
    }

    /// Every role named in any permission.
    pub fn roles(&self) -> Vec<String> {
        let mut roles: Vec<String> = self
            .tables
            .iter()
            .flat_map(|t| {
                t.select_permissions
                    .keys()
                    .chain(t.insert_permissions.keys())
                    .chain(t.update_permissions.keys())
                    .chain(t.delete_permissions.keys())
                    .cloned()
            })
            .collect();
        roles.sort();
        roles.dedup();
        roles
    }
}

/// A source's connection, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedSource {
    pub name: String,
    pub url: String,
    /// `pool_settings`, as set (the engine applies its defaults to what is not).
    pub pool: rasura_metadata::sources::PoolSettings,
    pub isolation_level: String,
    pub use_prepared_statements: bool,
    /// Read replicas (`configuration.read_replicas`, else `--read-replica-url` for the source
    /// on the engine's database URL): queries and live queries go to them.
    pub replicas: Vec<ResolvedReplica>,
}

/// A read replica's connection, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedReplica {
    pub url: String,
    pub pool: rasura_metadata::sources::PoolSettings,
    pub isolation_level: String,
}

/// A tracked table that exists, with its catalog entry.
#[derive(Debug, Clone)]
pub struct ResolvedTable {
    pub name: QualifiedName,
    pub info: Arc<Table>,
    pub config: TableConfig,
    pub is_enum: bool,
    /// A valid enum table's values and their comments, sorted (`stages/enums.rs`).
    pub enum_values: Option<rasura_catalog::EnumRows>,
    /// Columns that reference an enum table (a one-column foreign key to its primary key):
    /// column → enum table. Their GraphQL type is the enum table's `<name>_enum`.
    pub enum_columns: HashMap<String, QualifiedName>,
    pub object_relationships: Vec<ResolvedRelationship>,
    pub array_relationships: Vec<ResolvedRelationship>,
    pub computed_fields: Vec<ResolvedComputedField>,
    pub select_permissions: HashMap<String, SelectPermission>,
    pub insert_permissions: HashMap<String, InsertPermission>,
    pub update_permissions: HashMap<String, UpdatePermission>,
    pub delete_permissions: HashMap<String, DeletePermission>,
    pub remote_relationships: Vec<ResolvedRemoteRelationship>,
    /// Inherited roles' columns that only some parents allow: role → column → the condition
    /// (a boolean expression over the row, as in permissions) under which the value shows;
    /// elsewhere it is null (`stages/inherited.rs`).
    pub redactions: HashMap<String, HashMap<String, serde_json::Value>>,
    /// A native query served as a table: its rows come from its code
    /// (`stages/native_queries.rs`); `None` for a tracked table.
    pub native: Option<Arc<NativeTable>>,
}

/// A native query as a table: its one root field, its code and arguments, and the type its
/// rows are (a logical model's name, or the query's own for a model defined in place or a
/// query with relationships, as Hasura names them).
#[derive(Debug, Clone)]
pub struct NativeTable {
    pub root_field: String,
    /// The code, made nestable, with `{{name}}` placeholders.
    pub code: Arc<rasura_native_queries::Code>,
    pub arguments: Vec<rasura_native_queries::NativeArg>,
    pub description: Option<String>,
    /// The identifier the object type and its inputs are named after.
    pub model: String,
    pub model_description: Option<String>,
}

/// A relationship from a table's rows to a table of a database source (`to_source`).
#[derive(Debug, Clone)]
pub struct ResolvedSourceRel {
    pub table: QualifiedName,
    pub name: String,
    /// The target's source and table.
    pub source: String,
    pub target: QualifiedName,
    pub array: bool,
    /// (this table's column, the target's column).
    pub mapping: Vec<(String, String)>,
}

/// A relationship from a table's rows to a remote schema's field.
#[derive(Debug, Clone)]
pub struct ResolvedRemoteRelationship {
    pub name: String,
    pub remote_schema: String,
    /// The table's columns whose values the remote field's arguments use.
    pub lhs: Vec<String>,
    /// From the remote's root: (field, arguments as written, `"$column"` strings for values).
    pub path: Vec<(String, serde_json::Map<String, serde_json::Value>)>,
}

impl ResolvedTable {
    pub fn relationship(&self, name: &str) -> Option<&ResolvedRelationship> {
        self.object_relationships
            .iter()
            .chain(&self.array_relationships)
            .find(|r| r.name == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelKind {
    Object,
    Array,
}

/// A relationship whose columns and target exist.
#[derive(Debug, Clone)]
pub struct ResolvedRelationship {
    pub name: String,
    pub kind: RelKind,
    pub target: QualifiedName,
    /// (column of this table, column of the target), in order.
    pub mapping: Vec<(String, String)>,
    /// For object relationships: whether the related row may be missing.
    pub nullable: bool,
    /// Object relationships: the related row is inserted after the parent.
    pub insert_after_parent: bool,
    pub comment: Option<String>,
}

/// A computed field whose function exists and fits the table.
#[derive(Debug, Clone)]
pub struct ResolvedComputedField {
    pub name: String,
    pub function: Function,
    /// Position of the table-row argument among the function's arguments.
    pub table_argument: usize,
    /// Position of the session argument (a json argument given the session variables).
    pub session_argument: Option<usize>,
    /// When the function returns rows of a tracked table, that table.
    pub returns_table: Option<QualifiedName>,
    pub comment: Option<String>,
}

/// An action: a root field answered by an HTTP handler.
#[derive(Debug, Clone)]
pub struct ResolvedAction {
    pub name: String,
    /// A mutation (default) or a query.
    pub mutation: bool,
    pub asynchronous: bool,
    /// (name, GraphQL type) in declared order.
    pub arguments: Vec<(String, String)>,
    pub output_type: String,
    /// The handler URL with `{{VAR}}` resolved.
    pub handler: String,
    /// Configured headers with `value_from_env` resolved.
    pub headers: Vec<(String, String)>,
    pub forward_client_headers: bool,
    pub timeout_secs: u64,
    /// Roles other than admin that may call it.
    pub roles: Vec<String>,
    /// Hasura's `request_transform`, applied to each call (`rasura-transform`).
    pub request_transform: Option<serde_json::Value>,
    /// Hasura's `response_transform`, applied to each answer's body before it is checked
    /// (`rasura_transform::response`).
    pub response_transform: Option<serde_json::Value>,
}

/// A tracked function that exists and can be served (`stages/functions.rs`).
#[derive(Debug, Clone)]
pub struct ResolvedFunction {
    pub name: QualifiedName,
    pub function: Function,
    pub returns_table: Option<QualifiedName>,
    /// `SETOF <table>` (a list) rather than one `<table>` row (an object or null).
    pub returns_set: bool,
    pub exposed_as_mutation: bool,
    pub session_argument: Option<String>,
    pub custom_name: Option<String>,
    /// The input arguments, in order.
    pub args: Vec<FunctionArg>,
    /// GraphQL names: the root field, its `_aggregate` field and the `args` input type.
    pub root_field: String,
    pub aggregate_field: String,
    pub args_type: String,
    /// Roles given `pg_create_function_permission`.
    pub permissions: Vec<String>,
}

/// An input argument of a tracked function.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionArg {
    /// The SQL name (`None` for an unnamed argument, passed by position).
    pub name: Option<String>,
    /// The GraphQL field of `<f>_args`: the name, or `arg_<n>` for the n-th unnamed argument.
    pub field: String,
    pub type_schema: String,
    pub type_name: String,
    pub has_default: bool,
    /// The session argument: given the session variables as JSON, not by the client.
    pub session: bool,
}

/// An event trigger whose table and columns exist, with its webhook and headers resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedEventTrigger {
    pub name: String,
    pub table: QualifiedName,
    pub enable_manual: bool,
    pub insert: Option<EventOperation>,
    pub update: Option<EventOperation>,
    pub delete: Option<EventOperation>,
    /// The webhook URL (`webhook_from_env` and `{{VAR}}` resolved).
    pub webhook: String,
    /// Configured headers: (name, value, the environment variable it came from).
    pub headers: Vec<(String, String, Option<String>)>,
    pub num_retries: i64,
    pub interval_sec: i64,
    pub timeout_sec: i64,
    /// `cleanup_config`, when set.
    pub cleanup: Option<EventCleanup>,
    /// Hasura's `request_transform`, applied to each delivery (`rasura-transform`).
    pub request_transform: Option<serde_json::Value>,
    /// Hasura's `response_transform`, applied to each 2xx answer before it is logged.
    pub response_transform: Option<serde_json::Value>,
}

/// A cron trigger ready to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedCronTrigger {
    pub name: String,
    /// The webhook URL (`webhook_from_env` and `{{VAR}}` resolved).
    pub webhook: String,
    /// Five-field cron expression, UTC (parsed when resolved).
    pub schedule: String,
    pub payload: Option<serde_json::Value>,
    /// Configured headers: (name, value, the environment variable it came from).
    pub headers: Vec<(String, String, Option<String>)>,
    /// The headers as configured (what invocation logs record).
    pub header_conf: Vec<rasura_metadata::event_triggers::HeaderConf>,
    pub retry_conf: rasura_metadata::cron_triggers::ScheduledRetryConf,
    pub comment: Option<String>,
    /// Hasura's `request_transform`, applied to each delivery (`rasura-transform`).
    pub request_transform: Option<serde_json::Value>,
    /// Hasura's `response_transform`, applied to each 2xx answer before it is logged.
    pub response_transform: Option<serde_json::Value>,
}

/// A trigger's scheduled cleanup of processed events.
#[derive(Debug, Clone, PartialEq)]
pub struct EventCleanup {
    /// Five-field cron expression, UTC.
    pub schedule: String,
    pub clear_older_than_hours: i64,
    pub batch_size: i64,
    pub timeout_secs: i64,
    pub clean_invocation_logs: bool,
    pub paused: bool,
}

/// The columns of one operation of an event trigger; `None` means every column.
#[derive(Debug, Clone, PartialEq)]
pub struct EventOperation {
    /// Columns whose change fires an UPDATE event.
    pub listened: Option<Vec<String>>,
    /// Columns sent in the payload.
    pub payload: Option<Vec<String>>,
}

/// Introspection answers (`__schema`) of remote schemas by name, or why there is none.
pub type RemoteIntrospections =
    std::collections::HashMap<String, Result<Arc<serde_json::Value>, String>>;

/// A remote schema whose URL and headers resolved and whose introspection is at hand.
#[derive(Debug, Clone)]
pub struct ResolvedRemoteSchema {
    pub name: String,
    pub url: String,
    /// Configured headers with `value_from_env` resolved.
    pub headers: Vec<(String, String)>,
    pub forward_client_headers: bool,
    pub timeout_secs: u64,
    /// `customization.root_fields_namespace`.
    pub namespace: Option<String>,
    /// `customization.type_names`: (prefix, suffix, mapping).
    pub type_prefix: String,
    pub type_suffix: String,
    pub type_mapping: HashMap<String, String>,
    /// `customization.field_names`: the remote's type → (prefix, suffix, mapping).
    pub field_names: HashMap<String, (String, String, HashMap<String, String>)>,
    /// Role → the SDL of its permission (`add_remote_schema_permissions`).
    pub permissions: HashMap<String, String>,
    /// The remote's `__schema` (for a role with a permission: only what it may see).
    pub introspection: Arc<serde_json::Value>,
    /// Arguments a role's permission presets: (remote type, field) → presets.
    pub presets: HashMap<(String, String), Vec<RemotePreset>>,
    /// Relationships from the remote's object types to tables (`to_source`).
    pub db_relationships: Vec<RemoteDbRelationship>,
}

/// A relationship from a remote schema's object type to a tracked table: the rows whose
/// columns equal the remote object's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteDbRelationship {
    /// The remote's own name of the object type.
    pub type_name: String,
    pub name: String,
    /// The database source of the table.
    pub source: String,
    pub table: QualifiedName,
    pub array: bool,
    /// (the remote type's field, the table's column), in order.
    pub mapping: Vec<(String, String)>,
}

/// An argument whose value a remote schema permission fixes (`@preset`).
#[derive(Debug, Clone, PartialEq)]
pub struct RemotePreset {
    pub argument: String,
    /// The value as a GraphQL literal.
    pub literal: String,
    /// Read from this session variable instead (an `x-hasura-*` string without `static`).
    pub session_variable: Option<String>,
    /// The argument's named type (decides how a session variable's text is written).
    pub type_name: String,
}

impl ResolvedRemoteSchema {
    /// The name field `field` of the remote's type `parent` has in the merged schema.
    pub fn field_name(&self, parent: &str, field: &str) -> String {
        match self.field_names.get(parent) {
            _ if field.starts_with("__") => field.to_string(),
            Some((prefix, suffix, mapping)) => match mapping.get(field) {
                Some(n) => n.clone(),
                None => format!("{prefix}{field}{suffix}"),
            },
            None => field.to_string(),
        }
    }

    /// The remote's own name of the field called `name` in the merged schema.
    pub fn original_field(&self, parent: &str, name: &str) -> String {
        match self.field_names.get(parent) {
            _ if name.starts_with("__") => name.to_string(),
            Some((prefix, suffix, mapping)) => {
                if let Some((original, _)) = mapping.iter().find(|(_, v)| v.as_str() == name) {
                    return original.clone();
                }
                name.strip_prefix(prefix.as_str())
                    .and_then(|n| n.strip_suffix(suffix.as_str()))
                    .unwrap_or(name)
                    .to_string()
            }
            None => name.to_string(),
        }
    }

    /// The name a remote type has in the merged schema.
    pub fn type_name(&self, remote: &str) -> String {
        if matches!(remote, "String" | "Int" | "Float" | "Boolean" | "ID")
            || remote.starts_with("__")
        {
            return remote.to_string();
        }
        match self.type_mapping.get(remote) {
            Some(n) => n.clone(),
            None => format!("{}{remote}{}", self.type_prefix, self.type_suffix),
        }
    }
}
