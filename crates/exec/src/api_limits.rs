//! The API limits of a role (`rasura_api_limits`) where a request meets them: the rate limit
//! before anything else (from this engine's grant, the database asked only when it runs out), depth and nodes counted as Hasura counts them.

use apollo_compiler::executable::{Selection, SelectionSet};
use apollo_compiler::ExecutableDocument;
use http::HeaderMap;
use rasura_api_limits::{RateLimit, RoleLimits};

use crate::error::GqlError;
use crate::state::Engine;

/// The client's address: as a proxy in front reports it, else the connection's.
fn client_ip(headers: &HeaderMap, peer: Option<std::net::IpAddr>) -> Option<String> {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
    };
    first("x-forwarded-for")
        .or_else(|| first("x-real-ip"))
        .map(str::to_string)
        .or_else(|| peer.map(|p| p.to_string()))
}

/// Counts the request against the role's rate limit (counters shared by every engine on the
/// database); refuses it past the limit.
pub async fn check_rate(
    state: &Engine,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
    session: &rasura_ir::Session,
    rate: &RateLimit,
) -> Result<(), GqlError> {
    let key = rasura_api_limits::rate::key(
        &session.role,
        rate,
        |v| session.var(v).map(str::to_string),
        client_ip(headers, peer).as_deref(),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    if state.rate_grants.try_take(&key, now) {
        return Ok(());
    }
    let client = state
        .meta
        .get()
        .await
        .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from(e), ""))?;
    match state.rate_grants.hit(&**client, &key, rate, now).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(GqlError::new(
            "rate-limit-exceeded",
            "$",
            format!("rate limit of {} exceeded", rate.max_reqs_per_min),
        )),
        Err(e) => Err(GqlError::from_pg(&rasura_pg::PgError::from_db(e, None), "")),
    }
}

/// Refuses an operation deeper, or with more nodes, than the role's limits. Hasura's counting:
/// depth is the nesting of fields with selection sets (fragments add none; introspection is
/// not limited), a node is a field with a selection set.
pub fn check_shape(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    limits: &RoleLimits,
) -> Result<(), GqlError> {
    if limits.depth.is_none() && limits.nodes.is_none() {
        return Ok(());
    }
    let mut nodes = 0u64;
    let depth = walk(doc, set, 0, &mut nodes, 0);
    if let Some(max) = limits.depth.filter(|max| depth > *max) {
        return Err(GqlError::validation(
            "$",
            format!("the query is {depth} levels deep, over the depth limit of {max}"),
        ));
    }
    if let Some(max) = limits.nodes.filter(|max| nodes > *max) {
        return Err(GqlError::validation(
            "$",
            format!("the query has {nodes} nodes, over the node limit of {max}"),
        ));
    }
    Ok(())
}

/// The depth under `set` (at `depth`), adding its nodes to `nodes`; `spreads` bounds fragment
/// recursion (validation has refused cycles; this only guards).
fn walk(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    depth: u64,
    nodes: &mut u64,
    spreads: u32,
) -> u64 {
    let mut deepest = depth;
    for s in &set.selections {
        let d = match s {
            Selection::Field(f) if f.selection_set.selections.is_empty() => depth,
            Selection::Field(f) if f.name == "__schema" || f.name == "__type" => depth,
            Selection::Field(f) => {
                *nodes += 1;
                walk(doc, &f.selection_set, depth + 1, nodes, spreads)
            }
            Selection::InlineFragment(i) => walk(doc, &i.selection_set, depth, nodes, spreads),
            Selection::FragmentSpread(s) if spreads < 64 => {
                match doc.fragments.get(&s.fragment_name) {
                    Some(f) => walk(doc, &f.selection_set, depth, nodes, spreads + 1),
                    None => depth,
                }
            }
            Selection::FragmentSpread(_) => depth,
        };
        deepest = deepest.max(d);
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use apollo_compiler::Schema;

    fn counts(query: &str) -> (u64, u64) {
        let schema = Schema::parse_and_validate(
            "type Query { viewer: User } type User { name: String albums: [Album] }
             type Album { title: String songs: [Song] } type Song { title: String }",
            "s.graphql",
        )
        .unwrap();
        let doc = ExecutableDocument::parse_and_validate(&schema, query, "q.graphql").unwrap();
        let op = doc.operations.get(None).unwrap();
        let mut nodes = 0;
        let depth = walk(&doc, &op.selection_set, 0, &mut nodes, 0);
        (depth, nodes)
    }

    #[test]
    fn depth_and_nodes_are_counted_as_hasura_documents() {
        assert_eq!(counts("{ viewer { name } }"), (1, 1));
        assert_eq!(counts("{ viewer { ... on User { name } } }"), (1, 1));
        assert_eq!(counts("{ viewer { albums { title } } }"), (2, 2));
        assert_eq!(
            counts("query { viewer { albums { ...m songs { ...s } } } } fragment m on Album { title } fragment s on Song { title }"),
            (3, 3)
        );
        assert_eq!(
            counts("{ __schema { types { name fields { name } } } }"),
            (0, 0)
        );
    }
}
