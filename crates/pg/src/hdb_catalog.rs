//! The engine's own schema, `hdb_catalog`, laid out as Hasura lays it out, and the metadata store.

use rasura_metadata::document::is_empty_section;
use rasura_metadata::Metadata;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use crate::error::PgError;

/// The `hdb_catalog` objects the engine needs; idempotent.
pub const CATALOG_DDL: &str = include_str!("hdb_catalog.sql");

/// The catalog version recorded in `hdb_catalog.hdb_version`.
pub const CATALOG_VERSION: &str = "48";

/// The id of the single row of `hdb_catalog.hdb_metadata`.
const METADATA_ROW_ID: i32 = 1;

/// Takes the transaction-scoped advisory lock that serialises engines changing `hdb_catalog`
/// objects (the catalog's DDL, the event triggers' functions) at start.
pub async fn lock(tx: &impl GenericClient) -> Result<(), PgError> {
    tx.batch_execute("SELECT pg_advisory_xact_lock(7358237801)")
        .await
        .map_err(|e| PgError::from_db(e, None))
}

/// Creates `hdb_catalog` if needed (serialised across engine instances by an advisory lock).
/// Does nothing when this DDL already ran there and its tables and functions are all present:
/// `CREATE OR REPLACE FUNCTION` rewrites a system-catalog row even when nothing changes, which
/// changes the catalog version (and the next metadata request would read the whole database
/// catalog again).
pub async fn ensure(client: &mut deadpool_postgres::Object) -> Result<(), PgError> {
    if installed(&***client).await {
        return Ok(());
    }
    let tx = client
        .transaction()
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    lock(&*tx).await?;
    tx.batch_execute(CATALOG_DDL)
        .await
        .map_err(|e| PgError::from_db(e, Some(CATALOG_DDL)))?;
    tx.batch_execute(&format!(
        "COMMENT ON SCHEMA hdb_catalog IS '{}'",
        ddl_mark()
    ))
    .await
    .map_err(|e| PgError::from_db(e, None))?;
    // Unnamed: a source behind a pooler in transaction mode gets nothing left prepared.
    tx.query_typed(
        "INSERT INTO hdb_catalog.hdb_version (version, upgraded_on) \
         SELECT $1, now() WHERE NOT EXISTS (SELECT 1 FROM hdb_catalog.hdb_version)",
        &[(&CATALOG_VERSION, tokio_postgres::types::Type::TEXT)],
    )
    .await
    .map_err(|e| PgError::from_db(e, None))?;
    tx.commit().await.map_err(|e| PgError::from_db(e, None))
}

/// What `ensure` leaves as the comment of schema `hdb_catalog`: a hash of the DDL it ran.
pub fn ddl_mark() -> &'static str {
    static MARK: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    MARK.get_or_init(|| {
        // FNV-1a: the same on every build and platform.
        let hash = (CATALOG_DDL.bytes()).fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        format!("rasura hdb_catalog {hash:016x}")
    })
}

