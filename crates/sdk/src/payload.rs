//! The bodies the engine POSTs: to Action handlers and to Event Trigger webhooks.

use serde::{Deserialize, Serialize};

use crate::session::Session;

/// `{"name"}` of the action called.
///
/// ```
/// let a: rasura_sdk::ActionName = serde_json::from_str(r#"{"name": "login"}"#).unwrap();
/// assert_eq!(a.name, "login");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionName {
    pub name: String,
}

/// What an Action handler receives: the action's name, its arguments as `Input`, the caller's
/// session, and the GraphQL text of the request (`None` for asynchronous actions).
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Args { username: String }
/// let p: rasura_sdk::ActionPayload<Args> = serde_json::from_str(
///     r#"{"action": {"name": "login"}, "input": {"username": "ada"},
///         "session_variables": {"x-hasura-role": "admin"}, "request_query": null}"#,
/// ).unwrap();
/// assert_eq!(p.input.username, "ada");
/// assert_eq!(p.request_query, None);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionPayload<Input> {
    pub action: ActionName,
    pub input: Input,
    #[serde(default)]
    pub session_variables: Session,
    #[serde(default)]
    pub request_query: Option<String>,
}

/// A change's operation.
///
/// ```
/// let op: rasura_sdk::Op = serde_json::from_str("\"MANUAL\"").unwrap();
/// assert_eq!(op, rasura_sdk::Op::Manual);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Op {
    Insert,
    Update,
    Delete,
    Manual,
}

/// The rows before and after the change (`old` is absent for INSERT and MANUAL, `new` for
/// DELETE).
///
/// ```
/// let d: rasura_sdk::EventData<serde_json::Value, serde_json::Value> =
///     serde_json::from_str(r#"{"old": null, "new": {"id": 1}}"#).unwrap();
/// assert!(d.old.is_none());
/// assert_eq!(d.new.unwrap()["id"], 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventData<New, Old> {
    #[serde(default = "none")]
    pub old: Option<Old>,
    #[serde(default = "none")]
    pub new: Option<New>,
}

fn none<T>() -> Option<T> {
    None
}

/// The trace the change was made under.
///
/// ```
/// let t: rasura_sdk::TraceContext =
///     serde_json::from_str(r#"{"trace_id": "4bf9", "span_id": "00f0", "sampling_state": "1"}"#).unwrap();
/// assert_eq!(t.sampling_state.as_deref(), Some("1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceContext {
    pub trace_id: String,
    pub span_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling_state: Option<String>,
}

/// The change itself. `session_variables` and `trace_context` are `None` for writes made
/// outside the engine.
///
/// ```
/// let e: rasura_sdk::Event<serde_json::Value, serde_json::Value> = serde_json::from_str(
///     r#"{"op": "DELETE", "data": {"old": {"id": 3}, "new": null},
///         "session_variables": null, "trace_context": null}"#,
/// ).unwrap();
/// assert_eq!(e.op, rasura_sdk::Op::Delete);
/// assert!(e.session_variables.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event<New, Old> {
    pub op: Op,
    pub data: EventData<New, Old>,
    #[serde(default)]
    pub session_variables: Option<Session>,
    #[serde(default)]
    pub trace_context: Option<TraceContext>,
}

/// `{"name"}` of the trigger.
///
/// ```
/// let t: rasura_sdk::TriggerName = serde_json::from_str(r#"{"name": "user_created"}"#).unwrap();
/// assert_eq!(t.name, "user_created");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerName {
    pub name: String,
}

/// `{"schema", "name"}` of the table (`schema` is `public` when absent).
///
/// ```
/// let t: rasura_sdk::TableName = serde_json::from_str(r#"{"name": "user"}"#).unwrap();
/// assert_eq!((t.schema.as_str(), t.name.as_str()), ("public", "user"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableName {
    #[serde(default = "public")]
    pub schema: String,
    pub name: String,
}

fn public() -> String {
    "public".into()
}

/// Which attempt this is: `current_retry` is 0 on the first.
///
/// ```
/// let d: rasura_sdk::DeliveryInfo = serde_json::from_str(r#"{"current_retry": 1, "max_retries": 3}"#).unwrap();
/// assert_eq!((d.current_retry, d.max_retries), (1, 3));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryInfo {
    #[serde(default)]
    pub current_retry: u32,
    #[serde(default)]
    pub max_retries: u32,
}

/// What an Event Trigger webhook receives. `id` is stable across retries: the key to make a
/// handler idempotent. `New` and `Old` are the row types (use one type for both, or
/// `serde_json::Value`).
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct User { id: String, name: String }
/// let p: rasura_sdk::EventPayload<User> = serde_json::from_str(r#"{
///   "id": "8f0c", "created_at": "2026-12-01T10:00:00.123456Z",
///   "trigger": {"name": "user_created"}, "table": {"schema": "public", "name": "user"},
///   "event": {"op": "INSERT", "data": {"old": null, "new": {"id": "u1", "name": "Ada"}},
///             "session_variables": {"x-hasura-role": "admin"}, "trace_context": null},
///   "delivery_info": {"max_retries": 0, "current_retry": 0}}"#).unwrap();
/// assert_eq!(p.event.data.new.unwrap().name, "Ada");
/// assert_eq!(p.table.name, "user");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPayload<New, Old = New> {
    pub id: String,
    /// ISO-8601, with or without a trailing `Z`.
    pub created_at: String,
    pub trigger: TriggerName,
    pub table: TableName,
    pub event: Event<New, Old>,
    #[serde(default)]
    pub delivery_info: DeliveryInfo,
}
