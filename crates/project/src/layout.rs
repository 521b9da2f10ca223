//! The metadata directory of config v3, file for file as the Hasura CLI lays it out: exported
//! metadata to files (`export`), and files back to metadata (`build`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

use crate::{actions_sdl, yaml};

/// One file of the metadata directory: its path inside the directory and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub path: PathBuf,
    pub text: String,
}

/// Top-level keys with a file of their own, in the order the files are written and the keys
/// are built; the value is what an absent key is written as.
const SINGLE_FILES: [(&str, &str, &str); 12] = [
    ("remote_schemas", "remote_schemas.yaml", "[]"),
    ("query_collections", "query_collections.yaml", "[]"),
    ("allowlist", "allow_list.yaml", "[]"),
    ("cron_triggers", "cron_triggers.yaml", "[]"),
    ("network", "network.yaml", "{}"),
    ("api_limits", "api_limits.yaml", "{}"),
    ("rest_endpoints", "rest_endpoints.yaml", "[]"),
    ("inherited_roles", "inherited_roles.yaml", "[]"),
    ("opentelemetry", "opentelemetry.yaml", "{}"),
    ("backend_configs", "backend_configs.yaml", "{}"),
    (
        "graphql_schema_introspection",
        "graphql_schema_introspection.yaml",
        "{\"disabled_for_roles\": []}",
    ),
    ("metrics_config", "metrics_config.yaml", "{}"),
];

/// The files of exported metadata (version 3).
pub fn export(md: &Value) -> anyhow::Result<Vec<File>> {
    let Some(obj) = md.as_object() else {
        bail!("the metadata is not a JSON object");
    };
    let known = |k: &str| {
        matches!(k, "version" | "sources" | "actions" | "custom_types")
            || SINGLE_FILES.iter().any(|(key, _, _)| *key == k)
    };
    if let Some(k) = obj.keys().find(|k| !known(k)) {
        bail!("the metadata key {k:?} has no file in a config v3 metadata directory");
    }
    let mut files = vec![file(
        "version.yaml",
        &json!({"version": obj.get("version").cloned().unwrap_or(json!(3))}),
    )];
    if let Some(sources) = obj.get("sources") {
        files.extend(export_sources(sources)?);
    }
    let empty_types = json!({});
    let (actions_yaml, sdl) = actions_sdl::split(
        obj.get("actions").unwrap_or(&Value::Null),
        obj.get("custom_types").unwrap_or(&empty_types),
    );
    files.push(file("actions.yaml", &actions_yaml));
    files.push(File {
        path: "actions.graphql".into(),
        text: sdl,
    });
    for (key, name, absent) in SINGLE_FILES {
        let value = match obj.get(key) {
            Some(v) => v.clone(),
            None => serde_json::from_str(absent).expect("constant JSON"),
        };
        files.push(file(name, &value));
    }
    Ok(files)
}

fn file(path: &str, value: &Value) -> File {
    File {
        path: path.into(),
        text: yaml::write(value),
    }
}

/// `databases/databases.yaml`, and each source's tables and functions, a file each.
fn export_sources(sources: &Value) -> anyhow::Result<Vec<File>> {
    let mut files = Vec::new();
    let mut listed = Vec::new();
    for source in sources.as_array().into_iter().flatten() {
        let mut source = source.as_object().cloned().unwrap_or_default();
        let name = source
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if name.is_empty() || name.contains('/') || name.starts_with('.') {
            bail!("source name {name:?} cannot be a directory name");
        }
        let tables = source.get("tables").cloned().unwrap_or(json!([]));
        let (list, per_table) = export_objects(&name, "tables", "table", &tables)?;
        files.push(list);
        files.extend(per_table);
        source.insert(
            "tables".into(),
            json!(format!("!include {name}/tables/tables.yaml")),
        );
        if let Some(functions) = source.get("functions").cloned() {
            if functions.as_array().is_some_and(|f| !f.is_empty()) {
                let (list, per_fn) = export_objects(&name, "functions", "function", &functions)?;
                files.push(list);
                files.extend(per_fn);
                source.insert(
                    "functions".into(),
                    json!(format!("!include {name}/functions/functions.yaml")),
                );
            }
        }
        listed.push(Value::Object(source));
    }
    files.insert(0, file("databases/databases.yaml", &Value::Array(listed)));
    Ok(files)
}

/// A source's tables (or functions): the list of includes and one file per object.
fn export_objects(
    source: &str,
    dir: &str,
    key: &str,
    objects: &Value,
) -> anyhow::Result<(File, Vec<File>)> {
    let mut includes = Vec::new();
    let mut files: Vec<File> = Vec::new();
    for object in objects.as_array().into_iter().flatten() {
        let name = object_file_name(object.get(key))
            .with_context(|| format!("a {key} of source {source} has no usable name"))?;
        let path = PathBuf::from(format!("databases/{source}/{dir}/{name}"));
        if files.iter().any(|f| f.path == path) {
            bail!(
                "two {dir} of source {source} would share the file {}",
                path.display()
            );
        }
        includes.push(json!(format!("!include {name}")));
        files.push(File {
            path,
            text: yaml::write(object),
        });
    }
    let list = file(
        &format!("databases/{source}/{dir}/{dir}.yaml"),
        &Value::Array(includes),
    );
    Ok((list, files))
}