/// The names after `prefix` (`TABLE IF NOT EXISTS hdb_catalog.`, say) in the DDL.
fn ddl_names(prefix: &str) -> Vec<&'static str> {
    (CATALOG_DDL.match_indices(prefix))
        .map(|(at, _)| {
            let rest = &CATALOG_DDL[at + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

/// Whether this build's DDL ran in the database (the schema's comment is its mark) and every
/// table and function it creates is there. Any error (no such schema) answers no.
async fn installed(client: &impl GenericClient) -> bool {
    let tables = ddl_names("TABLE IF NOT EXISTS hdb_catalog.");
    let mut functions = ddl_names("FUNCTION hdb_catalog.");
    functions.sort_unstable();
    functions.dedup();
    let row = client
        .query_typed_opt(
            "SELECT obj_description(n.oid, 'pg_namespace') = $1 \
               AND (SELECT count(*) FROM pg_catalog.pg_class c \
                     WHERE c.relnamespace = n.oid AND c.relname = ANY($2)) = cardinality($2) \
               AND (SELECT count(DISTINCT p.proname) FROM pg_catalog.pg_proc p \
                     WHERE p.pronamespace = n.oid AND p.proname = ANY($3)) = cardinality($3) \
             FROM pg_catalog.pg_namespace n WHERE n.nspname = 'hdb_catalog'",
            &[
                (&ddl_mark(), Type::TEXT),
                (&tables, Type::TEXT_ARRAY),
                (&functions, Type::TEXT_ARRAY),
            ],
        )
        .await;
    matches!(row, Ok(Some(row)) if row.get::<_, Option<bool>>(0) == Some(true))
}

/// The stored metadata and its resource version (empty metadata and 0 when nothing is stored).
pub async fn load_metadata(client: &impl GenericClient) -> Result<(Metadata, i64), PgError> {
    let (text, version) = load_metadata_text(client).await?;
    match text {
        Some(text) => Ok((parse_metadata(&text)?, version)),
        None => Ok((Metadata::empty(), 0)),
    }
}

/// The stored metadata document as text, and its resource version (none and 0 when nothing is
/// stored).
pub async fn load_metadata_text(
    client: &impl GenericClient,
) -> Result<(Option<String>, i64), PgError> {
    let row = client
        .query_typed_opt(
            "SELECT metadata::text, resource_version::int8 FROM hdb_catalog.hdb_metadata WHERE id = $1",
            &[(&METADATA_ROW_ID, Type::INT4)],
        )
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    Ok(match row {
        Some(row) => (Some(row.get(0)), row.get(1)),
        None => (None, 0),
    })
}

/// A stored metadata document read: a version 3 document (what is stored) straight into the
/// metadata, without a JSON value in between (less work, and no garbage left between the
/// allocations that stay); anything else through `Metadata::from_json`, which upgrades older
/// versions and words the errors.
pub fn parse_metadata(text: &str) -> Result<Metadata, PgError> {
    if let Ok(md) = serde_json::from_str::<Metadata>(text) {
        if md.version >= 3 {
            return Ok(md);
        }
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| PgError::BadMetadata(e.to_string()))?;
    Metadata::from_json(value).map_err(|e| PgError::BadMetadata(e.to_string()))
}

/// The sources of a stored version 3 document with their connections but without their
/// tables and functions: enough to know which database the metadata serves, read in a small
/// part of the time the whole document takes (none for another version or bad JSON).
pub fn sources_only(text: &str) -> Option<Metadata> {
    #[derive(serde::Deserialize)]
    struct Head {
        version: u32,
        #[serde(default)]
        sources: Vec<HeadSource>,
    }
    #[derive(serde::Deserialize)]
    struct HeadSource {
        name: String,
        #[serde(default = "postgres")]
        kind: String,
        #[serde(default)]
        configuration: serde_json::Value,
    }
    fn postgres() -> String {
        "postgres".into()
    }
    let head: Head = serde_json::from_str(text).ok()?;
    let sources = (head.sources.into_iter())
        .map(|s| rasura_metadata::document::Source {
            name: s.name,
            kind: s.kind,
            tables: vec![],
            functions: vec![],
            configuration: s.configuration,
            extra: Default::default(),
        })
        .collect();
    (head.version == 3).then_some(Metadata {
        version: 3,
        sources,
        extra: Default::default(),
    })
}

/// Stores `md` if the stored resource version is still `expected`; returns the new version.
pub async fn save_metadata(
    client: &impl GenericClient,
    md: &Metadata,
    expected: i64,
) -> Result<i64, PgError> {
    let text = stored_text(md);
    let updated = client
        .query_typed_opt(
            "UPDATE hdb_catalog.hdb_metadata SET metadata = $2::text::json, resource_version = resource_version + 1 \
             WHERE id = $1 AND resource_version = $3::int8 RETURNING resource_version::int8",
            &[
                (&METADATA_ROW_ID, Type::INT4),
                (&text, Type::TEXT),
                (&expected, Type::INT8),
            ],
        )
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    if let Some(row) = updated {
        return Ok(row.get(0));
    }
    if expected == 0 {
        let inserted = client
            .query_typed_opt(
                "INSERT INTO hdb_catalog.hdb_metadata (id, metadata, resource_version) \
                 VALUES ($1, $2::text::json, 1) ON CONFLICT (id) DO NOTHING RETURNING resource_version::int8",
                &[(&METADATA_ROW_ID, Type::INT4), (&text, Type::TEXT)],
            )
            .await
            .map_err(|e| PgError::from_db(e, None))?;
        if let Some(row) = inserted {
            return Ok(row.get(0));
        }
    }
    Err(PgError::Conflict { expected })
}

/// `md` as it is stored: [`Metadata::to_json`]'s document, written straight to text (at 10,000
/// tables, building the JSON value first costs a tenth of a second).
fn stored_text(md: &Metadata) -> String {
    /// The top-level sections that are not empty, in their order.
    struct Sections<'a>(&'a serde_json::Map<String, serde_json::Value>);
    impl serde::Serialize for Sections<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map((self.0.iter()).filter(|(_, v)| !is_empty_section(v)))
        }
    }
    #[derive(serde::Serialize)]
    struct Stored<'a> {
        version: u32,
        sources: &'a [rasura_metadata::document::Source],
        #[serde(flatten)]
        extra: Sections<'a>,
    }
    let stored = Stored {
        version: md.version,
        sources: &md.sources,
        extra: Sections(&md.extra),
    };
    serde_json::to_string(&stored).expect("metadata serialises")
}

