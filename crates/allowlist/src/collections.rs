//! The metadata API's edits of `query_collections` and `allowlist`, with Hasura's errors.

use rasura_metadata::{Metadata, MetadataError};
use serde_json::{json, Map, Value};

/// A refused edit, and where in `args` it went wrong (appended to `$.args`).
#[derive(Debug)]
pub struct CollectionError {
    pub error: MetadataError,
    pub at: String,
}

fn fail(error: MetadataError, at: &str) -> CollectionError {
    CollectionError {
        error,
        at: at.to_string(),
    }
}

/// What an edit answers besides success: Hasura's message when nothing had to change.
pub type Answer = Option<String>;

/// Runs `op` if it is a collection or allow-list edit; `None` otherwise.
pub fn apply(md: &mut Metadata, op: &str, args: &Value) -> Option<Result<Answer, CollectionError>> {
    let run = match op {
        "create_query_collection" => create,
        "rename_query_collection" => rename,
        "drop_query_collection" => drop_collection,
        "add_query_to_collection" => add_query,
        "drop_query_from_collection" => drop_query,
        "add_collection_to_allowlist" => add_to_allowlist,
        "drop_collection_from_allowlist" => drop_from_allowlist,
        "update_scope_of_collection_in_allowlist" => update_scope,
        _ => return None,
    };
    Some(run(md, args))
}

/// The stored collections (`query_collections`), in order.
pub fn collections(md: &Metadata) -> Vec<Value> {
    section(md, "query_collections")
}

/// The allow-list entries (`allowlist`), in order.
pub fn allowlist(md: &Metadata) -> Vec<Value> {
    section(md, "allowlist")
}

fn section(md: &Metadata, key: &str) -> Vec<Value> {
    md.extra
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Stores a section, leaving it out of the document when empty (as Hasura exports it).
fn store(md: &mut Metadata, key: &str, items: Vec<Value>) {
    if items.is_empty() {
        md.extra.remove(key);
    } else {
        md.extra.insert(key.into(), Value::Array(items));
    }
}

fn text<'a>(args: &'a Value, key: &str) -> Result<&'a str, CollectionError> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| fail(MetadataError::Parse(format!("key \"{key}\" not found")), ""))
}

fn position(items: &[Value], key: &str, name: &str) -> Option<usize> {
    items
        .iter()
        .position(|c| c.get(key).and_then(Value::as_str) == Some(name))
}

fn missing_collection(name: &str) -> MetadataError {
    MetadataError::NotExists(format!(
        "query collection with name \"{name}\" does not exist"
    ))
}

fn existing(md: &Metadata, name: &str, at: &str) -> Result<usize, CollectionError> {
    position(&collections(md), "name", name).ok_or_else(|| fail(missing_collection(name), at))
}

/// `{name, comment?, definition: {queries: [{name, query}]}}`.
fn create(md: &mut Metadata, args: &Value) -> Result<Answer, CollectionError> {
    let name = text(args, "name")?;
    let mut all = collections(md);
    if position(&all, "name", name).is_some() {
        return Err(fail(
            MetadataError::AlreadyExists(format!(
                "query collection with name \"{name}\" already exists"
            )),
            ".name",
        ));
    }
    let queries = args
        .pointer("/definition/queries")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut names: Vec<&str> = vec![];
    let mut duplicates: Vec<String> = vec![];
    for (i, q) in queries.iter().enumerate() {
        let at = format!(".definition.queries[{i}]");
        let qname = q
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| fail(MetadataError::Parse("key \"name\" not found".into()), &at))?;
        check_query(q.get("query"), &format!("{at}.query"))?;
        if names.contains(&qname) && !duplicates.iter().any(|d| d == qname) {
            duplicates.push(qname.to_string());
        }
        names.push(qname);
    }
    if !duplicates.is_empty() {
        let list: Vec<String> = duplicates.iter().map(|d| format!("\"{d}\"")).collect();
        return Err(fail(
            MetadataError::NotSupported(format!("found duplicate query names {}", list.join(", "))),
            ".definition.queries",
        ));
    }
    let mut entry = Map::new();
    entry.insert("name".into(), json!(name));
    if let Some(c) = args.get("comment").filter(|c| !c.is_null()) {
        entry.insert("comment".into(), c.clone());
    }
    entry.insert("definition".into(), json!({"queries": queries}));
    all.push(Value::Object(entry));
    store(md, "query_collections", all);
    Ok(None)
}

