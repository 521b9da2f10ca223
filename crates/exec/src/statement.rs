//! One prepared statement returning one text value: how every root field reaches PostgreSQL.

use deadpool_postgres::GenericClient;

use crate::error::GqlError;

/// Prepares (once per connection) and runs one statement returning one text value.
pub(crate) async fn run_statement(
    client: &impl GenericClient,
    sql: &str,
    params: &[Option<String>],
) -> Result<Option<String>, GqlError> {
    let stmt = client
        .prepare_cached(sql)
        .await
        .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from_db(e, Some(sql)), sql))?;
    let row = client
        .query_one(&stmt, &bind(params))
        .await
        .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from_db(e, Some(sql)), sql))?;
    Ok(row.get(0))
}

/// A statement's text parameters, as the driver binds them.
pub(crate) fn bind(params: &[Option<String>]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}
