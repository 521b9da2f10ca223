//! Pure edits of the metadata document, one function per metadata API operation.
//!
//! Whether an edit fits the database is decided afterwards by resolving the new document
//! against the catalog; here only the document's own rules are checked (tracked twice,
//! a name already taken, a missing entry).

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::document::{Metadata, DEFAULT_SOURCE};
use crate::error::MetadataError;
use crate::permission::{
    DeletePermission, InsertPermission, PermissionEntry, SelectPermission, UpdatePermission,
};
use crate::table::{
    ComputedField, ComputedFieldDefinition, FunctionEntry, QualifiedName, Relationship,
    RelationshipUsing, TableConfig, TableEntry,
};

/// What an applied operation tells its caller.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// The document changed.
    Changed,
}

/// Applies the metadata operation `op` (without any `pg_` prefix) to `md`.
/// Returns `Ok(None)` when `op` is not a pure metadata edit.
pub fn apply(md: &mut Metadata, op: &str, args: Value) -> Result<Option<Applied>, MetadataError> {
    let op = op.strip_prefix("pg_").unwrap_or(op);
    match op {
        "track_table" | "add_existing_table_or_view" => track_table(md, parse_track_args(args)?),
        "untrack_table" => untrack_table(md, parse(args)?),
        "set_table_customization" => set_table_customization(md, parse(args)?),
        "set_table_custom_fields" => set_table_custom_fields(md, parse(args)?),
        "set_table_is_enum" => set_table_is_enum(md, parse(args)?),
        "create_object_relationship" => create_relationship(md, parse(args)?, RelKind::Object),
        "create_array_relationship" => create_relationship(md, parse(args)?, RelKind::Array),
        "drop_relationship" => drop_relationship(md, parse(args)?),
        "rename_relationship" => rename_relationship(md, parse(args)?),
        "set_relationship_comment" => set_relationship_comment(md, parse(args)?),
        "add_computed_field" => add_computed_field(md, parse(args)?),
        "drop_computed_field" => drop_computed_field(md, parse(args)?),
        "track_function" => track_function(md, parse_function_args(args)?),
        "add_inherited_role" => crate::inherited_roles::add(md, args).map(|()| Applied::Changed),
        "drop_inherited_role" => crate::inherited_roles::drop(md, args).map(|()| Applied::Changed),
        "set_custom_types" => crate::actions::set_custom_types(md, args).map(|()| Applied::Changed),
        "create_action" => crate::actions::create_action(md, args).map(|()| Applied::Changed),
        "update_action" => crate::actions::update_action(md, args).map(|()| Applied::Changed),
        "drop_action" => crate::actions::drop_action(md, args).map(|()| Applied::Changed),
        "create_action_permission" => {
            crate::actions::create_action_permission(md, args).map(|()| Applied::Changed)
        }
        "drop_action_permission" => {
            crate::actions::drop_action_permission(md, args).map(|()| Applied::Changed)
        }
        "untrack_function" => untrack_function(md, parse_function_args(args)?),
        "set_permission_comment" => {
            crate::comment_ops::set_permission_comment(md, args).map(|()| Applied::Changed)
        }
        "set_function_customization" => {
            crate::function_ops::set_function_customization(md, args).map(|()| Applied::Changed)
        }
        "create_function_permission" => {
            crate::function_ops::create_function_permission(md, args).map(|()| Applied::Changed)
        }
        "drop_function_permission" => {
            crate::function_ops::drop_function_permission(md, args).map(|()| Applied::Changed)
        }
        "set_graphql_schema_introspection_options" => set_introspection_options(md, parse(args)?),
        "pause_event_trigger_cleanups" => {
            crate::event_triggers::set_cleanups_paused(md, &args, true).map(|()| Applied::Changed)
        }
        "resume_event_trigger_cleanups" => {
            crate::event_triggers::set_cleanups_paused(md, &args, false).map(|()| Applied::Changed)
        }
        "create_remote_relationship" => {
            crate::remote_relationships::create(md, args, false).map(|()| Applied::Changed)
        }
        "update_remote_relationship" => {
            crate::remote_relationships::create(md, args, true).map(|()| Applied::Changed)
        }
        "delete_remote_relationship" => {
            crate::remote_relationships::delete(md, args).map(|()| Applied::Changed)
        }
        "add_remote_schema_permissions" => {
            crate::remote_schemas::add_permission(md, args).map(|()| Applied::Changed)
        }
        "drop_remote_schema_permissions" => {
            crate::remote_schemas::drop_permission(md, args).map(|()| Applied::Changed)
        }
        _ => {
            if let Some((action, kind)) = permission_op(op) {
                let args: PermissionArgs = parse(args)?;
                return match action {
                    "create" => create_permission(md, kind, args),
                    _ => drop_permission(md, kind, args),
                }
                .map(Some);
            }
            return Ok(None);
        }
    }
    .map(Some)
}

