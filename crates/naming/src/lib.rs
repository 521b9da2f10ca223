//! Generated GraphQL names under a naming convention and a source's customization.

mod case;

pub mod scalars;

pub use case::{camel, from_snake, lower_first, pascal, upper_first};

use serde_json::Value;

/// Whether `s` is a GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`).
pub fn is_valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// How the names of one database source's schema are spelled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Naming {
    /// `graphql-default`: camelCase fields, PascalCase types, upper-case enum values.
    pub graphql: bool,
    pub root_prefix: String,
    pub root_suffix: String,
    pub type_prefix: String,
    pub type_suffix: String,
    /// `root_fields.namespace`: the source's root fields under one field of this name (empty:
    /// none).
    pub namespace: String,
    /// Hasura's feature flag `naming-convention-sep-2023`: under graphql-default, scalars are
    /// PascalCase, constraints and function arguments camelCase ([`feature_flags`]).
    pub sep_2023: bool,
}

/// A table's identifier: its pieces, and whether it is one name the user gave (`custom_name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pieces: Vec<String>,
    custom: bool,
}

impl Ident {
    /// `schema.name` (the schema left out for `public`), or the table's `custom_name`.
    pub fn table(schema: &str, name: &str, custom_name: Option<&str>) -> Ident {
        if let Some(c) = custom_name {
            return Ident {
                pieces: vec![c.to_string()],
                custom: true,
            };
        }
        let mut pieces = vec![];
        if schema != "public" {
            pieces.extend(from_snake(schema));
        }
        pieces.extend(from_snake(name));
        Ident {
            pieces,
            custom: false,
        }
    }

    /// A name the user gave, kept as written where it comes first.
    pub fn custom(name: &str) -> Ident {
        Ident {
            pieces: vec![name.to_string()],
            custom: true,
        }
    }

    /// `first` (a generated name, snake case) put before this identifier: the computed field
    /// `top_articles` of `author` names its arguments' type from `top_articles_author`.
    pub fn after(&self, first: &str) -> Ident {
        let mut pieces = from_snake(first);
        pieces.extend(self.pieces.iter().cloned());
        Ident {
            pieces,
            custom: false,
        }
    }

    /// The snake-case spelling (`hasura-default`): the pieces joined by `_`.
    pub fn snake(&self) -> String {
        self.pieces.join("_")
    }
}

fn var(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok())
        .filter(|v| !v.is_empty())
}

/// The server's default convention (`HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION`), checked:
/// `hasura-default` when unset.
pub fn server_convention() -> Result<String, String> {
    let value = var(&[
        "RASURA_DEFAULT_NAMING_CONVENTION",
        "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION",
    ])
    .unwrap_or_else(|| "hasura-default".into());
    match value.as_str() {
        "hasura-default" | "graphql-default" => Ok(value),
        _ => Err(format!(
            "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION={value}: naming_convention can either be \"hasura-default\" or \"graphql-default\""
        )),
    }
}

/// The experimental features the server is given (`HASURA_GRAPHQL_EXPERIMENTAL_FEATURES`).
pub fn experimental_features() -> Vec<String> {
    var(&[
        "RASURA_EXPERIMENTAL_FEATURES",
        "HASURA_GRAPHQL_EXPERIMENTAL_FEATURES",
    ])
    .unwrap_or_default()
    .split(',')
    .map(|f| f.trim().to_string())
    .filter(|f| !f.is_empty())
    .collect()
}

/// The feature flag of September 2023's naming changes.
pub const FLAG_SEP_2023: &str = "naming-convention-sep-2023";

/// Hasura's feature flags (name, description, enabled), each read from `HASURA_FF_<NAME>` as
/// Hasura reads it: `True` enables, anything else leaves it off.
pub fn feature_flags() -> Vec<(&'static str, &'static str, bool)> {
    [
        ("test-flag", "Testing feature flag integration"),
        (
            FLAG_SEP_2023,
            "The changes to the naming-convention feature that were added in September 2023",
        ),
    ]
    .into_iter()
    .map(|(name, description)| (name, description, flag_value(name) == Some(true)))
    .collect()
}

