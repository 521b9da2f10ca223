//! PostgreSQL access: the connection pool, the engine's own `hdb_catalog` schema, the metadata
//! store, `run_sql`, and the classification of database errors.

pub mod error;
pub mod hdb_catalog;
pub mod pool;
pub mod run_sql;
pub mod shared;
pub mod source_catalog;
pub mod statements;
pub mod text_statement;
pub mod tls;

pub use error::PgError;
pub use pool::{
    connect_pool, lazy_pool, prune, register_source_pool, source_connections, Pool, PoolOptions,
};
pub use shared::{SharedConn, SharedConns, QUEUE_BUDGET, STALLED_AFTER};
pub use tls::connect_config;
