//! `set_permission_comment`: the comment of one role's permission of one kind on a table.

use serde_json::Value;

use crate::document::DEFAULT_SOURCE;
use crate::error::MetadataError;
use crate::table::QualifiedName;
use crate::Metadata;

/// `{table, role, type: select|insert|update|delete, comment?, source?}`.
pub fn set_permission_comment(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let field = |k: &str| {
        args.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| MetadataError::Parse(format!("key \"{k}\" not found")))
    };
    let table: QualifiedName = args
        .get("table")
        .cloned()
        .ok_or_else(|| MetadataError::Parse("key \"table\" not found".into()))
        .and_then(|v| serde_json::from_value(v).map_err(|e| MetadataError::Parse(e.to_string())))?;
    let (role, kind) = (field("role")?, field("type")?);
    let source = args
        .get("source")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_SOURCE)
        .to_string();
    let comment = args
        .get("comment")
        .and_then(Value::as_str)
        .map(str::to_string);
    let entry = md.source_mut(&source)?.tracked_mut(&table)?;
    let slot = match kind.as_str() {
        "select" => entry
            .select_permissions
            .iter_mut()
            .find(|p| p.role == role)
            .map(|p| &mut p.comment),
        "insert" => entry
            .insert_permissions
            .iter_mut()
            .find(|p| p.role == role)
            .map(|p| &mut p.comment),
        "update" => entry
            .update_permissions
            .iter_mut()
            .find(|p| p.role == role)
            .map(|p| &mut p.comment),
        "delete" => entry
            .delete_permissions
            .iter_mut()
            .find(|p| p.role == role)
            .map(|p| &mut p.comment),
        other => {
            return Err(MetadataError::Parse(format!(
                "unexpected permission type \"{other}\""
            )))
        }
    };
    let slot = slot.ok_or_else(|| {
        MetadataError::NotExists(format!(
            "permission-type '{kind}' not found for role '{role}' on table \"{table}\""
        ))
    })?;
    *slot = comment;
    Ok(())
}
