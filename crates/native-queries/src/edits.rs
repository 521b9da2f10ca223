//! The metadata API's operations on logical models and native queries (`pg_` prefix removed):
//! track, untrack and get each, and a logical model's select permissions.

use rasura_metadata::document::Source;
use rasura_metadata::{Metadata, MetadataError};
use serde_json::{json, Value};

use crate::code::Code;
use crate::model::{LogicalModel, NativeQuery};

/// What an operation did.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// The document changed.
    Changed,
    /// A read: the answer.
    Answer(Value),
}

/// Runs `op` if it is one of these operations; `None` otherwise.
pub fn apply(md: &mut Metadata, op: &str, args: &Value) -> Option<Result<Edit, MetadataError>> {
    let result = match op {
        "track_logical_model" => track_logical_model(md, args),
        "untrack_logical_model" => untrack_logical_model(md, args),
        "get_logical_model" => get(md, args, "logical_models"),
        "create_logical_model_select_permission" => set_permission(md, args, true),
        "drop_logical_model_select_permission" => set_permission(md, args, false),
        "track_native_query" => track_native_query(md, args),
        "untrack_native_query" => untrack_native_query(md, args),
        "get_native_query" => get(md, args, "native_queries"),
        _ => return None,
    };
    Some(result)
}

fn parse_error(e: String) -> MetadataError {
    MetadataError::Parse(e)
}

fn required<'a>(args: &'a Value, key: &str) -> Result<&'a str, MetadataError> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| parse_error(format!("key \"{key}\" not found")))
}

/// The source `args` names (`source`, required unless `default` is given), or `missing(name)`.
fn source<'a>(
    md: &'a mut Metadata,
    args: &Value,
    default: Option<&str>,
    missing: impl Fn(&str) -> String,
) -> Result<&'a mut Source, MetadataError> {
    let name = match (args.get("source").and_then(Value::as_str), default) {
        (Some(s), _) => s.to_string(),
        (None, Some(d)) => d.to_string(),
        (None, None) => return Err(parse_error("key \"source\" not found".into())),
    };
    md.sources
        .iter_mut()
        .find(|s| s.name == name)
        .ok_or_else(|| MetadataError::NotFound(missing(&name)))
}

fn list<'a>(source: &'a mut Source, key: &str) -> &'a mut Vec<Value> {
    let entry = source
        .extra
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(vec![]));
    if !entry.is_array() {
        *entry = Value::Array(vec![]);
    }
    entry.as_array_mut().expect("an array")
}

/// Stores `list` back sorted by `name_key`, or removes the key when empty.
fn tidy(source: &mut Source, key: &str, name_key: &str) {
    let Some(Value::Array(items)) = source.extra.get_mut(key) else {
        return;
    };
    if items.is_empty() {
        source.extra.remove(key);
        return;
    }
    items.sort_by_key(|i| i.get(name_key).and_then(Value::as_str).map(str::to_string));
}

fn named(items: &[Value], key: &str, name: &str) -> Option<usize> {
    items
        .iter()
        .position(|i| i.get(key).and_then(Value::as_str) == Some(name))
}

fn track_logical_model(md: &mut Metadata, args: &Value) -> Result<Edit, MetadataError> {
    let lm = LogicalModel::parse(args).map_err(parse_error)?;
    let source = source(md, args, None, |s| format!("Source {s} not found."))?;
    let items = list(source, "logical_models");
    if named(items, "name", &lm.name).is_some() {
        return Err(MetadataError::AlreadyTracked(format!(
            "Logical model '{}' is already tracked.",
            lm.name
        )));
    }
    items.push(lm.to_json(true));
    tidy(source, "logical_models", "name");
    Ok(Edit::Changed)
}

