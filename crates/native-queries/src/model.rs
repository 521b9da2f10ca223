//! Logical models (the shape of rows: fields with their types, select permissions) and native
//! queries (SQL returning rows of a logical model), read from and written to a source's
//! `logical_models` and `native_queries` as Hasura keeps them.

use rasura_metadata::QualifiedName;
use serde_json::{json, Map, Value};

/// The type of a logical model's field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    /// A PostgreSQL type, by the name the metadata gives (`integer`, `text`, ...).
    Scalar {
        scalar: String,
        nullable: bool,
    },
    Array {
        of: Box<FieldType>,
        nullable: bool,
    },
    /// Rows of another logical model (served through a relationship of the same name).
    Model {
        name: String,
        nullable: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelField {
    pub name: String,
    pub ty: FieldType,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogicalModel {
    pub name: String,
    pub fields: Vec<ModelField>,
    pub description: Option<String>,
    /// `{role, permission: {columns, filter, limit?}, comment?}` entries.
    pub select_permissions: Vec<Value>,
}

/// One argument of a native query.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeArg {
    pub name: String,
    /// A PostgreSQL type name, as the metadata gives it.
    pub type_name: String,
    pub nullable: bool,
    pub description: Option<String>,
}

/// What a native query returns: a tracked logical model, or one defined in place.
#[derive(Debug, Clone, PartialEq)]
pub enum Returns {
    Model(String),
    Inline(LogicalModel),
}

/// What a native query's relationship points at.
#[derive(Debug, Clone, PartialEq)]
pub enum RelTarget {
    NativeQuery(String),
    Table(QualifiedName),
}

#[derive(Debug, Clone, PartialEq)]
pub struct NqRelationship {
    pub name: String,
    /// (this query's column, the target's column).
    pub mapping: Vec<(String, String)>,
    pub target: RelTarget,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NativeQuery {
    pub root_field_name: String,
    pub code: String,
    pub returns: Returns,
    pub arguments: Vec<NativeArg>,
    pub array_relationships: Vec<NqRelationship>,
    pub object_relationships: Vec<NqRelationship>,
    pub description: Option<String>,
}

fn missing(key: &str) -> String {
    format!("key \"{key}\" not found")
}

fn text(v: &Value, key: &str) -> Result<String, String> {
    match v.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("parsing Text failed, expected String at \"{key}\"")),
        None => Err(missing(key)),
    }
}

fn optional_text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn nullable(v: &Value) -> bool {
    v.get("nullable").and_then(Value::as_bool).unwrap_or(false)
}

impl FieldType {
    /// `{scalar, nullable}`, `{array, nullable}` or `{logical_model, nullable}`.
    fn parse(v: &Value) -> Result<FieldType, String> {
        let nullable = nullable(v);
        if let Some(s) = v.get("scalar").and_then(Value::as_str) {
            return Ok(FieldType::Scalar {
                scalar: s.to_string(),
                nullable,
            });
        }
        if let Some(of) = v.get("array") {
            return Ok(FieldType::Array {
                of: Box::new(FieldType::parse(of)?),
                nullable,
            });
        }
        if let Some(name) = v.get("logical_model").and_then(Value::as_str) {
            return Ok(FieldType::Model {
                name: name.to_string(),
                nullable,
            });
        }
        Err("a field's type must have one of \"scalar\", \"array\" or \"logical_model\"".into())
    }

    fn to_json(&self) -> Value {
        match self {
            FieldType::Scalar { scalar, nullable } => {
                json!({"nullable": nullable, "scalar": scalar})
            }
            FieldType::Array { of, nullable } => {
                json!({"array": of.to_json(), "nullable": nullable})
            }
            FieldType::Model { name, nullable } => {
                json!({"logical_model": name, "nullable": nullable})
            }
        }
    }

    pub fn nullable(&self) -> bool {
        match self {
            FieldType::Scalar { nullable, .. }
            | FieldType::Array { nullable, .. }
            | FieldType::Model { nullable, .. } => *nullable,
        }
    }
}

impl ModelField {
    /// The current form (`type: {scalar, nullable}`) or the older flat one (`type: "integer"`,
    /// `nullable` beside it).
    fn parse(v: &Value) -> Result<ModelField, String> {
        let name = text(v, "name")?;
        let ty = match v.get("type") {
            Some(Value::String(s)) => FieldType::Scalar {
                scalar: s.clone(),
                nullable: nullable(v),
            },
            Some(t @ Value::Object(_)) => FieldType::parse(t)?,
            Some(_) => return Err(format!("the type of field \"{name}\" is not valid")),
            None => return Err(missing("type")),
        };
        Ok(ModelField {
            name,
            ty,
            description: optional_text(v, "description"),
        })
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(d) = &self.description {
            m.insert("description".into(), json!(d));
        }
        m.insert("name".into(), json!(self.name));
        m.insert("type".into(), self.ty.to_json());
        Value::Object(m)
    }
}

