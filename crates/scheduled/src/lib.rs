//! Scheduled triggers: cron triggers (events materialised ahead in `hdb_cron_events`) and
//! one-off scheduled events (`hdb_scheduled_events`), delivered with the event-trigger
//! machinery of `rasura-events` and woken at the due time of the next event.

pub mod deliver;
pub mod ops;
pub mod payload;
pub mod store;
pub mod sync;
pub mod worker;

pub use worker::{Scheduler, SchedulerConfig};