fn permission_op(op: &str) -> Option<(&'static str, PermKind)> {
    let (action, rest) = if let Some(r) = op.strip_prefix("create_") {
        ("create", r)
    } else if let Some(r) = op.strip_prefix("drop_") {
        ("drop", r)
    } else {
        return None;
    };
    let kind = match rest {
        "select_permission" => PermKind::Select,
        "insert_permission" => PermKind::Insert,
        "update_permission" => PermKind::Update,
        "delete_permission" => PermKind::Delete,
        _ => return None,
    };
    Some((action, kind))
}

/// `set_graphql_schema_introspection_options` arguments.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntrospectionOptions {
    disabled_for_roles: Vec<String>,
}

fn set_introspection_options(
    md: &mut Metadata,
    args: IntrospectionOptions,
) -> Result<Applied, MetadataError> {
    let key = "graphql_schema_introspection";
    if args.disabled_for_roles.is_empty() {
        md.extra.remove(key);
    } else {
        md.extra.insert(
            key.to_string(),
            serde_json::json!({"disabled_for_roles": args.disabled_for_roles}),
        );
    }
    Ok(Applied::Changed)
}

fn parse<T: DeserializeOwned>(args: Value) -> Result<T, MetadataError> {
    serde_json::from_value(args).map_err(|e| MetadataError::Parse(e.to_string()))
}

fn default_source() -> String {
    DEFAULT_SOURCE.to_string()
}

/// `track_table` arguments; the legacy forms (a bare name, `{schema, name}`) are accepted too.
#[derive(Debug, Deserialize)]
pub struct TrackTableArgs {
    #[serde(default = "default_source")]
    pub source: String,
    pub table: QualifiedName,
    #[serde(default)]
    pub configuration: Option<TableConfig>,
    #[serde(default)]
    pub is_enum: bool,
}

fn parse_track_args(args: Value) -> Result<TrackTableArgs, MetadataError> {
    match &args {
        Value::String(_) => Ok(TrackTableArgs {
            source: default_source(),
            table: parse(args)?,
            configuration: None,
            is_enum: false,
        }),
        Value::Object(m) if !m.contains_key("table") => {
            let mut t = parse_track_args_legacy(m)?;
            t.table = parse(args)?;
            Ok(t)
        }
        _ => parse(args),
    }
}

fn parse_track_args_legacy(
    m: &serde_json::Map<String, Value>,
) -> Result<TrackTableArgs, MetadataError> {
    Ok(TrackTableArgs {
        source: m
            .get("source")
            .and_then(Value::as_str)
            .map_or_else(default_source, str::to_string),
        table: QualifiedName::public(""),
        configuration: None,
        is_enum: m.get("is_enum").and_then(Value::as_bool).unwrap_or(false),
    })
}