impl LogicalModel {
    /// A logical model's fields, description and permissions (`name` is not read for one
    /// defined in place).
    pub fn parse_shape(v: &Value, name: String) -> Result<LogicalModel, String> {
        let fields = match v.get("fields") {
            Some(Value::Array(list)) => list
                .iter()
                .map(ModelField::parse)
                .collect::<Result<Vec<_>, String>>()?,
            Some(_) => return Err("parsing [] failed, expected Array at \"fields\"".into()),
            None => return Err(missing("fields")),
        };
        let select_permissions = v
            .get("select_permissions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(LogicalModel {
            name,
            fields,
            description: optional_text(v, "description"),
            select_permissions,
        })
    }

    pub fn parse(v: &Value) -> Result<LogicalModel, String> {
        let name = text(v, "name")?;
        LogicalModel::parse_shape(v, name)
    }

    /// As exported: keys in alphabetical order, empty permissions left out.
    pub fn to_json(&self, with_name: bool) -> Value {
        let mut m = Map::new();
        if let Some(d) = &self.description {
            m.insert("description".into(), json!(d));
        }
        let fields: Vec<Value> = self.fields.iter().map(ModelField::to_json).collect();
        m.insert("fields".into(), Value::Array(fields));
        if with_name {
            m.insert("name".into(), json!(self.name));
        }
        if !self.select_permissions.is_empty() {
            let mut perms = self.select_permissions.clone();
            perms.sort_by_key(|p| p.get("role").and_then(Value::as_str).map(str::to_string));
            m.insert("select_permissions".into(), Value::Array(perms));
        }
        Value::Object(m)
    }

    /// The scalar fields, in order.
    pub fn scalar_fields(&self) -> impl Iterator<Item = (&ModelField, &str)> {
        self.fields.iter().filter_map(|f| match &f.ty {
            FieldType::Scalar { scalar, .. } => Some((f, scalar.as_str())),
            _ => None,
        })
    }
}

impl NqRelationship {
    fn parse(v: &Value) -> Result<NqRelationship, String> {
        let name = text(v, "name")?;
        let using = v.get("using").ok_or_else(|| missing("using"))?;
        let mapping = match using.get("column_mapping") {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| Ok((k.clone(), v.as_str().ok_or("a column name")?.to_string())))
                .collect::<Result<Vec<_>, String>>()?,
            _ => return Err(missing("column_mapping")),
        };
        let target = if let Some(t) = using.get("remote_table") {
            RelTarget::Table(serde_json::from_value(t.clone()).map_err(|e| e.to_string())?)
        } else if let Some(n) = using.get("remote_native_query").and_then(Value::as_str) {
            RelTarget::NativeQuery(n.to_string())
        } else {
            return Err(missing("remote_native_query"));
        };
        Ok(NqRelationship {
            name,
            mapping,
            target,
            comment: optional_text(v, "comment"),
        })
    }

    fn to_json(&self) -> Value {
        let mapping: Map<String, Value> = self
            .mapping
            .iter()
            .map(|(a, b)| (a.clone(), json!(b)))
            .collect();
        let mut using = Map::new();
        using.insert("column_mapping".into(), Value::Object(mapping));
        using.insert("insertion_order".into(), Value::Null);
        match &self.target {
            RelTarget::NativeQuery(n) => using.insert("remote_native_query".into(), json!(n)),
            RelTarget::Table(t) => using.insert("remote_table".into(), json!(t)),
        };
        let mut m = Map::new();
        if let Some(c) = &self.comment {
            m.insert("comment".into(), json!(c));
        }
        m.insert("name".into(), json!(self.name));
        m.insert("using".into(), Value::Object(using));
        Value::Object(m)
    }
}

fn relationships(v: &Value, key: &str) -> Result<Vec<NqRelationship>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(list)) => list.iter().map(NqRelationship::parse).collect(),
        Some(_) => Err(format!("parsing [] failed, expected Array at \"{key}\"")),
    }
}

