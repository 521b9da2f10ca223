//! GraphQL over WebSocket: both sub-protocols (`graphql-transport-ws` of the graphql-ws library,
//! and the legacy `graphql-ws` of subscriptions-transport-ws), auth at `connection_init`,
//! queries and mutations answered once, subscriptions as live queries that send a result only
//! when it changed, multiplexed where their statement allows (`multiplex`). Runs every
//! operation through `rasura_exec::run_as`; the server does the HTTP upgrade.

mod connection;
pub mod context;
mod live;
pub mod multiplex;
mod outbox;
pub mod protocol;

pub use connection::serve;
pub use context::Context;
pub use multiplex::Hub;
pub use protocol::Protocol;
