//! Table entries of a source: the table name, its configuration, relationships, computed fields.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::permission::{
    DeletePermission, InsertPermission, PermissionEntry, SelectPermission, UpdatePermission,
};

/// A schema-qualified name; given as `"name"` (schema `public`) or `{"schema", "name"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    pub fn public(name: impl Into<String>) -> Self {
        QualifiedName::new("public", name)
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.schema == "public" {
            write!(f, "{}", self.name)
        } else {
            write!(f, "{}.{}", self.schema, self.name)
        }
    }
}

impl Serialize for QualifiedName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = Map::new();
        m.insert("name".into(), Value::String(self.name.clone()));
        m.insert("schema".into(), Value::String(self.schema.clone()));
        m.serialize(s)
    }
}

impl<'de> Deserialize<'de> for QualifiedName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(name) => Ok(QualifiedName::public(name)),
            Value::Object(m) => {
                let name = match m.get("name") {
                    Some(Value::String(n)) => n.clone(),
                    _ => return Err(D::Error::custom("key \"name\" not found")),
                };
                let schema = match m.get("schema") {
                    Some(Value::String(s)) => s.clone(),
                    None | Some(Value::Null) => "public".to_string(),
                    _ => return Err(D::Error::custom("\"schema\" must be a string")),
                };
                Ok(QualifiedName { schema, name })
            }
            _ => Err(D::Error::custom(
                "expected a table name as a string or an object {schema, name}",
            )),
        }
    }
}

/// One tracked table with everything configured on it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableEntry {
    pub table: QualifiedName,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_enum: bool,
    #[serde(default, skip_serializing_if = "TableConfig::is_empty")]
    pub configuration: TableConfig,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_relationships: Vec<Relationship>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub array_relationships: Vec<Relationship>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub computed_fields: Vec<ComputedField>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remote_relationships: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insert_permissions: Vec<PermissionEntry<InsertPermission>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select_permissions: Vec<PermissionEntry<SelectPermission>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub update_permissions: Vec<PermissionEntry<UpdatePermission>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete_permissions: Vec<PermissionEntry<DeletePermission>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_triggers: Vec<Value>,
    /// Keys this version does not model, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TableEntry {
    pub fn new(table: QualifiedName) -> Self {
        TableEntry {
            table,
            is_enum: false,
            configuration: TableConfig::default(),
            object_relationships: vec![],
            array_relationships: vec![],
            computed_fields: vec![],
            remote_relationships: vec![],
            insert_permissions: vec![],
            select_permissions: vec![],
            update_permissions: vec![],
            delete_permissions: vec![],
            event_triggers: vec![],
            extra: Map::new(),
        }
    }

    /// Names of all relationships and computed fields (the non-column fields).
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.object_relationships
            .iter()
            .chain(self.array_relationships.iter())
            .map(|r| r.name.as_str())
            .chain(self.computed_fields.iter().map(|c| c.name.as_str()))
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `configuration` of a tracked table: GraphQL names and comments.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TableConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_root_fields: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub column_config: BTreeMap<String, ColumnConfig>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_column_names: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl TableConfig {
    pub fn is_empty(&self) -> bool {
        self == &TableConfig::default()
    }

    /// The custom root field name configured for `kind` (`select`, `select_by_pk`, ...).
    pub fn root_field_name(&self, kind: &str) -> Option<&str> {
        match self.custom_root_fields.get(kind)? {
            Value::String(s) => Some(s),
            Value::Object(m) => m.get("name").and_then(Value::as_str),
            _ => None,
        }
    }

    /// The comment configured for the root field of `kind` (`{name, comment}` form).
    pub fn root_field_comment(&self, kind: &str) -> Option<&str> {
        self.custom_root_fields
            .get(kind)?
            .get("comment")
            .and_then(Value::as_str)
    }

    /// The custom GraphQL name of a column, from `column_config` or legacy `custom_column_names`.
    pub fn column_name(&self, column: &str) -> Option<&str> {
        self.column_config
            .get(column)
            .and_then(|c| c.custom_name.as_deref())
            .or_else(|| self.custom_column_names.get(column).map(String::as_str))
    }
}

/// Per-column configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ColumnConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An object or array relationship.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Relationship {
    pub name: String,
    pub using: RelationshipUsing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// How a relationship is defined: by a foreign key or by a manual column mapping.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RelationshipUsing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_key_constraint_on: Option<FkConstraintOn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_configuration: Option<ManualConfiguration>,
}

/// `foreign_key_constraint_on`: local column(s), or a remote table's column(s).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum FkConstraintOn {
    Column(String),
    Columns(Vec<String>),
    Remote {
        table: QualifiedName,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        column: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        columns: Option<Vec<String>>,
    },
}

/// `manual_configuration` of a relationship.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ManualConfiguration {
    pub remote_table: QualifiedName,
    /// Local column to remote column, in the order written.
    pub column_mapping: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insertion_order: Option<String>,
}

impl ManualConfiguration {
    /// The (local, remote) column pairs; non-string values are skipped.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.column_mapping
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect()
    }
}

/// A computed field: a SQL function of the row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ComputedField {
    pub name: String,
    pub definition: ComputedFieldDefinition,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The function behind a computed field.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ComputedFieldDefinition {
    pub function: QualifiedName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_argument: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_argument: Option<String>,
}

/// A tracked SQL function.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FunctionEntry {
    pub function: QualifiedName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Value>,
}
