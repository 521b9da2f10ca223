//! The whole metadata document: version, sources, and the top-level sections kept as JSON.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::MetadataError;
use crate::table::{FunctionEntry, QualifiedName, TableEntry};

/// The name of the one database source Rasura serves.
pub const DEFAULT_SOURCE: &str = "default";

/// Hasura metadata, version 3.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Metadata {
    pub version: u32,
    #[serde(default)]
    pub sources: Vec<Source>,
    /// `remote_schemas`, `actions`, `custom_types`, ... kept as JSON until modelled.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One database source.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Source {
    pub name: String,
    #[serde(default = "postgres_kind")]
    pub kind: String,
    #[serde(default)]
    pub tables: Vec<TableEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<FunctionEntry>,
    #[serde(default)]
    pub configuration: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The kinds of source this engine serves (`postgres`, also written `pg`).
pub fn is_postgres(kind: &str) -> bool {
    matches!(kind, "postgres" | "pg")
}

fn postgres_kind() -> String {
    "postgres".to_string()
}

/// Whether the default source prepares its statements: `HASURA_GRAPHQL_USE_PREPARED_STATEMENTS`
/// (Hasura's words for a boolean), true when unset; false behind a pooler in transaction mode.
fn default_prepared() -> bool {
    let value = [
        "RASURA_USE_PREPARED_STATEMENTS",
        "HASURA_GRAPHQL_USE_PREPARED_STATEMENTS",
    ]
    .iter()
    .find_map(|n| std::env::var(n).ok());
    !matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("false" | "f" | "no" | "n" | "0")
    )
}

impl Source {
    /// The default source, connected through `HASURA_GRAPHQL_DATABASE_URL` as Hasura records it.
    pub fn default_source() -> Source {
        Source {
            name: DEFAULT_SOURCE.to_string(),
            kind: postgres_kind(),
            tables: vec![],
            functions: vec![],
            configuration: json!({
                "connection_info": {
                    "database_url": {"from_env": "HASURA_GRAPHQL_DATABASE_URL"},
                    "isolation_level": "read-committed",
                    "pool_settings": {
                        "connection_lifetime": 600,
                        "idle_timeout": 180,
                        "max_connections": 50,
                        "retries": 1
                    },
                    "use_prepared_statements": default_prepared()
                }
            }),
            extra: Map::new(),
        }
    }

    pub fn table(&self, name: &QualifiedName) -> Option<&TableEntry> {
        self.tables.iter().find(|t| &t.table == name)
    }

    pub fn table_mut(&mut self, name: &QualifiedName) -> Option<&mut TableEntry> {
        self.tables.iter_mut().find(|t| &t.table == name)
    }

    /// The table entry, or the `not-exists` error Hasura gives for an untracked table.
    pub fn tracked_mut(&mut self, name: &QualifiedName) -> Result<&mut TableEntry, MetadataError> {
        let source = self.name.clone();
        self.table_mut(name).ok_or_else(|| {
            MetadataError::NotExists(format!(
                "table \"{name}\" does not exist in source: {source}"
            ))
        })
    }
}

impl Default for Metadata {
    fn default() -> Self {
        Metadata::empty()
    }
}

impl Metadata {
    /// Whether `role` may not introspect the schema
    /// (`graphql_schema_introspection.disabled_for_roles`).
    pub fn introspection_disabled_for(&self, role: &str) -> bool {
        self.extra
            .get("graphql_schema_introspection")
            .and_then(|v| v.get("disabled_for_roles"))
            .and_then(Value::as_array)
            .is_some_and(|roles| roles.iter().any(|r| r.as_str() == Some(role)))
    }

    /// Metadata with only the default source and nothing tracked.
    pub fn empty() -> Metadata {
        Metadata {
            version: 3,
            sources: vec![Source::default_source()],
            extra: Map::new(),
        }
    }

