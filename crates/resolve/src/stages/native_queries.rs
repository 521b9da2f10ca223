//! Stage 4b: native queries as tables of the resolved metadata. Each query's rows are typed
//! by its logical model (tracked, or defined in place): the model's scalar fields become the
//! table's columns, its select permissions the table's, and the query's relationships (to
//! other native queries without arguments, or to tracked tables) the table's. What does not
//! fit (a missing model, an argument used but not declared or declared but not used, a nested
//! field without its relationship) is reported, with Hasura's reasons.

use std::collections::HashMap;
use std::sync::Arc;

use rasura_catalog::{Column, Table};
use rasura_metadata::{QualifiedName, SelectPermission, Source, TableConfig};
use rasura_native_queries::model::pg_type_name;
use rasura_native_queries::{Code, FieldType, LogicalModel, NativeQuery, RelTarget, Returns};
use serde_json::Value;

use super::bool_exp::Tables;
use crate::inconsistency::{Inconsistency, ObjectRef};
use crate::types::{NativeTable, RelKind, ResolvedRelationship, ResolvedTable};

/// The resolved table of native query `root_field` (no schema: no database table has one).
pub fn table_name(root_field: &str) -> QualifiedName {
    QualifiedName::new("", root_field)
}

fn entries<'a>(source: &'a Source, key: &str) -> impl Iterator<Item = &'a Value> {
    source
        .extra
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn inconsistent(
    kind: &str,
    name: &str,
    source: &str,
    definition: &Value,
    reason: String,
) -> Inconsistency {
    let object = if kind == "logical_model" {
        ObjectRef::LogicalModel(name.to_string())
    } else {
        ObjectRef::NativeQuery(name.to_string())
    };
    Inconsistency::new(
        kind,
        format!("{kind} {name} in source {source}"),
        definition.clone(),
        reason,
        object,
    )
}

/// The columns of a model's scalar fields, or why a field cannot be served.
fn columns(lm: &LogicalModel, nq: &NativeQuery) -> Result<Vec<Column>, String> {
    let mut out = vec![];
    for (position, f) in lm.fields.iter().enumerate() {
        let has_rel = || {
            nq.object_relationships
                .iter()
                .chain(&nq.array_relationships)
                .any(|r| r.name == f.name)
        };
        let scalar = match &f.ty {
            FieldType::Scalar { scalar, .. } => scalar,
            FieldType::Array { of, .. } if !matches!(**of, FieldType::Model { .. }) => {
                return Err("Arrays of scalar types are not currently implemented".into())
            }
            FieldType::Model { .. } if has_rel() => continue,
            FieldType::Array { .. } if has_rel() => continue,
            FieldType::Model { .. } => {
                return Err(format!(
                    "Unexpected logical model object field '{}'.",
                    f.name
                ))
            }
            FieldType::Array { .. } => {
                return Err(format!(
                    "Unexpected logical model array field '{}'.",
                    f.name
                ))
            }
        };
        let type_name = pg_type_name(scalar);
        let category = match type_name.as_str() {
            "int2" | "int4" | "int8" | "float4" | "float8" | "numeric" => "N",
            "text" | "varchar" | "bpchar" | "name" => "S",
            "bool" => "B",
            _ => "U",
        };
        out.push(Column {
            name: f.name.clone(),
            position: position as i32 + 1,
            type_name: type_name.clone(),
            type_schema: "pg_catalog".into(),
            type_kind: "b".into(),
            type_category: category.into(),
            elem_type: None,
            elem_schema: None,
            display_type: type_name,
            nullable: f.ty.nullable(),
            has_default: false,
            is_identity: false,
            identity_always: false,
            is_generated: false,
            description: f.description.clone(),
        });
    }
    Ok(out)
}

fn permissions(lm: &LogicalModel) -> Result<HashMap<String, SelectPermission>, String> {
    lm.select_permissions
        .iter()
        .map(|p| {
            let role = p.get("role").and_then(Value::as_str).unwrap_or_default();
            let perm = p.get("permission").cloned().unwrap_or_default();
            let perm: SelectPermission = serde_json::from_value(perm)
                .map_err(|e| format!("the select permission of role \"{role}\": {e}"))?;
            Ok((role.to_string(), perm))
        })
        .collect()
}

