//! The schema's shape, whole: a fixture on a real PostgreSQL covering what the schema issue
//! lists (tables with comments and custom names, custom root fields, relationships, an enum
//! table, a tracked function, scalar and set-returning computed fields with arguments,
//! permissions with limits, aggregations and `columns: []`, an inherited role), resolved and
//! built for admin and for roles, printed as SDL and kept as snapshots (`cargo insta review`
//! to update); and Hasura's fixed texts and orders checked one by one.

use std::sync::Arc;

use rasura_metadata::{ops, Metadata};
use rasura_resolve::resolve;
use rasura_test_support::TestCluster;
use serde_json::json;

const DDL: &str = "
create table author (id serial primary key, name text not null, bio text);
comment on table author is 'People who write';
comment on column author.name is 'Full name';
create table article_status (value text primary key, comment text);
insert into article_status values ('draft', 'Not yet out'), ('published', 'Out');
create table article (
  id serial primary key,
  author_id int not null references author(id),
  title text not null,
  status text not null references article_status(value),
  rating int,
  tags text[]
);
create function author_full_name(a author) returns text as $$ select a.name $$ language sql stable;
create function author_top_articles(a author, min_rating int) returns setof article
  as $$ select * from article where author_id = a.id and rating >= min_rating $$ language sql stable;
create function search_articles(search text) returns setof article
  as $$ select * from article where title ilike '%' || search || '%' $$ language sql stable;
";

