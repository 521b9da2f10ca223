//! Property-based fuzzing of the request path before the database: GraphQL documents and
//! variables, hostile and plausible, through parsing (with the server's limits), validation
//! against the fixture's real schemas (admin, and a role with row rules and presets), IR
//! building and SQL translation. Nothing may panic; whatever is refused is refused with an
//! error. A short run is part of the test suite; a long one:
//! `PROPTEST_CASES=200000 cargo test --release -p rasura-translate --test fuzz`.

mod fixture;

use std::sync::OnceLock;

use apollo_compiler::parser::Parser;
use proptest::prelude::*;
use rasura_schema::RoleSchema;
use serde_json::{json, Map, Value};

fn schemas() -> &'static [(RoleSchema, rasura_ir::Session)] {
    static SCHEMAS: OnceLock<Vec<(RoleSchema, rasura_ir::Session)>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let mut user = rasura_ir::Session::admin();
        user.role = "user".into();
        user.vars.insert("x-hasura-role".into(), "user".into());
        user.vars.insert("x-hasura-user-id".into(), "7".into());
        vec![
            (fixture::schema(), rasura_ir::Session::admin()),
            (fixture::schema_for("user"), user),
        ]
    })
}

/// Runs one document with its variables through every step; panics are the only failure.
/// Returns for how many of the schemas it got as far as SQL.
fn run(query: &str, vars: &Map<String, Value>) -> usize {
    let mut translated = 0;
    for (schema, session) in schemas() {
        let Ok(doc) = Parser::new()
            .recursion_limit(128)
            .token_limit(100_000)
            .parse_executable(&schema.schema, query, "q.graphql")
        else {
            continue;
        };
        // As the server: variables declared but not used are tolerated.
        let doc = match doc.validate(&schema.schema) {
            Ok(doc) => doc,
            Err(e)
                if e.errors
                    .iter()
                    .all(|d| d.error.unstable_error_name() == Some("UnusedVariable")) =>
            {
                apollo_compiler::validation::Valid::assume_valid(e.partial)
            }
            Err(_) => continue,
        };
        let Ok(op) = doc.operations.get(None) else {
            continue;
        };
        let given: apollo_compiler::response::JsonMap =
            serde_json::from_value(Value::Object(vars.clone())).unwrap_or_default();
        let Ok(coerced) =
            apollo_compiler::request::coerce_variable_values(&schema.schema, op, &given)
        else {
            continue;
        };
        let vars: Map<String, Value> = match serde_json::to_value(coerced.into_inner()) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let Ok(ir) = rasura_ir::build_ir(schema, &doc, op, &vars, session) else {
            continue;
        };
        let options = rasura_translate::Options::default();
        for (_, root) in &ir.roots {
            match root {
                rasura_ir::Root::Select(s) => {
                    let t = rasura_translate::translate_select(s, options);
                    let _ = rasura_sql::print(&t.select);
                }
                rasura_ir::Root::Mutation(m) => {
                    let _ = rasura_translate::translate_mutation(m, options).sql();
                }
                _ => {}
            }
        }
        translated += 1;
    }
    translated
}

/// A GraphQL input literal: scalars of every kind (well and badly typed), lists and objects.
fn literal() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        "[a-z%_\\\\\"' ]{0,12}".prop_map(|s| Value::String(s).to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("asc".to_string()),
        Just("desc_nulls_last".to_string()),
        Just("$v".to_string()),
        Just("X".to_string()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..3).prop_map(|kv| {
                let body: Vec<String> = kv.into_iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}", body.join(", "))
            }),
        ]
    })
}

/// An integer literal: mostly small, sometimes extreme or of the wrong kind.
fn int_lit() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (-3i64..50).prop_map(|n| n.to_string()),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => literal(),
    ]
}

/// A string literal: mostly plain, sometimes with quotes, escapes and patterns.
fn str_lit() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-z%_ ]{0,8}".prop_map(|s| Value::String(s).to_string()),
        1 => ".{0,12}".prop_map(|s| Value::String(s).to_string()),
        1 => literal(),
    ]
}

/// A comparison on an integer column, or on a text column.
fn comparison(text: bool) -> BoxedStrategy<String> {
    let ops: &'static [&'static str] = if text {
        &[
            "_eq", "_neq", "_like", "_ilike", "_nlike", "_regex", "_similar", "_gt", "_in",
            "_is_null",
        ]
    } else {
        &[
            "_eq", "_neq", "_gt", "_gte", "_lt", "_lte", "_in", "_nin", "_is_null",
        ]
    };
    let value = if text {
        str_lit().boxed()
    } else {
        int_lit().boxed()
    };
    (
        prop::sample::select(ops),
        value,
        prop::collection::vec(int_lit(), 0..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(op, v, list, b, var)| match op {
            "_in" | "_nin" => format!("{op}: [{}]", if text { v } else { list.join(", ") }),
            "_is_null" => format!("{op}: {b}"),
            _ if var && !text => format!("{op}: $v"),
            _ => format!("{op}: {v}"),
        })
        .boxed()
}

