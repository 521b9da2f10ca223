//! Hasura metadata (format version 3) as typed data, and the pure edits the metadata API makes to it.

/// The Hasura version this engine answers as (`/v1/version`, the events' `User-Agent`).
pub const COMPAT_VERSION: &str = "v2.48.0";

/// The `User-Agent` of every request the engine makes to a webhook or remote, as Hasura names itself.
pub fn user_agent() -> String {
    format!("hasura-graphql-engine/{COMPAT_VERSION}")
}

pub mod actions;
pub mod comment_ops;
pub mod cron_triggers;
pub mod document;
pub mod error;
pub mod event_triggers;
pub mod function_ops;
pub mod inherited_roles;
pub mod ops;
pub mod permission;
pub mod remote_relationships;
pub mod remote_schemas;
pub mod sources;
pub mod table;

pub use document::{Metadata, Source};
pub use error::MetadataError;
pub use permission::{
    Columns, DeletePermission, InsertPermission, PermissionEntry, SelectPermission,
    UpdatePermission,
};
pub use table::{
    ComputedField, FkConstraintOn, FunctionEntry, ManualConfiguration, QualifiedName, Relationship,
    RelationshipUsing, TableConfig, TableEntry,
};
