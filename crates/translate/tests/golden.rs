//! Golden tests: GraphQL queries against a fixed catalog and metadata, translated to SQL;
//! the SQL (pretty-printed) and its parameters are snapshots (`cargo insta review` to update).

mod fixture;

use apollo_compiler::ExecutableDocument;
use fixture::schema;
use serde_json::{json, Map, Value};

/// Translates every root field of `query` and renders SQL and parameters.
fn render(query: &str, variables: Value) -> String {
    render_with(schema(), query, variables)
}

fn render_with(schema: rasura_schema::RoleSchema, query: &str, variables: Value) -> String {
    let doc = ExecutableDocument::parse_and_validate(&schema.schema, query, "q.graphql").unwrap();
    let op = doc.operations.get(None).unwrap();
    let vars: Map<String, Value> = variables.as_object().cloned().unwrap_or_default();
    let ir = rasura_ir::build_ir(&schema, &doc, op, &vars, &rasura_ir::Session::admin()).unwrap();
    let mut out = String::new();
    for (key, root) in &ir.roots {
        let options = rasura_translate::Options::default();
        let t = match root {
            rasura_ir::Root::Select(s) => rasura_translate::translate_select(s, options),
            rasura_ir::Root::Connection(c) => rasura_translate::translate_connection(c, options),
            _ => continue,
        };
        {
            let sql = rasura_sql::print(&t.select).sql;
            out.push_str(&format!(
                "-- {key}\n{}\n-- params: {:?}\n",
                pretty(&sql),
                t.params.0
            ));
        }
    }
    out
}

/// Line breaks before the main clauses, indented by subquery depth.
fn pretty(sql: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut in_str = false;
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            in_str = !in_str;
        }
        if !in_str {
            let rest: String = chars[i..].iter().take(10).collect();
            for kw in [" FROM ", " WHERE ", " ORDER BY ", " LIMIT "] {
                if rest.starts_with(kw) {
                    out.push('\n');
                    out.push_str(&"  ".repeat(depth + 1));
                    i += 1;
                    break;
                }
            }
            if rest.starts_with("(SELECT ") {
                depth += 1;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[test]
fn native_query_with_arguments_and_a_relationship() {
    // Each placeholder a parameter of its own, cast to the argument's type; the code nested
    // without its semicolon.
    insta::assert_snapshot!(render(
        r#"query($min: Int) { rated_articles(args: {min: $min}, where: {title: {_like: "%a%"}}, order_by: {title: asc}, limit: 2) { title author { name } } }"#,
        json!({"min": 3})
    ));
}

#[test]
fn q1_by_pk() {
    insta::assert_snapshot!(render(
        "query($id: Int!) { author_by_pk(id: $id) { id name } }",
        json!({"id": 7})
    ));
}

#[test]
fn q2_filter_join() {
    insta::assert_snapshot!(render(
        "{ article(where: {rating: {_gte: 4}}, order_by: {id: asc}, limit: 20) { id title author { name } } }",
        json!({})
    ));
}

#[test]
fn q3_nested() {
    insta::assert_snapshot!(render(
        "{ author(limit: 10, order_by: {id: asc}) { name articles(limit: 5, order_by: {id: desc}) { title } } }",
        json!({})
    ));
}

#[test]
fn q4_aggregate() {
    insta::assert_snapshot!(render(
        "query($id: Int!) { article_aggregate(where: {author_id: {_eq: $id}}) { aggregate { count avg { rating } } } }",
        json!({"id": 3})
    ));
}

#[test]
fn boolean_operators_and_relationships() {
    insta::assert_snapshot!(render(
        r#"{ author(where: {_or: [{rating: {_in: [1, 2]}}, {articles: {title: {_ilike: "%rust%"}}}], meta: {_has_key: "twitter"}, _not: {name: {_is_null: true}}}) { id } }"#,
        json!({})
    ));
}

#[test]
fn order_by_relationships_and_aggregates() {
    insta::assert_snapshot!(render(
        "{ article(order_by: [{author: {name: desc_nulls_last}}, {id: asc}]) { id } author(order_by: {articles_aggregate: {count: desc}}) { id } }",
        json!({})
    ));
}

#[test]
fn distinct_on_json_path_and_nested_aggregate() {
    insta::assert_snapshot!(render(
        r#"{ author(distinct_on: [rating], order_by: [{rating: asc}, {id: desc}]) { meta(path: "$.a[0]") articles_aggregate(where: {rating: {_gt: 2}}) { aggregate { count(columns: [rating], distinct: true) max { title } } nodes { id } } } }"#,
        json!({})
    ));
}

/// A column seen only on some rows (an inherited role's): nulled in the base query elsewhere.
#[test]
fn redacted_column_is_nulled_where_its_condition_fails() {
    let schema = schema();
    let query = "{ author(where: {id: {_gt: 10}}) { id name } }";
    let doc = ExecutableDocument::parse_and_validate(&schema.schema, query, "q.graphql").unwrap();
    let op = doc.operations.get(None).unwrap();
    let ir =
        rasura_ir::build_ir(&schema, &doc, op, &Map::new(), &rasura_ir::Session::admin()).unwrap();
    let rasura_ir::Root::Select(s) = &ir.roots[0].1 else {
        panic!("a select")
    };
    // The request's filter becomes the condition under which `name` shows.
    let mut s = s.clone();
    let cond = std::mem::replace(&mut s.filter, rasura_ir::BoolExp::True);
    s.redactions = vec![("name".into(), cond)];
    let t = rasura_translate::translate_select(&s, rasura_translate::Options::default());
    let sql = rasura_sql::print(&t.select).sql;
    insta::assert_snapshot!(format!("{}\n-- params: {:?}\n", pretty(&sql), t.params.0));
}

/// A Relay connection after a cursor, ordered by a column: rows numbered over the whole
/// filtered set, the cursor split compared as JSON, the page sliced, ids and cursors in base64.
#[test]
fn relay_connection_after_a_cursor() {
    insta::assert_snapshot!(render_with(
        fixture::schema_for(fixture::RELAY),
        "query($after: String) { article_connection(first: 2, after: $after, order_by: {rating: desc}, where: {rating: {_gt: 1}}) { pageInfo { hasNextPage endCursor } edges { cursor node { id title } } } }",
        json!({"after": "eyJyYXRpbmciIDogNSwgImlkIiA6IDN9"})
    ));
}
