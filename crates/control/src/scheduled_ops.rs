//! Scheduled-trigger operations of the metadata API: cron triggers in the document
//! (`create_cron_trigger`, `delete_cron_trigger`, `get_cron_triggers`; their events follow in
//! `execute`), and one-off and cron events in `hdb_catalog` (`rasura_scheduled::ops`).

use rasura_metadata::cron_triggers;
use serde_json::Value;

use crate::error::ApiError;
use crate::tx::{success, ControlTx};

/// Runs `op` if it is a scheduled-trigger operation; `Ok(None)` otherwise.
pub(super) async fn run(
    ctx: &mut ControlTx<'_>,
    op: &str,
    args: Value,
) -> Result<Option<Value>, ApiError> {
    let result = match op {
        "create_cron_trigger" => {
            cron_triggers::create_cron_trigger(&mut ctx.md, &args).map_err(ApiError::from)?;
            ctx.changed();
            ctx.check_consistency().await?;
            success()
        }
        "delete_cron_trigger" => {
            cron_triggers::delete_cron_trigger(&mut ctx.md, &args).map_err(ApiError::from)?;
            ctx.changed();
            success()
        }
        "get_cron_triggers" => cron_triggers::listing(&ctx.md),
        "create_scheduled_event" => {
            rasura_scheduled::ops::create_scheduled_event(&**ctx.meta(), &args)
                .await
                .map_err(ApiError::from)?
        }
        "delete_scheduled_event" => {
            rasura_scheduled::ops::delete_scheduled_event(&**ctx.meta(), &args)
                .await
                .map_err(ApiError::from)?
        }
        "get_scheduled_events" => {
            rasura_scheduled::ops::get_scheduled_events(&**ctx.meta(), &ctx.md, &args)
                .await
                .map_err(ApiError::from)?
        }
        "get_scheduled_event_invocations" => {
            rasura_scheduled::ops::get_scheduled_event_invocations(&**ctx.meta(), &ctx.md, &args)
                .await
                .map_err(ApiError::from)?
        }
        _ => return Ok(None),
    };
    Ok(Some(result))
}
