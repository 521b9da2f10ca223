//! Hasura metadata (format version 3) as typed data, and the pure edits the metadata API makes to it.

pub mod actions;
pub mod document;
pub mod error;
pub mod ops;
pub mod permission;
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
