//! The control plane: `/v1/metadata`, `/v2/query` and legacy `/v1/query` operations, each
//! request in one database transaction on a working copy of the metadata (`execute`). Depends on
//! metadata, resolution and the database, not on GraphQL execution: what a request committed is
//! handed back for the engine to serve.

mod catalog_state_ops;
mod data_ops;
mod data_select;
mod data_write;
pub mod error;
mod event_ops;
pub mod execute;
mod metadata_ops;
mod native_check;
mod remote_db_ops;
mod remote_ops;
mod run_sql;
mod run_sql_other;
mod scheduled_ops;
mod source_ops;
mod suggest;
mod table_info;
mod transform_ops;
pub mod tx;

pub use error::ApiError;
pub use execute::{execute, Committed, Current, Databases};
pub use tx::Api;
