//! `/v1alpha1/pg_dump` (admin): runs the installed `pg_dump` on the served source with the
//! options given, as Hasura does, and answers its output as SQL; `clean_output` leaves out
//! comments, blank lines, the preamble `SET` lines and the engine's own capture triggers.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rasura_control::ApiError;
use serde::Deserialize;
use serde_json::Value;

use crate::state::AppState;
use crate::wire_error::api_error;

#[derive(Deserialize)]
struct DumpRequest {
    opts: Vec<String>,
    #[serde(default)]
    clean_output: bool,
    #[serde(default = "default_source")]
    source: String,
}

fn default_source() -> String {
    rasura_metadata::document::DEFAULT_SOURCE.to_string()
}

pub async fn pg_dump(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    match dump(&state, &headers, &body).await {
        Ok(sql) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/sql; charset=utf-8")],
            sql,
        )
            .into_response(),
        Err(e) => api_error(&e),
    }
}

async fn dump(state: &AppState, headers: &HeaderMap, body: &str) -> Result<String, ApiError> {
    crate::admin::require_admin_endpoint(&state.auth, headers)?;
    let req: DumpRequest = serde_json::from_str(body)
        .map_err(|e| ApiError::bad_request("parse-failed", e.to_string()))?;
    let engine = state.engine.current();
    let served = engine.resolved.served_named(&req.source);
    let url = match served.and_then(|(_, r)| r.source.as_ref()) {
        Some(s) => s.url.clone(),
        None => {
            return Err(ApiError::bad_request(
                "not-found",
                format!("source \"{}\" not found", req.source),
            ))
        }
    };
    drop(engine);
    let program = rasura_cluster::find_bin_dir()
        .map(|d| d.join("pg_dump"))
        .ok()
        .filter(|p| p.exists())
        .unwrap_or_else(|| "pg_dump".into());
    let unexpected = |message: &str, internal: Value| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "unexpected", message)
            .with_internal(internal)
    };
    let out = tokio::process::Command::new(program)
        .arg(&url)
        .arg("--encoding=utf8")
        .args(&req.opts)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| {
            unexpected(
                "internal exception while executing pg_dump",
                Value::String(e.to_string()),
            )
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        return Err(unexpected(
            "error while executing pg_dump",
            Value::String(stderr),
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    Ok(if req.clean_output { clean(&text) } else { text })
}

/// The preamble lines `clean_output` leaves out.
const PREAMBLE: &[&str] = &[
    "SET statement_timeout = 0;",
    "SET lock_timeout = 0;",
    "SET idle_in_transaction_session_timeout = 0;",
    "SET client_encoding = 'UTF8';",
    "SET standard_conforming_strings = on;",
    "SELECT pg_catalog.set_config('search_path', '', false);",
    "SET xmloption = content;",
    "SET client_min_messages = warning;",
    "SET row_security = off;",
    "SET default_tablespace = '';",
    "SET default_with_oids = false;",
    "SET default_table_access_method = heap;",
    "CREATE SCHEMA public;",
    "COMMENT ON SCHEMA public IS 'standard public schema';",
];

/// `pg_dump` output without blank lines, comments, the preamble and the engine's capture
/// triggers (`CREATE TRIGGER notify_hasura_... EXECUTE FUNCTION hdb_catalog.notify_hasura_...()`).
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let bare = line.replace('"', "");
        let capture_trigger = bare.starts_with("CREATE TRIGGER notify_hasura_")
            && bare.ends_with("();")
            && (bare.contains("EXECUTE FUNCTION hdb_catalog.notify_hasura_")
                || bare.contains("EXECUTE PROCEDURE hdb_catalog.notify_hasura_"));
        if line.trim().is_empty()
            || line.starts_with("--")
            || PREAMBLE.contains(&line)
            || capture_trigger
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn clean_output_keeps_the_schema_only() {
        let dump = "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n\
            SET check_function_bodies = false;\nSELECT pg_catalog.set_config('search_path', '', false);\n\
            CREATE TABLE public.a (\n    id integer\n);\n\n\
            CREATE TRIGGER notify_hasura_t_INSERT AFTER INSERT ON public.a FOR EACH ROW EXECUTE FUNCTION hdb_catalog.\"notify_hasura_t_INSERT\"();\n";
        assert_eq!(
            super::clean(dump),
            "SET check_function_bodies = false;\nCREATE TABLE public.a (\n    id integer\n);\n"
        );
    }
}