pub fn track_table(md: &mut Metadata, args: TrackTableArgs) -> Result<Applied, MetadataError> {
    let source = md.source_mut(&args.source)?;
    if source.table(&args.table).is_some() {
        return Err(MetadataError::AlreadyTracked(format!(
            "view/table already tracked : \"{}\"",
            args.table
        )));
    }
    if source.functions.iter().any(|f| f.function == args.table) {
        return Err(MetadataError::NotSupported(format!(
            "function with name \"{}\" already exists",
            args.table
        )));
    }
    let mut entry = TableEntry::new(args.table);
    entry.configuration = args.configuration.unwrap_or_default();
    entry.is_enum = args.is_enum;
    source.tables.push(entry);
    Ok(Applied::Changed)
}

#[derive(Debug, Deserialize)]
pub struct TableArgs {
    #[serde(default = "default_source")]
    pub source: String,
    pub table: QualifiedName,
    #[serde(default)]
    pub cascade: bool,
}

pub fn untrack_table(md: &mut Metadata, args: TableArgs) -> Result<Applied, MetadataError> {
    let source = md.source_mut(&args.source)?;
    if source.table(&args.table).is_none() {
        return Err(MetadataError::AlreadyUntracked(format!(
            "\"{}\"",
            args.table
        )));
    }
    let dependents = dependents_of(&source.tables, &args.table);
    if !dependents.is_empty() && !args.cascade {
        return Err(MetadataError::DependencyError(format!(
            "cannot drop due to the following dependent objects: {}",
            dependents.join(", ")
        )));
    }
    remove_table(source, &args.table);
    Ok(Applied::Changed)
}

/// Removes a table and every relationship of other tables that points at it.
pub fn remove_table(source: &mut crate::Source, table: &QualifiedName) {
    source.tables.retain(|t| &t.table != table);
    for t in &mut source.tables {
        t.object_relationships
            .retain(|r| relationship_target(&t.table, r).as_ref() != Some(table));
        t.array_relationships
            .retain(|r| relationship_target(&t.table, r).as_ref() != Some(table));
    }
}

/// Descriptions of the relationships in other tables that point at `table`.
pub fn dependents_of(tables: &[TableEntry], table: &QualifiedName) -> Vec<String> {
    let mut out = vec![];
    for t in tables.iter().filter(|t| &t.table != table) {
        for r in t.object_relationships.iter().chain(&t.array_relationships) {
            if relationship_target(&t.table, r).as_ref() == Some(table) {
                out.push(format!(
                    "relationship {}.{} in source \"default\"",
                    t.table, r.name
                ));
            }
        }
    }
    out.sort();
    out
}

