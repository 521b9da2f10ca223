//! The endpoints of one metadata version: URL templates bound to stored queries, what makes an
//! entry inconsistent, and matching a request's path and method.

use std::collections::HashMap;

use apollo_compiler::ast::{Definition, Document, OperationType};
use rasura_metadata::Metadata;
use serde_json::Value;

use crate::edits::entries;

/// One segment of a URL template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    Param(String),
}

/// A declared variable of a stored query.
#[derive(Debug, Clone)]
pub struct VarDef {
    pub name: String,
    pub list: bool,
    pub non_null: bool,
    /// The named type inside any list and non-null wrappers.
    pub named: String,
}

/// A servable endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: String,
    pub url: String,
    pub segments: Vec<Segment>,
    pub methods: Vec<String>,
    pub query: String,
    pub vars: Vec<VarDef>,
}

/// An answer other than the query's: status, Hasura's code and message.
#[derive(Debug, Clone, PartialEq)]
pub struct RestError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl RestError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> RestError {
        RestError {
            status,
            code,
            message: message.into(),
        }
    }
}

/// The endpoints of a metadata version (inconsistent entries left out).
#[derive(Debug, Default)]
pub struct Endpoints {
    list: Vec<Endpoint>,
}

/// The path parameters of a call: (name, percent-decoded value).
pub type PathParams = Vec<(String, String)>;

/// An entry that cannot be served: (endpoint name, its definition, reason).
pub type Problem = (String, Value, String);

/// Parses the URL template `url`, or says why it is not one.
fn segments(url: &str) -> Result<Vec<Segment>, String> {
    let mut out = vec![];
    for s in url.split('/') {
        if s.is_empty() || s == ":" {
            return Err(format!(
                "Empty segments or unnamed variables are not allowed: {url}"
            ));
        }
        out.push(match s.strip_prefix(':') {
            Some(p) => Segment::Param(p.to_string()),
            None => Segment::Literal(s.to_string()),
        });
    }
    let mut params: Vec<&str> = out
        .iter()
        .filter_map(|s| match s {
            Segment::Param(p) => Some(p.as_str()),
            Segment::Literal(_) => None,
        })
        .collect();
    params.sort_unstable();
    if params.windows(2).any(|w| w[0] == w[1]) {
        return Err(format!("Duplicate variables found in endpoint path: {url}"));
    }
    Ok(out)
}

/// The stored query's text and variables, or why the endpoint cannot use it.
fn stored_query(md: &Metadata, name: &str, def: &Value) -> Result<(String, Vec<VarDef>), String> {
    let coll = def
        .pointer("/definition/query/collection_name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let qname = def
        .pointer("/definition/query/query_name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let collection = rasura_allowlist::collections::collections(md)
        .into_iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(coll))
        .ok_or_else(|| format!("in endpoint {name}: collection with name {coll} does not exist"))?;
    let text = collection
        .pointer("/definition/queries")
        .and_then(Value::as_array)
        .and_then(|qs| {
            qs.iter()
                .find(|q| q.get("name").and_then(Value::as_str) == Some(qname))
        })
        .and_then(|q| q.get("query").and_then(Value::as_str))
        .ok_or_else(|| {
            format!(
                "in endpoint {name}: query with name {qname} does not exist in collection {coll}"
            )
        })?
        .to_string();
    let doc = Document::parse(text.as_str(), "endpoint.graphql").map_err(|e| {
        format!(
            "in endpoint {name}: query with name {qname} does not parse: {}",
            e.errors.to_string().trim()
        )
    })?;
    let op = match doc.definitions.as_slice() {
        [] => {
            return Err(format!(
                "in endpoint {name}: query with name {qname} has no definitions."
            ))
        }
        [Definition::OperationDefinition(op)] => op.clone(),
        _ => {
            return Err(format!(
                "in endpoint {name}: query with name {qname} has multiple definitions."
            ))
        }
    };
    if op.operation_type == OperationType::Subscription {
        return Err(format!(
            "in endpoint {name}: query with name {qname} is a subscription"
        ));
    }
    let vars = op
        .variables
        .iter()
        .map(|v| VarDef {
            name: v.name.to_string(),
            list: v.ty.is_list(),
            non_null: v.ty.is_non_null(),
            named: v.ty.inner_named_type().to_string(),
        })
        .collect();
    Ok((text, vars))
}

/// Whether one path could match both templates.
fn overlap(a: &[Segment], b: &[Segment]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Segment::Literal(l), Segment::Literal(r)) => l == r,
            _ => true,
        })
}

