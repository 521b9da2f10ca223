//! `run_sql`: any SQL text, run with the simple protocol; the last statement's result in Hasura's shape.

use serde_json::{json, Value};
use tokio_postgres::{GenericClient, SimpleQueryMessage};

use crate::error::PgError;

/// The result of the last statement of a `run_sql`.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlResult {
    /// A statement that returned no rows description (DDL, INSERT without RETURNING...).
    CommandOk,
    /// A header row of column names, then the rows, every value as text (SQL NULL as the string `NULL`, as Hasura does).
    TuplesOk(Vec<Vec<Option<String>>>),
}

impl SqlResult {
    /// `{"result_type": ..., "result": ...}` as Hasura answers.
    pub fn to_json(&self) -> Value {
        match self {
            SqlResult::CommandOk => json!({"result_type": "CommandOk", "result": null}),
            SqlResult::TuplesOk(rows) => json!({"result_type": "TuplesOk", "result": rows}),
        }
    }
}

/// Runs the statements of `sql` one at a time, each committed on its own (no transaction
/// around them: `CREATE INDEX CONCURRENTLY` and the like); the last statement's result. A failing
/// statement stops the run, the ones before it stay.
pub async fn run_each(client: &impl GenericClient, sql: &str) -> Result<SqlResult, PgError> {
    let mut last = SqlResult::CommandOk;
    for statement in crate::statements::split(sql) {
        last = run_sql(client, statement).await?;
    }
    Ok(last)
}

/// Runs `sql` (one or more statements) on `client`.
pub async fn run_sql(client: &impl GenericClient, sql: &str) -> Result<SqlResult, PgError> {
    let messages = client
        .simple_query(sql)
        .await
        .map_err(|e| PgError::from_db(e, Some(sql)))?;
    let mut last = SqlResult::CommandOk;
    let mut current: Option<Vec<Vec<Option<String>>>> = None;
    for m in messages {
        match m {
            SimpleQueryMessage::RowDescription(cols) => {
                current = Some(vec![header(&cols)]);
            }
            SimpleQueryMessage::Row(row) => {
                let rows = current.get_or_insert_with(|| vec![header(row.columns())]);
                rows.push(
                    (0..row.len())
                        .map(|i| Some(row.get(i).unwrap_or("NULL").to_string()))
                        .collect(),
                );
            }
            SimpleQueryMessage::CommandComplete(_) => {
                last = match current.take() {
                    Some(rows) => SqlResult::TuplesOk(rows),
                    None => SqlResult::CommandOk,
                };
            }
            _ => {}
        }
    }
    if let Some(rows) = current {
        last = SqlResult::TuplesOk(rows);
    }
    Ok(last)
}

fn header(cols: &[tokio_postgres::SimpleColumn]) -> Vec<Option<String>> {
    cols.iter().map(|c| Some(c.name().to_string())).collect()
}
