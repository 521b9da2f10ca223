//! Event triggers: the Postgres triggers that capture changes into `hdb_catalog.event_log`
//! (`ddl`, kept in step with the metadata by `sync`), and the delivery loop that claims
//! captured events and POSTs them to their webhooks (`worker`, `deliver`, `store`).

pub mod attempt_log;
pub mod cleanup;
pub mod ddl;
pub mod deliver;
pub mod payload;
pub mod session;
pub mod store;
pub mod sync;
pub mod worker;
pub mod write_context;

pub use worker::{Deliverer, DeliveryConfig};
