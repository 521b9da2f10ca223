//! Remote-schema operations of the metadata API: add and update (introspected at once, and
//! refused when unreachable or clashing with the rest of the schema), remove, reload, and
//! reading back the stored introspection.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::tx::{success, ControlTx};

/// Runs `op` if it is a remote-schema operation; `Ok(None)` otherwise.
pub(super) async fn run(
    ctx: &mut ControlTx<'_>,
    op: &str,
    args: Value,
) -> Result<Option<Value>, ApiError> {
    use rasura_metadata::remote_schemas as rs;
    let result = match op {
        "add_remote_schema" | "update_remote_schema" => {
            let name = args["name"].as_str().unwrap_or_default().to_string();
            let edit = if op == "add_remote_schema" {
                rs::add_remote_schema(&mut ctx.md, args.clone())
            } else {
                let kept = crate::remote_db_ops::relationships_of(&ctx.md, &name);
                let edit = rs::update_remote_schema(&mut ctx.md, args.clone());
                crate::remote_db_ops::restore(&mut ctx.md, &name, kept);
                edit
            };
            edit.map_err(ApiError::from)?;
            fetch(ctx, &name).await?;
            ctx.changed();
            check_fits(ctx, &name).await?;
            success()
        }
        "remove_remote_schema" => {
            if let Some(name) = args["name"].as_str() {
                crate::remote_db_ops::refuse_removal(&ctx.md, name)?;
            }
            rs::remove_remote_schema(&mut ctx.md, args.clone()).map_err(ApiError::from)?;
            if let Some(name) = args["name"].as_str() {
                ctx.remotes.remove(name);
            }
            ctx.changed();
            success()
        }
        "reload_remote_schema" => {
            let name = rs::require(&ctx.md, &args).map_err(ApiError::from)?;
            fetch(ctx, &name).await?;
            check_fits(ctx, &name).await?;
            success()
        }
        "add_remote_schema_permissions" => {
            if !rasura_resolve::stages::remote_schemas::permissions_enabled() {
                return Err(ApiError::bad_request(
                    "constraint-violation",
                    "remote schema permissions can only be added when remote schema permissions are enabled in the graphql-engine",
                ));
            }
            rs::add_permission(&mut ctx.md, args.clone()).map_err(ApiError::from)?;
            let (remote, role) = (
                args["remote_schema"].as_str().unwrap_or_default(),
                args["role"].as_str().unwrap_or_default(),
            );
            let catalog = ctx.fresh_catalog().await?;
            let resolved = ctx.resolve_working(catalog);
            if let Some(r) = resolved.remote_schemas.iter().find(|r| r.name == remote) {
                let sdl = r.permissions.get(role).cloned().unwrap_or_default();
                rasura_schema::remote_perms::role_view(r, &sdl).map_err(|e| {
                    ApiError::bad_request(
                        "validation-failed",
                        format!("validation for the given role-based schema failed because {e}"),
                    )
                })?;
            }
            ctx.changed();
            success()
        }
        "introspect_remote_schema" => {
            let name = rs::require(&ctx.md, &args).map_err(ApiError::from)?;
            match ctx.remotes.get(&name) {
                Some(Ok(schema)) => json!({"data": {"__schema": &**schema}}),
                Some(Err(e)) => {
                    return Err(ApiError::bad_request("remote-schema-error", e.clone()))
                }
                None => {
                    return Err(ApiError::bad_request(
                        "remote-schema-error",
                        format!("remote schema \"{name}\" has not been introspected"),
                    ))
                }
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(result))
}

/// Introspects the remote now; an unreachable or broken remote refuses the operation.
async fn fetch(ctx: &mut ControlTx<'_>, name: &str) -> Result<(), ApiError> {
    let entry = rasura_metadata::remote_schemas::entries(&ctx.md)
        .into_iter()
        .find(|e| e["name"].as_str() == Some(name))
        .unwrap_or_default();
    let result = rasura_remote::introspect::introspect_entry(&entry).await;
    if let Err(e) = &result {
        return Err(ApiError::bad_request("remote-schema-error", e.clone()));
    }
    ctx.set_remote(name, result);
    Ok(())
}

/// Refuses a remote whose root fields or types clash with the rest of the schema.
async fn check_fits(ctx: &mut ControlTx<'_>, name: &str) -> Result<(), ApiError> {
    let catalog = ctx.fresh_catalog().await?;
    let resolved = ctx.resolve_working(catalog);
    if let Some(i) = resolved
        .inconsistencies
        .iter()
        .find(|i| i.object == rasura_resolve::ObjectRef::RemoteSchema(name.to_string()))
    {
        return Err(ApiError::bad_request(
            "invalid-configuration",
            i.reason.clone(),
        ));
    }
    let schema = rasura_schema::build_schema(&resolved, "admin")
        .map_err(|e| ApiError::bad_request("remote-schema-conflicts", e))?;
    if let Some((_, reason)) = schema.remote_conflicts.iter().find(|(n, _)| n == name) {
        return Err(ApiError::bad_request(
            "remote-schema-conflicts",
            reason.clone(),
        ));
    }
    Ok(())
}
