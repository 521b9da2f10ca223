//! Stage 2: object and array relationships, from foreign keys or manual column mappings.

use rasura_catalog::{Catalog, ForeignKey, Table};
use rasura_metadata::{FkConstraintOn, QualifiedName, Relationship, Source};

use crate::inconsistency::{in_table, Inconsistency, ObjectRef};
use crate::types::{RelKind, ResolvedRelationship, ResolvedTable};

pub(super) fn resolve_relationships(
    source: &Source,
    catalog: &Catalog,
    tables: &mut [ResolvedTable],
    report: &mut Vec<Inconsistency>,
) {
    let tracked = super::entries::tracked(tables);
    let entries = super::entries::Entries::of(source);
    for table in tables.iter_mut() {
        let Some(entry) = entries.get(&table.name) else {
            continue;
        };
        for (rels, kind) in [
            (&entry.object_relationships, RelKind::Object),
            (&entry.array_relationships, RelKind::Array),
        ] {
            for rel in rels {
                let resolved = resolve_one(&table.info, &table.name, rel, kind, catalog, &tracked);
                match resolved {
                    Ok(r) => match kind {
                        RelKind::Object => table.object_relationships.push(r),
                        RelKind::Array => table.array_relationships.push(r),
                    },
                    Err(reason) => report.push(Inconsistency::new(
                        match kind {
                            RelKind::Object => "object_relation",
                            RelKind::Array => "array_relation",
                        },
                        in_table("relationship", &rel.name, &table.name, &source.name),
                        serde_json::json!({
                            "name": rel.name, "using": rel.using,
                            "table": table.name, "source": "default",
                        }),
                        reason,
                        ObjectRef::Relationship(table.name.clone(), rel.name.clone()),
                    )),
                }
            }
        }
    }
}

fn resolve_one(
    info: &Table,
    name: &QualifiedName,
    rel: &Relationship,
    kind: RelKind,
    catalog: &Catalog,
    tracked: &std::collections::HashSet<QualifiedName>,
) -> Result<ResolvedRelationship, String> {
    if info.column(&rel.name).is_some() {
        return Err(format!(
            "relationship name \"{}\" conflicts with a column of table \"{name}\"",
            rel.name
        ));
    }
    // An object relationship on the target's foreign key points at a row that refers to this
    // one: in a nested insert it comes after this row.
    let on_target_fk = matches!(
        rel.using.foreign_key_constraint_on,
        Some(FkConstraintOn::Remote { .. })
    );
    let (target, mapping, nullable) = match (
        &rel.using.foreign_key_constraint_on,
        &rel.using.manual_configuration,
    ) {
        (Some(FkConstraintOn::Column(c)), _) => {
            local_fk(info, name, std::slice::from_ref(c), kind)?
        }
        (Some(FkConstraintOn::Columns(cs)), _) => local_fk(info, name, cs, kind)?,
        (
            Some(FkConstraintOn::Remote {
                table,
                column,
                columns,
            }),
            _,
        ) => {
            let cols: Vec<String> = match (column, columns) {
                (Some(c), _) => vec![c.clone()],
                (None, Some(cs)) => cs.clone(),
                (None, None) => return Err("\"column\" or \"columns\" expected".into()),
            };
            let remote = catalog
                .table(&table.schema, &table.name)
                .ok_or_else(|| format!("table \"{table}\" does not exist"))?;
            let fk = find_fk(remote, &cols, Some(name)).ok_or_else(|| {
                format!(
                    "no foreign constraint exists on the given column(s) {} of table \"{table}\" referencing \"{name}\"",
                    cols.join(", ")
                )
            })?;
            let mapping = fk
                .ref_columns
                .iter()
                .cloned()
                .zip(fk.columns.iter().cloned())
                .collect();
            (table.clone(), mapping, true)
        }
        (None, Some(manual)) => {
            let target = manual.remote_table.clone();
            let remote = catalog
                .table(&target.schema, &target.name)
                .ok_or_else(|| format!("table \"{target}\" does not exist"))?;
            let mapping = manual.pairs();
            if mapping.is_empty() {
                return Err("column_mapping must not be empty".into());
            }
            for (l, r) in &mapping {
                if info.column(l).is_none() {
                    return Err(format!(
                        "no such column exists: \"{l}\" in table \"{name}\""
                    ));
                }
                if remote.column(r).is_none() {
                    return Err(format!(
                        "no such column exists: \"{r}\" in table \"{target}\""
                    ));
                }
            }
            (target, mapping, true)
        }
        (None, None) => return Err("relationship has no definition".into()),
    };
    if !tracked.contains(&target) {
        return Err(format!("table \"{target}\" is not tracked"));
    }
    Ok(ResolvedRelationship {
        name: rel.name.clone(),
        kind,
        target,
        mapping,
        nullable,
        insert_after_parent: on_target_fk
            || rel
                .using
                .manual_configuration
                .as_ref()
                .and_then(|m| m.insertion_order.as_deref())
                == Some("after_parent"),
        comment: rel.comment.clone(),
    })
}

type Resolved = (QualifiedName, Vec<(String, String)>, bool);

/// An object relationship on this table's own foreign-key columns.
fn local_fk(
    info: &Table,
    name: &QualifiedName,
    cols: &[String],
    kind: RelKind,
) -> Result<Resolved, String> {
    if kind == RelKind::Array {
        return Err(
            "an array relationship needs the remote table's column: {table, column}".into(),
        );
    }
    for c in cols {
        if info.column(c).is_none() {
            return Err(format!(
                "no such column exists: \"{c}\" in table \"{name}\""
            ));
        }
    }
    let fk = find_fk(info, cols, None).ok_or_else(|| {
        format!(
            "no foreign constraint exists on the given column(s) {} of table \"{name}\"",
            cols.join(", ")
        )
    })?;
    let nullable = fk
        .columns
        .iter()
        .any(|c| info.column(c).is_none_or(|c| c.nullable));
    let target = QualifiedName::new(&fk.ref_table.schema, &fk.ref_table.name);
    let mapping = fk
        .columns
        .iter()
        .cloned()
        .zip(fk.ref_columns.iter().cloned())
        .collect();
    Ok((target, mapping, nullable))
}

/// The foreign key of `table` on exactly `cols` (in any order), optionally to `referencing`.
fn find_fk<'a>(
    table: &'a Table,
    cols: &[String],
    referencing: Option<&QualifiedName>,
) -> Option<&'a ForeignKey> {
    let mut want: Vec<&String> = cols.iter().collect();
    want.sort();
    table.foreign_keys.iter().find(|fk| {
        let mut have: Vec<&String> = fk.columns.iter().collect();
        have.sort();
        have == want
            && referencing
                .is_none_or(|r| fk.ref_table.schema == r.schema && fk.ref_table.name == r.name)
    })
}
