//! GeoJSON values of geometry and geography columns checked before they reach PostGIS
//! (`rasura-geojson` has the rules).

use serde_json::Value;

use crate::error::IrError;

/// A value for column `col` at `path`: GeoJSON checked when the column is a geometry or
/// geography (a `parse-failed` error where Hasura's parser refuses it).
pub(crate) fn checked(
    col: &rasura_schema::ColumnInfo,
    value: &Value,
    path: &str,
) -> Result<(), IrError> {
    if !matches!(col.type_name.as_str(), "geometry" | "geography") || !value.is_object() {
        return Ok(());
    }
    rasura_geojson::check(value).map_err(|(message, at)| {
        IrError::new(&format!("{path}{at}"), message).with_code("parse-failed")
    })
}
