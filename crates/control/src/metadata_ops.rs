//! Whole-document operations: export, replace, reload, clear, and the inconsistency report.

use std::sync::Arc;

use rasura_metadata::document::{Source, DEFAULT_SOURCE};
use rasura_metadata::Metadata;
use rasura_pg::hdb_catalog;
use rasura_resolve::ObjectRef;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::tx::{success, ControlTx};

/// Runs `op` if it is a whole-document operation; `Ok(None)` otherwise.
pub(super) async fn run(
    ctx: &mut ControlTx<'_>,
    op: &str,
    args: Value,
) -> Result<Option<Value>, ApiError> {
    let result = match op {
        "export_metadata" => {
            let mut md = ctx.md.to_json();
            rasura_metadata::cron_triggers::for_export(&mut md);
            if ctx.request_version >= 2 {
                json!({"resource_version": ctx.resource_version, "metadata": md})
            } else {
                md
            }
        }
        "replace_metadata" => replace(ctx, args).await?,
        "reload_metadata" => {
            // The stored metadata (another instance may have written it), unless this request
            // edited it already (a bulk reloads what its earlier steps made, as Hasura does).
            if !ctx.md_changed {
                let (md, version) = hdb_catalog::load_metadata(&*ctx.tx).await?;
                ctx.md = md;
                ctx.resource_version = version;
            }
            // Read again, enum rows included.
            ctx.catalog = Arc::default();
            ctx.catalog_dirty = true;
            if args.get("reload_remote_schemas") != Some(&Value::Bool(false)) {
                ctx.remotes = rasura_remote::introspect::introspect_all(&ctx.md).await;
                ctx.remotes_changed = true;
            }
            let catalog = ctx.fresh_catalog().await?;
            let resolved = ctx.resolve_working(catalog);
            report(&resolved.inconsistencies, true)
        }
        "clear_metadata" => {
            // The default source stays connected, with nothing tracked (as in Hasura).
            let kept = ctx.md.source(DEFAULT_SOURCE).ok().map(|s| Source {
                tables: vec![],
                functions: vec![],
                ..s.clone()
            });
            ctx.md = Metadata::empty();
            ctx.md.sources = kept.into_iter().collect();
            ctx.changed();
            success()
        }
        "get_inconsistent_metadata" => {
            let catalog = ctx.fresh_catalog().await?;
            let resolved = ctx.resolve_working(catalog);
            report(&resolved.inconsistencies, false)
        }
        "drop_inconsistent_metadata" => {
            let catalog = ctx.fresh_catalog().await?;
            let resolved = ctx.resolve_working(catalog);
            let objects: Vec<ObjectRef> = resolved
                .inconsistencies
                .iter()
                .map(|i| i.object.clone())
                .collect();
            if !objects.is_empty() {
                drop_objects(&mut ctx.md, &objects);
                ctx.changed();
            }
            success()
        }
        _ => return Ok(None),
    };
    Ok(Some(result))
}

fn report(inconsistencies: &[rasura_resolve::Inconsistency], with_message: bool) -> Value {
    let mut v = json!({"is_consistent": inconsistencies.is_empty()});
    if with_message {
        v["message"] = json!("success");
    }
    if !inconsistencies.is_empty() || !with_message {
        v["inconsistent_objects"] = json!(inconsistencies);
    }
    v
}

async fn replace(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    // v2 form: {allow_inconsistent_metadata, metadata}; v1 form: the metadata itself.
    let (doc, allow_inconsistent) = match &args {
        Value::Object(m)
            if m.contains_key("metadata")
                && !m.contains_key("sources")
                && !m.contains_key("tables") =>
        {
            (
                m["metadata"].clone(),
                m.get("allow_inconsistent_metadata")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            )
        }
        _ => (args, false),
    };
    let mut new = Metadata::from_json(doc).map_err(|e| ApiError::from(e).at("$.args"))?;
    // Cron triggers left out of exports stay, as in Hasura.
    rasura_metadata::cron_triggers::keep_unexported(&ctx.md, &mut new)
        .map_err(|e| ApiError::from(e).at("$.args"))?;
    ctx.md = new;
    ctx.changed();
    ctx.remotes = rasura_remote::introspect::introspect_all(&ctx.md).await;
    ctx.remotes_changed = true;
    let (resolved, _) = ctx.new_inconsistencies().await?;
    if resolved.inconsistencies.is_empty() {
        return Ok(success());
    }
    if allow_inconsistent {
        return Ok(
            json!({"is_consistent": false, "inconsistent_objects": resolved.inconsistencies}),
        );
    }
    // Roles in a cycle are refused in Hasura's words.
    let cycle = resolved
        .inconsistencies
        .iter()
        .find(|i| i.code == Some("cyclic-dependency"));
    if let Some(i) = cycle {
        return Err(ApiError::bad_request("cyclic-dependency", i.bare_reason()).at("$.args"));
    }
    Err(
        ApiError::bad_request("unexpected", "cannot continue due to inconsistent metadata")
            .at("$.args")
            .with_internal(json!(resolved.inconsistencies)),
    )
}