/// The flag's environment value: `Some(true)` for `True`, `Some(false)` for `False`, `None`
/// when unset or anything else (which Hasura reads as off).
pub fn flag_value(name: &str) -> Option<bool> {
    match std::env::var(flag_var(name)).ok()?.as_str() {
        "True" => Some(true),
        "False" => Some(false),
        _ => None,
    }
}

/// The environment variable of feature flag `name`: `HASURA_FF_` and the name in upper snake
/// case.
fn flag_var(name: &str) -> String {
    format!("HASURA_FF_{}", name.to_uppercase().replace('-', "_"))
}

/// Feature-flag variables set to a value Hasura does not read as a boolean (`true` is not
/// `True`): (variable, value), for a warning at start.
pub fn unread_flags() -> Vec<(String, String)> {
    feature_flags()
        .into_iter()
        .filter_map(|(name, _, _)| {
            let var = flag_var(name);
            let value = std::env::var(&var).ok()?;
            flag_value(name).is_none().then_some((var, value))
        })
        .collect()
}

/// Environment settings: (default convention is graphql-default, the feature is enabled).
fn env_settings() -> (bool, bool) {
    let default = server_convention().is_ok_and(|c| c == "graphql-default");
    let enabled = experimental_features()
        .iter()
        .any(|f| f == "naming_convention");
    (default, enabled)
}

/// Checks a source's `customization` object: its keys, the convention's value and that every
/// prefix, suffix and namespace is a GraphQL name. Answers the problem in words.
pub fn check_customization(c: &Value) -> Result<(), String> {
    if c.is_null() {
        return Ok(());
    }
    let Value::Object(m) = c else {
        return Err("customization must be an object".into());
    };
    for (key, v) in m {
        match key.as_str() {
            "naming_convention" => {
                match v.as_str() {
                    None if v.is_null() => {}
                    Some("hasura-default" | "graphql-default") => {}
                    _ => return Err(
                        "naming_convention can either be \"hasura-default\" or \"graphql-default\""
                            .into(),
                    ),
                }
            }
            "root_fields" | "type_names" => {
                let allowed: &[&str] = if key == "root_fields" {
                    &["namespace", "prefix", "suffix"]
                } else {
                    &["prefix", "suffix"]
                };
                let Some(o) = v.as_object() else {
                    if v.is_null() {
                        continue;
                    }
                    return Err(format!("{key} must be an object"));
                };
                for (k, x) in o {
                    if !allowed.contains(&k.as_str()) {
                        return Err(format!("unexpected key \"{k}\" in {key}"));
                    }
                    match x {
                        Value::Null => {}
                        Value::String(s) if is_name(s) => {}
                        _ => return Err(format!("{key}.{k} must be a GraphQL name")),
                    }
                }
            }
            other => return Err(format!("unexpected key \"{other}\" in customization")),
        }
    }
    Ok(())
}

/// Whether `s` is a GraphQL name.
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

impl Naming {
    /// The naming of a source with `customization` (its metadata object, or null), under the
    /// server's settings: the source's convention, else the server default, and either only
    /// with the `naming_convention` experimental feature (otherwise `hasura-default`, as Hasura).
    pub fn for_source(customization: &Value) -> Naming {
        let (default_graphql, enabled) = env_settings();
        let mut naming = Naming::with(customization, default_graphql, enabled);
        naming.sep_2023 = flag_value(FLAG_SEP_2023) == Some(true);
        naming
    }

