//! Relationships from a table to a table of a database source (`to_source`), added to the
//! merged schema: a field of the table's type answering the target's type (an array one with
//! the target's select arguments), for a role that may read both tables; and relationships
//! from remote schemas' types to tables of a source other than the first.

use apollo_compiler::ast::Type;
use apollo_compiler::schema::{Component, ExtendedType, FieldDefinition};
use apollo_compiler::{Name, Schema};
use rasura_resolve::types::ResolvedSourceRel;
use rasura_schema::{RemoteDbRelInfo, RoleSchema, RootField, SourceRelInfo, TableField};

/// What one relationship adds: to the type `on` of table `table` of source `holder`, the
/// field `def`; and to that table's annotations, `info`.
struct Addition {
    holder: usize,
    table: usize,
    on: Name,
    def: FieldDefinition,
    info: SourceRelInfo,
}

/// Schema number `n`: `first` (0) or `others[n - 1]`.
fn nth<'a>(first: &'a RoleSchema, others: &'a [RoleSchema], n: usize) -> &'a RoleSchema {
    match n {
        0 => first,
        n => &others[n - 1],
    }
}

/// The select root field of table `t` of `s` (under its namespace, if any), as the merged
/// `schema` defines it.
fn select_field<'a>(
    schema: &'a Schema,
    s: &RoleSchema,
    t: usize,
) -> Option<&'a Component<FieldDefinition>> {
    let find = |roots: &std::collections::HashMap<String, RootField>| {
        roots
            .iter()
            .find(|(_, r)| **r == RootField::Select(t))
            .map(|(k, _)| k.clone())
    };
    let (ty, field) = match &s.namespace {
        Some(ns) => (ns.query_type.as_str(), find(&ns.query_roots)?),
        None => ("query_root", find(&s.query_roots)?),
    };
    match schema.types.get(ty)? {
        ExtendedType::Object(o) => o.fields.get(field.as_str()),
        _ => None,
    }
}

/// The arguments and type of a relationship's field to table `target` of `theirs`: an array
/// one `[T!]!` with the target's select arguments, an object one a nullable `T`.
fn shape(
    schema: &Schema,
    theirs: &RoleSchema,
    target: usize,
    array: bool,
) -> Result<
    (
        Vec<apollo_compiler::Node<apollo_compiler::ast::InputValueDefinition>>,
        Type,
    ),
    String,
> {
    let named = Name::new(&theirs.tables[target].type_name).map_err(|e| e.to_string())?;
    Ok(if array {
        let args = select_field(schema, theirs, target)
            .map(|f| f.arguments.clone())
            .unwrap_or_default();
        (args, Type::NonNullNamed(named).list().non_null())
    } else {
        (vec![], Type::Named(named))
    })
}

/// The addition of `rel` (held by source `holder`), if the role may read both tables.
fn addition(
    schema: &Schema,
    first: &RoleSchema,
    others: &[RoleSchema],
    names: &[String],
    holder: usize,
    rel: &ResolvedSourceRel,
) -> Result<Option<Addition>, String> {
    let Some(source) = names.iter().position(|n| n == &rel.source) else {
        return Ok(None);
    };
    let (mine, theirs) = (nth(first, others, holder), nth(first, others, source));
    let (Some(&table), Some(&target)) = (
        mine.table_index.get(&rel.table),
        theirs.table_index.get(&rel.target),
    ) else {
        return Ok(None);
    };
    if !mine.tables[table].visible || !theirs.tables[target].visible {
        return Ok(None);
    }
    let (arguments, ty) = shape(schema, theirs, target, rel.array)?;
    Ok(Some(Addition {
        holder,
        table,
        on: Name::new(&mine.tables[table].type_name).map_err(|e| e.to_string())?,
        def: FieldDefinition {
            description: None,
            name: Name::new(&rel.name).map_err(|e| e.to_string())?,
            arguments,
            ty,
            directives: Default::default(),
        },
        info: SourceRelInfo {
            source,
            target,
            mapping: rel.mapping.clone(),
            array: rel.array,
        },
    }))
}

/// Relationships from the remotes' object types to tables of a source other than the first
/// (those to the first's are built with it): each object type, its field, its annotation.
fn remote_additions(
    schema: &Schema,
    first: &RoleSchema,
    others: &[RoleSchema],
    names: &[String],
) -> Result<Vec<(Name, FieldDefinition, RemoteDbRelInfo)>, String> {
    let mut out = vec![];
    for (i, r) in first.remotes.iter().enumerate() {
        if first.remote_conflicts.iter().any(|(n, _)| n == &r.name) {
            continue;
        }
        for rel in &r.db_relationships {
            let Some(source) = names.iter().position(|n| n == &rel.source) else {
                continue;
            };
            if source == 0 {
                continue;
            }
            let theirs = &others[source - 1];
            let Some(&target) = theirs.table_index.get(&rel.table) else {
                continue;
            };
            let on = Name::new(&r.type_name(&rel.type_name)).map_err(|e| e.to_string())?;
            let field = Name::new(&rel.name).map_err(|e| e.to_string())?;
            let Some(ExtendedType::Object(o)) = schema.types.get(&on) else {
                continue;
            };
            if !theirs.tables[target].visible || o.fields.contains_key(&field) {
                continue;
            }
            let (arguments, ty) = shape(schema, theirs, target, rel.array)?;
            let def = FieldDefinition {
                description: None,
                name: field,
                arguments,
                ty,
                directives: Default::default(),
            };
            let info = RemoteDbRelInfo {
                remote: i,
                type_name: rel.type_name.clone(),
                field: rel.name.clone(),
                source,
                target,
                array: rel.array,
                aggregate_field: None,
                mapping: rel.mapping.clone(),
            };
            out.push((on, def, info));
        }
    }
    Ok(out)
}

/// Adds every relationship of `rels` the role may follow to `schema` and to the annotations of
/// the schema of the source holding it; and the remotes' relationships to other sources'
/// tables.
pub(crate) fn add(
    schema: &mut Schema,
    first: &mut RoleSchema,
    others: &mut [RoleSchema],
    names: &[String],
    rels: &[(usize, ResolvedSourceRel)],
) -> Result<(), String> {
    let mut additions = vec![];
    for (holder, rel) in rels {
        additions.extend(addition(schema, first, others, names, *holder, rel)?);
    }
    for a in additions {
        let Some(ExtendedType::Object(o)) = schema.types.get_mut(&a.on) else {
            continue;
        };
        let o = o.make_mut();
        if o.fields.contains_key(&a.def.name) {
            return Err(format!(
                "the relationship \"{}\" of type \"{}\" has the name of a field it has",
                a.def.name, a.on
            ));
        }
        o.fields
            .insert(a.def.name.clone(), Component::new(a.def.clone()));
        o.fields.sort_keys();
        let holder = match a.holder {
            0 => &mut *first,
            n => &mut others[n - 1],
        };
        std::sync::Arc::make_mut(&mut holder.tables[a.table].fields)
            .insert(a.def.name.to_string(), TableField::SourceRel(a.info));
    }
    for (on, def, info) in remote_additions(schema, first, others, names)? {
        if let Some(ExtendedType::Object(o)) = schema.types.get_mut(&on) {
            let o = o.make_mut();
            o.fields.insert(def.name.clone(), Component::new(def));
            o.fields.sort_keys();
            first.remote_db_rels.push(info);
        }
    }
    Ok(())
}