impl NativeQuery {
    pub fn parse(v: &Value) -> Result<NativeQuery, String> {
        let root_field_name = text(v, "root_field_name")?;
        let code = text(v, "code")?;
        let returns = match v.get("returns") {
            Some(Value::String(s)) => Returns::Model(s.clone()),
            Some(m @ Value::Object(_)) => {
                Returns::Inline(LogicalModel::parse_shape(m, root_field_name.clone())?)
            }
            Some(_) => return Err("\"returns\" must name a logical model or define one".into()),
            None => return Err(missing("returns")),
        };
        let arguments = match v.get("arguments") {
            None | Some(Value::Null) => vec![],
            Some(Value::Object(m)) => m
                .iter()
                .map(|(name, a)| {
                    Ok(NativeArg {
                        name: name.clone(),
                        type_name: text(a, "type")?,
                        nullable: nullable(a),
                        description: optional_text(a, "description"),
                    })
                })
                .collect::<Result<Vec<_>, String>>()?,
            Some(_) => return Err("parsing Object failed, expected Object at \"arguments\"".into()),
        };
        Ok(NativeQuery {
            root_field_name,
            code,
            returns,
            arguments,
            array_relationships: relationships(v, "array_relationships")?,
            object_relationships: relationships(v, "object_relationships")?,
            description: optional_text(v, "description"),
        })
    }

    /// As exported: keys in alphabetical order, `arguments` always, empty relationship
    /// lists left out.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let args: Map<String, Value> = self
            .arguments
            .iter()
            .map(|a| {
                let mut o = Map::new();
                if let Some(d) = &a.description {
                    o.insert("description".into(), json!(d));
                }
                o.insert("nullable".into(), json!(a.nullable));
                o.insert("type".into(), json!(a.type_name));
                (a.name.clone(), Value::Object(o))
            })
            .collect();
        m.insert("arguments".into(), Value::Object(args));
        let rels = |list: &[NqRelationship]| {
            let mut list = list.to_vec();
            list.sort_by(|a, b| a.name.cmp(&b.name));
            Value::Array(list.iter().map(NqRelationship::to_json).collect())
        };
        if !self.array_relationships.is_empty() {
            m.insert(
                "array_relationships".into(),
                rels(&self.array_relationships),
            );
        }
        m.insert("code".into(), json!(self.code));
        if let Some(d) = &self.description {
            m.insert("description".into(), json!(d));
        }
        if !self.object_relationships.is_empty() {
            m.insert(
                "object_relationships".into(),
                rels(&self.object_relationships),
            );
        }
        let returns = match &self.returns {
            Returns::Model(name) => json!(name),
            Returns::Inline(lm) => lm.to_json(false),
        };
        m.insert("returns".into(), returns);
        m.insert("root_field_name".into(), json!(self.root_field_name));
        Value::Object(m)
    }

    /// The logical model's name its rows are typed by (its own name for one defined in place).
    pub fn model_name(&self) -> &str {
        match &self.returns {
            Returns::Model(n) => n,
            Returns::Inline(_) => &self.root_field_name,
        }
    }
}

/// PostgreSQL's own name (`pg_type.typname`) for a type as the metadata may spell it.
pub fn pg_type_name(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let base = match lower.as_str() {
        "integer" | "int" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "boolean" => "bool",
        "real" => "float4",
        "double precision" | "float" => "float8",
        "decimal" => "numeric",
        "character varying" => "varchar",
        "character" | "char" => "bpchar",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        "time with time zone" => "timetz",
        other => other,
    };
    base.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_fields_are_read_and_written_in_the_current_form() {
        let lm = LogicalModel::parse(&json!({"name": "m", "fields": [
            {"name": "id", "type": "integer"},
            {"name": "title", "type": {"scalar": "text", "nullable": true}, "description": "t"},
        ]}))
        .unwrap();
        assert_eq!(
            lm.to_json(true),
            json!({"fields": [
                {"name": "id", "type": {"nullable": false, "scalar": "integer"}},
                {"description": "t", "name": "title", "type": {"nullable": true, "scalar": "text"}},
            ], "name": "m"})
        );
    }

    #[test]
    fn native_queries_round_trip() {
        let v = json!({
            "arguments": {"n": {"nullable": false, "type": "integer"}},
            "array_relationships": [{"name": "articles", "using": {
                "column_mapping": {"id": "author_id"}, "insertion_order": null,
                "remote_native_query": "articles"}}],
            "code": "select {{n}} as id",
            "returns": "m",
            "root_field_name": "q"
        });
        let nq = NativeQuery::parse(&v).unwrap();
        assert_eq!(nq.to_json(), v);
        assert_eq!(nq.model_name(), "m");
        assert_eq!(
            NativeQuery::parse(&json!({"root_field_name": "q", "code": "x"})).unwrap_err(),
            "key \"returns\" not found"
        );
    }

    #[test]
    fn type_names() {
        assert_eq!(pg_type_name("integer"), "int4");
        assert_eq!(pg_type_name("Text"), "text");
        assert_eq!(pg_type_name("timestamp with time zone"), "timestamptz");
    }
}
