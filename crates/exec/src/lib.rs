//! GraphQL execution: a session's request through parse, validate, build IR, plan and execute
//! (`pipeline::run_as`), with the caches of documents, plans and introspection answers, action
//! calls, remote forwarding and joins, and the engine state they run against. Knows nothing of
//! HTTP routes: the server and the WebSocket layer call it.

pub mod action;
pub mod api_limits;
pub mod async_actions;
pub use rasura_memory::cache;
pub mod config;
pub mod engine;
pub use rasura_gql_error as error;
pub mod execute;
pub mod explain;
pub mod introspection;
pub mod limits;
pub use rasura_memory::threads as memory;
pub mod metrics;
mod mutate;
pub mod pipeline;
pub mod plan;
pub mod plan_cache;
pub mod request;
pub use rasura_source as source;
pub mod state;
mod statement;

pub use config::{ExecConfig, ReadSharing};
pub use engine::EngineState;
pub use error::GqlError;
pub use pipeline::{run_as, Channel, LiveShape, Ran};
pub use request::GqlRequest;
pub use state::{Engine, Layout};
