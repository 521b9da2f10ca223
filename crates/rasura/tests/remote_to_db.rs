//! Relationships from a remote schema's types to tables, end to end: a real GraphQL server
//! (async-graphql) as the remote, a real database, and Hasura's cases: object and array
//! relationships, a null join value, permissions of the target table (row filter, row limit per
//! parent, aggregates), the joined field left out of the answer unless asked for, and the
//! metadata API's checks and dependencies.

use std::path::Path;

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SimpleObject};
use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

#[derive(SimpleObject, Clone)]
struct Track {
    id: i32,
    title: String,
    album_id: Option<i32>,
}

#[derive(SimpleObject, Clone)]
struct Artist {
    id: Option<i32>,
    name: String,
}

struct Query;

#[Object]
impl Query {
    async fn tracks(&self) -> Vec<Track> {
        let t = |id, title: &str, album_id| Track {
            id,
            title: title.into(),
            album_id,
        };
        vec![
            t(1, "track1_album1", Some(1)),
            t(2, "track2_album1", Some(1)),
            t(3, "track1_album2", Some(2)),
            t(4, "track1_album3", Some(3)),
            t(5, "track_no_album", None),
        ]
    }

    async fn artists(&self) -> Vec<Artist> {
        let a = |id, name: &str| Artist {
            id,
            name: name.into(),
        };
        vec![
            a(Some(1), "artist1"),
            a(Some(2), "artist2"),
            a(Some(3), "artist3_no_albums"),
            a(None, "artist4_no_id"),
        ]
    }
}

/// The remote, on a port of its own.
async fn remote() -> String {
    let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
    rasura_test_support::graphql_remote::serve(schema).await
}

async fn metadata(s: &TestServer, body: Value) -> (u16, Value) {
    s.post("/v1/metadata", &body, &[]).await
}

async fn ok(s: &TestServer, body: Value) {
    let (status, answer) = metadata(s, body).await;
    assert_eq!(status, 200, "{answer}");
}

async fn gql(s: &TestServer, headers: &[(&str, &str)], q: &str) -> Value {
    let (status, body) = s.post("/v1/graphql", &json!({"query": q}), headers).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn relationship(type_name: &str, name: &str, kind: &str, mapping: Value) -> Value {
    json!({"type": "create_remote_schema_remote_relationship", "args": {
        "remote_schema": "music", "type_name": type_name, "name": name,
        "definition": {"to_source": {"source": "default", "table": {"schema": "public", "name": "album"},
            "relationship_type": kind, "field_mapping": mapping}}}})
}

async fn start() -> (TestCluster, TestServer) {
    let url = remote().await;
    let pg = TestCluster::start("app").await;
    let db = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", db.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v2/query",
            &json!({"type": "run_sql", "args": {"sql": "
        create table album (id int primary key, title text not null, artist_id int);
        insert into album values (1, 'album1_artist1', 1), (2, 'album2_artist1', 1),
            (3, 'album3_artist1', 1), (4, 'album4_artist2', 2);"}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    ok(&s, json!({"type": "bulk", "args": [
        {"type": "pg_track_table", "args": {"source": "default", "table": "album"}},
        {"type": "pg_create_select_permission", "args": {"source": "default", "table": "album", "role": "role1",
            "permission": {"columns": ["title", "artist_id"], "filter": {"artist_id": {"_eq": "x-hasura-artist-id"}}}}},
        {"type": "pg_create_select_permission", "args": {"source": "default", "table": "album", "role": "role2",
            "permission": {"columns": ["id", "title", "artist_id"], "filter": {"artist_id": {"_eq": "x-hasura-artist-id"}},
                "limit": 2, "allow_aggregations": true}}},
        {"type": "add_remote_schema", "args": {"name": "music", "definition": {"url": url, "timeout_seconds": 10}}},
    ]})).await;
    ok(
        &s,
        relationship("Track", "album", "object", json!({"albumId": "id"})),
    )
    .await;
    ok(
        &s,
        relationship("Artist", "albums", "array", json!({"id": "artist_id"})),
    )
    .await;
    (pg, s)
}