    /// As [`Naming::for_source`], the server settings given.
    pub fn with(customization: &Value, default_graphql: bool, enabled: bool) -> Naming {
        let text = |path: &[&str]| {
            let mut v = customization;
            for p in path {
                v = v.get(p).unwrap_or(&Value::Null);
            }
            v.as_str().unwrap_or_default().to_string()
        };
        let convention = customization
            .get("naming_convention")
            .and_then(Value::as_str);
        let graphql = enabled
            && match convention {
                Some(c) => c == "graphql-default",
                None => default_graphql,
            };
        Naming {
            graphql,
            root_prefix: text(&["root_fields", "prefix"]),
            root_suffix: text(&["root_fields", "suffix"]),
            type_prefix: text(&["type_names", "prefix"]),
            type_suffix: text(&["type_names", "suffix"]),
            namespace: text(&["root_fields", "namespace"]),
            sep_2023: false,
        }
    }

    /// Whether every name is spelled as `hasura-default` without customization.
    pub fn is_plain(&self) -> bool {
        *self == Naming::default()
    }

    /// A generated field, argument or operator name given in snake case: `order_by` →
    /// `orderBy`, `_is_null` → `_isNull`, `affected_rows` → `affectedRows` (graphql-default).
    pub fn field(&self, snake: &str) -> String {
        if !self.graphql {
            return snake.to_string();
        }
        checked(camel(&from_snake(snake), false), snake)
    }

    /// A type name that takes the convention but not the source's prefixes: `order_by` →
    /// `OrderBy`, `Int_comparison_exp` → `IntComparisonExp`.
    pub fn type_case(&self, snake: &str) -> String {
        if !self.graphql {
            return snake.to_string();
        }
        checked(pascal(&from_snake(snake), false), snake)
    }

    /// A type of the source that is no table's: cased, then given the type prefix and suffix
    /// (`cursor_ordering`).
    pub fn typename(&self, snake: &str) -> String {
        self.customize_type(self.type_case(snake))
    }

    /// Whether September 2023's naming changes apply (graphql-default with the flag).
    fn cased_2023(&self) -> bool {
        self.graphql && self.sep_2023
    }

    /// A column's scalar (`timestamptz`, `Int`): PascalCase (`Timestamptz`) with the
    /// September 2023 flag, else as Postgres names it.
    pub fn scalar(&self, base: &str) -> String {
        if self.cased_2023() {
            self.type_case(base)
        } else {
            base.to_string()
        }
    }

    /// A unique constraint as an `on_conflict` value, or a function argument as a field of its
    /// `args`: camelCase with the September 2023 flag, else as Postgres names it.
    pub fn db_name(&self, name: &str) -> String {
        if self.cased_2023() {
            self.field(name)
        } else {
            name.to_string()
        }
    }

    /// The arguments type of a tracked function, `<function or custom name>_args`. Hasura
    /// names it as a field (`searchPostsArgs` under graphql-default) and then takes it as a
    /// given name, kept as written; with the September 2023 flag as a generated one, PascalCase
    /// (`SearchPostsArgs`). The type prefix and suffix apply either way.
    pub fn function_args_type(&self, snake: &str) -> String {
        if self.cased_2023() || !self.graphql {
            self.typename(snake)
        } else {
            self.customize_type(self.field(snake))
        }
    }

    /// An enum value: upper case under graphql-default (`asc_nulls_first` → `ASC_NULLS_FIRST`).
    pub fn enum_value(&self, v: &str) -> String {
        if self.graphql {
            v.to_uppercase()
        } else {
            v.to_string()
        }
    }

    /// The GraphQL field of a column: its custom name as written, else the column cased.
    pub fn column(&self, column: &str, custom: Option<&str>) -> String {
        match custom {
            Some(c) => c.to_string(),
            None => self.field(column),
        }
    }

    /// A type of table `t`: `suffix` (snake case, may be empty) after the table's identifier,
    /// cased, then customized: (`author`, `bool_exp`) → `author_bool_exp` / `AuthorBoolExp`.
    pub fn table_type(&self, t: &Ident, suffix: &str) -> String {
        let name = if self.graphql {
            let mut pieces = t.pieces.clone();
            pieces.extend(from_snake(suffix));
            let fallback = join_snake(&t.snake(), suffix);
            checked(pascal(&pieces, t.custom), &fallback)
        } else {
            join_snake(&t.snake(), suffix)
        };
        self.customize_type(name)
    }

