//! Merging the role schemas of several sources: root fields side by side, other types once.

use std::sync::Arc;

use apollo_compiler::schema::{ComponentName, ExtendedType};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};
use rasura_resolve::types::ResolvedSourceRel;
use rasura_schema::build::PLACEHOLDER_FIELD;
use rasura_schema::{MutationRoot, RoleSchema, RootField};

/// `first` with the root fields and types of `others` (each the same role's schema of another
/// source) and the relationships `rels` between sources (by the number of the source holding
/// the table); `names` are the sources' names (`first`'s, then the others').
pub fn merge(
    first: RoleSchema,
    others: Vec<RoleSchema>,
    names: &[String],
    rels: &[(usize, ResolvedSourceRel)],
) -> Result<RoleSchema, String> {
    let mut others = others;
    let mut first = first;
    let mut schema = (*first.schema).clone().into_inner();
    for (k, other) in others.iter().enumerate() {
        let theirs = &other.schema;
        // Mutations first, as Hasura checks them.
        for (kind, root) in [
            ("mutation", &theirs.schema_definition.mutation),
            ("query", &theirs.schema_definition.query),
            ("subscription", &theirs.schema_definition.subscription),
        ] {
            let Some(root) = root else { continue };
            let Some(ExtendedType::Object(theirs_root)) = theirs.types.get(&root.name) else {
                continue;
            };
            add_root_fields(
                &mut schema,
                kind,
                &root.name,
                theirs_root,
                k,
                &mut first,
                names,
            )?;
        }
        for (name, ty) in &theirs.types {
            if ROOTS.contains(&name.as_str()) || ty.is_built_in() {
                continue;
            }
            match schema.types.get(name) {
                Some(mine) if mine == ty => {}
                Some(_) => {
                    return Err(format!(
                        "Found conflicting definitions for GraphQL type '{name}'.  The definition in source \"{}\" differs from the definition in source \"{}\"; give one source a type name prefix or suffix (customization.type_names)",
                        names[k + 1],
                        owner(&first, &others[..k], name, names)
                    ))
                }
                None => {
                    schema.types.insert(name.clone(), ty.clone());
                }
            }
        }
        for (name, d) in &theirs.directive_definitions {
            schema
                .directive_definitions
                .entry(name.clone())
                .or_insert_with(|| d.clone());
        }
    }
    crate::relationships::add(&mut schema, &mut first, &mut others, names, rels)?;
    // A role that may read something of some source has no placeholder.
    if first.query_roots.len() > 1 && first.query_roots.remove(PLACEHOLDER_FIELD).is_some() {
        for root in ["query_root", "subscription_root"] {
            if let Some(ExtendedType::Object(o)) = schema.types.get_mut(root) {
                o.make_mut().fields.shift_remove(PLACEHOLDER_FIELD);
            }
        }
    }
    for root in ROOTS {
        if let Some(ExtendedType::Object(o)) = schema.types.get_mut(root) {
            o.make_mut().fields.sort_keys();
        }
    }
    schema.types.sort_keys();
    // Each part was validated when it was built; what is joined refers only to their types.
    let schema = Valid::assume_valid(schema);
    first.implementers = schema.implementers_map();
    first.schema = Arc::new(schema);
    first.sources = others.into_iter().map(Arc::new).collect();
    Ok(first)
}

/// Root fields every source's schema may have that stand for all sources: the placeholder of
/// a role that reads nothing, and Relay's `node` (the first source's finds a node in any).
fn shared_field(name: &str) -> bool {
    name == PLACEHOLDER_FIELD || name == "node"
}

/// The operation types, as every source's schema names them.
const ROOTS: [&str; 3] = ["query_root", "mutation_root", "subscription_root"];

/// Adds the fields of `theirs` (the `kind` root type of source `k + 1`) to `schema`'s root
/// type of that kind (made if `first` has none), and to `first`'s root maps.
fn add_root_fields(
    schema: &mut Schema,
    kind: &str,
    type_name: &Name,
    theirs: &apollo_compiler::Node<apollo_compiler::schema::ObjectType>,
    k: usize,
    first: &mut RoleSchema,
    names: &[String],
) -> Result<(), String> {
    let def = schema.schema_definition.make_mut();
    let slot = match kind {
        "query" => &mut def.query,
        "mutation" => &mut def.mutation,
        _ => &mut def.subscription,
    };
    if slot.is_none() {
        *slot = Some(ComponentName::from(type_name.clone()));
        let mut empty = (**theirs).clone();
        empty.fields.clear();
        schema
            .types
            .insert(type_name.clone(), ExtendedType::Object(empty.into()));
    }
    let Some(ExtendedType::Object(mine)) = schema.types.get_mut(type_name) else {
        return Err(format!("\"{type_name}\" is not an object type"));
    };
    let mine = mine.make_mut();
    let clashes: Vec<String> = theirs
        .fields
        .keys()
        .filter(|f| mine.fields.contains_key(*f) && !shared_field(f.as_str()))
        .map(|f| format!("'{f}'"))
        .collect();
    if !clashes.is_empty() {
        let set = match kind {
            "mutation" => "selection set for mutation root",
            _ => "selection set",
        };
        return Err(format!(
            "found duplicate fields in {set}: [{}] (of sources \"{}\" and \"{}\"; give one source a root field prefix or namespace: customization.root_fields)",
            clashes.join(", "),
            names[0],
            names[k + 1]
        ));
    }
    for (field, def) in &theirs.fields {
        if shared_field(field.as_str()) {
            continue;
        }
        mine.fields.insert(field.clone(), def.clone());
        match kind {
            "mutation" => {
                first
                    .mutation_roots
                    .insert(field.to_string(), MutationRoot::Source(k));
            }
            _ => {
                first
                    .query_roots
                    .insert(field.to_string(), RootField::Source(k));
            }
        }
    }
    Ok(())
}

/// The source already holding type `name`, for messages.
fn owner(first: &RoleSchema, before: &[RoleSchema], name: &Name, names: &[String]) -> String {
    if first.schema.types.contains_key(name) {
        return names[0].clone();
    }
    before
        .iter()
        .position(|s| s.schema.types.contains_key(name))
        .map_or_else(|| names[0].clone(), |i| names[i + 1].clone())
}