#[tokio::test]
async fn object_and_array_relationships_from_a_remote() {
    let (_pg, s) = start().await;
    let body = gql(&s, &[], "{ tracks { title album { title } } }").await;
    assert_eq!(
        body["data"]["tracks"],
        json!([
            {"title": "track1_album1", "album": {"title": "album1_artist1"}},
            {"title": "track2_album1", "album": {"title": "album1_artist1"}},
            {"title": "track1_album2", "album": {"title": "album2_artist1"}},
            {"title": "track1_album3", "album": {"title": "album3_artist1"}},
            {"title": "track_no_album", "album": null},
        ]),
        "{body}"
    );
    // The joined field shows only when asked for, under the client's alias.
    let body = gql(&s, &[], "{ tracks { a: album { t: title } albumId id } }").await;
    assert_eq!(
        body["data"]["tracks"][0],
        json!({"a": {"t": "album1_artist1"}, "albumId": 1, "id": 1}),
        "{body}"
    );
    let body = gql(&s, &[], "{ artists { name albums(order_by: {id: desc}, where: {title: {_like: \"%1\"}}) { id title } } }").await;
    assert_eq!(
        body["data"]["artists"],
        json!([
            {"name": "artist1", "albums": [{"id": 3, "title": "album3_artist1"}, {"id": 2, "title": "album2_artist1"}, {"id": 1, "title": "album1_artist1"}]},
            {"name": "artist2", "albums": []},
            {"name": "artist3_no_albums", "albums": []},
            {"name": "artist4_no_id", "albums": null},
        ]),
        "{body}"
    );
    let body = gql(
        &s,
        &[],
        "{ artists { albums_aggregate { aggregate { count } } } }",
    )
    .await;
    assert_eq!(
        body["data"]["artists"][0],
        json!({"albums_aggregate": {"aggregate": {"count": 3}}}),
        "{body}"
    );
    // Roles: the table's row filter and columns; the row limit per parent, not for the count.
    let role1 = [("x-hasura-role", "role1"), ("x-hasura-artist-id", "1")];
    let body = gql(&s, &role1, "{ tracks { album { title } } }").await;
    let albums: Vec<&Value> = body["data"]["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["album"])
        .collect();
    assert_eq!(
        albums,
        [
            &json!({"title": "album1_artist1"}),
            &json!({"title": "album1_artist1"}),
            &json!({"title": "album2_artist1"}),
            &json!({"title": "album3_artist1"}),
            &Value::Null
        ],
        "{body}"
    );
    let body = gql(&s, &role1, "{ tracks { album { id } } }").await;
    assert_eq!(
        body["errors"][0]["message"], "field 'id' not found in type: 'album'",
        "{body}"
    );
    let body = gql(
        &s,
        &role1,
        "{ artists { albums_aggregate { aggregate { count } } } }",
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"], "field 'albums_aggregate' not found in type: 'Artist'",
        "{body}"
    );
    let role2 = [("x-hasura-role", "role2"), ("x-hasura-artist-id", "1")];
    let body = gql(&s, &role2, "{ artists { name albums(order_by: {id: asc}, limit: 4) { id } albums_aggregate { aggregate { count } } } }").await;
    assert_eq!(
        body["data"]["artists"][0],
        json!({"name": "artist1", "albums": [{"id": 1}, {"id": 2}],
        "albums_aggregate": {"aggregate": {"count": 3}}}),
        "{body}"
    );
    // A role that may not read the table has no such field.
    let body = gql(
        &s,
        &[("x-hasura-role", "nobody")],
        "{ tracks { album { title } } }",
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "validation-failed",
        "{body}"
    );
}

#[tokio::test]
async fn the_metadata_api_checks_and_keeps_them() {
    let (_pg, s) = start().await;
    let refused = |body: &Value, code: &str, error: &str| {
        assert_eq!(
            (body["code"].as_str(), body["error"].as_str()),
            (Some(code), Some(error)),
            "{body}"
        );
    };
    let (status, body) =
        metadata(&s, relationship("Nope", "x", "object", json!({"id": "id"}))).await;
    assert_eq!(status, 400);
    refused(&body, "constraint-violation", "Inconsistent object: in remote relationship \"x\": no type named \"Nope\" defined in remote schema \"music\"");
    let (_, body) = metadata(
        &s,
        relationship("Track", "x", "object", json!({"nope": "id"})),
    )
    .await;
    refused(
        &body,
        "constraint-violation",
        "Inconsistent object: in remote relationship \"x\": \"nope\" does not exist",
    );
    let (_, body) = metadata(
        &s,
        relationship("Track", "x", "object", json!({"id": "nope"})),
    )
    .await;
    refused(
        &body,
        "constraint-violation",
        "Inconsistent object: in remote relationship \"x\": \"nope\" does not exist",
    );
    let mut both = relationship("Track", "x", "object", json!({"id": "id"}));
    both["args"]["definition"]["to_remote_schema"] = json!({});
    let (_, body) = metadata(&s, both).await;
    refused(&body, "parse-failed", "remote relationship definition (strict format) expects exactly one of: to_source, to_remote_schema");
    let (_, body) = metadata(&s, json!({"type": "update_remote_schema_remote_relationship", "args": {
        "remote_schema": "music", "type_name": "Track", "name": "nope", "definition": {"to_source": {}}}})).await;
    refused(
        &body,
        "not-exists",
        "no relationship defined on remote schema \"music\" with name \"nope\"",
    );
    // Stored as Hasura stores them.
    let (_, md) = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(
        md["remote_schemas"][0]["remote_relationships"][0],
        json!({"relationships": [{"definition": {"to_source": {
        "field_mapping": {"albumId": "id"}, "relationship_type": "object", "source": "default",
        "table": {"schema": "public", "name": "album"}}}, "name": "album"}], "type_name": "Track"}),
        "{md}"
    );
    // The remote schema cannot go while they point at tables; updating it keeps them.
    let (_, body) = metadata(
        &s,
        json!({"type": "remove_remote_schema", "args": {"name": "music"}}),
    )
    .await;
    refused(&body, "dependency-error", "cannot drop due to the following dependent objects: remote_relationship album on type Track in remote schema music, remote_relationship albums on type Artist in remote schema music");
    let definition = md["remote_schemas"][0]["definition"].clone();
    ok(&s, json!({"type": "update_remote_schema", "args": {"name": "music", "definition": definition}})).await;
    let body = gql(&s, &[], "{ tracks { album { title } } }").await;
    assert_eq!(
        body["data"]["tracks"][0]["album"]["title"], "album1_artist1",
        "{body}"
    );
    // Untracking the table needs cascade, which drops them.
    let (_, body) = metadata(
        &s,
        json!({"type": "pg_untrack_table", "args": {"source": "default", "table": "album"}}),
    )
    .await;
    assert_eq!(body["code"], "dependency-error", "{body}");
    ok(&s, json!({"type": "pg_untrack_table", "args": {"source": "default", "table": "album", "cascade": true}})).await;
    let (_, md) = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(
        md["remote_schemas"][0]["remote_relationships"],
        json!([
        {"relationships": [], "type_name": "Track"}, {"relationships": [], "type_name": "Artist"}]),
        "{md}"
    );
    ok(&s, json!({"type": "delete_remote_schema_remote_relationship", "args": {"remote_schema": "music", "type_name": "Track", "name": "gone"}})).await;
    ok(
        &s,
        json!({"type": "remove_remote_schema", "args": {"name": "music"}}),
    )
    .await;
}