fn untrack_logical_model(md: &mut Metadata, args: &Value) -> Result<Edit, MetadataError> {
    let name = required(args, "name")?.to_string();
    let source = source(md, args, None, |s| format!("Source \"{s}\" not found."))?;
    let src = source.name.clone();
    let users: Vec<String> = list(source, "native_queries")
        .iter()
        .filter(|q| q.get("returns").and_then(Value::as_str) == Some(name.as_str()))
        .filter_map(|q| q.get("root_field_name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    let items = list(source, "logical_models");
    let Some(i) = named(items, "name", &name) else {
        tidy(source, "logical_models", "name");
        return Err(MetadataError::NotFound(format!(
            "Logical model \"{name}\" not found in source \"{src}\"."
        )));
    };
    if let Some(user) = users.first() {
        tidy(source, "logical_models", "name");
        return Err(MetadataError::ConstraintViolation(format!(
            "Logical model \"{name}\" still being used by native query \"{user}\"."
        )));
    }
    items.remove(i);
    tidy(source, "logical_models", "name");
    tidy(source, "native_queries", "root_field_name");
    Ok(Edit::Changed)
}

fn get(md: &mut Metadata, args: &Value, key: &str) -> Result<Edit, MetadataError> {
    let source = source(md, args, None, |s| {
        format!("Source '{s}' of kind postgres not found.")
    })?;
    let items = source.extra.get(key).cloned().unwrap_or(json!([]));
    Ok(Edit::Answer(items))
}

/// `create_logical_model_select_permission` (`create`) or its `drop_`: on a tracked logical
/// model, or (`type: native_query`) on the one a native query defines in place.
fn set_permission(md: &mut Metadata, args: &Value, create: bool) -> Result<Edit, MetadataError> {
    let name = required(args, "name")?.to_string();
    let role = required(args, "role")?.to_string();
    let entry = if create {
        let permission = args
            .get("permission")
            .ok_or_else(|| parse_error("key \"permission\" not found".into()))?;
        let mut e = json!({"role": role, "permission": permission});
        if let Some(c) = args.get("comment").filter(|c| !c.is_null()) {
            e["comment"] = c.clone();
        }
        Some(e)
    } else {
        None
    };
    let inline = args.get("type").and_then(Value::as_str) == Some("native_query");
    let source = source(md, args, Some("default"), |s| {
        format!("Source \"{s}\" not found.")
    })?;
    let src = source.name.clone();
    let not_found = |what: &str| {
        MetadataError::NotFound(format!("{what} \"{name}\" not found in source \"{src}\"."))
    };
    let model = if inline {
        let items = list(source, "native_queries");
        let i = named(items, "root_field_name", &name);
        let returns = i
            .and_then(|i| items[i].get_mut("returns"))
            .filter(|r| r.is_object());
        returns.ok_or_else(|| not_found("Native query"))?
    } else {
        let items = list(source, "logical_models");
        match named(items, "name", &name) {
            Some(i) => &mut items[i],
            None => return Err(not_found("Logical model")),
        }
    };
    let perms = model
        .as_object_mut()
        .expect("an object")
        .entry("select_permissions")
        .or_insert_with(|| json!([]));
    if let Some(perms) = perms.as_array_mut() {
        perms.retain(|p| p.get("role").and_then(Value::as_str) != Some(role.as_str()));
        perms.extend(entry);
        perms.sort_by_key(|p| p.get("role").and_then(Value::as_str).map(str::to_string));
        if perms.is_empty() {
            model
                .as_object_mut()
                .expect("an object")
                .remove("select_permissions");
        }
    }
    tidy(source, "logical_models", "name");
    tidy(source, "native_queries", "root_field_name");
    Ok(Edit::Changed)
}

fn track_native_query(md: &mut Metadata, args: &Value) -> Result<Edit, MetadataError> {
    let nq = NativeQuery::parse(args).map_err(parse_error)?;
    Code::parse(&nq.code).map_err(parse_error)?;
    let mut seen = std::collections::HashSet::new();
    for r in nq
        .object_relationships
        .iter()
        .chain(&nq.array_relationships)
    {
        if !seen.insert(r.name.as_str()) {
            return Err(MetadataError::BadRequest(format!(
                "The native query '{}' has duplicate relationships: {}",
                nq.root_field_name, r.name
            )));
        }
    }
    let source = source(md, args, None, |s| {
        format!("Source '{s}' of kind postgres not found.")
    })?;
    let items = list(source, "native_queries");
    if named(items, "root_field_name", &nq.root_field_name).is_some() {
        return Err(MetadataError::AlreadyTracked(format!(
            "Native query '{}' is already tracked.",
            nq.root_field_name
        )));
    }
    items.push(nq.to_json());
    tidy(source, "native_queries", "root_field_name");
    Ok(Edit::Changed)
}

fn untrack_native_query(md: &mut Metadata, args: &Value) -> Result<Edit, MetadataError> {
    let name = required(args, "root_field_name")?.to_string();
    let source = source(md, args, None, |s| format!("Source \"{s}\" not found."))?;
    let src = source.name.clone();
    let items = list(source, "native_queries");
    let Some(i) = named(items, "root_field_name", &name) else {
        tidy(source, "native_queries", "root_field_name");
        return Err(MetadataError::NotFound(format!(
            "Native query \"{name}\" not found in source \"{src}\"."
        )));
    };
    items.remove(i);
    tidy(source, "native_queries", "root_field_name");
    Ok(Edit::Changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md() -> Metadata {
        let mut md = Metadata::empty();
        md.sources.push(Source::default_source());
        md
    }

    fn run(md: &mut Metadata, op: &str, args: Value) -> Result<Edit, MetadataError> {
        apply(md, op, &args).expect("an operation of this crate")
    }

    #[test]
    fn track_get_permission_and_untrack() {
        let mut md = md();
        let lm = json!({"source": "default", "name": "m", "fields": [{"name": "id", "type": "integer"}]});
        run(&mut md, "track_logical_model", lm.clone()).unwrap();
        let e = run(&mut md, "track_logical_model", lm).unwrap_err();
        assert_eq!(
            (e.code(), e.to_string().as_str()),
            ("already-tracked", "Logical model 'm' is already tracked.")
        );
        run(&mut md, "track_native_query", json!({"source": "default", "root_field_name": "q",
            "code": "select {{n}} as id", "arguments": {"n": {"type": "integer"}}, "returns": "m", "type": "query"})).unwrap();
        run(
            &mut md,
            "create_logical_model_select_permission",
            json!({"name": "m", "role": "user",
            "permission": {"columns": ["id"], "filter": {}}}),
        )
        .unwrap();
        let Edit::Answer(models) =
            run(&mut md, "get_logical_model", json!({"source": "default"})).unwrap()
        else {
            panic!()
        };
        assert_eq!(models[0]["select_permissions"][0]["role"], "user");
        assert_eq!(
            models[0]["fields"][0]["type"],
            json!({"nullable": false, "scalar": "integer"})
        );
        let e = run(
            &mut md,
            "untrack_logical_model",
            json!({"source": "default", "name": "m"}),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Logical model \"m\" still being used by native query \"q\"."
        );
        run(
            &mut md,
            "untrack_native_query",
            json!({"source": "default", "root_field_name": "q"}),
        )
        .unwrap();
        run(
            &mut md,
            "untrack_logical_model",
            json!({"source": "default", "name": "m"}),
        )
        .unwrap();
        assert!(md.sources[0].extra.get("logical_models").is_none());
        let e = run(
            &mut md,
            "untrack_native_query",
            json!({"source": "default", "root_field_name": "q"}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code(), e.to_string().as_str()),
            (
                "not-found",
                "Native query \"q\" not found in source \"default\"."
            )
        );
    }

    #[test]
    fn refusals() {
        let mut md = md();
        let e = run(
            &mut md,
            "track_native_query",
            json!({"source": "default", "root_field_name": "q",
            "code": "select {{n", "returns": "m"}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code(), e.to_string().as_str()),
            ("parse-failed", "Found '{{' without a matching closing '}}'")
        );
        let e = run(&mut md, "get_native_query", json!({"source": "x"})).unwrap_err();
        assert_eq!(e.to_string(), "Source 'x' of kind postgres not found.");
        let e = run(&mut md, "get_native_query", json!({})).unwrap_err();
        assert_eq!(e.to_string(), "key \"source\" not found");
    }
}