/// The table a relationship points at, when the metadata alone tells.
/// (An object relationship on local columns points at whatever the foreign key references,
/// which only the catalog knows; it returns `None` for those.)
pub fn relationship_target(_owner: &QualifiedName, r: &Relationship) -> Option<QualifiedName> {
    if let Some(m) = &r.using.manual_configuration {
        return Some(m.remote_table.clone());
    }
    match &r.using.foreign_key_constraint_on {
        Some(crate::FkConstraintOn::Remote { table, .. }) => Some(table.clone()),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
pub struct CustomizationArgs {
    #[serde(default = "default_source")]
    pub source: String,
    pub table: QualifiedName,
    #[serde(default)]
    pub configuration: TableConfig,
}

pub fn set_table_customization(
    md: &mut Metadata,
    args: CustomizationArgs,
) -> Result<Applied, MetadataError> {
    md.source_mut(&args.source)?
        .tracked_mut(&args.table)?
        .configuration = args.configuration;
    Ok(Applied::Changed)
}

/// Legacy `set_table_custom_fields {table, custom_root_fields, custom_column_names}`.
#[derive(Debug, Deserialize)]
pub struct CustomFieldsArgs {
    #[serde(default = "default_source")]
    pub source: String,
    pub table: QualifiedName,
    #[serde(default)]
    pub custom_root_fields: std::collections::BTreeMap<String, Value>,
    #[serde(default)]
    pub custom_column_names: std::collections::BTreeMap<String, String>,
}

pub fn set_table_custom_fields(
    md: &mut Metadata,
    args: CustomFieldsArgs,
) -> Result<Applied, MetadataError> {
    let t = md.source_mut(&args.source)?.tracked_mut(&args.table)?;
    t.configuration.custom_root_fields = args.custom_root_fields;
    t.configuration.custom_column_names = args.custom_column_names;
    Ok(Applied::Changed)
}

#[derive(Debug, Deserialize)]
pub struct IsEnumArgs {
    #[serde(default = "default_source")]
    pub source: String,
    pub table: QualifiedName,
    pub is_enum: bool,
}

pub fn set_table_is_enum(md: &mut Metadata, args: IsEnumArgs) -> Result<Applied, MetadataError> {
    md.source_mut(&args.source)?
        .tracked_mut(&args.table)?
        .is_enum = args.is_enum;
    Ok(Applied::Changed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelKind {
    Object,
    Array,
}

#[derive(Debug, Deserialize)]
pub struct CreateRelationshipArgs {
    #[serde(default = "default_source")]
    pub source: String,
    pub table: QualifiedName,
    pub name: String,
    pub using: RelationshipUsing,
    #[serde(default)]
    pub comment: Option<String>,
}

pub fn create_relationship(
    md: &mut Metadata,
    args: CreateRelationshipArgs,
    kind: RelKind,
) -> Result<Applied, MetadataError> {
    let u = &args.using;
    if u.foreign_key_constraint_on.is_some() == u.manual_configuration.is_some() {
        return Err(MetadataError::Parse(
            "exactly one of \"foreign_key_constraint_on\" and \"manual_configuration\" is expected"
                .into(),
        ));
    }
    let t = md.source_mut(&args.source)?.tracked_mut(&args.table)?;
    if t.field_names().any(|n| n == args.name) {
        return Err(MetadataError::AlreadyExists(format!(
            "field with name \"{}\" already exists in table \"{}\"",
            args.name, args.table
        )));
    }
    let rel = Relationship {
        name: args.name,
        using: args.using,
        comment: args.comment,
    };
    match kind {
        RelKind::Object => t.object_relationships.push(rel),
        RelKind::Array => t.array_relationships.push(rel),
    }
    Ok(Applied::Changed)
}

#[derive(Debug, Deserialize)]
pub struct DropRelationshipArgs {
    #[serde(default = "default_source")]
    pub source: String,
    pub table: QualifiedName,
    pub relationship: String,
    #[serde(default)]
    pub cascade: bool,
}

pub fn drop_relationship(
    md: &mut Metadata,
    args: DropRelationshipArgs,
) -> Result<Applied, MetadataError> {
    let t = md.source_mut(&args.source)?.tracked_mut(&args.table)?;
    let before = t.object_relationships.len() + t.array_relationships.len();
    t.object_relationships
        .retain(|r| r.name != args.relationship);
    t.array_relationships
        .retain(|r| r.name != args.relationship);
    if before == t.object_relationships.len() + t.array_relationships.len() {
        return Err(MetadataError::NotExists(format!(
            "relationship \"{}\" does not exist",
            args.relationship
        )));
    }
    Ok(Applied::Changed)
}

#[derive(Debug, Deserialize)]
pub struct RenameRelationshipArgs {
    #[serde(default = "default_source")]
    pub source: String,
    pub table: QualifiedName,
    pub name: String,
    pub new_name: String,
}

pub fn rename_relationship(
    md: &mut Metadata,
    args: RenameRelationshipArgs,
) -> Result<Applied, MetadataError> {
    let t = md.source_mut(&args.source)?.tracked_mut(&args.table)?;
    if t.field_names().any(|n| n == args.new_name) {
        return Err(MetadataError::AlreadyExists(format!(
            "field with name \"{}\" already exists in table \"{}\"",
            args.new_name, args.table
        )));
    }
    let rel = t
        .object_relationships
        .iter_mut()
        .chain(t.array_relationships.iter_mut())
        .find(|r| r.name == args.name)
        .ok_or_else(|| {
            MetadataError::NotExists(format!(
                "relationship \"{}\" does not exist in table \"{}\"",
                args.name, args.table
            ))
        })?;
    rel.name = args.new_name;
    Ok(Applied::Changed)
}

#[derive(Debug, Deserialize)]
pub struct RelationshipCommentArgs {
    #[serde(default = "default_source")]
    pub source: String,
    pub table: QualifiedName,
    pub name: String,
    #[serde(default)]
    pub comment: Option<String>,
}

pub fn set_relationship_comment(
    md: &mut Metadata,
    args: RelationshipCommentArgs,
) -> Result<Applied, MetadataError> {
    let t = md.source_mut(&args.source)?.tracked_mut(&args.table)?;
    let rel = t
        .object_relationships
        .iter_mut()
        .chain(t.array_relationships.iter_mut())
        .find(|r| r.name == args.name)
        .ok_or_else(|| {
            MetadataError::NotExists(format!("relationship \"{}\" does not exist", args.name))
        })?;
    rel.comment = args.comment;
    Ok(Applied::Changed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermKind {
    Select,
    Insert,
    Update,
    Delete,
}

impl PermKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PermKind::Select => "select",
            PermKind::Insert => "insert",
            PermKind::Update => "update",
            PermKind::Delete => "delete",
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PermissionArgs {
    #[serde(default = "default_source")]
    pub source: String,
    pub table: QualifiedName,
    pub role: String,
    #[serde(default)]
    pub permission: Option<Value>,
    #[serde(default)]
    pub comment: Option<String>,
}

fn push_permission<P: DeserializeOwned>(
    list: &mut Vec<PermissionEntry<P>>,
    args: PermissionArgs,
    kind: PermKind,
) -> Result<Applied, MetadataError> {
    if list.iter().any(|p| p.role == args.role) {
        return Err(MetadataError::AlreadyExists(format!(
            "{} permission already defined on table \"{}\" with role \"{}\"",
            kind.as_str(),
            args.table,
            args.role
        )));
    }
    if args.role == "admin" {
        return Err(MetadataError::ConstraintViolation(format!(
            "in table \"{}\": in permission for role \"admin\": cannot define permission for admin role",
            args.table
        )));
    }
    let permission = parse(
        args.permission
            .ok_or_else(|| MetadataError::Parse("key \"permission\" not found".into()))?,
    )?;
    list.push(PermissionEntry {
        role: args.role,
        permission,
        comment: args.comment,
    });
    Ok(Applied::Changed)
}

pub fn create_permission(
    md: &mut Metadata,
    kind: PermKind,
    args: PermissionArgs,
) -> Result<Applied, MetadataError> {
    let t = md.source_mut(&args.source)?.tracked_mut(&args.table)?;
    match kind {
        PermKind::Select => {
            push_permission::<SelectPermission>(&mut t.select_permissions, args, kind)
        }
        PermKind::Insert => {
            push_permission::<InsertPermission>(&mut t.insert_permissions, args, kind)
        }
        PermKind::Update => {
            push_permission::<UpdatePermission>(&mut t.update_permissions, args, kind)
        }
        PermKind::Delete => {
            push_permission::<DeletePermission>(&mut t.delete_permissions, args, kind)
        }
    }
}

fn remove_role<P>(list: &mut Vec<PermissionEntry<P>>, role: &str) -> bool {
    let before = list.len();
    list.retain(|p| p.role != role);
    before != list.len()
}

pub fn drop_permission(
    md: &mut Metadata,
    kind: PermKind,
    args: PermissionArgs,
) -> Result<Applied, MetadataError> {
    let t = md.source_mut(&args.source)?.tracked_mut(&args.table)?;
    let removed = match kind {
        PermKind::Select => remove_role(&mut t.select_permissions, &args.role),
        PermKind::Insert => remove_role(&mut t.insert_permissions, &args.role),
        PermKind::Update => remove_role(&mut t.update_permissions, &args.role),
        PermKind::Delete => remove_role(&mut t.delete_permissions, &args.role),
    };
    if !removed {
        return Err(MetadataError::BadRequest(format!(
            "{} permission on \"{}\" for role \"{}\" does not exist",
            kind.as_str(),
            args.table,
            args.role
        )));
    }
    Ok(Applied::Changed)
}

#[derive(Debug, Deserialize)]
pub struct AddComputedFieldArgs {
    #[serde(default = "default_source")]
    pub source: String,
    pub table: QualifiedName,
    pub name: String,
    pub definition: ComputedFieldDefinition,
    #[serde(default)]
    pub comment: Option<String>,
}

pub fn add_computed_field(
    md: &mut Metadata,
    args: AddComputedFieldArgs,
) -> Result<Applied, MetadataError> {
    let t = md.source_mut(&args.source)?.tracked_mut(&args.table)?;
    if t.field_names().any(|n| n == args.name) {
        return Err(MetadataError::AlreadyExists(format!(
            "computed field with name \"{}\" already exists in table \"{}\"",
            args.name, args.table
        )));
    }
    t.computed_fields.push(ComputedField {
        name: args.name,
        definition: args.definition,
        comment: args.comment,
    });
    Ok(Applied::Changed)
}

#[derive(Debug, Deserialize)]
pub struct DropComputedFieldArgs {
    #[serde(default = "default_source")]
    pub source: String,
    pub table: QualifiedName,
    pub name: String,
}

pub fn drop_computed_field(
    md: &mut Metadata,
    args: DropComputedFieldArgs,
) -> Result<Applied, MetadataError> {
    let t = md.source_mut(&args.source)?.tracked_mut(&args.table)?;
    let before = t.computed_fields.len();
    t.computed_fields.retain(|c| c.name != args.name);
    if before == t.computed_fields.len() {
        return Err(MetadataError::NotExists(format!(
            "computed field \"{}\" does not exist in table \"{}\"",
            args.name, args.table
        )));
    }
    Ok(Applied::Changed)
}

#[derive(Debug)]
pub struct FunctionArgs {
    pub source: String,
    pub function: QualifiedName,
    pub configuration: Option<Value>,
}

/// `{function, source?, configuration?}`, or the legacy bare `{schema, name}` / `"name"`.
fn parse_function_args(args: Value) -> Result<FunctionArgs, MetadataError> {
    match &args {
        Value::Object(m) if m.contains_key("function") => Ok(FunctionArgs {
            source: m
                .get("source")
                .and_then(Value::as_str)
                .map_or_else(default_source, str::to_string),
            function: parse(m["function"].clone())?,
            configuration: m.get("configuration").cloned(),
        }),
        _ => Ok(FunctionArgs {
            source: default_source(),
            function: parse(args)?,
            configuration: None,
        }),
    }
}

pub fn track_function(md: &mut Metadata, args: FunctionArgs) -> Result<Applied, MetadataError> {
    crate::function_ops::check_custom_root_fields(args.configuration.as_ref())?;
    let source = md.source_mut(&args.source)?;
    if source.table(&args.function).is_some() {
        return Err(MetadataError::NotSupported(format!(
            "table with name \"{}\" already exists",
            args.function
        )));
    }
    if source.functions.iter().any(|f| f.function == args.function) {
        return Err(MetadataError::AlreadyTracked(format!(
            "function already tracked: \"{}\"",
            args.function
        )));
    }
    source.functions.push(FunctionEntry {
        function: args.function,
        configuration: args.configuration,
        permissions: vec![],
    });
    Ok(Applied::Changed)
}

pub fn untrack_function(md: &mut Metadata, args: FunctionArgs) -> Result<Applied, MetadataError> {
    let source = md.source_mut(&args.source)?;
    let before = source.functions.len();
    source.functions.retain(|f| f.function != args.function);
    if before == source.functions.len() {
        return Err(MetadataError::NotExists(format!(
            "function not found in metadata: \"{}\"",
            args.function
        )));
    }
    Ok(Applied::Changed)
}

#[cfg(test)]
#[path = "ops_tests.rs"]
mod tests;
