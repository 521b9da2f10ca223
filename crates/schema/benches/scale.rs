//! Schema build time and memory at scale, without a database: a synthetic catalog of N tables
//! (each with a foreign key to the previous one, an object and an array relationship) and R roles
//! with select permissions, as `bench/scale.sh` creates them. Reports the time to resolve and to
//! build the admin schema and each role's, and the heap bytes live after each step (counted by
//! a wrapping global allocator).
//!
//! `cargo bench -p rasura-schema --bench scale -- [TABLES] [ROLES]` (defaults 1000 and 5).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rasura_catalog::Catalog;
use rasura_metadata::Metadata;
use serde_json::{json, Value};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is added.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live_mb() -> f64 {
    LIVE.load(Ordering::Relaxed) as f64 / 1e6
}

fn column(name: &str, ty: &str, nullable: bool, position: usize) -> Value {
    json!({
        "name": name, "position": position, "type": ty, "type_schema": "pg_catalog",
        "type_kind": "b", "type_category": if ty == "int4" { "N" } else { "S" },
        "elem_type": null, "elem_schema": null, "display_type": ty, "nullable": nullable,
        "has_default": name == "id", "is_identity": false, "is_generated": false,
        "description": null
    })
}

fn catalog(n: usize) -> Catalog {
    let tables: Vec<Value> = (1..=n)
        .map(|i| {
            let fks = if i > 1 {
                json!([{"name": format!("t{i}_parent_id_fkey"), "columns": ["parent_id"],
                        "ref_table": {"schema": "public", "name": format!("t{}", i - 1)},
                        "ref_columns": ["id"]}])
            } else {
                json!([])
            };
            json!({
                "schema": "public", "name": format!("t{i}"), "kind": "r", "description": null,
                "insertable": true, "updatable": true, "deletable": true,
                "columns": [column("id", "int4", false, 1), column("name", "text", true, 2),
                            column("parent_id", "int4", true, 3)],
                "primary_key": {"name": format!("t{i}_pkey"), "columns": ["id"]},
                "unique_constraints": [], "foreign_keys": fks
            })
        })
        .collect();
    let doc = json!({"server_version": 150000, "enums": [], "functions": [], "tables": tables});
    Catalog::from_json(&doc.to_string()).expect("synthetic catalog")
}

fn metadata(n: usize, r: usize) -> Metadata {
    let tables: Vec<Value> = (1..=n)
        .map(|i| {
            let perms: Vec<Value> = (0..r)
                .map(|k| {
                    json!({"role": format!("role{k}"), "permission": {
                    "columns": ["id", "name"], "filter": {"id": {"_gt": k}},
                    "allow_aggregations": k % 2 == 0}})
                })
                .collect();
            let mut t = json!({"table": {"schema": "public", "name": format!("t{i}")},
                               "select_permissions": perms});
            if i > 1 {
                t["object_relationships"] = json!([{"name": "parent",
                    "using": {"foreign_key_constraint_on": "parent_id"}}]);
            }
            if i < n {
                t["array_relationships"] = json!([{"name": "children",
                    "using": {"foreign_key_constraint_on": {
                        "table": {"schema": "public", "name": format!("t{}", i + 1)},
                        "column": "parent_id"}}}]);
            }
            t
        })
        .collect();
    Metadata::from_json(json!({"version": 3, "sources": [{"name": "default", "kind": "postgres",
        "tables": tables, "configuration": {"connection_info": {"database_url": "postgres://x"}}}]}))
    .expect("synthetic metadata")
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(1000);
    let r = args.get(1).copied().unwrap_or(5);
    let base = live_mb();
    let catalog = Arc::new(catalog(n));
    let md = metadata(n, r);
    println!(
        "RESULT schema_scale tables={n} roles={r} catalog_and_metadata_mb={:.1}",
        live_mb() - base
    );
    let t = Instant::now();
    // The default source reads HASURA_GRAPHQL_DATABASE_URL: stand in for the engine's URL.
    rasura_resolve::stages::sources::set_database_url("postgres://127.0.0.1/fixture");
    let resolved = rasura_resolve::resolve(&md, catalog);
    let before = live_mb();
    println!(
        "RESULT schema_scale step=resolve ms={} live_mb={:.1}",
        t.elapsed().as_millis(),
        before - base
    );
    let shared = rasura_schema::SharedTypes::default();
    let mut kept = vec![];
    for role in std::iter::once("admin".to_string()).chain((0..r).map(|k| format!("role{k}"))) {
        let t = Instant::now();
        let s = rasura_schema::build_schema_shared(&resolved, &role, false, &shared)
            .expect("schema builds");
        println!(
            "RESULT schema_scale step={role} ms={} types={} live_mb={:.1}",
            t.elapsed().as_millis(),
            s.schema.types.len(),
            live_mb() - base
        );
        kept.push(s);
    }
}
