//! The form in which a query is compared with the allow list: parsed, `__typename` removed,
//! printed back.

use apollo_compiler::ast::{Definition, Document, Selection};

/// The normalised text of `query`, or the parser's complaint.
pub fn normalize(query: &str) -> Result<String, String> {
    let mut doc = Document::parse(query, "query.graphql").map_err(|e| e.errors.to_string())?;
    for def in &mut doc.definitions {
        match def {
            Definition::OperationDefinition(op) => strip(&mut op.make_mut().selection_set),
            Definition::FragmentDefinition(f) => strip(&mut f.make_mut().selection_set),
            _ => {}
        }
    }
    Ok(doc.to_string())
}

/// Removes `__typename` fields at every depth (clients such as Apollo add them everywhere,
/// inline fragments included; they reveal nothing a stored query does not).
fn strip(set: &mut Vec<Selection>) {
    set.retain(|s| !matches!(s, Selection::Field(f) if f.name == "__typename"));
    for s in set {
        match s {
            Selection::Field(f) => strip(&mut f.make_mut().selection_set),
            Selection::InlineFragment(i) => strip(&mut i.make_mut().selection_set),
            Selection::FragmentSpread(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn formatting_commas_and_typename_do_not_matter() {
        let a = normalize("query { user { id name } }").unwrap();
        let b = normalize("query {\n  user {\n    id,\n    __typename\n    name # who\n  }\n}")
            .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn fields_arguments_and_names_do() {
        let base = normalize("query { user { id name } }").unwrap();
        for other in [
            "query { user { id } }",
            "query { user { name id } }",
            "query { user(limit: 1) { id name } }",
            "query Named { user { id name } }",
            "query { u: user { id name } }",
        ] {
            assert_ne!(base, normalize(other).unwrap(), "{other}");
        }
    }

    #[test]
    fn typename_goes_inside_fragments_too() {
        let a =
            normalize("query { node { ... on user { id } } } fragment F on user { id }").unwrap();
        let b = normalize(
            "query { node { __typename ... on user { __typename id } } } fragment F on user { __typename id }",
        )
        .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_text_is_an_error() {
        assert!(normalize("query { user { id ").is_err());
    }
}