/// The catalog state: the installation's id and the states the CLI and the console keep.
pub async fn catalog_state(
    client: &impl GenericClient,
) -> Result<(String, serde_json::Value, serde_json::Value), PgError> {
    let row = client
        .query_typed_one(
            "SELECT hasura_uuid::text, cli_state, console_state FROM hdb_catalog.hdb_version",
            &[],
        )
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

/// Which of the two catalog states `set_catalog_state` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateOwner {
    Cli,
    Console,
}

/// Replaces the CLI's or the console's state.
pub async fn set_catalog_state(
    client: &impl GenericClient,
    owner: StateOwner,
    state: &serde_json::Value,
) -> Result<(), PgError> {
    let sql = match owner {
        StateOwner::Cli => "UPDATE hdb_catalog.hdb_version SET cli_state = $1",
        StateOwner::Console => "UPDATE hdb_catalog.hdb_version SET console_state = $1",
    };
    client
        .execute_typed(sql, &[(state, Type::JSONB)])
        .await
        .map_err(|e| PgError::from_db(e, Some(sql)))?;
    Ok(())
}

/// The channel on which engines sharing a metadata database announce what they committed.
pub const CHANGE_CHANNEL: &str = "rasura_metadata";

/// This process's id among the engines sharing a metadata database (random, fixed at first use).
pub fn instance_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        format!("{:016x}", h.finish())
    })
}

/// What a committed request changed, as other engines are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The metadata (a new resource version).
    Metadata,
    /// Only the database schema the metadata is resolved against (`run_sql` DDL).
    Catalog,
}

/// Tells the other engines, when the transaction commits, that this one changed `change`
/// (payload `<instance>:<version>:<metadata|catalog>`).
pub async fn announce(
    client: &impl GenericClient,
    version: i64,
    change: Change,
) -> Result<(), PgError> {
    let kind = match change {
        Change::Metadata => "metadata",
        Change::Catalog => "catalog",
    };
    let payload = format!("{}:{version}:{kind}", instance_id());
    client
        .execute_typed(
            "SELECT pg_notify($1, $2)",
            &[(&CHANGE_CHANNEL, Type::TEXT), (&payload, Type::TEXT)],
        )
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    Ok(())
}