/// A boolean expression over `author` (true) or `article` rows, `depth` levels deep.
fn bool_exp(author: bool, depth: u32) -> BoxedStrategy<String> {
    let (ints, texts, rel): (&'static [&'static str], &'static [&'static str], &str) = if author {
        (&["id", "rating"], &["name"], "articles")
    } else {
        (&["id", "author_id", "rating"], &["title"], "author")
    };
    let leaf = prop_oneof![
        (prop::sample::select(ints), comparison(false))
            .prop_map(|(c, cmp)| format!("{{{c}: {{{cmp}}}}}")),
        (prop::sample::select(texts), comparison(true))
            .prop_map(|(c, cmp)| format!("{{{c}: {{{cmp}}}}}")),
        Just("{}".to_string()),
        bool_exp_noise(),
    ]
    .boxed();
    if depth == 0 {
        return leaf;
    }
    let rel = rel.to_string();
    prop_oneof![
        3 => leaf,
        1 => prop::collection::vec(bool_exp(author, depth - 1), 0..3).prop_map(|v| format!("{{_and: [{}]}}", v.join(", "))),
        1 => prop::collection::vec(bool_exp(author, depth - 1), 0..3).prop_map(|v| format!("{{_or: [{}]}}", v.join(", "))),
        1 => bool_exp(author, depth - 1).prop_map(|e| format!("{{_not: {e}}}")),
        1 => bool_exp(!author, depth - 1).prop_map(move |e| format!("{{{rel}: {e}}}")),
    ]
    .boxed()
}

/// Expressions no schema accepts: unknown columns and operators.
fn bool_exp_noise() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["nope", "id", "_and"]),
        prop::sample::select(vec!["_st_within", "_eq", "_x"]),
        literal(),
    )
        .prop_map(|(c, op, v)| format!("{{{c}: {{{op}: {v}}}}}"))
}

/// Arguments of a list field over `author` (true) or `article`.
fn list_args(author: bool) -> impl Strategy<Value = String> {
    let columns: &'static [&'static str] = if author {
        &["id", "name", "rating"]
    } else {
        &["id", "title", "rating", "author_id"]
    };
    (
        prop::option::of(bool_exp(author, 2)),
        prop::option::of((
            prop::sample::select(columns),
            prop::sample::select(vec!["asc", "desc", "desc_nulls_last", "sideways"]),
        )),
        prop::option::of(int_lit()),
        prop::option::of(int_lit()),
        prop::option::of(prop::sample::select(columns)),
    )
        .prop_map(|(w, order, limit, offset, distinct)| {
            let mut args = vec![];
            if let Some(w) = w {
                args.push(format!("where: {w}"));
            }
            if let Some((c, dir)) = order {
                args.push(format!("order_by: {{{c}: {dir}}}"));
            }
            if let Some(l) = limit {
                args.push(format!("limit: {l}"));
            }
            if let Some(o) = offset {
                args.push(format!("offset: {o}"));
            }
            if let Some(d) = distinct {
                args.push(format!("distinct_on: {d}"));
            }
            if args.is_empty() {
                String::new()
            } else {
                format!("({})", args.join(", "))
            }
        })
}

/// A selection set over `author` (true) or `article` rows, `depth` levels of relationships.
fn selection(author: bool, depth: u32) -> BoxedStrategy<String> {
    let scalars: &'static [&'static str] = if author {
        &["id", "name", "rating", "meta", "__typename", "id name"]
    } else {
        &["id", "title", "rating", "tags", "author_id", "__typename"]
    };
    let leaf = prop::sample::select(scalars)
        .prop_map(str::to_string)
        .boxed();
    if depth == 0 {
        return leaf;
    }
    let nested = if author {
        prop_oneof![
            (list_args(false), selection(false, depth - 1))
                .prop_map(|(a, s)| format!("articles{a} {{ {s} }}")),
            list_args(false).prop_map(|a| format!(
                "articles_aggregate{a} {{ aggregate {{ count max {{ rating }} }} }}"
            )),
        ]
        .boxed()
    } else {
        selection(true, depth - 1)
            .prop_map(|s| format!("author {{ {s} }}"))
            .boxed()
    };
    prop::collection::vec(prop_oneof![2 => leaf, 1 => nested], 1..4)
        .prop_map(|v| v.join(" "))
        .boxed()
}

