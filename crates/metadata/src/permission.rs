//! Permission entries per role: select, insert, update, delete. Boolean expressions stay JSON here.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// `{role, permission, comment?}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PermissionEntry<P> {
    pub role: String,
    pub permission: P,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A column list, or `"*"` for every column.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Columns {
    All,
    #[default]
    None,
    List(Vec<String>),
}

impl Columns {
    pub fn allows(&self, column: &str) -> bool {
        match self {
            Columns::All => true,
            Columns::None => false,
            Columns::List(l) => l.iter().any(|c| c == column),
        }
    }
}

impl Serialize for Columns {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Columns::All => s.serialize_str("*"),
            Columns::None => Vec::<String>::new().serialize(s),
            Columns::List(l) => l.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Columns {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Star(String),
            List(Vec<String>),
        }
        match Raw::deserialize(d)? {
            Raw::Star(s) if s == "*" => Ok(Columns::All),
            Raw::Star(s) => Err(serde::de::Error::custom(format!(
                "expected \"*\" or a list of columns, found {s:?}"
            ))),
            Raw::List(l) => Ok(Columns::List(l)),
        }
    }
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Select permission of a role on a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SelectPermission {
    pub columns: Columns,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub computed_fields: Vec<String>,
    #[serde(default = "empty_object")]
    pub filter: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_aggregations: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_root_fields: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_root_fields: Option<Vec<String>>,
}

/// Insert permission of a role on a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InsertPermission {
    #[serde(default = "empty_object")]
    pub check: Value,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub set: Map<String, Value>,
    #[serde(default = "all_columns")]
    pub columns: Columns,
    #[serde(default, skip_serializing_if = "is_false")]
    pub backend_only: bool,
}

fn all_columns() -> Columns {
    Columns::All
}

/// Update permission of a role on a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UpdatePermission {
    pub columns: Columns,
    #[serde(default = "empty_object")]
    pub filter: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub set: Map<String, Value>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub backend_only: bool,
}

/// Delete permission of a role on a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeletePermission {
    #[serde(default = "empty_object")]
    pub filter: Value,
    #[serde(default, skip_serializing_if = "is_false")]
    pub backend_only: bool,
}