/// Every entry, servable or with the reason it is not.
fn assess(md: &Metadata) -> (Vec<Endpoint>, Vec<Problem>) {
    let mut good: Vec<(Endpoint, Value)> = vec![];
    let mut problems = vec![];
    for def in entries(md) {
        let name = def
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let url = def
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let methods: Vec<String> = def
            .get("methods")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let built = segments(&url).and_then(|segments| {
            let (query, vars) = stored_query(md, &name, &def)?;
            Ok(Endpoint {
                name: name.clone(),
                url: url.clone(),
                segments,
                methods,
                query,
                vars,
            })
        });
        match built {
            Ok(e) => good.push((e, def)),
            Err(reason) => problems.push((name, def, reason)),
        }
    }
    // Endpoints that one request could reach through the same method, and every endpoint
    // tied to them that way, are ambiguous together.
    let n = good.len();
    let mut group: Vec<usize> = (0..n).collect();
    fn root(group: &mut [usize], i: usize) -> usize {
        let mut i = i;
        while group[i] != i {
            group[i] = group[group[i]];
            i = group[i];
        }
        i
    }
    let mut clash = vec![false; n];
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (&good[i].0, &good[j].0);
            if a.methods.iter().any(|m| b.methods.contains(m)) && overlap(&a.segments, &b.segments)
            {
                clash[i] = true;
                clash[j] = true;
                let (ri, rj) = (root(&mut group, i), root(&mut group, j));
                group[ri] = rj;
            }
        }
    }
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, clashes) in clash.iter().enumerate() {
        if *clashes {
            let r = root(&mut group, i);
            members.entry(r).or_default().push(i);
        }
    }
    let mut reasons: HashMap<usize, String> = HashMap::new();
    for list in members.values() {
        let mut by_name: Vec<&Endpoint> = list.iter().map(|&i| &good[i].0).collect();
        by_name.sort_by(|a, b| a.name.cmp(&b.name));
        let urls: Vec<&str> = by_name.iter().map(|e| e.url.as_str()).collect();
        let reason = format!("Ambiguous URL paths: {}", urls.join(", "));
        for &i in list {
            reasons.insert(i, reason.clone());
        }
    }
    let mut servable = vec![];
    for (i, (e, def)) in good.into_iter().enumerate() {
        match reasons.remove(&i) {
            Some(reason) => problems.push((e.name.clone(), def, reason)),
            None => servable.push(e),
        }
    }
    (servable, problems)
}

/// What makes entries of `rest_endpoints` inconsistent.
pub fn problems(md: &Metadata) -> Vec<Problem> {
    assess(md).1
}

/// Splits a request path into percent-decoded segments.
fn request_segments(path: &str) -> Vec<String> {
    path.split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

impl Endpoints {
    /// The servable endpoints of `md`.
    pub fn build(md: &Metadata) -> Endpoints {
        Endpoints { list: assess(md).0 }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The endpoint `method path` calls (path without `/api/rest/`), with its path
    /// parameters; Hasura's 404 and 405 otherwise.
    pub fn find(&self, method: &str, path: &str) -> Result<(&Endpoint, PathParams), RestError> {
        let got = request_segments(path);
        let matching: Vec<&Endpoint> = self
            .list
            .iter()
            .filter(|e| {
                e.segments.len() == got.len()
                    && e.segments.iter().zip(&got).all(|(s, g)| match s {
                        Segment::Literal(l) => l == g,
                        Segment::Param(_) => !g.is_empty(),
                    })
            })
            .collect();
        if matching.is_empty() {
            return Err(RestError::new(404, "not-found", "Endpoint not found"));
        }
        let with_method: Vec<&&Endpoint> = matching
            .iter()
            .filter(|e| e.methods.iter().any(|m| m == method))
            .collect();
        let endpoint = match with_method.as_slice() {
            [one] => **one,
            [] => {
                let mut allowed: Vec<&str> = vec![];
                for e in &matching {
                    for m in &e.methods {
                        if !allowed.contains(&m.as_str()) {
                            allowed.push(m);
                        }
                    }
                }
                return Err(RestError::new(
                    405,
                    "method-not-allowed",
                    format!("Allowed methods: {}", allowed.join(", ")),
                ));
            }
            _ => {
                return Err(RestError::new(
                    500,
                    "unexpected",
                    "Multiple endpoints match request",
                ))
            }
        };
        let params = endpoint
            .segments
            .iter()
            .zip(got)
            .filter_map(|(s, g)| match s {
                Segment::Param(p) => Some((p.clone(), g)),
                Segment::Literal(_) => None,
            })
            .collect();
        Ok((endpoint, params))
    }
}