/// Removes the given objects from the metadata document.
pub(super) fn drop_objects(md: &mut Metadata, objects: &[ObjectRef]) {
    let (mut remotes, mut crons) = (vec![], vec![]);
    let (mut sections, mut sources) = (vec![], vec![]);
    let (mut collection_drops, mut listed, mut inherited) = (vec![], vec![], vec![]);
    let mut rs_rels = vec![];
    let mut spare = rasura_metadata::document::Source::default_source();
    let source = match md.served_source_mut() {
        Some(s) => s,
        None => &mut spare,
    };
    let mut elsewhere: Vec<(&str, &ObjectRef)> = vec![];
    for o in objects {
        if let ObjectRef::SourceCustomization(name) = o {
            elsewhere.push((name, o));
            continue;
        }
        if drop_in_source(source, o) {
            continue;
        }
        match o {
            ObjectRef::InSource(name, inner) => elsewhere.push((name, inner)),
            ObjectRef::RemoteSchema(name) => remotes.push(name.clone()),
            ObjectRef::Section(key) => {
                sections.push(key.clone());
            }
            ObjectRef::CronTrigger(name) => crons.push(name.clone()),
            ObjectRef::QueryCollection(name) => {
                collection_drops.push((
                    "drop_query_collection",
                    json!({"collection": name, "cascade": true}),
                ));
            }
            ObjectRef::AllowlistEntry(name) => {
                listed.push(name.clone());
            }
            ObjectRef::InheritedRole(name) => {
                inherited.push(name.clone());
            }
            ObjectRef::RestEndpoint(name) => {
                collection_drops.push(("drop_rest_endpoint", json!({ "name": name })));
            }
            ObjectRef::Source(name) => {
                sources.push(name.clone());
            }
            ObjectRef::RemoteSchemaRelationship(rs, ty, name) => {
                rs_rels.push((rs.clone(), ty.clone(), name.clone()));
            }
            _ => {}
        }
    }
    for (name, o) in elsewhere {
        if let Ok(s) = md.source_mut(name) {
            drop_in_source(s, o);
        }
    }
    for key in sections {
        md.extra.remove(&key);
    }
    for (rs, ty, name) in rs_rels {
        crate::remote_db_ops::remove(md, &rs, &ty, &name);
    }
    for name in crons {
        rasura_metadata::cron_triggers::remove(md, &name);
    }
    for name in inherited {
        let _ = rasura_metadata::inherited_roles::drop(md, json!({ "role_name": name }));
    }
    for (op, args) in collection_drops {
        if op == "drop_rest_endpoint" {
            let _ = rasura_rest::edits::apply(md, op, &args);
        } else {
            let _ = rasura_allowlist::apply(md, op, &args);
        }
    }
    if let Some(Value::Array(list)) = md.extra.get_mut("allowlist") {
        list.retain(|e| {
            !e.get("collection")
                .and_then(Value::as_str)
                .is_some_and(|c| listed.iter().any(|l| l == c))
        });
    }
    md.sources.retain(|s| !sources.contains(&s.name));
    for name in remotes {
        let _ = rasura_metadata::remote_schemas::remove_remote_schema(md, json!({ "name": name }));
    }
}

/// Removes object `o` of a database source from `source`; answers whether `o` is one.
fn drop_in_source(source: &mut rasura_metadata::document::Source, o: &ObjectRef) -> bool {
    match o {
        ObjectRef::Table(t) => rasura_metadata::ops::remove_table(source, t),
        ObjectRef::Relationship(t, name) => {
            if let Some(e) = source.table_mut(t) {
                e.object_relationships.retain(|r| &r.name != name);
                e.array_relationships.retain(|r| &r.name != name);
            }
        }
        ObjectRef::ComputedField(t, name) => {
            if let Some(e) = source.table_mut(t) {
                e.computed_fields.retain(|c| &c.name != name);
            }
        }
        ObjectRef::Permission(t, kind, role) => {
            if let Some(e) = source.table_mut(t) {
                match kind.as_str() {
                    "select" => e.select_permissions.retain(|p| &p.role != role),
                    "insert" => e.insert_permissions.retain(|p| &p.role != role),
                    "update" => e.update_permissions.retain(|p| &p.role != role),
                    _ => e.delete_permissions.retain(|p| &p.role != role),
                }
            }
        }
        ObjectRef::Function(f) => source.functions.retain(|x| &x.function != f),
        ObjectRef::EventTrigger(t, name) => {
            if let Some(e) = source.table_mut(t) {
                e.event_triggers
                    .retain(|x| x.get("name").and_then(Value::as_str) != Some(name));
            }
        }
        ObjectRef::RemoteRelationship(t, name) => {
            if let Some(e) = source.table_mut(t) {
                e.remote_relationships
                    .retain(|x| x.get("name").and_then(Value::as_str) != Some(name));
            }
        }
        ObjectRef::NativeQuery(name) => {
            if let Some(Value::Array(list)) = source.extra.get_mut("native_queries") {
                list.retain(|q| q.get("root_field_name").and_then(Value::as_str) != Some(name));
            }
        }
        ObjectRef::LogicalModel(name) => {
            if let Some(Value::Array(list)) = source.extra.get_mut("logical_models") {
                list.retain(|m| m.get("name").and_then(Value::as_str) != Some(name));
            }
        }
        ObjectRef::SourceCustomization(_) => {
            // A customization that does not parse goes whole.
            let broken = source
                .extra
                .get("customization")
                .is_some_and(|c| rasura_naming::check_customization(c).is_err());
            if broken {
                source.extra.remove("customization");
            }
        }
        _ => return false,
    }
    true
}
