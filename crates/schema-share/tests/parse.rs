//! A schema parsed in parts on two threads, with its definitions shared, is the schema a single
//! parse of the same SDL gives (types, fields, arguments and descriptions, in Hasura's order).

use apollo_compiler::Schema;
use rasura_schema_share::{parse_shared, SharedTypes};

/// About 1.5 MB of SDL (two dozen parts): tables' object, input and enum types that repeat
/// their fields, arguments and descriptions, as generated schemas do.
fn sdl(tables: usize) -> String {
    let mut out = String::from("type Query {\n");
    for i in 0..tables {
        out.push_str(&format!(
            "  \"fetch data from t{i}\"\n  t{i}(where: t{i}_bool_exp, limit: Int): [t{i}!]!\n"
        ));
    }
    out.push_str("}\n");
    for i in 0..tables {
        out.push_str(&format!(
            "\"columns and relationships of t{i}\"\ntype t{i} {{\n  id: Int!\n  name: String\n  \
             \"an object relationship\"\n  parent(where: t{i}_bool_exp, offset: Int): t{i}\n}}\n\
             input t{i}_bool_exp {{\n  _and: [t{i}_bool_exp!]\n  _not: t{i}_bool_exp\n  id: Int\n}}\n\
             \"select columns of table t{i}\"\nenum t{i}_select_column {{\n  \"column name\"\n  id\n  \
             \"column name\"\n  name\n}}\n"
        ));
    }
    out
}

#[test]
fn parts_parsed_on_two_threads_give_the_single_parse_schema() {
    let text = sdl(4000);
    assert!(text.len() > 1_000_000, "{} bytes", text.len());
    let shared = SharedTypes::default();
    let parts = parse_shared(&text, &shared).expect("parses");
    let mut whole = Schema::parse_and_validate(&text, "whole.graphql")
        .expect("parses")
        .into_inner();
    // Hasura's order: everything by name (parse_shared sorts; the single parse keeps the text's).
    whole.types.sort_keys();
    for ty in whole.types.values_mut() {
        if let apollo_compiler::schema::ExtendedType::Object(o) = ty {
            let o = o.make_mut();
            o.fields.sort_keys();
            for f in o.fields.values_mut() {
                f.make_mut().arguments.sort_by(|a, b| a.name.cmp(&b.name));
            }
        }
        if let apollo_compiler::schema::ExtendedType::InputObject(o) = ty {
            o.make_mut().fields.sort_keys();
        }
    }
    assert_eq!(parts.types.len(), whole.types.len());
    for ((name, a), (other, b)) in parts.types.iter().zip(&whole.types) {
        assert_eq!(name, other);
        assert_eq!(a, b, "type {name}");
    }
    assert_eq!(
        parts
            .schema_definition
            .query
            .as_ref()
            .map(|q| q.name.clone()),
        whole
            .schema_definition
            .query
            .as_ref()
            .map(|q| q.name.clone())
    );
}

#[test]
fn a_part_in_error_fails_the_whole_schema() {
    let mut text = sdl(2000);
    text.push_str("type Broken {\n  a: \n}\n");
    text.push_str(&sdl(10).replace("Query", "Other"));
    let err = parse_shared(&text, &SharedTypes::default()).expect_err("refused");
    assert!(err.contains("Broken") || err.contains("expected"), "{err}");
}

#[test]
fn an_invalid_schema_is_refused_though_it_is_validated_beside_the_sharing() {
    let mut text = sdl(200);
    text.push_str("type Dangling {\n  a: NoSuchType\n}\n");
    let shared = SharedTypes::default();
    let mut finished = false;
    let err = rasura_schema_share::parse_shared_then(&text, &shared, |s| {
        finished = true;
        s
    })
    .expect_err("refused");
    assert!(err.contains("NoSuchType"), "{err}");
    assert!(finished, "the sharing ran beside the validation");
    // A type without fields is served (only `__typename` can be asked of it).
    let mut text = sdl(10);
    text.push_str("type Empty\n");
    parse_shared(&text, &SharedTypes::default()).expect("a type without fields is kept");
}
