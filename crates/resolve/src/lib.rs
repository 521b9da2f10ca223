//! Metadata + catalog → resolved metadata, in named stages; what does not fit the database is
//! collected as an inconsistency and left out, never an error that stops the server.

pub mod diff;
pub mod stages;
pub mod suggest;
pub use rasura_resolved::{inconsistency, query_tags, types};

pub use inconsistency::{Inconsistency, ObjectRef};
pub use stages::{resolve, resolve_with_remotes};
pub use types::{
    EventCleanup, EventOperation, FunctionArg, RelKind, RemoteIntrospections, RemotePreset,
    ResolvedAction, ResolvedComputedField, ResolvedCronTrigger, ResolvedEventTrigger,
    ResolvedFunction, ResolvedMetadata, ResolvedRelationship, ResolvedRemoteRelationship,
    ResolvedRemoteSchema, ResolvedTable,
};
