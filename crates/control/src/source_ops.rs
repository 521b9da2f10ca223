//! The source operations: `pg_add_source`, `pg_update_source`, `pg_drop_source`,
//! `rename_source`, `set_query_tags`, `list_source_kinds`, `get_source_kind_capabilities`. A source that cannot
//! be connected to (or a second one, which this engine does not serve yet) is refused by the
//! consistency check, so it is never stored as if it worked.

use rasura_metadata::sources;
use serde_json::Value;

use crate::error::ApiError;
use crate::tx::{success, ControlTx};

/// Runs `op` if it is a source operation.
pub(super) async fn run(
    ctx: &mut ControlTx<'_>,
    op: &str,
    args: &Value,
) -> Result<Option<Value>, ApiError> {
    let edit = match op {
        "add_source" => sources::add_source(&mut ctx.md, args),
        "update_source" => sources::update_source(&mut ctx.md, args),
        "drop_source" => sources::drop_source(&mut ctx.md, args),
        "rename_source" => sources::rename_source(&mut ctx.md, args),
        "set_query_tags" => sources::set_query_tags(&mut ctx.md, args),
        "list_source_kinds" => return Ok(Some(sources::list_source_kinds())),
        "get_source_kind_capabilities" => {
            return sources::source_kind_capabilities(args)
                .map(Some)
                .map_err(ApiError::from)
        }
        _ => return Ok(None),
    };
    edit.map_err(ApiError::from)?;
    ctx.changed();
    ctx.check_consistency().await?;
    Ok(Some(success()))
}
