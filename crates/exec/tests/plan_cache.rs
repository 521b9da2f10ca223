//! Plan templates: which parameters come from variables, and which one is a stream's cursor.

use serde_json::json;

use rasura_exec::plan::RootPlan;
use rasura_exec::plan_cache::*;

fn sql(params: &[Option<&str>]) -> RootPlan {
    RootPlan::Sql {
        sql: "SELECT $1".into(),
        params: params.iter().map(|p| p.map(str::to_string)).collect(),
    }
}

#[test]
fn a_stream_cursor_is_the_one_parameter_holding_the_marker() {
    let one = |p: &[Option<&str>]| vec![("s".to_string(), sql(p))];
    let real = one(&[Some("u1"), Some("0")]);
    assert_eq!(
        marked_param(&real, &one(&[Some("u1"), Some(CURSOR_MARK)])),
        Some(1)
    );
    // Another parameter changed too, or no marker alone: not shared.
    assert_eq!(
        marked_param(&real, &one(&[Some("u2"), Some(CURSOR_MARK)])),
        None
    );
    assert_eq!(marked_param(&real, &one(&[Some("u1"), Some("0")])), None);
}

#[test]
fn whole_markers_become_slots_and_fill_from_variables() {
    let vars = json!({"id": 7, "name": "x"}).as_object().unwrap().clone();
    let marked = marked_variables(&vars);
    assert_eq!(marked["id"], json!("\u{1}id\u{1}"));
    let t = template(
        &[("a".into(), sql(&[Some("7"), Some("lit")]))],
        &[("a".into(), sql(&[Some("\u{1}id\u{1}"), Some("lit")]))],
    );
    let other = json!({"id": 42}).as_object().unwrap().clone();
    match &t.instantiate(&other).unwrap()[0].1 {
        RootPlan::Sql { params, .. } => assert_eq!(
            params,
            &vec![Some("42".to_string()), Some("lit".to_string())]
        ),
        _ => panic!("sql expected"),
    }
    // A list or object value cannot fill a slot: the caller builds the plan anew.
    let list = json!({"id": [1]}).as_object().unwrap().clone();
    assert!(t.instantiate(&list).is_none());
}

#[test]
fn markers_inside_a_parameter_or_different_sql_are_not_cached() {
    let inside = template(
        &[("a".into(), sql(&[Some("{7}")]))],
        &[("a".into(), sql(&[Some("{\u{1}id\u{1}}")]))],
    );
    assert!(matches!(inside, Cached::NotCacheable));
    let other_sql = template(
        &[("a".into(), sql(&[]))],
        &[(
            "a".into(),
            RootPlan::Sql {
                sql: "SELECT 2".into(),
                params: vec![],
            },
        )],
    );
    assert!(matches!(other_sql, Cached::NotCacheable));
}

#[test]
fn baked_variables_are_part_of_the_key() {
    let a = json!({"tags": ["x"]}).as_object().unwrap().clone();
    let b = json!({"tags": ["y"]}).as_object().unwrap().clone();
    let admin = rasura_ir::Session::admin();
    assert_ne!(
        PlanKey::new(&admin, "q", None, &a),
        PlanKey::new(&admin, "q", None, &b)
    );
    let n1 = json!({"id": 1}).as_object().unwrap().clone();
    let n2 = json!({"id": 2}).as_object().unwrap().clone();
    assert_eq!(
        PlanKey::new(&admin, "q", None, &n1),
        PlanKey::new(&admin, "q", None, &n2)
    );
}

#[test]
fn booleans_are_part_of_the_key() {
    let t = json!({"s": true}).as_object().unwrap().clone();
    let f = json!({"s": false}).as_object().unwrap().clone();
    assert_ne!(
        PlanKey::new(&rasura_ir::Session::admin(), "q", None, &t),
        PlanKey::new(&rasura_ir::Session::admin(), "q", None, &f)
    );
}
