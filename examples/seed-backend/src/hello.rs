//! The `hello` remote schema: `type Query { hello: String! }`.

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
use axum::extract::State;
use axum::Json;

pub struct Query;

#[Object]
impl Query {
    /// Always "Hello World".
    async fn hello(&self) -> &'static str {
        "Hello World"
    }
}

pub type HelloSchema = Schema<Query, EmptyMutation, EmptySubscription>;

pub fn schema() -> HelloSchema {
    Schema::new(Query, EmptyMutation, EmptySubscription)
}

/// POST /graphql: one GraphQL request, answered as JSON (introspection included).
pub async fn graphql(
    State(schema): State<HelloSchema>,
    Json(req): Json<async_graphql::Request>,
) -> Json<async_graphql::Response> {
    Json(schema.execute(req).await)
}