/// One root field of a query.
fn root_field() -> impl Strategy<Value = String> {
    prop_oneof![
        (list_args(true), selection(true, 3)).prop_map(|(a, s)| format!("author{a} {{ {s} }}")),
        (list_args(false), selection(false, 3)).prop_map(|(a, s)| format!("article{a} {{ {s} }}")),
        (list_args(true)).prop_map(|a| format!(
            "author_aggregate{a} {{ aggregate {{ count sum {{ rating }} }} nodes {{ id }} }}"
        )),
        (int_lit(), selection(false, 2))
            .prop_map(|(id, s)| format!("article_by_pk(id: {id}) {{ {s} }}")),
        selection(true, 2).prop_map(|s| format!("author_by_pk(id: $v) {{ {s} }}")),
        Just("__type(name: \"author\") { name fields { name } }".to_string()),
        Just("__typename".to_string()),
    ]
}

/// A whole operation: queries over the roots, or mutations.
fn document() -> impl Strategy<Value = String> {
    let query = (
        prop::collection::vec(root_field(), 1..3),
        prop::sample::select(vec!["Int", "Int", "Int!", "String", "author_bool_exp"]),
    )
        .prop_map(|(roots, var_type)| {
            let body: Vec<String> = roots
                .iter()
                .enumerate()
                .map(|(i, r)| format!("r{i}: {r}"))
                .collect();
            format!("query ($v: {var_type}) {{ {} }}", body.join(" "))
        });
    let mutation = prop_oneof![
        (str_lit(), int_lit()).prop_map(|(t, r)| format!("mutation ($v: Int) {{ insert_article(objects: [{{title: {t}, rating: {r}, author_id: 1}}]) {{ affected_rows returning {{ id title }} }} }}")),
        (str_lit(), str_lit()).prop_map(|(a, t)| format!("mutation ($v: Int) {{ insert_author_one(object: {{name: {a}, articles: {{data: [{{title: {t}, rating: 1}}]}}}}) {{ id articles {{ title }} }} }}")),
        (bool_exp(false, 2), int_lit()).prop_map(|(w, r)| format!("mutation ($v: Int) {{ update_article(where: {w}, _set: {{rating: {r}}}, _inc: {{rating: $v}}) {{ affected_rows }} }}")),
        bool_exp(true, 2).prop_map(|w| format!("mutation ($v: Int) {{ delete_author(where: {w}) {{ affected_rows }} }}")),
    ];
    prop_oneof![3 => query, 1 => mutation]
}

/// The value of `$v`: mostly one that fits an `Int`, sometimes anything.
fn var_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (-3i64..50).prop_map(|n| json!(n)),
        1 => Just(Value::Null),
        2 => json_value(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The generator is not vacuous: a good share of its documents pass validation and reach SQL.
#[test]
fn generated_documents_reach_translation() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut tried, mut reached) = (0, 0);
    for _ in 0..400 {
        let doc = document().new_tree(&mut runner).unwrap().current();
        let v = var_value().new_tree(&mut runner).unwrap().current();
        let vars: Map<String, Value> = [("v".to_string(), v)].into_iter().collect();
        tried += 2;
        reached += run(&doc, &vars);
    }
    assert!(
        reached * 20 >= tried,
        "only {reached} of {tried} runs reached SQL: the generator needs work"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Plausible documents (many valid) with any variable value.
    #[test]
    fn plausible_documents_never_panic(doc in document(), v in var_value()) {
        let vars: Map<String, Value> = [("v".to_string(), v)].into_iter().collect();
        run(&doc, &vars);
    }

    /// Arbitrary text: the parser, within its limits, refuses what is not GraphQL.
    #[test]
    fn arbitrary_text_never_panics(text in "[{}()\\[\\]:$!@,.\"\\\\a-z_0-9 \\n#.]{0,400}") {
        run(&text, &Map::new());
    }

    /// Deep and wide shapes built from pieces of valid documents.
    #[test]
    fn nested_pieces_never_panic(depth in 1usize..300, width in 1usize..50) {
        let deep = format!("{{ {}id{} }}", "author { articles { author { ".repeat(depth / 3 + 1), " } } }".repeat(depth / 3 + 1));
        run(&deep, &Map::new());
        let wide = format!("{{ {} }}", (0..width).map(|i| format!("a{i}: author(where: {{_or: [{}]}}) {{ id }}", "{id: {_eq: 1}}, ".repeat(width))).collect::<String>());
        run(&wide, &Map::new());
    }
}