/// One native query as a table, or why it cannot be served.
fn native_table(
    nq: &NativeQuery,
    models: &HashMap<String, LogicalModel>,
) -> Result<ResolvedTable, String> {
    let lm = match &nq.returns {
        Returns::Model(name) => models
            .get(name)
            .cloned()
            .ok_or_else(|| format!("The logical model {name} could not be found"))?,
        Returns::Inline(lm) => lm.clone(),
    };
    let code = Code::parse(&nq.code)?;
    code.check_arguments(nq.arguments.iter().map(|a| a.name.as_str()))?;
    let has_rels = !nq.object_relationships.is_empty() || !nq.array_relationships.is_empty();
    let model = if has_rels || matches!(nq.returns, Returns::Inline(_)) {
        nq.root_field_name.clone()
    } else {
        lm.name.clone()
    };
    let name = table_name(&nq.root_field_name);
    let info = Table {
        schema: String::new(),
        name: nq.root_field_name.clone(),
        oid: 0,
        kind: "native_query".into(),
        description: lm.description.clone(),
        insertable: false,
        updatable: false,
        deletable: false,
        columns: columns(&lm, nq)?,
        primary_key: None,
        unique_constraints: vec![],
        foreign_keys: vec![],
    };
    Ok(ResolvedTable {
        name,
        info: std::sync::Arc::new(info),
        config: TableConfig {
            custom_name: Some(model.clone()),
            ..TableConfig::default()
        },
        is_enum: false,
        enum_values: None,
        enum_columns: HashMap::new(),
        object_relationships: vec![],
        array_relationships: vec![],
        computed_fields: vec![],
        select_permissions: permissions(&lm)?,
        insert_permissions: HashMap::new(),
        update_permissions: HashMap::new(),
        delete_permissions: HashMap::new(),
        remote_relationships: vec![],
        redactions: HashMap::new(),
        native: Some(Arc::new(NativeTable {
            root_field: nq.root_field_name.clone(),
            code: Arc::new(code.nestable()),
            arguments: nq.arguments.clone(),
            description: nq.description.clone(),
            model,
            model_description: lm.description.clone(),
        })),
    })
}

/// The relationships of `nq`, or why one cannot be served.
fn relationships(
    nq: &NativeQuery,
    this: &ResolvedTable,
    tables: &[ResolvedTable],
) -> Result<(Vec<ResolvedRelationship>, Vec<ResolvedRelationship>), String> {
    let mut lists = (vec![], vec![]);
    let kinds = [
        (RelKind::Object, &nq.object_relationships),
        (RelKind::Array, &nq.array_relationships),
    ];
    for (kind, rels) in kinds {
        for r in rels {
            let target_name = match &r.target {
                RelTarget::NativeQuery(n) => table_name(n),
                RelTarget::Table(t) => t.clone(),
            };
            let target = tables
                .iter()
                .find(|t| t.name == target_name)
                .ok_or_else(|| {
                    format!("the target of relationship \"{}\" is not tracked", r.name)
                })?;
            if target
                .native
                .as_ref()
                .is_some_and(|n| !n.arguments.is_empty())
            {
                return Err(format!(
                    "relationship \"{}\": a relationship to a native query with arguments is not supported by this engine yet",
                    r.name
                ));
            }
            for (from, to) in &r.mapping {
                if this.info.column(from).is_none() {
                    return Err(format!("relationship \"{}\": no column \"{from}\"", r.name));
                }
                if target.info.column(to).is_none() {
                    return Err(format!(
                        "relationship \"{}\": no column \"{to}\" in its target",
                        r.name
                    ));
                }
            }
            let resolved = ResolvedRelationship {
                name: r.name.clone(),
                kind,
                target: target_name,
                mapping: r.mapping.clone(),
                nullable: true,
                insert_after_parent: false,
                comment: r.comment.clone(),
            };
            match kind {
                RelKind::Object => lists.0.push(resolved),
                RelKind::Array => lists.1.push(resolved),
            }
        }
    }
    Ok(lists)
}

pub(super) fn resolve_native_queries(
    source: &Source,
    tables: &mut Vec<ResolvedTable>,
    report: &mut Vec<Inconsistency>,
) {
    let mut models = HashMap::new();
    for v in entries(source, "logical_models") {
        match LogicalModel::parse(v) {
            Ok(lm) => {
                models.insert(lm.name.clone(), lm);
            }
            Err(e) => {
                let name = v.get("name").and_then(Value::as_str).unwrap_or("?");
                report.push(inconsistent("logical_model", name, &source.name, v, e));
            }
        }
    }
    let first = tables.len();
    let mut queries = vec![];
    for v in entries(source, "native_queries") {
        let name = v
            .get("root_field_name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        match NativeQuery::parse(v).and_then(|nq| Ok((native_table(&nq, &models)?, nq))) {
            Ok((table, nq)) => {
                tables.push(table);
                queries.push((nq, v));
            }
            Err(e) => report.push(inconsistent("native_query", name, &source.name, v, e)),
        }
    }
    // Relationships and permission rules, now that every query has its table.
    let mut broken = vec![];
    for (i, (nq, v)) in queries.iter().enumerate() {
        let idx = first + i;
        match relationships(nq, &tables[idx], tables) {
            Ok((object, array)) => {
                tables[idx].object_relationships = object;
                tables[idx].array_relationships = array;
            }
            Err(e) => broken.push((
                idx,
                inconsistent("native_query", &nq.root_field_name, &source.name, v, e),
            )),
        }
    }
    let all = Tables::new(tables);
    for (i, (nq, v)) in queries.iter().enumerate() {
        let idx = first + i;
        for (role, p) in &tables[idx].select_permissions {
            if let Err(e) = all.check(&tables[idx], &p.filter) {
                let reason = format!("the select permission of role \"{role}\": {e}");
                broken.push((
                    idx,
                    inconsistent("native_query", &nq.root_field_name, &source.name, v, reason),
                ));
            }
        }
    }
    broken.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
    broken.dedup_by_key(|(i, _)| *i);
    for (idx, inconsistency) in broken {
        tables.remove(idx);
        report.push(inconsistency);
    }
}
