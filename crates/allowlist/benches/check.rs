//! The cost of the allow-list check per request, without a database: an allow list of 200
//! collections of 10 queries each; a listed query sent as stored (a text lookup), a listed
//! query reformatted with `__typename` added (parsed and normalised), and a query not listed.
//!
//! `cargo bench -p rasura-allowlist --bench check`

use std::time::Instant;

use rasura_allowlist::{Allowlist, Verdict};
use rasura_metadata::Metadata;
use serde_json::json;

fn main() {
    let mut md = Metadata::default();
    let mut collections = vec![];
    let mut allow = vec![];
    for c in 0..200 {
        let queries: Vec<_> = (0..10)
            .map(|q| {
                json!({"name": format!("q{q}"), "query": format!(
                    "query Q{c}_{q}($id: Int!) {{ item_{c}(where: {{id: {{_eq: $id}}}}, limit: 10) {{ id name owner {{ id name }} tags_{q} {{ label }} }} }}"
                )})
            })
            .collect();
        collections.push(json!({"name": format!("c{c}"), "definition": {"queries": queries}}));
        allow.push(json!({"collection": format!("c{c}")}));
    }
    md.extra
        .insert("query_collections".into(), json!(collections));
    md.extra.insert("allowlist".into(), json!(allow));
    let t = Instant::now();
    let list = Allowlist::build(&md);
    println!(
        "build (2,000 queries): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let stored = "query Q150_7($id: Int!) { item_150(where: {id: {_eq: $id}}, limit: 10) { id name owner { id name } tags_7 { label } } }";
    let reformatted = "query Q150_7($id: Int!) {\n  item_150(where: {id: {_eq: $id}}, limit: 10) {\n    __typename\n    id\n    name\n    owner { __typename id name }\n    tags_7 { label }\n  }\n}";
    let unlisted = "query Q150_7($id: Int!) { item_150(where: {id: {_eq: $id}}) { id secret } }";
    for (what, q, expected) in [
        ("listed, as stored", stored, Verdict::Allowed),
        (
            "listed, reformatted + __typename",
            reformatted,
            Verdict::Allowed,
        ),
        ("not listed", unlisted, Verdict::Refused),
    ] {
        assert_eq!(list.check("user", q), expected);
        let n = 20_000;
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(list.check("user", std::hint::black_box(q)));
        }
        println!(
            "{what}: {:.2} µs per check",
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        );
    }
}