/// A stored query must be GraphQL text that parses.
fn check_query(query: Option<&Value>, at: &str) -> Result<(), CollectionError> {
    let Some(text) = query.and_then(Value::as_str) else {
        return Err(fail(
            MetadataError::Parse("key \"query\" not found".into()),
            at,
        ));
    };
    crate::normalize::normalize(text)
        .map(|_| ())
        .map_err(|e| fail(MetadataError::Parse(e.trim().to_string()), at))
}

/// `{name, new_name}`; allow-list entries follow the new name.
fn rename(md: &mut Metadata, args: &Value) -> Result<Answer, CollectionError> {
    let (old, new) = (text(args, "name")?, text(args, "new_name")?);
    let i = existing(md, old, ".name")?;
    let mut all = collections(md);
    if position(&all, "name", new).is_some() {
        return Err(fail(
            MetadataError::AlreadyExists(format!(
                "query collection with name \"{new}\" already exists"
            )),
            ".new_name",
        ));
    }
    all[i]["name"] = json!(new);
    store(md, "query_collections", all);
    let mut list = allowlist(md);
    for e in &mut list {
        if e.get("collection").and_then(Value::as_str) == Some(old) {
            e["collection"] = json!(new);
        }
    }
    store(md, "allowlist", list);
    Ok(None)
}

/// `{collection, cascade?}`: refused while the allow list holds it, unless `cascade`.
fn drop_collection(md: &mut Metadata, args: &Value) -> Result<Answer, CollectionError> {
    let name = text(args, "collection")?;
    let i = existing(md, name, ".collection")?;
    let mut list = allowlist(md);
    if let Some(j) = position(&list, "collection", name) {
        if args.get("cascade") != Some(&Value::Bool(true)) {
            return Err(fail(
                MetadataError::DependencyError(format!(
                    "query collection with name \"{name}\" is present in the allowlist; cannot proceed to drop. please use cascade to confirm you wish to drop it from the allowlist as well"
                )),
                ".collection",
            ));
        }
        list.remove(j);
        store(md, "allowlist", list);
    }
    let mut all = collections(md);
    all.remove(i);
    store(md, "query_collections", all);
    Ok(None)
}

/// The queries of collection `i`, for editing.
fn queries_of(all: &mut [Value], i: usize) -> &mut Vec<Value> {
    let def = &mut all[i]["definition"];
    if !def.is_object() {
        *def = json!({});
    }
    let queries = def
        .as_object_mut()
        .expect("an object")
        .entry("queries")
        .or_insert_with(|| json!([]));
    if !queries.is_array() {
        *queries = json!([]);
    }
    queries.as_array_mut().expect("an array")
}

/// `{collection_name, query_name, query}`.
fn add_query(md: &mut Metadata, args: &Value) -> Result<Answer, CollectionError> {
    let (coll, qname) = (text(args, "collection_name")?, text(args, "query_name")?);
    check_query(args.get("query"), ".query")?;
    let i = existing(md, coll, ".collection_name")?;
    let mut all = collections(md);
    let queries = queries_of(&mut all, i);
    if position(queries, "name", qname).is_some() {
        return Err(fail(
            MetadataError::AlreadyExists(format!(
                "query with name \"{qname}\" already exists in collection \"{coll}\""
            )),
            "",
        ));
    }
    queries.push(json!({"name": qname, "query": args["query"]}));
    store(md, "query_collections", all);
    Ok(None)
}

