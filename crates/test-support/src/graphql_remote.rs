//! A real GraphQL server for tests of remote schemas: any async-graphql schema served at
//! `http://127.0.0.1:<free port>/graphql` on the test's runtime.

use axum::{routing::post, Json, Router};

/// Serves `schema`; answers the URL of its `/graphql` endpoint.
pub async fn serve<E: async_graphql::Executor + Clone>(schema: E) -> String {
    let app = Router::new().route(
        "/graphql",
        post(move |Json(req): Json<async_graphql::Request>| {
            let schema = schema.clone();
            async move { Json(schema.execute(req).await) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let url = format!(
        "http://{}/graphql",
        listener.local_addr().expect("a local address")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// `writers { id name }`: three writers, ids 1 to 3 (for relationships to an author table).
pub async fn writers() -> String {
    #[derive(async_graphql::SimpleObject, Clone)]
    struct Writer {
        id: i32,
        name: String,
    }
    struct Query;
    #[async_graphql::Object]
    impl Query {
        async fn writers(&self) -> Vec<Writer> {
            (1..=3)
                .map(|id| Writer {
                    id,
                    name: format!("writer{id}"),
                })
                .collect()
        }
    }
    let schema = async_graphql::Schema::new(
        Query,
        async_graphql::EmptyMutation,
        async_graphql::EmptySubscription,
    );
    serve(schema).await
}
