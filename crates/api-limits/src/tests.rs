//! The section's parsing, the limits of a role, the edits and the rate arithmetic.

use rasura_metadata::Metadata;
use serde_json::json;

use crate::rate::key;
use crate::{edits, ApiLimits};

#[test]
fn per_role_values_override_global_and_admin_is_never_limited() {
    let l = ApiLimits::parse(Some(&json!({
        "depth_limit": {"global": 5, "per_role": {"user": 2}},
        "node_limit": {"global": 10},
        "time_limit": {"global": 2.5},
        "rate_limit": {"global": {"max_reqs_per_min": 100, "unique_params": "IP"},
                       "per_role": {"user": {"max_reqs_per_min": 3, "unique_params": ["x-hasura-user-id"]}}}
    })))
    .unwrap();
    let user = l.for_role("user");
    assert_eq!((user.depth, user.nodes), (Some(2), Some(10)));
    assert_eq!(user.time, Some(std::time::Duration::from_millis(2500)));
    assert_eq!(user.rate.as_ref().unwrap().max_reqs_per_min, 3);
    assert_eq!(l.for_role("guest").depth, Some(5));
    assert!(l.for_role("admin").is_empty());
    let mut off = l.clone();
    off.disabled = true;
    assert!(off.for_role("user").is_empty());
}

#[test]
fn bad_sections_are_refused() {
    for bad in [
        json!({"depth_limit": {"per_role": {"a": 1}}}),
        json!({"rate_limit": {"global": {"max_reqs_per_min": 1, "unique_params": "host"}}}),
        json!({"rate_limit": {"global": {"max_reqs_per_min": 1, "unique_params": ["x-hasura-role"]}}}),
        json!({"time_limit": {"global": -1}}),
    ] {
        assert!(ApiLimits::parse(Some(&bad)).is_err(), "{bad}");
    }
}

#[test]
fn set_replaces_the_section_and_remove_empties_it() {
    let mut md = Metadata::default();
    edits::apply(
        &mut md,
        "set_api_limits",
        &json!({"depth_limit": {"global": 3}}),
    )
    .unwrap()
    .unwrap();
    edits::apply(
        &mut md,
        "set_api_limits",
        &json!({"node_limit": {"global": 4}}),
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        md.extra["api_limits"],
        json!({"disabled": false, "node_limit": {"global": 4, "per_role": {}}})
    );
    let e = edits::apply(&mut md, "set_api_limits", &json!({"depth_limit": 3}))
        .unwrap()
        .unwrap_err();
    assert_eq!(e.code(), "parse-failed");
    edits::apply(&mut md, "remove_api_limits", &json!({}))
        .unwrap()
        .unwrap();
    assert!(!md.extra.contains_key("api_limits"));
}

#[test]
fn keys_hold_the_role_and_the_unique_params() {
    let limit: crate::RateLimit = serde_json::from_value(
        json!({"max_reqs_per_min": 1, "unique_params": ["X-Hasura-User-Id"]}),
    )
    .unwrap();
    let k = key(
        "user",
        &limit,
        |v| (v == "x-hasura-user-id").then(|| "7".into()),
        None,
    );
    assert_eq!(k, "role=user;x-hasura-user-id=7");
}