async fn schemas() -> Vec<(&'static str, String)> {
    let pg = TestCluster::start("app").await;
    let client = pg.client("app").await;
    client.batch_execute(DDL).await.unwrap();
    let mut catalog = rasura_catalog::load(&client).await.unwrap();
    rasura_catalog::load_enum_rows(
        &client,
        &mut catalog,
        &[("public".into(), "article_status".into())],
    )
    .await;
    let mut md = Metadata::empty();
    let cols = |c: &[&str]| json!(c);
    for (op, args) in [
        (
            "track_table",
            json!({"table": "author", "configuration": {
            "custom_root_fields": {"select_by_pk": {"name": "author_by_id", "comment": "One author"}},
            "column_config": {"bio": {"custom_name": "biography"}}}}),
        ),
        (
            "track_table",
            json!({"table": "article_status", "is_enum": true}),
        ),
        ("track_table", json!("article")),
        (
            "create_object_relationship",
            json!({"table": "article", "name": "author",
            "using": {"foreign_key_constraint_on": "author_id"}}),
        ),
        (
            "create_array_relationship",
            json!({"table": "author", "name": "articles",
            "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}),
        ),
        (
            "add_computed_field",
            json!({"table": "author", "name": "full_name",
            "definition": {"function": "author_full_name"}}),
        ),
        (
            "add_computed_field",
            json!({"table": "author", "name": "top_articles",
            "definition": {"function": "author_top_articles"}}),
        ),
        ("track_function", json!("search_articles")),
        (
            "create_select_permission",
            json!({"table": "author", "role": "user", "permission": {
            "columns": cols(&["id", "name"]), "computed_fields": ["full_name"],
            "filter": {"id": {"_eq": "X-Hasura-User-Id"}}}}),
        ),
        (
            "create_select_permission",
            json!({"table": "article", "role": "user", "permission": {
            "columns": cols(&["id", "title", "status", "author_id"]), "filter": {"status": {"_eq": "published"}},
            "limit": 20, "allow_aggregations": true}}),
        ),
        (
            "create_insert_permission",
            json!({"table": "article", "role": "user", "permission": {
            "columns": cols(&["title", "tags"]), "check": {"author_id": {"_eq": "X-Hasura-User-Id"}},
            "set": {"author_id": "X-Hasura-User-Id", "status": "draft"}}}),
        ),
        (
            "create_select_permission",
            json!({"table": "article", "role": "counter", "permission": {
            "columns": [], "filter": {}, "allow_aggregations": true}}),
        ),
        (
            "add_inherited_role",
            json!({"role_name": "both", "role_set": ["user", "counter"]}),
        ),
    ] {
        ops::apply(&mut md, op, args.clone()).unwrap_or_else(|e| panic!("{op}: {e}"));
    }
    // The default source reads HASURA_GRAPHQL_DATABASE_URL: stand in for the engine's URL.
    rasura_resolve::stages::sources::set_database_url("postgres://127.0.0.1/fixture");
    let resolved = resolve(&md, Arc::new(catalog));
    assert!(
        resolved.inconsistencies.is_empty(),
        "{:?}",
        resolved.inconsistencies
    );
    let mut all: Vec<(&'static str, String)> = ["admin", "user", "counter", "both"]
        .into_iter()
        .map(|role| {
            let shared = rasura_schema::SharedTypes::default();
            let s = rasura_schema::build_schema_shared(&resolved, role, false, &shared).unwrap();
            // The generated text is read without apollo's parser (`generated.rs`), and the
            // snapshots below check that it is read as apollo reads it.
            assert_eq!(shared.parts_parsed_by_apollo(), 0, "{role}");
            (role, s.schema.to_string())
        })
        .collect();
    // The admin schema again under graphql-default (the experimental feature on).
    let mut camel = resolved;
    camel.naming = rasura_naming::Naming::with(
        &json!({"naming_convention": "graphql-default"}),
        false,
        true,
    );
    let s = rasura_schema::build_schema(&camel, "admin").unwrap();
    all.push(("graphql_default", s.schema.to_string()));
    all
}

/// The names a user gave in the fixture, kept as written under any convention.
const GIVEN: &[&str] = &["author_by_id", "full_name", "top_articles", "min_rating"];

/// Hasura's names that no convention changes.
const FIXED: &[&str] = &[
    "query_root",
    "mutation_root",
    "subscription_root",
    "_and",
    "_or",
    "_not",
    "_set",
    "_inc",
    "_append",
    "_prepend",
    "_cast",
    "_PLACEHOLDER",
];

#[tokio::test]
async fn graphql_default_leaves_no_generated_snake_case_name() {
    let all = schemas().await;
    let sdl = &all.iter().find(|(r, _)| *r == "graphql_default").unwrap().1;
    let mut checked = 0;
    for line in sdl.lines() {
        let line = line.trim();
        if line.starts_with('"') || line.starts_with('#') {
            continue;
        }
        let name = match line.split_whitespace().collect::<Vec<_>>()[..] {
            ["type" | "input" | "enum" | "scalar" | "interface", name, ..] => name,
            [first, ..] if first.ends_with(':') || first.contains('(') => {
                first.split([':', '(']).next().unwrap_or_default()
            }
            _ => continue,
        };
        checked += 1;
        let inner = name.trim_start_matches('_');
        if inner.contains('_') && !GIVEN.contains(&name) && !FIXED.contains(&name) {
            // Scalars keep PostgreSQL's names (`_text` arrays aside, none here).
            assert!(
                sdl.contains(&format!("scalar {name}")),
                "graphql-default left a snake-case name: {line}"
            );
        }
    }
    assert!(checked > 200, "only {checked} names checked");
    for expected in [
        "type Author ",
        "input AuthorBoolExp",
        "enum ArticleStatusEnum",
        "enum OrderBy",
        "  ASC_NULLS_FIRST",
        "  authorById(",
        "  articlesAggregate(",
        "  insertArticleOne(",
        "  affectedRows: Int!",
        "  _isNull: Boolean",
        "  searchArticles(",
        "  biography: String",
        "orderBy: [ArticleOrderBy!]",
    ] {
        let found = sdl.contains(expected);
        // A custom root field is kept as written (`author_by_id`).
        if expected == "  authorById(" {
            assert!(!found && sdl.contains("  author_by_id("), "{sdl}");
            continue;
        }
        assert!(found, "graphql-default SDL lacks {expected:?}");
    }
}

#[tokio::test]
async fn the_schema_has_hasuras_shape() {
    let all = schemas().await;
    for (role, sdl) in &all {
        insta::assert_snapshot!(format!("shape_{role}"), sdl);
    }
    let admin = &all[0].1;
    // Hasura's fixed texts.
    for text in [
        "People who write",
        "Full name",
        "One author",
        r#"columns and relationships of "article""#,
        r#"Boolean expression to filter rows from the table "author". All fields are combined with a logical 'AND'."#,
        r#"unique or primary key constraints on table "article""#,
        r#"select columns of table "article""#,
        r#"response of any mutation on the table "article""#,
        r#"input type for inserting data into table "article""#,
        r#"on_conflict condition type for table "article""#,
        r#"aggregated selection of "article""#,
        "column ordering options",
        r#"Ordering options when selecting data from "article"."#,
    ] {
        assert!(admin.contains(text), "admin SDL lacks {text}");
    }
    // The order_by enum's values in Hasura's order.
    let order_by = admin.split("enum order_by {").nth(1).unwrap();
    let values: Vec<&str> = order_by
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('"') && !l.is_empty())
        .take_while(|l| *l != "}")
        .collect();
    assert_eq!(
        values,
        [
            "asc",
            "asc_nulls_first",
            "asc_nulls_last",
            "desc",
            "desc_nulls_first",
            "desc_nulls_last"
        ]
    );
    // Enum table values as an enum type, the custom names in use.
    assert!(admin.contains("enum article_status_enum {"), "{admin}");
    assert!(admin.contains("author_by_id("), "{admin}");
    assert!(admin.contains("biography: String"), "{admin}");
    assert!(
        admin.contains("top_articles(\n") || admin.contains("top_articles("),
        "{admin}"
    );
    // The roles see only what they may.
    let user = &all[1].1;
    assert!(!user.contains("biography"), "{user}");
    assert!(user.contains("full_name: String"), "{user}");
    assert!(!user.contains("delete_article"), "{user}");
    let counter = &all[2].1;
    assert!(counter.contains("article_aggregate("), "{counter}");
    let both = &all[3].1;
    assert!(both.contains("insert_article("), "{both}");
}
