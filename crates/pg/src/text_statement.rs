//! A generated statement with text parameters (they are read as `$n::text::<type>`), run
//! prepared once per connection from its second run on, or unnamed (parsed, bound and run in
//! one exchange, nothing left on the connection: what a pooler in transaction mode such as
//! pgbouncer needs).

use deadpool_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Error, Row};

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Prepared statements kept per connection. More texts than this (unique documents, or query
/// tags naming each root field) clear the connection's cache first, so neither the engine nor
/// the PostgreSQL backend keeps a statement for every text it ever ran.
pub const PREPARED_KEPT: usize = 512;

/// What statements run on: a pooled connection, or a transaction on one.
pub trait Conn: GenericClient {
    /// The connection's prepared statements, by text.
    fn statements(&self) -> &deadpool_postgres::StatementCache;

    /// Runs `sql` as an unnamed statement with `params` of the types given.
    fn unnamed<'a>(
        &'a self,
        sql: &'a str,
        params: &'a [(&'a (dyn ToSql + Sync), Type)],
    ) -> BoxFuture<'a, Result<Vec<Row>, Error>>;
}

impl Conn for deadpool_postgres::Client {
    fn statements(&self) -> &deadpool_postgres::StatementCache {
        &self.statement_cache
    }
    fn unnamed<'a>(
        &'a self,
        sql: &'a str,
        params: &'a [(&'a (dyn ToSql + Sync), Type)],
    ) -> BoxFuture<'a, Result<Vec<Row>, Error>> {
        Box::pin(self.query_typed(sql, params))
    }
}

impl Conn for deadpool_postgres::Transaction<'_> {
    fn statements(&self) -> &deadpool_postgres::StatementCache {
        &self.statement_cache
    }
    fn unnamed<'a>(
        &'a self,
        sql: &'a str,
        params: &'a [(&'a (dyn ToSql + Sync), Type)],
    ) -> BoxFuture<'a, Result<Vec<Row>, Error>> {
        Box::pin(self.query_typed(sql, params))
    }
}

/// Runs `sql` with its text parameters, `prepared` (and cached on the connection) or unnamed.
pub async fn rows(
    client: &impl Conn,
    sql: &str,
    params: &[Option<String>],
    prepared: bool,
) -> Result<Vec<Row>, Error> {
    if prepared {
        if !run_before(sql) {
            // A text's first run is unnamed (one exchange, nothing kept): a unique document, or
            // one whose query tags name each root field, would otherwise be prepared and then
            // executed, two exchanges for a statement that never comes again.
            return client.unnamed(sql, &typed(params)).await;
        }
        let kept = client.statements();
        if kept.size() >= PREPARED_KEPT {
            // Dropped statements are closed on the server as their last user lets go.
            kept.clear();
        }
        let stmt = client.prepare_cached(sql).await?;
        client.query(&stmt, &bind(params)).await
    } else {
        client.unnamed(sql, &typed(params)).await
    }
}

/// Texts run so far (hashes), process-wide; forgotten all at once past `SEEN_KEPT` of them.
static SEEN: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<u64>>> =
    std::sync::LazyLock::new(Default::default);

/// How many texts' hashes `SEEN` holds at most (512 KB).
const SEEN_KEPT: usize = 65_536;

/// Whether `sql` was run before (and, either way, it has been now).
fn run_before(sql: &str) -> bool {
    use std::hash::BuildHasher;
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let hash = seen.hasher().hash_one(sql);
    if seen.contains(&hash) {
        return true;
    }
    if seen.len() >= SEEN_KEPT {
        seen.clear();
    }
    seen.insert(hash);
    false
}

/// Text parameters typed for an unnamed statement.
pub fn typed(params: &[Option<String>]) -> Vec<(&(dyn ToSql + Sync), Type)> {
    params
        .iter()
        .map(|p| (p as &(dyn ToSql + Sync), Type::TEXT))
        .collect()
}

/// Text parameters, as the driver binds them.
pub fn bind(params: &[Option<String>]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}
