//! Field collection: fragments flattened, `@skip`/`@include` applied, fields merged by response key.

use apollo_compiler::executable::{DirectiveList, Field, Selection, SelectionSet};
use apollo_compiler::ExecutableDocument;
use apollo_compiler::Node;
use serde_json::{Map, Value};

use crate::value::resolve;

/// The fields of `sets` for an object of type `type_name`, grouped by response key in order.
pub fn collect_fields<'a>(
    doc: &'a ExecutableDocument,
    sets: &[&'a SelectionSet],
    type_name: &str,
    vars: &Map<String, Value>,
) -> Vec<(String, Vec<&'a Node<Field>>)> {
    let mut out: Vec<(String, Vec<&'a Node<Field>>)> = vec![];
    for set in sets {
        collect_into(doc, set, type_name, vars, &mut out, &mut vec![]);
    }
    out
}

fn collect_into<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    type_name: &str,
    vars: &Map<String, Value>,
    out: &mut Vec<(String, Vec<&'a Node<Field>>)>,
    visited: &mut Vec<String>,
) {
    for selection in &set.selections {
        match selection {
            Selection::Field(f) => {
                if !included(&f.directives, vars) {
                    continue;
                }
                let key = f.response_key().to_string();
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, fields)) => fields.push(f),
                    None => out.push((key, vec![f])),
                }
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.fragment_name.to_string();
                if !included(&spread.directives, vars) || visited.contains(&name) {
                    continue;
                }
                let Some(fragment) = doc.fragments.get(&spread.fragment_name) else {
                    continue;
                };
                let tc = fragment.type_condition().as_str();
                if tc != type_name && tc != "Node" {
                    continue;
                }
                visited.push(name);
                collect_into(doc, &fragment.selection_set, type_name, vars, out, visited);
                visited.pop();
            }
            Selection::InlineFragment(inline) => {
                if !included(&inline.directives, vars) {
                    continue;
                }
                // `... on Node` applies to every table type (Relay's interface).
                if let Some(tc) = &inline.type_condition {
                    if tc.as_str() != type_name && tc.as_str() != "Node" {
                        continue;
                    }
                }
                collect_into(doc, &inline.selection_set, type_name, vars, out, visited);
            }
        }
    }
}

/// `@skip(if: true)` excludes, `@include(if: false)` excludes.
fn included(directives: &DirectiveList, vars: &Map<String, Value>) -> bool {
    let flag = |name: &str| {
        directives
            .get(name)
            .and_then(|d| d.specified_argument_by_name("if"))
            .and_then(|v| resolve(v, vars))
            .and_then(|v| v.as_bool())
    };
    flag("skip") != Some(true) && flag("include") != Some(false)
}

/// Every field's selections under one response key, as one list of sets.
pub fn sub_selections<'a>(fields: &[&'a Node<Field>]) -> Vec<&'a SelectionSet> {
    fields.iter().map(|f| &f.selection_set).collect()
}
