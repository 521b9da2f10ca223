//! `get_catalog_state` and `set_catalog_state`: the free-form states the CLI (its migrations)
//! and the console keep in `hdb_catalog.hdb_version`, outside the metadata and its version.

use rasura_pg::hdb_catalog::{self, StateOwner};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::tx::{success, ControlTx};

/// Runs `op` if it is a catalog-state operation.
pub(super) async fn run(
    ctx: &mut ControlTx<'_>,
    op: &str,
    args: &Value,
) -> Result<Option<Value>, ApiError> {
    match op {
        "get_catalog_state" => {
            let (id, cli, console) = hdb_catalog::catalog_state(&**ctx.meta()).await?;
            Ok(Some(
                json!({"id": id, "cli_state": cli, "console_state": console}),
            ))
        }
        "set_catalog_state" => {
            let owner = match args.get("type").and_then(Value::as_str) {
                Some("cli") => StateOwner::Cli,
                Some("console") => StateOwner::Console,
                Some(other) => {
                    return Err(ApiError::bad_request(
                        "parse-failed",
                        format!("unexpected type {other:?}; expected \"cli\" or \"console\""),
                    )
                    .at("$.args.type"))
                }
                None => {
                    return Err(
                        ApiError::bad_request("parse-failed", "key \"type\" not found")
                            .at("$.args"),
                    )
                }
            };
            let Some(state) = args.get("state") else {
                return Err(
                    ApiError::bad_request("parse-failed", "key \"state\" not found").at("$.args"),
                );
            };
            hdb_catalog::set_catalog_state(&**ctx.meta(), owner, state).await?;
            Ok(Some(success()))
        }
        _ => Ok(None),
    }
}
