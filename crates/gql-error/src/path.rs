//! The response path Hasura reports for a validation error (`$.selectionSet.author.args.where`),
//! found by walking the query's syntax tree to the diagnostic's source location.

use apollo_compiler::ast::{Definition, Document, Selection, Value};
use apollo_compiler::parser::SourceSpan;
use apollo_compiler::Node;

/// Deepest fragment nesting followed; cycles are a validation error of their own.
const MAX_DEPTH: usize = 64;

/// The path to the field, fragment or argument at byte `offset` of `query`, or `$`.
pub fn path_at(query: &str, offset: usize) -> String {
    let Ok(doc) = Document::parse(query, "query.graphql") else {
        return "$".into();
    };
    // An error inside a fragment definition is reached through the operation that spreads it.
    for def in &doc.definitions {
        if let Definition::OperationDefinition(op) = def {
            let mut path = String::from("$");
            if walk_selections(&doc, &op.selection_set, offset, &mut path, 0) {
                return path;
            }
        }
    }
    "$".into()
}

fn contains(span: Option<SourceSpan>, offset: usize) -> bool {
    span.is_some_and(|s| s.offset() <= offset && offset < s.end_offset())
}

/// Appends the segments leading to the selection at `offset`; false (path untouched) when no
/// selection here, or in a fragment spread from here, holds it.
fn walk_selections(
    doc: &Document,
    selections: &[Selection],
    offset: usize,
    path: &mut String,
    depth: usize,
) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let mark = path.len();
    for sel in selections {
        match sel {
            Selection::Field(field) => {
                path.push_str(".selectionSet.");
                path.push_str(field.name.as_str());
                if let Some(arg) = field
                    .arguments
                    .iter()
                    .find(|a| contains(a.location(), offset))
                {
                    path.push_str(".args.");
                    path.push_str(arg.name.as_str());
                    walk_value(&arg.value, offset, path);
                    return true;
                }
                if walk_selections(doc, &field.selection_set, offset, path, depth + 1)
                    || contains(field.location(), offset)
                {
                    return true;
                }
            }
            Selection::InlineFragment(inline) => {
                if walk_selections(doc, &inline.selection_set, offset, path, depth + 1)
                    || contains(inline.location(), offset)
                {
                    return true;
                }
            }
            Selection::FragmentSpread(spread) => {
                path.push_str(".selectionSet.");
                path.push_str(spread.fragment_name.as_str());
                let fragment = doc.definitions.iter().find_map(|d| match d {
                    Definition::FragmentDefinition(f) if f.name == spread.fragment_name => Some(f),
                    _ => None,
                });
                if let Some(fragment) = fragment {
                    if walk_selections(doc, &fragment.selection_set, offset, path, depth + 1) {
                        return true;
                    }
                }
                if contains(spread.location(), offset) {
                    return true;
                }
            }
        }
        path.truncate(mark);
    }
    false
}

/// Appends the object keys and list indexes leading to `offset` inside an argument value.
fn walk_value(value: &Node<Value>, offset: usize, path: &mut String) {
    match value.as_ref() {
        Value::Object(entries) => {
            for (key, inner) in entries {
                if contains(key.location(), offset) || contains(inner.location(), offset) {
                    path.push('.');
                    path.push_str(key.as_str());
                    walk_value(inner, offset, path);
                    return;
                }
            }
        }
        Value::List(items) => {
            for (i, inner) in items.iter().enumerate() {
                if contains(inner.location(), offset) {
                    path.push_str(&format!("[{i}]"));
                    walk_value(inner, offset, path);
                    return;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::path_at;

    fn at(query: &str, needle: &str) -> String {
        path_at(query, query.find(needle).expect("needle in query"))
    }

    #[test]
    fn root_and_nested_fields() {
        let q = "query { random }";
        assert_eq!(at(q, "random"), "$.selectionSet.random");
        let q = "{ author { id notPresentCol } }";
        assert_eq!(
            at(q, "notPresentCol"),
            "$.selectionSet.author.selectionSet.notPresentCol"
        );
    }

    #[test]
    fn arguments_and_input_objects() {
        let q = "{ author(where: {id: {_unexpected: 1}}) { id } }";
        assert_eq!(
            at(q, "_unexpected"),
            "$.selectionSet.author.args.where.id._unexpected"
        );
        let q = "{ article(limit: -1) { id } }";
        assert_eq!(at(q, "-1"), "$.selectionSet.article.args.limit");
    }

    #[test]
    fn fragments_are_named_in_the_path() {
        let q = "{ author { ...F } } fragment F on author { articles { bad } }";
        assert_eq!(
            at(q, "bad"),
            "$.selectionSet.author.selectionSet.F.selectionSet.articles.selectionSet.bad"
        );
    }

    #[test]
    fn outside_any_selection_is_the_root() {
        assert_eq!(path_at("{ a }", 0), "$");
        assert_eq!(path_at("not graphql {", 3), "$");
    }
}
