//! `diff::permission_roles_changed`: the roles whose table permissions differ, or `None` when
//! anything else changed too.

use rasura_metadata::Metadata;
use rasura_resolve::diff::permission_roles_changed;
use serde_json::json;

fn md(v: serde_json::Value) -> Metadata {
    serde_json::from_value(v).unwrap()
}

fn with(select: serde_json::Value, extra: serde_json::Value) -> Metadata {
    let mut v = json!({"version": 3, "sources": [{"name": "default", "kind": "postgres",
        "configuration": {}, "tables": [{"table": {"schema": "public", "name": "t"},
        "select_permissions": select}]}]});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    md(v)
}

#[test]
fn only_the_roles_whose_permissions_changed() {
    let p = |role: &str, cols: &[&str]| json!({"role": role, "permission": {"columns": cols, "filter": {}}});
    let old = with(json!([p("a", &["id"]), p("b", &["id"])]), json!({}));
    let same = with(json!([p("a", &["id"]), p("b", &["id"])]), json!({}));
    let a_more = with(json!([p("a", &["id", "x"]), p("b", &["id"])]), json!({}));
    let c_added = with(
        json!([p("a", &["id"]), p("b", &["id"]), p("c", &["id"])]),
        json!({}),
    );
    let b_gone = with(json!([p("a", &["id"])]), json!({}));
    let names =
        |m: &Metadata| permission_roles_changed(&old, m).map(|r| r.into_iter().collect::<Vec<_>>());
    assert_eq!(names(&same), Some(vec![]));
    assert_eq!(names(&a_more), Some(vec!["a".to_string()]));
    assert_eq!(names(&c_added), Some(vec!["c".to_string()]));
    assert_eq!(names(&b_gone), Some(vec!["b".to_string()]));
    // Anything else changed: nothing can be kept.
    let other = with(
        json!([p("a", &["id"]), p("b", &["id"])]),
        json!({"actions": []}),
    );
    assert_eq!(names(&other), None);
    // Inherited roles count as changed with any role.
    let old = with(
        json!([p("a", &["id"])]),
        json!({"inherited_roles": [{"role_name": "ab", "role_set": ["a", "b"]}]}),
    );
    let new = with(
        json!([p("a", &["id", "x"])]),
        json!({"inherited_roles": [{"role_name": "ab", "role_set": ["a", "b"]}]}),
    );
    let r = permission_roles_changed(&old, &new).unwrap();
    assert_eq!(r.into_iter().collect::<Vec<_>>(), ["a", "ab"]);
}
