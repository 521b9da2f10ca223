//! Micro-benchmark of the cached path: what a repeated query costs before its statement goes to
//! PostgreSQL (document-cache hit, operation, variable coercion, plan-cache key and hit, the
//! plan's parameters bound). `cargo bench -p rasura-exec --bench cached_path`.

#[path = "../../translate/tests/fixture/mod.rs"]
mod fixture;

use std::sync::Arc;

use apollo_compiler::ExecutableDocument;
use criterion::{criterion_group, criterion_main, Criterion};
use rasura_exec::cache::DocumentCache;
use rasura_exec::pipeline::{coerce_variables, select_operation};
use rasura_exec::plan::RootPlan;
use rasura_exec::plan_cache::{self, PlanCache, PlanKey};
use serde_json::{json, Map, Value};

const QUERIES: [(&str, &str); 2] = [
    ("q1_by_pk", "query($id: Int!) { author_by_pk(id: $id) { id name } }"),
    ("q4_aggregate", "query($id: Int!) { article_aggregate(where: {author_id: {_eq: $id}}) { aggregate { count avg { rating } } } }"),
];

/// The plan the server makes for `vars`: each root's statement and parameters.
fn plan(
    schema: &rasura_schema::RoleSchema,
    doc: &ExecutableDocument,
    vars: &Map<String, Value>,
) -> Vec<(String, RootPlan)> {
    let op = doc.operations.get(None).unwrap();
    let ir = rasura_ir::build_ir(schema, doc, op, vars, &rasura_ir::Session::admin()).unwrap();
    ir.roots
        .iter()
        .map(|(key, root)| {
            let rasura_ir::Root::Select(select) = root else {
                unreachable!("the benchmark queries select")
            };
            let t = rasura_translate::translate_select(select, Default::default());
            let sql = rasura_sql::print(&t.select).sql;
            (
                key.clone(),
                RootPlan::Sql {
                    sql,
                    params: t.params.0,
                },
            )
        })
        .collect()
}

fn cached_path(c: &mut Criterion) {
    let schema = fixture::schema();
    let session = rasura_ir::Session::admin();
    let given: Map<String, Value> = json!({"id": 7}).as_object().unwrap().clone();
    for (name, query) in QUERIES {
        let doc = Arc::new(
            ExecutableDocument::parse_and_validate(&schema.schema, query, "q.graphql").unwrap(),
        );
        let documents = DocumentCache::default();
        documents.insert("admin", query, doc.clone());
        let op = doc.operations.get(None).unwrap();
        let vars = coerce_variables(&schema, op, &given).unwrap();
        let real = plan(&schema, &doc, &vars);
        let marked = plan(&schema, &doc, &plan_cache::marked_variables(&vars));
        let plans = PlanCache::default();
        plans.insert(
            PlanKey::new(&session, query, None, &vars),
            plan_cache::template(&real, &marked),
        );
        c.bench_function(&format!("{name}/cached_path"), |b| {
            b.iter(|| {
                let doc = documents.get("admin", query).unwrap();
                let op = select_operation(&doc, None, false).unwrap();
                let vars = coerce_variables(&schema, op, &given).unwrap();
                let key = PlanKey::new(&session, query, None, &vars);
                let bound = plans.get(&key).unwrap().instantiate(&vars).unwrap();
                assert_eq!(bound.len(), 1);
                bound
            })
        });
    }
}

criterion_group!(benches, cached_path);
criterion_main!(benches);