    /// Reads a metadata document: version 3, or an older one (a top-level `tables` list).
    pub fn from_json(value: Value) -> Result<Metadata, MetadataError> {
        let upgraded = upgrade(value)?;
        serde_json::from_value(upgraded).map_err(|e| MetadataError::Parse(e.to_string()))
    }

    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).expect("metadata serialises");
        // Hasura leaves empty top-level sections out of exports.
        if let Value::Object(m) = &mut v {
            m.retain(|k, v| k == "version" || k == "sources" || !is_empty_section(v));
        }
        v
    }

    /// The tables of the served source marked `is_enum`: (schema, name), whose rows the
    /// catalog reads (`rasura_catalog::load_enum_rows`).
    pub fn enum_tables(&self) -> Vec<(String, String)> {
        self.served_source()
            .map(|s| {
                s.tables
                    .iter()
                    .filter(|t| t.is_enum)
                    .map(|t| (t.table.schema.clone(), t.table.name.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn source(&self, name: &str) -> Result<&Source, MetadataError> {
        self.sources
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| MetadataError::SourceNotFound(name.to_string()))
    }

    pub fn source_mut(&mut self, name: &str) -> Result<&mut Source, MetadataError> {
        self.sources
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| MetadataError::SourceNotFound(name.to_string()))
    }

    /// The database source the engine serves: the PostgreSQL source named `default` if there
    /// is one, else the first PostgreSQL source by name.
    pub fn served_source(&self) -> Option<&Source> {
        let name = self.served_name()?;
        self.sources.iter().find(|s| s.name == name)
    }

    /// [`Metadata::served_source`], to edit.
    pub fn served_source_mut(&mut self) -> Option<&mut Source> {
        let name = self.served_name()?;
        self.sources.iter_mut().find(|s| s.name == name)
    }

    fn served_name(&self) -> Option<String> {
        let pg = || self.sources.iter().filter(|s| is_postgres(&s.kind));
        pg().find(|s| s.name == DEFAULT_SOURCE)
            .or_else(|| pg().min_by(|a, b| a.name.cmp(&b.name)))
            .map(|s| s.name.clone())
    }
}

/// Whether a top-level section is empty (null, or arrays and objects of nothing else); exports
/// leave such sections out.
pub fn is_empty_section(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.values().all(is_empty_section),
        _ => false,
    }
}

/// Brings version 1 and 2 documents (top-level `tables`, `functions`) to version 3.
fn upgrade(value: Value) -> Result<Value, MetadataError> {
    let Value::Object(mut m) = value else {
        return Err(MetadataError::Parse(
            "metadata must be a JSON object".into(),
        ));
    };
    let version = m.get("version").and_then(Value::as_u64).unwrap_or(1);
    if version >= 3 {
        return Ok(Value::Object(m));
    }
    let mut source = serde_json::to_value(Source::default_source()).expect("serialises");
    for key in ["tables", "functions"] {
        if let Some(v) = m.remove(key) {
            source[key] = v;
        }
    }
    m.insert("version".into(), json!(3));
    m.insert("sources".into(), json!([source]));
    Ok(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_hasura_export() {
        let doc = json!({
            "version": 3,
            "sources": [{
                "name": "default", "kind": "postgres",
                "tables": [
                    {"table": {"schema": "public", "name": "author"},
                     "array_relationships": [{"name": "articles", "using": {"foreign_key_constraint_on":
                        {"column": "author_id", "table": {"schema": "public", "name": "article"}}}}],
                     "select_permissions": [{"role": "user", "permission": {"columns": ["id", "name"], "filter": {}}}]},
                    {"table": {"schema": "public", "name": "article"},
                     "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
                     "insert_permissions": [{"role": "user", "permission": {"check": {"author_id": {"_eq": "X-Hasura-User-Id"}},
                        "columns": ["title"], "set": {"author_id": "x-hasura-user-id"}}}],
                     "some_future_key": {"kept": true}}
                ],
                "configuration": {"connection_info": {"database_url": {"from_env": "HASURA_GRAPHQL_DATABASE_URL"}}}
            }],
            "remote_schemas": [{"name": "r", "definition": {"url": "http://x"}}]
        });
        let md = Metadata::from_json(doc.clone()).unwrap();
        assert_eq!(md.sources[0].tables.len(), 2);
        let back = md.to_json();
        assert_eq!(
            back["sources"][0]["tables"][1]["some_future_key"],
            json!({"kept": true})
        );
        assert_eq!(back["remote_schemas"], doc["remote_schemas"]);
        assert_eq!(Metadata::from_json(back).unwrap(), md);
    }

    #[test]
    fn upgrades_version_2() {
        let md =
            Metadata::from_json(json!({"version": 2, "tables": [{"table": "author"}]})).unwrap();
        assert_eq!(md.version, 3);
        assert_eq!(
            md.sources[0].tables[0].table,
            QualifiedName::public("author")
        );
    }

    #[test]
    fn empty_sections_are_left_out_of_exports() {
        let mut md = Metadata::empty();
        md.extra.insert("actions".into(), json!([]));
        let v = md.to_json();
        assert!(v.get("actions").is_none());
    }
}