/// An announcement read back: who sent it, the version, what changed.
pub fn parse_announcement(payload: &str) -> Option<(&str, i64, Change)> {
    let mut parts = payload.splitn(3, ':');
    let instance = parts.next()?;
    let version = parts.next()?.parse().ok()?;
    let change = match parts.next()? {
        "metadata" => Change::Metadata,
        "catalog" => Change::Catalog,
        _ => return None,
    };
    Some((instance, version, change))
}

/// The stored metadata's resource version (0 when nothing is stored).
pub async fn stored_version(client: &impl GenericClient) -> Result<i64, PgError> {
    let row = client
        .query_typed_opt(
            "SELECT resource_version::int8 FROM hdb_catalog.hdb_metadata WHERE id = $1",
            &[(&METADATA_ROW_ID, Type::INT4)],
        )
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    Ok(row.map_or(0, |r| r.get(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_is_the_exported_document() {
        let md = Metadata::from_json(serde_json::json!({
            "version": 3,
            "sources": [{"name": "default", "kind": "postgres", "tables": [
                {"table": {"schema": "public", "name": "a"},
                 "select_permissions": [{"role": "r", "permission": {"columns": ["id"], "filter": {"id": {"_gt": 1.5}}}}]}],
                "configuration": {"connection_info": {"database_url": {"from_env": "X"}}}}],
            "remote_schemas": [],
            "actions": [{"name": "go", "definition": {"handler": "http://h", "type": "mutation"}}],
            "query_collections": null,
            "custom_types": {"objects": [], "enums": []},
            "rest_endpoints": [{"name": "e", "url": "u", "methods": ["GET"], "definition": {"query": {"query_name": "q", "collection_name": "c"}}}]
        }))
        .expect("metadata");
        assert_eq!(stored_text(&md), md.to_json().to_string());
        assert!(!stored_text(&md).contains("remote_schemas"));
    }

    #[test]
    fn sources_only_reads_the_connections_without_the_tables() {
        let text = r#"{"version": 3, "sources": [{"name": "default", "tables": [{"table": {"schema": "public", "name": "a"}}],
            "configuration": {"connection_info": {"database_url": "postgres://x/y"}}}], "actions": []}"#;
        let head = sources_only(text).expect("a version 3 document");
        let full = parse_metadata(text).expect("metadata");
        assert_eq!(head.sources.len(), 1);
        assert!(head.sources[0].tables.is_empty());
        assert_eq!(head.sources[0].kind, full.sources[0].kind);
        assert_eq!(head.sources[0].configuration, full.sources[0].configuration);
        assert_eq!(
            head.served_source().map(|s| &s.name),
            full.served_source().map(|s| &s.name)
        );
        // Older versions (top-level tables) are read in full only.
        assert!(sources_only(r#"{"version": 2, "tables": []}"#).is_none());
        assert!(sources_only("not json").is_none());
    }

    #[test]
    fn a_stored_document_reads_as_its_json_value_does() {
        let text = r#"{"version": 3, "sources": [{"name": "default", "kind": "postgres",
            "tables": [{"table": {"schema": "public", "name": "a"}, "is_enum": false,
                "select_permissions": [{"role": "r", "permission": {"columns": "*", "filter": {"n": {"_gt": 1.5}}, "limit": 10}}],
                "some_future_key": {"kept": [1, -2, 3.25]}}],
            "configuration": {"connection_info": {"database_url": {"from_env": "X"}}}, "customization": {"x": 1}}],
            "actions": [{"name": "go", "definition": {"handler": "http://h"}}]}"#;
        let direct = parse_metadata(text).expect("metadata");
        let value = serde_json::from_str(text).expect("json");
        assert_eq!(direct, Metadata::from_json(value).expect("metadata"));
        // An older version is upgraded (its tables become the default source's).
        let old = parse_metadata(
            r#"{"version": 2, "tables": [{"table": {"schema": "public", "name": "a"}}]}"#,
        )
        .expect("version 2");
        assert_eq!((old.version, old.sources[0].tables.len()), (3, 1));
    }
}
