//! Enum-table values as the schema spells them (upper case under graphql-default) read back
//! into the values the table stores.

use std::borrow::Cow;

use rasura_schema::ColumnInfo;
use serde_json::Value;

/// A value (or a list of them) of `col` as stored; unchanged when the schema spells the
/// column's values as stored, or for a value it does not know (the database refuses it).
pub(crate) fn stored(col: &ColumnInfo, v: &Value) -> Value {
    let Some(map) = &col.enum_values else {
        return v.clone();
    };
    match v {
        Value::String(s) => Value::String(map.get(s).cloned().unwrap_or_else(|| s.clone())),
        Value::Array(items) => Value::Array(items.iter().map(|i| stored(col, i)).collect()),
        other => other.clone(),
    }
}

/// A comparison object (`{_eq: MONDAY, _in: [...]}`) of `col` with its values as stored.
pub(crate) fn stored_comparisons<'a>(col: &ColumnInfo, v: &'a Value) -> Cow<'a, Value> {
    match (v, &col.enum_values) {
        (Value::Object(ops), Some(_)) => Cow::Owned(Value::Object(
            ops.iter()
                .map(|(op, x)| (op.clone(), stored(col, x)))
                .collect(),
        )),
        _ => Cow::Borrowed(v),
    }
}