/// `<schema>_<name>.yaml` (or the parts of an array name joined by `_`), as the Hasura CLI names
/// table and function files.
fn object_file_name(name: Option<&Value>) -> Option<String> {
    let stem = match name? {
        Value::Object(m) => {
            let schema = m
                .get("schema")
                .or_else(|| m.get("dataset"))
                .and_then(Value::as_str)
                .unwrap_or("public");
            format!("{schema}_{}", m.get("name")?.as_str()?)
        }
        Value::Array(parts) => parts
            .iter()
            .map(|p| p.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()?
            .join("_"),
        Value::String(s) => format!("public_{s}"),
        _ => return None,
    };
    if stem.contains('/') || stem.starts_with('.') {
        return None;
    }
    Some(format!("{stem}.yaml"))
}

/// Writes the files under `dir`, creating directories; files of the directory that the export
/// no longer has (a dropped table's file) are removed, so that the directory is the metadata.
pub fn write(dir: &Path, files: &[File]) -> anyhow::Result<()> {
    let mut stale = Vec::new();
    files_with_extension(&dir.join("databases"), "yaml", &mut stale);
    for f in files {
        let path = dir.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, &f.text).with_context(|| format!("writing {}", path.display()))?;
        stale.retain(|p| p != &path);
    }
    for p in stale {
        std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
    }
    Ok(())
}

/// The files under `dir` (recursively) whose extension is `ext` (any case).
pub(crate) fn files_with_extension(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_with_extension(&p, ext, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case(ext))
        {
            out.push(p);
        }
    }
}

/// The metadata a directory holds (what `metadata apply` sends).
pub fn build(dir: &Path) -> anyhow::Result<Value> {
    if !dir.is_dir() {
        bail!("metadata directory {} does not exist", dir.display());
    }
    let mut md = Map::new();
    let version = read_opt(&dir.join("version.yaml"))?
        .and_then(|v| v.get("version").cloned())
        .unwrap_or(json!(3));
    md.insert("version".into(), version);
    let databases = dir.join("databases/databases.yaml");
    if databases.exists() {
        md.insert("sources".into(), build_sources(&databases)?);
    }
    let actions_yaml = read_opt(&dir.join("actions.yaml"))?;
    let sdl_path = dir.join("actions.graphql");
    let sdl = if sdl_path.exists() {
        std::fs::read_to_string(&sdl_path)
            .with_context(|| format!("reading {}", sdl_path.display()))?
    } else {
        String::new()
    };
    if actions_yaml.is_some() || !sdl.trim().is_empty() {
        let (actions, types) = actions_sdl::join(&actions_yaml.unwrap_or(json!({})), &sdl)
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join("actions.yaml/.graphql").display()))?;
        if let Some(a) = actions {
            md.insert("actions".into(), a);
        }
        if let Some(t) = types {
            md.insert("custom_types".into(), t);
        }
    }
    for (key, name, _) in SINGLE_FILES {
        let Some(value) = read_opt(&dir.join(name))? else {
            continue;
        };
        let value = if value.is_null() {
            serde_json::from_str(SINGLE_FILES.iter().find(|f| f.0 == key).expect("key").2)
                .expect("constant JSON")
        } else {
            value
        };
        let empty = match &value {
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        };
        // As the Hasura CLI: empty values are sent, except where the server refuses them.
        if empty && matches!(key, "metrics_config" | "rest_endpoints") {
            continue;
        }
        md.insert(key.into(), value);
    }
    Ok(Value::Object(md))
}

fn read_opt(path: &Path) -> anyhow::Result<Option<Value>> {
    if path.exists() {
        yaml::read(path).map(Some)
    } else {
        Ok(None)
    }
}

/// `databases.yaml` with each source's `tables` and `functions` includes resolved.
fn build_sources(path: &Path) -> anyhow::Result<Value> {
    let raw = yaml::read(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let Value::Array(sources) = raw else {
        if raw.is_null() {
            return Ok(json!([]));
        }
        bail!("{}: expected a list of sources", path.display());
    };
    let mut out = Vec::new();
    for mut source in sources {
        for key in ["tables", "functions"] {
            let Some(v) = source.get_mut(key) else {
                continue;
            };
            if let Some(target) = v.as_str().and_then(yaml::include_target) {
                let included = base.join(target);
                *v = yaml::read_including(&included)?;
                if v.is_null() {
                    *v = json!([]);
                }
            } else {
                // Inline lists may hold includes too.
                if let Value::Array(items) = v {
                    for item in items.iter_mut() {
                        if let Some(target) = item.as_str().and_then(yaml::include_target) {
                            *item = yaml::read_including(&base.join(target))?;
                        }
                    }
                }
            }
        }
        out.push(source);
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests;
