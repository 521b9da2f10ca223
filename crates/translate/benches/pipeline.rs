//! Micro-benchmarks of the request pipeline's steps for the four bench queries: parse and
//! validate, build IR, translate, print. `cargo bench -p rasura-translate`.

#[path = "../tests/fixture/mod.rs"]
mod fixture;

use apollo_compiler::ExecutableDocument;
use criterion::{criterion_group, criterion_main, Criterion};
use fixture::schema;
use serde_json::{json, Map, Value};

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
