//! The worker behind asynchronous actions: claims stored calls (`FOR UPDATE SKIP LOCKED`, so
//! several engines never take the same one), calls their handlers, stores the result or the
//! error. Calls left `processing` by an engine that stopped are taken up again at start.

use std::time::Duration;

use serde_json::{json, Value};

use crate::action::{self, ActionPlan};
use crate::state::Engine;

const CLAIM: &str = "UPDATE hdb_catalog.hdb_action_log SET status = 'processing' WHERE id IN \
    (SELECT id FROM hdb_catalog.hdb_action_log WHERE status = 'created' ORDER BY created_at \
     FOR UPDATE SKIP LOCKED LIMIT 10) \
    RETURNING id::text, action_name, input_payload::text, request_headers::text, session_variables::text";

const COMPLETE: &str = "UPDATE hdb_catalog.hdb_action_log SET status = 'completed', \
    response_payload = $2::text::jsonb, response_received_at = now() WHERE id = $1::text::uuid";

const FAIL: &str = "UPDATE hdb_catalog.hdb_action_log SET status = 'error', \
    errors = $2::text::jsonb, response_received_at = now() WHERE id = $1::text::uuid";

/// Parameters are text.
const TEXT: tokio_postgres::types::Type = tokio_postgres::types::Type::TEXT;

const RECLAIM: &str =
    "UPDATE hdb_catalog.hdb_action_log SET status = 'created' WHERE status = 'processing'";

/// Starts the worker on the current runtime; abort the handle to stop it (a call cut short is
/// taken up again at the next start).
pub fn spawn(state: Engine) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match state.source() {
            Ok(s) => s.pool.get().await.ok(),
            Err(_) => None,
        };
        if let Some(client) = client {
            let _ = client.batch_execute(RECLAIM).await;
        }
        loop {
            let worked = match tick(&state).await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!("async actions: {e}");
                    false
                }
            };
            if !worked {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    })
}

/// One round: claim, call, store. Returns how many calls it handled.
async fn tick(state: &Engine) -> Result<usize, String> {
    // The action log is kept in the source's database; without a source there is none.
    let Ok(source) = state.source() else {
        return Ok(0);
    };
    let client = source.pool.get().await.map_err(|e| e.to_string())?;
    // Unnamed statements throughout: a pooler in transaction mode may sit in between.
    let rows = client
        .query_typed(CLAIM, &[])
        .await
        .map_err(|e| e.to_string())?;
    drop(client);
    let engine = state.current();
    let n = rows.len();
    for row in rows {
        let id: String = row.get(0);
        let name: Option<String> = row.get(1);
        let input: String = row.get(2);
        let headers: String = row.get(3);
        let session: String = row.get(4);
        let outcome = match engine
            .resolved
            .actions
            .iter()
            .find(|a| Some(&a.name) == name.as_ref())
        {
            None => Err(
                json!({"path": "$", "error": "the action no longer exists", "code": "not-exists"}),
            ),
            Some(a) => {
                let client_headers =
                    serde_json::from_str::<serde_json::Map<String, Value>>(&headers)
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string())))
                        .collect();
                let plan = ActionPlan {
                    action: a.clone(),
                    input: serde_json::from_str(&input).unwrap_or(Value::Null),
                    selection: None,
                    session: serde_json::from_str(&session).unwrap_or_default(),
                    request_query: None,
                    client_headers,
                    schema: engine.admin_schema.clone(),
                };
                action::run(&plan)
                    .await
                    .map(|v| v.to_string())
                    .map_err(|e| json!({"path": e.path, "error": e.message, "code": e.code}))
            }
        };
        let client = state
            .source()
            .map_err(|e| e.to_string())?
            .pool
            .get()
            .await
            .map_err(|e| e.to_string())?;
        let stored = match outcome {
            Ok(answer) => {
                client
                    .query_typed(COMPLETE, &[(&id, TEXT), (&answer, TEXT)])
                    .await
            }
            Err(error) => {
                let error = error.to_string();
                client
                    .query_typed(FAIL, &[(&id, TEXT), (&error, TEXT)])
                    .await
            }
        };
        stored.map_err(|e| e.to_string())?;
    }
    Ok(n)
}
