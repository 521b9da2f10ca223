//! Kriti templates and request transforms.

use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::kriti::render;
use crate::request::{apply, Body, Request};

fn vars(body: Value) -> HashMap<String, Value> {
    HashMap::from([
        ("body".to_string(), body),
        ("base_url".to_string(), json!("http://h")),
        (
            "session_variables".to_string(),
            json!({"x-hasura-user-id": "7"}),
        ),
    ])
}

#[test]
fn templates_fill_values_and_text() {
    let v = vars(json!({"user": {"name": "Ann", "tags": ["a", "b"], "age": 30}, "n": null}));
    let cases = [
        (
            r#"{"who": {{$body.user.name}}, "n": {{$body.user.age}}}"#,
            json!({"who": "Ann", "n": 30}),
        ),
        (r#""hello_{{ $body.user.name }}""#, json!("hello_Ann")),
        (r#""{{$body.user.tags}}""#, json!("[\"a\",\"b\"]")),
        (r#"{{ $body.user['tags'][1] }}"#, json!("b")),
        (r#"{{ $body?.missing?.x ?? "none" }}"#, json!("none")),
        (r#"{{ $body.n ?? 1 }}"#, json!(1)),
        (
            r#"{{ if $body.user.age > 18 && $body.user.name == "Ann" }} "adult" {{ else }} "minor" {{ end }}"#,
            json!("adult"),
        ),
        (
            r#"{{ if $body.user.age < 18 }} 1 {{ elif $body.user.age < 40 }} 2 {{ else }} 3 {{ end }}"#,
            json!(2),
        ),
        (
            r#"{{ range i, t := $body.user.tags }} {"i": {{i}}, "t": {{t}}} {{ end }}"#,
            json!([{"i": 0, "t": "a"}, {"i": 1, "t": "b"}]),
        ),
        (r#"{{ toUpper($body.user.name) }}"#, json!("ANN")),
        (r#"{{ length($body.user.tags) }}"#, json!(2)),
        (r#"{{ not(empty($body.user.tags)) }}"#, json!(true)),
        (r#"{{ concat(["a", "b", "c"]) }}"#, json!("abc")),
        (r#"{{ fromPairs([["k", 1]]) }}"#, json!({"k": 1})),
        (r#"{{ removeNulls([1, null, 2]) }}"#, json!([1, 2])),
        (r#"{{ escapeUri("a b/c") }}"#, json!("a%20b%2Fc")),
        (
            r#"{{ getSessionVariable("X-Hasura-User-Id") }}"#,
            json!("7"),
        ),
        (r#"{{ "a" in $body.user.tags }}"#, json!(true)),
        (
            r#"{"url": "{{$base_url}}/x"}"#,
            json!({"url": "http://h/x"}),
        ),
    ];
    for (template, expected) in cases {
        assert_eq!(render(template, &v).unwrap(), expected, "{template}");
    }
}

#[test]
fn text_templates_fill_holes_without_quoting() {
    let v = vars(json!({"id": 5, "q": "a\"b"}));
    assert_eq!(
        crate::kriti::render_text(
            r#"{{$base_url}}/items/{{ $body.id }}?q={{ $body['q'] }}&k={{ "x" }}"#,
            &v
        )
        .unwrap(),
        "http://h/items/5?q=a\"b&k=x"
    );
}

#[test]
fn bad_templates_and_paths_are_errors() {
    let v = vars(json!({"a": 1}));
    for bad in [
        r#"{{ $body.a "#,
        r#"{{ if $body.a }} 1 {{ end }}"#,
        r#"{{ $body.b }}"#,
        r#"{{ nope(1) }}"#,
        r#"{"a": }"#,
    ] {
        assert!(render(bad, &v).is_err(), "{bad}");
    }
}

proptest! {
    /// Any JSON document without braces in strings is a template that renders to itself.
    #[test]
    fn json_renders_to_itself(v in json_value()) {
        let text = v.to_string();
        prop_assert_eq!(render(&text, &vars(Value::Null)).unwrap(), v);
    }

    /// Any value reached by a path renders as that value.
    #[test]
    fn paths_reach_values(v in json_value()) {
        let body = json!({"x": [v.clone()]});
        prop_assert_eq!(render("{{ $body.x[0] }}", &vars(body)).unwrap(), v);
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9 _.-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn a_request_is_transformed_as_hasura_does() {
    let req = Request {
        url: "http://localhost:1234".into(),
        method: "POST".into(),
        headers: vec![],
        body: Some(Body::Json(json!({"hello": "world"}))),
    };
    let t = json!({"version": 2, "url": "http://www.google.com", "template_engine": "Kriti",
        "body": {"action": "transform", "template": "\"hello_{{ $body.hello }}\""},
        "method": "POST", "query_params": {"foo": "bar"},
        "request_headers": {"add_headers": {"foo": "bar", "content-type": "application/json"}}});
    let out = apply(&t, req.clone(), None).unwrap();
    assert_eq!(out.url, "http://www.google.com?foo=bar");
    assert_eq!(out.body, Some(Body::Json(json!("hello_world"))));
    assert!(out.headers.contains(&("foo".into(), "bar".into())));
    let form = json!({"version": 2, "url": "{{$base_url}}/form", "method": "put",
        "body": {"action": "x_www_form_urlencoded", "form_template": {"name": "{{$body.hello}} x"}},
        "request_headers": {"remove_headers": ["x-drop"]}});
    let mut with_header = req;
    with_header.headers.push(("X-Drop".into(), "1".into()));
    let out = apply(&form, with_header, None).unwrap();
    assert_eq!(out.url, "http://localhost:1234/form");
    assert_eq!(out.method, "PUT");
    assert_eq!(out.body, Some(Body::Text("name=world%20x".into())));
    assert_eq!(
        out.headers,
        vec![(
            "content-type".to_string(),
            "application/x-www-form-urlencoded".to_string()
        )]
    );
}
