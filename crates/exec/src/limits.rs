//! Limits checked before anything reaches the database: query text size, selection depth and
//! the number of fields (fragments expanded), so a deeply nested or huge query is refused early.

use apollo_compiler::executable::{Selection, SelectionSet};
use apollo_compiler::ExecutableDocument;

use crate::error::GqlError;

/// Configured limits (`--max-query-depth`, `--max-query-nodes`, `--max-query-bytes`,
/// `--max-query-tokens`, `--max-batch-size`, `--max-metadata-bytes`).
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_nodes: usize,
    pub max_bytes: usize,
    /// Lexical tokens the parser reads before it gives up on a document.
    pub max_tokens: usize,
    /// Operations in one batched request.
    pub max_batch: usize,
    /// The largest body the metadata and query APIs read for admin (`--max-metadata-bytes`).
    pub max_metadata_bytes: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_depth: 32,
            max_nodes: 20_000,
            max_bytes: 1 << 20,
            max_tokens: 100_000,
            max_batch: 100,
            max_metadata_bytes: 100 << 20,
        }
    }
}

impl QueryLimits {
    /// The parser's recursion limit: room for the selection depth allowed, with nested
    /// argument values (boolean expressions nest too), far below what would exhaust a stack.
    pub fn parser_recursion(&self) -> usize {
        (self.max_depth * 4).clamp(64, 400)
    }
}

/// Refuses a query text over the size limit.
pub fn check_size(query: &str, limits: &QueryLimits) -> Result<(), GqlError> {
    if query.len() > limits.max_bytes {
        return Err(GqlError::validation(
            "$.query",
            format!(
                "the query is {} bytes, over the limit of {} bytes",
                query.len(),
                limits.max_bytes
            ),
        ));
    }
    Ok(())
}

/// Refuses, before any parsing, a text whose brackets (`{`, `[`, `(`; outside strings and
/// comments) nest deeper than the parser may recurse: a hostile document such as a megabyte of
/// `{` costs one pass over its bytes instead of a parse.
pub fn check_nesting(query: &str, limits: &QueryLimits) -> Result<(), GqlError> {
    let max = limits.parser_recursion();
    let bytes = query.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max {
                    return Err(GqlError::validation(
                        "$.query",
                        format!("the query nests brackets more than {max} levels deep"),
                    ));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                // A block string `"""…"""`, or a string with `\` escapes.
                if bytes[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                        i += 1;
                    }
                    i += 2;
                } else {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        if bytes[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Refuses an operation nested deeper or with more fields than allowed.
pub fn check_shape(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    limits: &QueryLimits,
) -> Result<(), GqlError> {
    let mut nodes = 0usize;
    let depth = walk(doc, set, 1, limits, &mut nodes)?;
    if depth > limits.max_depth {
        return Err(GqlError::validation(
            "$",
            format!(
                "the query is nested {depth} levels deep, over the limit of {}",
                limits.max_depth
            ),
        ));
    }
    Ok(())
}

fn walk(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    depth: usize,
    limits: &QueryLimits,
    nodes: &mut usize,
) -> Result<usize, GqlError> {
    if depth > limits.max_depth {
        return Ok(depth);
    }
    let mut deepest = depth;
    for s in &set.selections {
        let d = match s {
            Selection::Field(f) => {
                *nodes += 1;
                if *nodes > limits.max_nodes {
                    return Err(GqlError::validation(
                        "$",
                        format!("the query selects more than {} fields", limits.max_nodes),
                    ));
                }
                if f.selection_set.selections.is_empty() {
                    depth
                } else {
                    walk(doc, &f.selection_set, depth + 1, limits, nodes)?
                }
            }
            Selection::FragmentSpread(spread) => match doc.fragments.get(&spread.fragment_name) {
                Some(fragment) => walk(doc, &fragment.selection_set, depth, limits, nodes)?,
                None => depth,
            },
            Selection::InlineFragment(inline) => {
                walk(doc, &inline.selection_set, depth, limits, nodes)?
            }
        };
        deepest = deepest.max(d);
    }
    Ok(deepest)
}

/// `offset` arguments given as strings of digits: Hasura accepts them, GraphQL validation does
/// not. Counts them so that exactly those validation errors can be let through.
pub fn string_offsets(doc: &ExecutableDocument) -> usize {
    fn count(set: &SelectionSet) -> usize {
        set.selections
            .iter()
            .map(|s| match s {
                Selection::Field(f) => {
                    let here = f
                        .arguments
                        .iter()
                        .filter(|a| a.name == "offset")
                        .filter(|a| {
                            a.value.as_str().is_some_and(|s| {
                                !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
                            })
                        })
                        .count();
                    here + count(&f.selection_set)
                }
                Selection::InlineFragment(i) => count(&i.selection_set),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    doc.operations
        .iter()
        .map(|o| count(&o.selection_set))
        .sum::<usize>()
        + doc
            .fragments
            .values()
            .map(|f| count(&f.selection_set))
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::{check_nesting, QueryLimits};

    #[test]
    fn nesting_is_counted_outside_strings_and_comments() {
        let l = QueryLimits::default();
        let max = l.parser_recursion();
        assert!(check_nesting(&"{".repeat(max), &l).is_ok());
        assert!(check_nesting(&"{".repeat(max + 1), &l).is_err());
        assert!(check_nesting(&"{}".repeat(100_000), &l).is_ok());
        let quoted = format!("{{ a(s: \"{}\") }}", "{".repeat(1000));
        assert!(check_nesting(&quoted, &l).is_ok());
        let escaped = format!("{{ a(s: \"\\\"{}\") }}", "[".repeat(1000));
        assert!(check_nesting(&escaped, &l).is_ok());
        let block = format!("{{ a(s: \"\"\"{}\"\"\") }}", "(".repeat(1000));
        assert!(check_nesting(&block, &l).is_ok());
        let comment = format!("{{ a # {}\n }}", "{".repeat(1000));
        assert!(check_nesting(&comment, &l).is_ok());
    }
}
