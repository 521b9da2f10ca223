//! The engine's APIs as the CLI calls them: `/v1/metadata`, `/v2/query`, `/v1/version`,
//! `/v1alpha1/pg_dump`, with the admin secret; errors keep Hasura's code and message.

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};

/// A connection to one engine.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    admin_secret: Option<String>,
}

impl Client {
    pub fn new(endpoint: &str, admin_secret: Option<&str>) -> Client {
        Client {
            http: reqwest::Client::new(),
            endpoint: endpoint.trim_end_matches('/').to_string(),
            admin_secret: admin_secret.map(str::to_string),
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    async fn send(&self, path: &str, body: &Value) -> anyhow::Result<reqwest::Response> {
        let url = format!("{}/{path}", self.endpoint);
        let mut req = self.http.post(&url).json(body);
        if let Some(s) = &self.admin_secret {
            req = req.header("x-hasura-admin-secret", s);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("connecting to the engine at {} failed", self.endpoint))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        Err(api_error(status.as_u16(), &text))
    }

    /// POSTs JSON and reads a JSON answer.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let resp = self.send(path, body).await?;
        resp.json()
            .await
            .with_context(|| format!("{path}: the answer is not JSON"))
    }

    /// A metadata API call.
    pub async fn metadata(&self, op: &str, args: Value) -> anyhow::Result<Value> {
        self.post("v1/metadata", &json!({"type": op, "args": args}))
            .await
    }

    /// `run_sql` on a source, through `/v2/query`; `no_transaction`: statement by statement,
    /// outside a transaction (Rasura's `no_transaction` argument).
    pub async fn run_sql(
        &self,
        source: &str,
        sql: &str,
        check_consistency: bool,
        no_transaction: bool,
    ) -> anyhow::Result<Value> {
        let mut args = json!({"sql": sql, "source": source});
        if !check_consistency {
            args["check_metadata_consistency"] = json!(false);
        }
        if no_transaction {
            args["no_transaction"] = json!(true);
        }
        self.post("v2/query", &json!({"type": "run_sql", "args": args}))
            .await
    }

    /// The exported metadata (version 3 document).
    pub async fn export(&self) -> anyhow::Result<Value> {
        self.metadata("export_metadata", json!({})).await
    }

    /// `/v1alpha1/pg_dump`'s text.
    pub async fn pg_dump(&self, source: &str, opts: &[&str]) -> anyhow::Result<String> {
        let body = json!({"opts": opts, "clean_output": true, "source": source});
        let resp = self.send("v1alpha1/pg_dump", &body).await?;
        Ok(resp.text().await?)
    }

    /// Checks that the engine answers `/v1/version`.
    pub async fn check(&self) -> anyhow::Result<String> {
        let url = format!("{}/v1/version", self.endpoint);
        let resp = self.http.get(&url).send().await.with_context(|| {
            format!(
                "connecting to the engine at {} failed (is it running? is the endpoint right?)",
                self.endpoint
            )
        })?;
        let v: Value = resp.json().await.context("/v1/version")?;
        Ok(v.get("version")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string())
    }
}

/// Hasura's `{code, error, path}` (and a Postgres message under `internal`) as one message.
fn api_error(status: u16, text: &str) -> anyhow::Error {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return anyhow!("the engine answered {status}: {text}");
    };
    let code = v.get("code").and_then(Value::as_str).unwrap_or("error");
    let error = v.get("error").and_then(Value::as_str).unwrap_or(text);
    let mut msg = format!("{code}: {error}");
    if let Some(path) = v.get("path").and_then(Value::as_str).filter(|p| *p != "$") {
        msg.push_str(&format!(" (at {path})"));
    }
    if let Some(pg) = v.pointer("/internal/error/message").and_then(Value::as_str) {
        msg.push_str(&format!("\n  postgres: {pg}"));
        if let Some(s) = v
            .pointer("/internal/error/status_code")
            .and_then(Value::as_str)
        {
            msg.push_str(&format!(" [{s}]"));
        }
    }
    anyhow!(msg)
}

/// Fails with the engine's inconsistencies if the answer of a replace or reload has any.
pub fn inconsistencies(answer: &Value) -> Vec<Value> {
    answer
        .get("inconsistent_objects")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Refuses an answer that is not Hasura's success message.
pub fn expect_success(answer: &Value) -> anyhow::Result<()> {
    if answer.get("message").and_then(Value::as_str) == Some("success") {
        Ok(())
    } else {
        bail!("unexpected answer: {answer}")
    }
}
