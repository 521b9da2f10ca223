//! Postgres types → GraphQL scalars, and which operators and aggregates each supports.

use rasura_catalog::Column;

/// The GraphQL scalar name for a column's type.
pub fn scalar_for(column: &Column) -> String {
    if column.is_array() {
        return format!(
            "_{}",
            base_scalar(column.elem_type.as_deref().unwrap_or("text"))
        );
    }
    base_scalar(&column.type_name)
}

/// The GraphQL scalar for a type by name (`int4` → `Int`, `_text` → `_text`).
pub fn scalar_for_type(type_name: &str) -> String {
    base_scalar(type_name)
}

fn base_scalar(type_name: &str) -> String {
    match type_name {
        "int4" | "serial" => "Int",
        "text" | "varchar" => "String",
        "bool" => "Boolean",
        "float4" => "Float",
        "int2" => "smallint",
        "int8" => "bigint",
        "float8" => "float8",
        "bpchar" => "bpchar",
        other => return sanitize(other),
    }
    .to_string()
}

/// Type names that are not GraphQL names (rare) get their invalid characters replaced.
fn sanitize(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c == '_' || c.is_ascii_alphanumeric() {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// Scalars built into GraphQL (not declared in SDL).
pub fn is_builtin(scalar: &str) -> bool {
    matches!(scalar, "Int" | "Float" | "String" | "Boolean" | "ID")
}

/// Numeric columns: they get `sum`, `avg`, `stddev`... and `_inc`.
pub fn is_numeric(column: &Column) -> bool {
    !column.is_array()
        && matches!(
            column.type_name.as_str(),
            "int2" | "int4" | "int8" | "float4" | "float8" | "numeric" | "money"
        )
}

/// Columns that `min`/`max` apply to: numbers, strings, dates and times.
pub fn is_comparable(column: &Column) -> bool {
    !column.is_array()
        && (is_numeric(column)
            || matches!(
                column.type_name.as_str(),
                "text"
                    | "varchar"
                    | "bpchar"
                    | "citext"
                    | "date"
                    | "time"
                    | "timetz"
                    | "timestamp"
                    | "timestamptz"
                    | "uuid"
                    | "name"
                    | "inet"
                    | "interval"
                    | "bool"
            )
            || column.type_kind == "e")
        && column.type_name != "bool"
}

/// Scalars with the text operators (`_like`, `_ilike`, `_regex`, ...).
pub fn is_string_like(scalar: &str) -> bool {
    // Without case: the scalar may be PascalCase (`naming-convention-sep-2023`).
    matches!(
        scalar.to_ascii_lowercase().as_str(),
        "string" | "bpchar" | "citext" | "name"
    )
}

pub fn is_jsonb(column: &Column) -> bool {
    column.type_name == "jsonb" && !column.is_array()
}

pub fn is_json_like(column: &Column) -> bool {
    matches!(column.type_name.as_str(), "json" | "jsonb") && !column.is_array()
}

/// Types emitted as JSON strings when numeric types are stringified.
pub fn stringified(column_type: &str) -> bool {
    matches!(column_type, "int8" | "numeric" | "float8" | "money")
}

/// The aggregate operations whose fields are every numeric column, typed Float.
pub const FLOAT_AGGREGATES: [&str; 7] = [
    "avg",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "var_pop",
    "var_samp",
    "variance",
];