/// `{collection_name, query_name}`.
fn drop_query(md: &mut Metadata, args: &Value) -> Result<Answer, CollectionError> {
    let (coll, qname) = (text(args, "collection_name")?, text(args, "query_name")?);
    let i = existing(md, coll, ".collection_name")?;
    let mut all = collections(md);
    let queries = queries_of(&mut all, i);
    let Some(j) = position(queries, "name", qname) else {
        return Err(fail(
            MetadataError::NotFound(format!(
                "query with name \"{qname}\" not found in collection \"{coll}\""
            )),
            "",
        ));
    };
    queries.remove(j);
    store(md, "query_collections", all);
    Ok(None)
}

/// Checks a `scope`: `{global: true}` or `{global: false, roles: [..]}` (distinct, not empty).
fn check_scope(scope: &Value) -> Result<(), CollectionError> {
    let bad = |m: &str| fail(MetadataError::Parse(m.to_string()), ".scope");
    let global = scope
        .get("global")
        .and_then(Value::as_bool)
        .ok_or_else(|| bad("key \"global\" not found"))?;
    let roles = scope.get("roles").filter(|r| !r.is_null());
    if global {
        return match roles {
            Some(_) => Err(bad("roles are not allowed when global is true")),
            None => Ok(()),
        };
    }
    let roles = roles
        .and_then(Value::as_array)
        .ok_or_else(|| bad("key \"roles\" not found"))?;
    if roles.is_empty() {
        return Err(bad("parsing NonEmpty failed, unexpected empty list"));
    }
    let mut seen: Vec<&str> = vec![];
    for r in roles {
        let r = r
            .as_str()
            .ok_or_else(|| bad("expected a role name (a string)"))?;
        if seen.contains(&r) {
            return Err(bad("duplicate roles are not allowed"));
        }
        seen.push(r);
    }
    Ok(())
}

fn entry(collection: &str, scope: Option<&Value>) -> Value {
    match scope {
        Some(s) => json!({"collection": collection, "scope": s}),
        None => json!({"collection": collection}),
    }
}

/// `{collection, scope?}`: a collection already in the list is left as it is.
fn add_to_allowlist(md: &mut Metadata, args: &Value) -> Result<Answer, CollectionError> {
    let coll = text(args, "collection")?;
    existing(md, coll, ".collection")?;
    let scope = args.get("scope").filter(|s| !s.is_null());
    if let Some(s) = scope {
        check_scope(s)?;
    }
    let mut list = allowlist(md);
    if position(&list, "collection", coll).is_some() {
        return Ok(Some(format!(
            "collection \"{coll}\" already exists in the allowlist, scope ignored; to change scope, use update_scope_of_collection_in_allowlist"
        )));
    }
    list.push(entry(coll, scope));
    store(md, "allowlist", list);
    Ok(None)
}

fn not_listed(coll: &str) -> CollectionError {
    fail(
        MetadataError::NotFound(format!(
            "collection \"{coll}\" doesn't exist in the allowlist"
        )),
        "",
    )
}

/// `{collection}`.
fn drop_from_allowlist(md: &mut Metadata, args: &Value) -> Result<Answer, CollectionError> {
    let coll = text(args, "collection")?;
    existing(md, coll, ".collection")?;
    let mut list = allowlist(md);
    let j = position(&list, "collection", coll).ok_or_else(|| not_listed(coll))?;
    list.remove(j);
    store(md, "allowlist", list);
    Ok(None)
}

/// `{collection, scope}`.
fn update_scope(md: &mut Metadata, args: &Value) -> Result<Answer, CollectionError> {
    let coll = text(args, "collection")?;
    let scope = args
        .get("scope")
        .filter(|s| !s.is_null())
        .ok_or_else(|| fail(MetadataError::Parse("key \"scope\" not found".into()), ""))?;
    existing(md, coll, ".collection")?;
    check_scope(scope)?;
    let mut list = allowlist(md);
    let j = position(&list, "collection", coll).ok_or_else(|| not_listed(coll))?;
    list[j] = entry(coll, Some(scope));
    store(md, "allowlist", list);
    Ok(None)
}
