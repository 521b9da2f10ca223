//! Resolved metadata → the GraphQL schema of a role, with the annotations that tie every
//! generated field back to the table, column or relationship it stands for.

mod actions;
mod aggregates;
pub mod build;
mod comparisons;
pub(crate) mod functions;
pub use functions::infer_function_permissions;
mod mutation;
mod namespace;
pub mod naming;
mod native;
pub mod perms;
mod relay;
mod remote;
mod remote_db;
pub use rasura_naming::scalars;
pub use rasura_remote_perms as remote_perms;
mod subscription;
pub mod types;
mod writer;

pub use build::{
    build_relay_schema, build_schema, build_schema_for, build_schema_on_one_thread,
    build_schema_shared,
};
pub use perms::RolePerms;
pub use rasura_schema_share::SharedTypes;
pub use types::{
    ActionRelationship, ColumnInfo, ComputedInfo, FunctionInfo, MutationRoot, RelInfo,
    RemoteDbRelInfo, RemoteRelInfo, RoleSchema, RootField, SourceNamespace, SourceRelInfo,
    TableBase, TableField, TableInfo,
};
