//! Errors of the database layer, with the SQLSTATE kept for mapping to Hasura's codes.

use thiserror::Error;

/// A database failure.
#[derive(Debug, Error)]
pub enum PgError {
    /// Could not get a connection (bad URL, server down, pool exhausted).
    #[error("connection error: {0}")]
    Connection(String),
    /// The server rejected a statement.
    #[error("{message}")]
    Statement {
        sqlstate: String,
        message: String,
        detail: Option<String>,
        hint: Option<String>,
        statement: Option<String>,
    },
    /// `resource_version` did not match the stored one.
    #[error("metadata resource version referenced ({expected}) did not match current version")]
    Conflict { expected: i64 },
    #[error("stored metadata is not valid: {0}")]
    BadMetadata(String),
}

impl PgError {
    /// Wraps a driver error; a server-side error keeps its SQLSTATE and texts.
    pub fn from_db(e: tokio_postgres::Error, statement: Option<&str>) -> PgError {
        match e.as_db_error() {
            Some(db) => PgError::Statement {
                sqlstate: db.code().code().to_string(),
                message: db.message().to_string(),
                detail: db.detail().map(str::to_string),
                hint: db.hint().map(str::to_string),
                statement: statement.map(str::to_string),
            },
            None => PgError::Connection(with_causes(&e)),
        }
    }

    /// Hasura's error code and message for a failed data statement (a GraphQL root field, or
    /// the query API's `select`/`insert`/...): data exceptions, constraint violations with
    /// Hasura's prefixes, permission errors, the query timeout; anything else `unexpected`.
    /// `None` when this is no statement error.
    pub fn data_error(&self) -> Option<(&'static str, String)> {
        let PgError::Statement {
            sqlstate, message, ..
        } = self
        else {
            return None;
        };
        Some(if sqlstate == "22025" {
            // An invalid LIKE escape is the query's fault (Hasura: bad-request).
            ("bad-request", message.clone())
        } else if sqlstate.starts_with("22") {
            ("data-exception", message.clone())
        } else if sqlstate == "23514" {
            (
                "permission-error",
                format!("Check constraint violation. {message}"),
            )
        } else if sqlstate.starts_with("23") {
            let prefix = match sqlstate.as_str() {
                "23505" => "Uniqueness violation. ",
                "23001" => "Can not delete or update due to data being referred. ",
                "23503" => "Foreign key violation. ",
                "23502" => "Not-NULL violation. ",
                "23P01" => "Exclusion violation. ",
                _ => "",
            };
            ("constraint-violation", format!("{prefix}{message}"))
        } else if sqlstate == "42501" {
            ("permission-error", message.clone())
        } else if sqlstate == "57014" && message.contains("statement timeout") {
            (
                "timeout",
                "the request ran longer than the query timeout and was cancelled".to_string(),
            )
        } else {
            ("unexpected", "database query error".to_string())
        })
    }

    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            PgError::Statement { sqlstate, .. } => Some(sqlstate),
            _ => None,
        }
    }
}

/// An error's text followed by its causes' (the driver's own text leaves out why a TLS
/// handshake or a connection failed), each once.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

impl From<deadpool_postgres::PoolError> for PgError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => PgError::from_db(e, None),
            other => PgError::Connection(other.to_string()),
        }
    }
}
