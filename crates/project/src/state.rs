//! The CLI's migration state, kept in the engine's catalog state (`cli_state`) in the Hasura
//! CLI's shape, so that a project migrated by either CLI is seen as migrated by the other:
//! `{"migrations": {"<db>": {"<version>": <dirty>}}, "settings": {"migration_mode": "true"},
//! "isStateCopyCompleted": true}`.

use std::collections::BTreeMap;

use anyhow::bail;
use serde_json::{json, Map, Value};

use crate::client::Client;

/// The state as read; written back whole after every change, as the Hasura CLI does.
#[derive(Debug, Clone, PartialEq)]
pub struct CliState(pub Value);

impl CliState {
    /// Reads the state, with the defaults the Hasura CLI writes for a new project.
    pub async fn read(client: &Client) -> anyhow::Result<CliState> {
        let answer = client.metadata("get_catalog_state", json!({})).await?;
        let mut state = answer.get("cli_state").cloned().unwrap_or(json!({}));
        if !state.is_object() {
            state = json!({});
        }
        let mut s = CliState(state);
        let settings = s.obj().entry("settings").or_insert(json!({}));
        if !settings.is_object() {
            *settings = json!({});
        }
        if let Some(m) = settings.as_object_mut() {
            m.entry("migration_mode").or_insert(json!("true"));
        }
        Ok(s)
    }

    /// Writes the whole state.
    pub async fn write(&self, client: &Client) -> anyhow::Result<()> {
        let answer = client
            .metadata("set_catalog_state", json!({"type": "cli", "state": self.0}))
            .await?;
        crate::client::expect_success(&answer)
    }

    fn obj(&mut self) -> &mut Map<String, Value> {
        if !self.0.is_object() {
            self.0 = json!({});
        }
        self.0.as_object_mut().expect("object")
    }

    /// Refuses to change migrations when migration mode is off.
    pub fn check_mode(&self) -> anyhow::Result<()> {
        if self.0.pointer("/settings/migration_mode") == Some(&json!("false")) {
            bail!("Migration mode is disabled");
        }
        Ok(())
    }

    /// The applied versions of a database, each with its dirty flag.
    pub fn applied(&self, db: &str) -> BTreeMap<u64, bool> {
        let mut out = BTreeMap::new();
        if let Some(Value::Object(m)) = self.0.get("migrations").and_then(|m| m.get(db)) {
            for (v, dirty) in m {
                if let Ok(v) = v.parse() {
                    out.insert(v, dirty.as_bool().unwrap_or(false));
                }
            }
        }
        out
    }

    fn db(&mut self, db: &str) -> &mut Map<String, Value> {
        let migrations = self.obj().entry("migrations").or_insert(json!({}));
        if !migrations.is_object() {
            *migrations = json!({});
        }
        let entry = migrations
            .as_object_mut()
            .expect("object")
            .entry(db)
            .or_insert(json!({}));
        if !entry.is_object() {
            *entry = json!({});
        }
        entry.as_object_mut().expect("object")
    }

    pub fn set(&mut self, db: &str, version: u64, dirty: bool) {
        self.db(db).insert(version.to_string(), json!(dirty));
    }

    pub fn remove(&mut self, db: &str, version: u64) {
        self.db(db).remove(&version.to_string());
    }

    /// Whether the old `hdb_catalog.schema_migrations` table has been copied in.
    pub fn copied(&self) -> bool {
        self.0.get("isStateCopyCompleted") == Some(&json!(true))
    }

    pub fn mark_copied(&mut self) {
        self.obj()
            .insert("isStateCopyCompleted".into(), json!(true));
    }
}

/// Copies versions recorded by an older CLI in `hdb_catalog.schema_migrations` of a database
/// into the state, once, as the Hasura CLI does for a project moved to config v3.
pub async fn copy_legacy(client: &Client, state: &mut CliState, db: &str) -> anyhow::Result<()> {
    if state.copied() {
        return Ok(());
    }
    let sql = "SELECT version::text, dirty::text FROM hdb_catalog.schema_migrations";
    if let Ok(answer) = client.run_sql(db, sql, false, false).await {
        if let Some(rows) = answer.get("result").and_then(Value::as_array) {
            for row in rows.iter().skip(1) {
                let (Some(v), Some(d)) = (row.get(0).and_then(Value::as_str), row.get(1)) else {
                    continue;
                };
                if let Ok(v) = v.parse() {
                    state.set(db, v, d.as_str() == Some("t") || d.as_str() == Some("true"));
                }
            }
        }
    }
    state.mark_copied();
    state.write(client).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_kept_as_the_hasura_cli_keeps_them() {
        let mut s = CliState(json!({"settings": {"migration_mode": "true"}}));
        s.set("default", 1616826329751, false);
        s.set("other", 2, true);
        s.remove("other", 2);
        assert_eq!(
            s.0,
            json!({"settings": {"migration_mode": "true"},
                   "migrations": {"default": {"1616826329751": false}, "other": {}}})
        );
        assert_eq!(
            s.applied("default"),
            BTreeMap::from([(1616826329751, false)])
        );
        assert!(s.check_mode().is_ok());
        let off = CliState(json!({"settings": {"migration_mode": "false"}}));
        assert_eq!(
            off.check_mode().unwrap_err().to_string(),
            "Migration mode is disabled"
        );
    }
}
