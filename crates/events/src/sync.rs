//! Keeps the database's capture triggers in step with the resolved metadata: creates what is
//! missing or changed, drops what no trigger asks for any more. Idempotent; runs in the
//! caller's transaction (the control plane's), or in one of its own (`sync_at`).

use std::collections::HashMap;

use rasura_resolve::ResolvedEventTrigger;
use rasura_sql::print::quote_ident;
use tokio_postgres::GenericClient;

use crate::ddl;

/// Every `notify_hasura_*` function in `hdb_catalog`, its body, and the table whose trigger
/// of the same name calls it.
const EXISTING: &str = "SELECT p.proname::text, p.prosrc, n.nspname::text, c.relname::text \
    FROM pg_proc p \
    LEFT JOIN pg_trigger tg ON tg.tgfoid = p.oid AND tg.tgname = p.proname \
    LEFT JOIN pg_class c ON c.oid = tg.tgrelid \
    LEFT JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE p.pronamespace = 'hdb_catalog'::regnamespace AND p.proname LIKE 'notify\\_hasura\\_%'";

/// What `sync` changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub created: usize,
    pub dropped: usize,
}

/// Makes the capture triggers match `triggers`.
pub async fn sync(
    client: &impl GenericClient,
    triggers: &[ResolvedEventTrigger],
) -> Result<SyncReport, tokio_postgres::Error> {
    let mut existing: HashMap<String, (String, Option<(String, String)>)> = HashMap::new();
    for row in client.query_typed(EXISTING, &[]).await? {
        let table = match (row.get::<_, Option<String>>(2), row.get(3)) {
            (Some(s), Some(t)) => Some((s, t)),
            _ => None,
        };
        existing.insert(row.get(0), (row.get(1), table));
    }
    let mut sql = String::new();
    let mut report = SyncReport::default();
    for t in triggers {
        for (op, spec) in ddl::operations(t) {
            let name = ddl::object_name(&t.name, op);
            let wanted_table = (t.table.schema.clone(), t.table.name.clone());
            let current = existing.remove(&name);
            let up_to_date = matches!(&current, Some((body, Some(table)))
                if *body == ddl::stored_body(t, op, spec) && *table == wanted_table);
            if !up_to_date {
                if let Some((_, Some((schema, table)))) = &current {
                    if (schema, table) != (&wanted_table.0, &wanted_table.1) {
                        sql.push_str(&ddl::drop_operation(&name, Some(&qualified(schema, table))));
                    }
                }
                sql.push_str(&ddl::create_operation(t, op, spec));
                report.created += 1;
            }
        }
    }
    for (name, (_, table)) in existing {
        let table = table.map(|(s, t)| qualified(&s, &t));
        sql.push_str(&ddl::drop_operation(&name, table.as_deref()));
        report.dropped += 1;
    }
    if !sql.is_empty() {
        client.batch_execute(&sql).await?;
    }
    Ok(report)
}

fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(table))
}

/// [`sync`] in the database at `url`, in a transaction of its own (with `hdb_catalog` prepared
/// there, serialised with other engines by the catalog lock): at start, and when the metadata
/// moves the source to another database.
pub async fn sync_at(
    url: &str,
    triggers: &[ResolvedEventTrigger],
) -> Result<(), rasura_pg::PgError> {
    use rasura_pg::{hdb_catalog, PgError};
    let pool = rasura_pg::lazy_pool(url, &rasura_pg::PoolOptions::default())?;
    let mut client = pool.get().await?;
    hdb_catalog::ensure(&mut client).await?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    hdb_catalog::lock(&*tx).await?;
    sync(&*tx, triggers)
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    tx.commit().await.map_err(|e| PgError::from_db(e, None))
}

/// What the capture triggers are made from: each source's name and configuration, and its
/// tables' event triggers.
pub type CaptureInputs = Vec<(
    String,
    serde_json::Value,
    Vec<(String, Vec<serde_json::Value>)>,
)>;

pub fn capture_inputs(md: &rasura_metadata::Metadata) -> CaptureInputs {
    md.sources
        .iter()
        .map(|s| {
            let tables = (s.tables.iter())
                .filter(|t| !t.event_triggers.is_empty())
                .map(|t| (t.table.to_string(), t.event_triggers.clone()))
                .collect();
            (s.name.clone(), s.configuration.clone(), tables)
        })
        .collect()
}