    /// A root field of table `t`: `before`, the identifier, `after` (snake case, may be empty):
    /// (`insert`, `author`, `one`) → `insert_author_one` / `insertAuthorOne`; then the source's
    /// root prefix and suffix.
    pub fn table_root(&self, before: &str, t: &Ident, after: &str) -> String {
        let snake = join_snake(&join_snake(before, &t.snake()), after);
        let name = if self.graphql {
            let mut pieces = from_snake(before);
            let first_custom = pieces.is_empty() && t.custom;
            pieces.extend(t.pieces.iter().cloned());
            pieces.extend(from_snake(after));
            checked(camel(&pieces, first_custom), &snake)
        } else {
            snake
        };
        self.root_field(&name)
    }

    /// A root field name (generated or custom) with the source's root prefix and suffix.
    pub fn root_field(&self, name: &str) -> String {
        self.affix(&self.root_prefix, name, &self.root_suffix)
    }

    /// The type of the namespace field under an operation root: `<namespace>_<suffix>`
    /// (`query`, `mutation_frontend`, `mutation_backend`, `subscription`), given the type
    /// prefix and suffix but not re-cased.
    pub fn namespace_type(&self, suffix: &str) -> String {
        self.customize_type(format!("{}_{suffix}", self.namespace))
    }

    fn customize_type(&self, name: String) -> String {
        self.affix(&self.type_prefix, &name, &self.type_suffix)
    }

    /// `prefix name suffix`: concatenated under hasura-default; under graphql-default the
    /// prefix as written and what follows it upper-first.
    fn affix(&self, prefix: &str, name: &str, suffix: &str) -> String {
        if prefix.is_empty() && suffix.is_empty() {
            return name.to_string();
        }
        if !self.graphql {
            return format!("{prefix}{name}{suffix}");
        }
        let body = if prefix.is_empty() {
            name.to_string()
        } else {
            upper_first(name)
        };
        format!("{prefix}{body}{}", upper_first(suffix))
    }

    /// The snake-case name a public name of the fixed vocabulary `words` stands for (an
    /// argument, operator or enum value the schema spelled through [`Naming::field`] or
    /// [`Naming::enum_value`]); the name itself when none.
    pub fn internal<'a>(&self, public: &'a str, words: &[&'a str]) -> &'a str {
        if !self.graphql {
            return public;
        }
        words
            .iter()
            .copied()
            .find(|w| self.field(w) == public || self.enum_value(w) == public)
            .unwrap_or(public)
    }
}

fn join_snake(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}_{b}"),
    }
}

/// `name` if it is a GraphQL name, else `fallback` (Hasura keeps a name the casing would break).
fn checked(name: String, fallback: &str) -> String {
    if is_name(&name) {
        name
    } else {
        fallback.to_string()
    }
}

#[cfg(test)]
mod tests;

/// Hasura's fixed vocabulary of several words, which graphql-default spells differently and
/// the IR reads back ([`Naming::internal`]); single words are spelled alike in both.
pub mod vocab {
    /// Comparison operators.
    pub const OPERATORS: &[&str] = &[
        "_is_null",
        "_contained_in",
        "_has_key",
        "_has_keys_any",
        "_has_keys_all",
        "_st_3d_d_within",
        "_st_3d_intersects",
        "_st_contains",
        "_st_crosses",
        "_st_d_within",
        "_st_equals",
        "_st_intersects",
        "_st_overlaps",
        "_st_touches",
        "_st_within",
        "_ancestor_any",
        "_descendant_any",
        "_matches_any",
        "_matches_fulltext",
    ];
    /// `order_by` values.
    pub const ORDER_BY: &[&str] = &[
        "asc",
        "asc_nulls_first",
        "asc_nulls_last",
        "desc",
        "desc_nulls_first",
        "desc_nulls_last",
    ];
    /// Aggregate operations.
    pub const AGGREGATES: &[&str] = &["stddev_pop", "stddev_samp", "var_pop", "var_samp"];
}
