//! One statement returning one text value: how every root field reaches PostgreSQL, prepared
//! or unnamed as the source's `use_prepared_statements` says (`rasura_pg::text_statement`).

use tokio_postgres::Row;

pub(crate) use rasura_pg::text_statement::Conn;

use crate::error::GqlError;

tokio::task_local! {
    /// Whether the statements of the request being served are prepared.
    static PREPARED: bool;
}

/// Runs `f` with its statements prepared, or unnamed, as the source says.
pub(crate) async fn with_prepared<F: std::future::Future>(prepared: bool, f: F) -> F::Output {
    PREPARED.scope(prepared, f).await
}

/// Runs `sql` with its text parameters; its rows.
pub(crate) async fn rows(
    client: &impl Conn,
    sql: &str,
    params: &[Option<String>],
) -> Result<Vec<Row>, GqlError> {
    let prepared = PREPARED.try_with(|p| *p).unwrap_or(true);
    rasura_pg::text_statement::rows(client, sql, params, prepared)
        .await
        .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from_db(e, Some(sql)), sql))
}

/// Runs one statement returning one text value.
pub(crate) async fn run_statement(
    client: &impl Conn,
    sql: &str,
    params: &[Option<String>],
) -> Result<Option<String>, GqlError> {
    let rows = rows(client, sql, params).await?;
    match rows.as_slice() {
        [row] => Ok(row.get(0)),
        _ => Err(GqlError::new(
            "unexpected",
            "$",
            format!("a statement returned {} rows instead of one", rows.len()),
        )),
    }
}
