//! Micro-benchmarks of the request pipeline's steps for the four bench queries: parse and
//! validate, build IR, translate, print. `cargo bench -p rasura-translate`.

use std::sync::Arc;

use apollo_compiler::ExecutableDocument;
use criterion::{criterion_group, criterion_main, Criterion};
use rasura_catalog::Catalog;
use rasura_metadata::{ops, Metadata};
use serde_json::{json, Map, Value};

fn col(name: &str, ty: &str, nullable: bool) -> Value {
    json!({"name": name, "position": 1, "type": ty, "type_schema": "pg_catalog", "type_kind": "b",
           "type_category": if ty == "int4" { "N" } else { "S" }, "elem_type": null, "elem_schema": null,
           "display_type": ty, "nullable": nullable, "has_default": false, "is_identity": false,
           "is_generated": false, "description": null})
}

fn schema() -> rasura_schema::RoleSchema {
    let catalog = json!({"server_version": 150000, "enums": [], "functions": [], "tables": [
        {"schema": "public", "name": "author", "kind": "r", "description": null, "insertable": true, "updatable": true, "deletable": true,
         "columns": [col("id", "int4", false), col("name", "text", false)],
         "primary_key": {"name": "author_pkey", "columns": ["id"]}, "unique_constraints": [], "foreign_keys": []},
        {"schema": "public", "name": "article", "kind": "r", "description": null, "insertable": true, "updatable": true, "deletable": true,
         "columns": [col("id", "int4", false), col("author_id", "int4", false), col("title", "text", false), col("rating", "int4", false)],
         "primary_key": {"name": "article_pkey", "columns": ["id"]}, "unique_constraints": [],
         "foreign_keys": [{"name": "article_author_id_fkey", "columns": ["author_id"], "ref_table": {"schema": "public", "name": "author"}, "ref_columns": ["id"]}]}
    ]});
    let catalog = Arc::new(Catalog::from_json(&catalog.to_string()).unwrap());
    let mut md = Metadata::empty();
    for (op, args) in [
        ("track_table", json!("author")),
        ("track_table", json!("article")),
        (
            "create_object_relationship",
            json!({"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}),
        ),
        (
            "create_array_relationship",
            json!({"table": "author", "name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}),
        ),
    ] {
        ops::apply(&mut md, op, args).unwrap();
    }
    rasura_schema::build_schema(&rasura_resolve::resolve(&md, catalog), "admin").unwrap()
}

const QUERIES: [(&str, &str); 4] = [
    ("q1_by_pk", "query($id: Int!) { author_by_pk(id: $id) { id name } }"),
    ("q2_filter_join", "{ article(where: {rating: {_gte: 4}}, order_by: {id: asc}, limit: 20) { id title author { name } } }"),
    ("q3_nested", "{ author(limit: 10, order_by: {id: asc}) { name articles(limit: 5, order_by: {id: desc}) { title } } }"),
    ("q4_aggregate", "query($id: Int!) { article_aggregate(where: {author_id: {_eq: $id}}) { aggregate { count avg { rating } } } }"),
];

fn pipeline(c: &mut Criterion) {
    let schema = schema();
    let session = rasura_ir::Session::admin();
    let vars: Map<String, Value> = json!({"id": 7}).as_object().unwrap().clone();
    for (name, query) in QUERIES {
        c.bench_function(&format!("{name}/parse_validate"), |b| {
            b.iter(|| {
                ExecutableDocument::parse_and_validate(&schema.schema, query, "q.graphql").unwrap()
            })
        });
        let doc =
            ExecutableDocument::parse_and_validate(&schema.schema, query, "q.graphql").unwrap();
        let op = doc.operations.get(None).unwrap();
        c.bench_function(&format!("{name}/build_ir"), |b| {
            b.iter(|| rasura_ir::build_ir(&schema, &doc, op, &vars, &session).unwrap())
        });
        let ir = rasura_ir::build_ir(&schema, &doc, op, &vars, &session).unwrap();
        let rasura_ir::Root::Select(select) = &ir.roots[0].1 else {
            unreachable!()
        };
        c.bench_function(&format!("{name}/translate"), |b| {
            b.iter(|| {
                rasura_translate::translate_select(select, rasura_translate::Options::default())
            })
        });
        let t = rasura_translate::translate_select(select, rasura_translate::Options::default());
        c.bench_function(&format!("{name}/print"), |b| {
            b.iter(|| rasura_sql::print(&t.select))
        });
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
