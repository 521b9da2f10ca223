//! YAML files of a project: read into JSON with `!include` resolved (errors name the file and
//! line), and JSON written back as YAML.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use serde_json::{Map, Number, Value};
use yaml_serde::Value as Yaml;

/// Reads a YAML file as JSON; `!include` is left as it is written.
pub fn read(path: &Path) -> anyhow::Result<Value> {
    read_with(path, false)
}

/// Reads a YAML file as JSON, `!include`s resolved relative to the file that holds them
/// (a YAML tag `!include f.yaml` or a string `"!include f.yaml"`; `.yaml` targets are parsed,
/// others inserted as text, as the Hasura CLI does).
pub fn read_including(path: &Path) -> anyhow::Result<Value> {
    read_with(path, true)
}

fn read_with(path: &Path, includes: bool) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let yaml = parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    to_json(yaml, base, includes, path)
}

/// Parses YAML text (an empty file is `null`).
pub fn parse(text: &str) -> Result<Yaml, yaml_serde::Error> {
    if text.trim().is_empty() {
        return Ok(Yaml::Null);
    }
    yaml_serde::from_str(text)
}

/// The path an include string names, if it is one.
pub fn include_target(s: &str) -> Option<&str> {
    let rest = s.trim().strip_prefix("!include")?;
    Some(rest.trim().trim_matches('"'))
}

fn include(target: &str, base: &Path, file: &Path) -> anyhow::Result<Value> {
    let path: PathBuf = base.join(target);
    if !path.exists() {
        bail!(
            "{}: included file {} does not exist",
            file.display(),
            path.display()
        );
    }
    if path.extension().and_then(|e| e.to_str()) == Some("yaml") {
        read_including(&path)
    } else {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        Ok(Value::String(text))
    }
}

fn to_json(yaml: Yaml, base: &Path, includes: bool, file: &Path) -> anyhow::Result<Value> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => number(&n),
        Yaml::String(s) => match include_target(&s) {
            Some(target) if includes => include(target, base, file)?,
            _ => Value::String(s),
        },
        Yaml::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|v| to_json(v, base, includes, file))
                .collect::<anyhow::Result<_>>()?,
        ),
        Yaml::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Yaml::String(s) => s,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    other => bail!("{}: a key that is not text: {other:?}", file.display()),
                };
                out.insert(key, to_json(v, base, includes, file)?);
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => {
            if tagged.tag == "include" {
                match tagged.value {
                    Yaml::String(target) if includes => include(&target, base, file)?,
                    Yaml::String(target) => Value::String(format!("!include {target}")),
                    _ => bail!("{}: !include needs a file name", file.display()),
                }
            } else {
                bail!("{}: unsupported YAML tag {}", file.display(), tagged.tag)
            }
        }
    })
}

fn number(n: &yaml_serde::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::Number(i.into())
    } else if let Some(u) = n.as_u64() {
        Value::Number(u.into())
    } else {
        n.as_f64()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// JSON as YAML text.
pub fn write(value: &Value) -> String {
    yaml_serde::to_string(value).expect("JSON values always serialise as YAML")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_resolve_relative_to_the_including_file_and_nest() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("db/tables")).unwrap();
        std::fs::write(
            d.join("databases.yaml"),
            "- name: default\n  tables: \"!include db/tables/tables.yaml\"\n",
        )
        .unwrap();
        std::fs::write(
            d.join("db/tables/tables.yaml"),
            "- !include public_a.yaml\n- \"!include public_b.yaml\"\n",
        )
        .unwrap();
        std::fs::write(
            d.join("db/tables/public_a.yaml"),
            "table:\n  schema: public\n  name: a\n",
        )
        .unwrap();
        std::fs::write(
            d.join("db/tables/public_b.yaml"),
            "table: {schema: public, name: b}\n",
        )
        .unwrap();
        let v = read_including(&d.join("databases.yaml")).unwrap();
        assert_eq!(
            v,
            serde_json::json!([{"name": "default", "tables": [
                {"table": {"schema": "public", "name": "a"}},
                {"table": {"schema": "public", "name": "b"}}
            ]}])
        );
        let raw = read(&d.join("db/tables/tables.yaml")).unwrap();
        assert_eq!(
            raw,
            serde_json::json!(["!include public_a.yaml", "!include public_b.yaml"])
        );
    }

    #[test]
    fn a_broken_file_is_named_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.yaml");
        std::fs::write(&p, "a: 1\nb: [1, 2\nc: 3\n").unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.starts_with(&p.display().to_string()), "{e}");
        assert!(e.contains("line"), "{e}");
    }

    #[test]
    fn a_missing_include_is_an_error_naming_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.yaml");
        std::fs::write(&p, "t: \"!include nope.yaml\"\n").unwrap();
        let e = read_including(&p).unwrap_err().to_string();
        assert!(e.contains("x.yaml") && e.contains("nope.yaml"), "{e}");
    }

    #[test]
    fn json_round_trips_through_yaml_in_order() {
        let v = serde_json::json!({"z": 1, "a": [true, null, "x: y", "multi\nline\n"], "m": {"k": 1.5}});
        let back = to_json(
            parse(&write(&v)).unwrap(),
            Path::new("."),
            false,
            Path::new("t"),
        )
        .unwrap();
        assert_eq!(back, v);
        assert_eq!(
            back.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["z", "a", "m"]
        );
    }
}
