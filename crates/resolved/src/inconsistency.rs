//! An object of the metadata that does not fit the database, reported as Hasura reports it.

use rasura_metadata::QualifiedName;
use serde::Serialize;
use serde_json::Value;

/// One entry of `get_inconsistent_metadata`'s `inconsistent_objects`.
#[derive(Debug, Clone, PartialEq)]
pub struct Inconsistency {
    /// `table`, `object_relation`, `array_relation`, `select_permission`, `computed_field`, `function`, ...
    pub kind: String,
    /// e.g. `table author in source default`.
    pub name: String,
    /// The metadata object as it was written.
    pub definition: Value,
    /// Why it does not fit, e.g. `Inconsistent object: no such table/view exists in source: "author"`.
    pub reason: String,
    /// Which metadata object this is, for `drop_inconsistent_metadata`.
    pub object: ObjectRef,
    /// Shown instead of `definition` where Hasura names an entity (an inherited role's
    /// permission it could not inherit: `{permission_type, source, table}`).
    pub entity: Option<Value>,
    /// The error code an edit that causes this is refused with, where Hasura has a specific
    /// one (`constraint-violation` for an invalid enum table); else `invalid-configuration`.
    pub code: Option<&'static str>,
    /// More about the reason, where Hasura gives it (`message`: the driver's error for a
    /// source it cannot reach).
    pub message: Option<String>,
}

impl Serialize for Inconsistency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("type", &self.kind)?;
        m.serialize_entry("name", &self.name)?;
        match &self.entity {
            Some(e) => m.serialize_entry("entity", e)?,
            None => m.serialize_entry("definition", &self.definition)?,
        }
        m.serialize_entry("reason", &self.reason)?;
        if let Some(message) = &self.message {
            m.serialize_entry("message", message)?;
        }
        m.end()
    }
}

/// Where an inconsistent object sits in the metadata document.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ObjectRef {
    #[default]
    Unknown,
    Table(QualifiedName),
    Relationship(QualifiedName, String),
    ComputedField(QualifiedName, String),
    /// Table, kind (`select`, ...), role.
    Permission(QualifiedName, String, String),
    Function(QualifiedName),
    /// Table, trigger name.
    EventTrigger(QualifiedName, String),
    RemoteSchema(String),
    /// Table, remote relationship name.
    RemoteRelationship(QualifiedName, String),
    /// A cron trigger, by name.
    CronTrigger(String),
    /// A whole top-level section of the metadata (`cron_triggers`, `allowlist`, ...).
    Section(String),
    /// A query collection (`query_collections`), by name.
    QueryCollection(String),
    /// An allow-list entry, by collection name.
    AllowlistEntry(String),
    /// An `inherited_roles` entry, by role name.
    InheritedRole(String),
    /// A `rest_endpoints` entry, by name.
    RestEndpoint(String),
    /// A database source other than the default one.
    Source(String),
    /// A source's `customization` (naming convention).
    SourceCustomization(String),
    /// A remote schema's relationship to a table: remote schema, type, name.
    RemoteSchemaRelationship(String, String, String),
    /// A native query, by root field name.
    NativeQuery(String),
    /// A logical model, by name.
    LogicalModel(String),
    /// An object of a database source other than the one served first: its name and where
    /// the object sits in it.
    InSource(String, Box<ObjectRef>),
}

impl Inconsistency {
    pub fn new(
        kind: &str,
        name: String,
        definition: Value,
        reason: impl AsRef<str>,
        object: ObjectRef,
    ) -> Self {
        Inconsistency {
            kind: kind.to_string(),
            name,
            definition,
            reason: format!("Inconsistent object: {}", reason.as_ref()),
            object,
            entity: None,
            code: None,
            message: None,
        }
    }

    /// Whether an edit that causes this is refused. Parents that disagree on a permission
    /// are reported but refuse nothing, as in Hasura: the inherited role gets its own.
    pub fn blocks_edits(&self) -> bool {
        self.kind != "inherited role permission inconsistency"
    }

    /// The reason without Hasura's `Inconsistent object: ` prefix.
    pub fn bare_reason(&self) -> &str {
        self.reason
            .strip_prefix("Inconsistent object: ")
            .unwrap_or(&self.reason)
    }
}

/// `<kind> <name> in table <table> in source <source>`-style names, as Hasura writes them.
pub fn in_table(
    kind: &str,
    name: &str,
    table: &rasura_metadata::QualifiedName,
    source: &str,
) -> String {
    format!("{kind} {name} in table {table} in source {source}")
}
