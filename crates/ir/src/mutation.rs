//! Mutation root fields → IR: inserts (nested through relationships, with `on_conflict`),
//! updates with every operator, deletes, and their responses.

use apollo_compiler::executable::{Field as GqlField, SelectionSet};
use apollo_compiler::Node;
use rasura_schema::{MutationRoot, TableField};
use serde_json::{Map, Value};

use crate::bool_exp::parse_bool_exp;
use crate::build::{column_ref, Cx};
use crate::collect::collect_fields;
use crate::error::IrError;
use crate::types::*;
use crate::value::as_list;

impl Cx<'_> {
    pub(crate) fn mutation(
        &self,
        root: MutationRoot,
        f: &Node<GqlField>,
        fields: &[&Node<GqlField>],
        path: &str,
    ) -> Result<Root, IrError> {
        let sets: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
        let args = format!("{path}.args");
        let m = |table: usize, kind: MutationKind, single: bool| -> Result<Mutation, IrError> {
            let output = if single {
                MutationOutput::Single(self.row_fields(table, &sets, path)?)
            } else {
                MutationOutput::Response(self.response_fields(table, &sets, path)?)
            };
            // As in Hasura, the rows a mutation touched are given back whole (their columns
            // limited by the select permission's): the insert, update or delete permission
            // decided which rows those are. Relationships in `returning` keep their filters.
            Ok(Mutation {
                table: self.schema.tables[table].name.clone(),
                kind,
                output,
                returning_filter: BoolExp::True,
            })
        };
        Ok(match root {
            MutationRoot::Insert(t) | MutationRoot::InsertOne(t) => {
                let one = matches!(root, MutationRoot::InsertOne(_));
                let objects = if one {
                    self.arg(f, "object")
                } else {
                    self.arg(f, "objects")
                }
                .unwrap_or(Value::Null);
                let rows = as_list(&objects)
                    .into_iter()
                    .enumerate()
                    .map(|(i, o)| self.insert_row(t, o, &format!("{args}.objects[{i}]"), &[]))
                    .collect::<Result<Vec<_>, _>>()?;
                let on_conflict = match self.arg(f, "on_conflict") {
                    Some(v) if !v.is_null() => {
                        Some(self.on_conflict(t, &v, &format!("{args}.on_conflict"))?)
                    }
                    _ => None,
                };
                let check = self.insert_check(t)?;
                Root::Mutation(Box::new(m(
                    t,
                    MutationKind::Insert {
                        rows,
                        on_conflict,
                        check,
                    },
                    one,
                )?))
            }
            MutationRoot::Update(t) => {
                let filter = self.update_filter(t, self.required_where(t, f, &args)?)?;
                let set = self.update_ops(t, |n| self.arg(f, n), &args)?;
                let check = self.update_check(t)?;
                Root::Mutation(Box::new(m(
                    t,
                    MutationKind::Update { filter, set, check },
                    false,
                )?))
            }
            MutationRoot::UpdateByPk(t) => {
                let pk = self.arg(f, "pk_columns").unwrap_or(Value::Null);
                let filter =
                    self.update_filter(t, self.pk_filter(t, &pk, &format!("{args}.pk_columns"))?)?;
                let set = self.update_ops(t, |n| self.arg(f, n), &args)?;
                let check = self.update_check(t)?;
                Root::Mutation(Box::new(m(
                    t,
                    MutationKind::Update { filter, set, check },
                    true,
                )?))
            }
            MutationRoot::UpdateMany(t) => {
                let updates = self.arg(f, "updates").unwrap_or(Value::Null);
                let mut out = vec![];
                for (i, u) in as_list(&updates).into_iter().enumerate() {
                    let here = format!("{args}.updates[{i}]");
                    let filter = parse_bool_exp(
                        self.schema,
                        self.session,
                        t,
                        u.get("where").unwrap_or(&Value::Null),
                        &format!("{here}.where"),
                    )?;
                    let filter = self.update_filter(t, self.with_target_perms(filter)?)?;
                    let naming = &self.schema.naming;
                    let set = self.update_ops(t, |n| u.get(naming.field(n)).cloned(), &here)?;
                    let check = self.update_check(t)?;
                    out.push(m(t, MutationKind::Update { filter, set, check }, false)?);
                }
                Root::UpdateMany(out)
            }
            MutationRoot::Delete(t) => {
                let filter = self.delete_filter(t, self.required_where(t, f, &args)?)?;
                Root::Mutation(Box::new(m(t, MutationKind::Delete { filter }, false)?))
            }
            MutationRoot::Action(i) => self.action(i, f, fields, path)?,
            // Built by the caller (they are reads of a function's rows, not table mutations).
            MutationRoot::Function(_)
            | MutationRoot::Remote(_)
            | MutationRoot::RemoteNamespace(_)
            | MutationRoot::SourceNamespace
            | MutationRoot::Source(_) => {
                return Err(IrError::unknown_field(
                    path,
                    f.name.as_str(),
                    "mutation_root",
                ))
            }
            MutationRoot::DeleteByPk(t) => {
                let info = &self.schema.tables[t];
                let mut pk = Map::new();
                for c in &info.primary_key {
                    let field = &info.columns[c].field;
                    if let Some(v) = self.arg_named(f, field) {
                        pk.insert(field.clone(), v);
                    }
                }
                let filter =
                    self.delete_filter(t, self.pk_filter(t, &Value::Object(pk), &args)?)?;
                Root::Mutation(Box::new(m(t, MutationKind::Delete { filter }, true)?))
            }
        })
    }

    fn required_where(&self, t: usize, f: &GqlField, args: &str) -> Result<BoolExp, IrError> {
        let w = self
            .arg(f, "where")
            .ok_or_else(|| IrError::new(args, "missing required field 'where'"))?;
        let exp = parse_bool_exp(self.schema, self.session, t, &w, &format!("{args}.where"))?;
        self.with_target_perms(exp)
    }

    fn pk_filter(&self, t: usize, pk: &Value, path: &str) -> Result<BoolExp, IrError> {
        let info = &self.schema.tables[t];
        let mut parts = vec![];
        for c in &info.primary_key {
            let col = &info.columns[c];
            let value = pk
                .get(&col.field)
                .filter(|v| !v.is_null())
                .cloned()
                .ok_or_else(|| {
                    IrError::new(path, format!("missing required field '{}'", col.field))
                })?;
            parts.push(BoolExp::Compare {
                column: column_ref(col),
                cast: false,
                op: CompareOp::Eq,
                value,
            });
        }
        Ok(BoolExp::And(parts))
    }

    /// One row of an insert at any level: its columns (with the role's presets), and rows of
    /// related tables to insert with it, each with that table's check and presets. `determined`
    /// are the columns a parent row fills in (the row may not give them itself).
    fn insert_row(
        &self,
        t: usize,
        object: &Value,
        path: &str,
        determined: &[String],
    ) -> Result<InsertRow, IrError> {
        let Value::Object(fields) = object else {
            return Err(IrError::new(path, "expected an object"));
        };
        let info = &self.schema.tables[t];
        let mut row = InsertRow {
            columns: vec![],
            object_rels: vec![],
            array_rels: vec![],
        };
        let mut before_parent: Vec<(&str, &rasura_schema::RelInfo)> = vec![];
        for (name, value) in fields {
            let here = format!("{path}.{name}");
            if let Some(col) = info.column_by_any_field(name) {
                crate::geojson::checked(col, value, &here)?;
                row.columns
                    .push((column_ref(col), crate::enums::stored(col, value)));
                continue;
            }
            let (r, is_object) = match info.fields.get(name) {
                Some(TableField::ObjectRel(r)) => (r, true),
                Some(TableField::ArrayRel(r)) => (r, false),
                _ => {
                    return Err(IrError::unknown_field(
                        &here,
                        name,
                        &self.schema.table_type(t, "insert_input"),
                    ))
                }
            };
            // The schema offers a relationship only when the role can insert into its target;
            // this keeps that true whatever the document.
            if !self.schema.tables[r.target].can_insert() {
                return Err(IrError::unknown_field(
                    &here,
                    name,
                    &self.schema.table_type(t, "insert_input"),
                ));
            }
            // `rel: null` inserts nothing through it.
            if value.is_null() {
                continue;
            }
            let data = value
                .get("data")
                .ok_or_else(|| IrError::new(&here, "missing required field 'data'"))?;
            let target = &self.schema.tables[r.target];
            // Rows inserted after this one take the mapped columns from it.
            let child_determined: Vec<String> = if r.insert_after_parent {
                r.mapping.iter().map(|(_, c)| c.clone()).collect()
            } else {
                vec![]
            };
            let rows = as_list(data)
                .into_iter()
                .enumerate()
                .map(|(i, o)| {
                    let at = if is_object {
                        format!("{here}.data")
                    } else {
                        format!("{here}.data[{i}]")
                    };
                    self.insert_row(r.target, o, &at, &child_determined)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let on_conflict = match value.get(self.schema.naming.field("on_conflict")) {
                Some(v) if !v.is_null() => {
                    Some(self.on_conflict(r.target, v, &format!("{here}.on_conflict"))?)
                }
                _ => None,
            };
            let mapping = r
                .mapping
                .iter()
                .map(|(p, c)| (column_ref(&info.columns[p]), column_ref(&target.columns[c])))
                .collect();
            let nested = NestedInsert {
                table: target.name.clone(),
                mapping,
                rows,
                on_conflict,
                check: self.insert_check(r.target)?,
            };
            if r.insert_after_parent {
                row.array_rels.push(nested);
            } else {
                before_parent.push((name.as_str(), r));
                row.object_rels.push(nested);
            }
        }
        let given: Vec<&str> = row.columns.iter().map(|(c, _)| c.name.as_str()).collect();
        let taken: Vec<&String> = determined
            .iter()
            .filter(|c| given.contains(&c.as_str()))
            .collect();
        if !taken.is_empty() {
            return Err(IrError::new(
                path,
                format!(
                    "cannot insert {} columns as their values are already being determined by parent insert",
                    quoted_list(&taken)
                ),
            ));
        }
        // A related row inserted first fills this row's columns of the relationship.
        for (name, r) in before_parent {
            let taken: Vec<&String> = r
                .mapping
                .iter()
                .map(|(c, _)| c)
                .filter(|c| given.contains(&c.as_str()) || determined.contains(c))
                .collect();
            if !taken.is_empty() {
                return Err(IrError::new(
                    &format!("{path}.{name}"),
                    format!(
                        "cannot insert object relationship \"{name}\" as {} column values are already determined",
                        quoted_list(&taken)
                    ),
                ));
            }
        }
        for (col, value) in self.insert_presets(t)? {
            row.columns.retain(|(c, _)| c.name != col.name);
            row.columns.push((col, value));
        }
        Ok(row)
    }

    fn on_conflict(&self, t: usize, v: &Value, path: &str) -> Result<OnConflict, IrError> {
        let info = &self.schema.tables[t];
        let constraint = v
            .get("constraint")
            .and_then(Value::as_str)
            .ok_or_else(|| IrError::new(path, "missing required field 'constraint'"))?;
        // The enum value as the convention spells it, read back to the constraint's name.
        let constraint = info
            .constraints
            .iter()
            .find(|c| self.schema.naming.db_name(c) == constraint)
            .cloned()
            .unwrap_or_else(|| constraint.to_string());
        let update_columns = match v.get(self.schema.naming.field("update_columns")) {
            Some(cols) => as_list(cols)
                .into_iter()
                .filter_map(Value::as_str)
                .map(|f| {
                    info.column_by_any_field(f)
                        .map(|c| c.name.clone())
                        .ok_or_else(|| IrError::new(path, format!("unexpected column \"{f}\"")))
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![],
        };
        let filter = match v.get("where") {
            Some(w) if !w.is_null() => Some(self.with_target_perms(parse_bool_exp(
                self.schema,
                self.session,
                t,
                w,
                &format!("{path}.where"),
            )?)?),
            _ => None,
        };
        let filter = match (self.update_perm_filter(t)?, filter) {
            (BoolExp::True, f) => f,
            (p, None) => Some(p),
            (p, Some(f)) => Some(BoolExp::And(vec![p, f])),
        };
        // The update permission's presets apply to the rows the conflict updates.
        let presets = if update_columns.is_empty() {
            vec![]
        } else {
            self.update_presets(t)?
        };
        Ok(OnConflict {
            constraint,
            update_columns,
            filter,
            presets,
        })
    }

    fn update_ops(
        &self,
        t: usize,
        arg: impl Fn(&str) -> Option<Value>,
        path: &str,
    ) -> Result<Vec<(ColumnRef, UpdateOp, Value)>, IrError> {
        let info = &self.schema.tables[t];
        let mut out = vec![];
        // Every column's operators, in order of first use, to report all conflicts at once.
        let mut uses: Vec<(String, Vec<&str>)> = vec![];
        for (name, op) in [
            ("_set", UpdateOp::Set),
            ("_inc", UpdateOp::Inc),
            ("_append", UpdateOp::Append),
            ("_prepend", UpdateOp::Prepend),
            ("_delete_key", UpdateOp::DeleteKey),
            ("_delete_elem", UpdateOp::DeleteElem),
            ("_delete_at_path", UpdateOp::DeleteAtPath),
        ] {
            let Some(Value::Object(cols)) = arg(name) else {
                continue;
            };
            for (field, value) in cols {
                let col = info.column_by_any_field(&field).ok_or_else(|| {
                    IrError::new(
                        &format!("{path}.{name}"),
                        format!("unexpected column \"{field}\""),
                    )
                })?;
                match uses.iter_mut().find(|(c, _)| *c == col.field) {
                    Some((_, ops)) => ops.push(name),
                    None => uses.push((col.field.clone(), vec![name])),
                }
                crate::geojson::checked(col, &value, &format!("{path}.{name}.{field}"))?;
                let value = crate::enums::stored(col, &value);
                out.push((column_ref(col), op, value));
            }
        }
        let conflicts: Vec<String> = uses
            .iter()
            .filter(|(_, ops)| ops.len() > 1)
            .map(|(c, ops)| format!("\"{c}\" in {}", ops.join(", ")))
            .collect();
        if !conflicts.is_empty() {
            return Err(IrError::new(
                "$",
                format!(
                    "column found in multiple operators; {}",
                    conflicts.join(". ")
                ),
            ));
        }
        for (col, value) in self.update_presets(t)? {
            out.retain(|(c, _, _)| c.name != col.name);
            out.push((col, UpdateOp::Set, value));
        }
        Ok(out)
    }

    fn response_fields(
        &self,
        t: usize,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Vec<(String, ResponseField)>, IrError> {
        let type_name = self.schema.table_type(t, "mutation_response");
        let affected_rows = self.schema.naming.field("affected_rows");
        let mut out = vec![];
        for (key, fields) in collect_fields(self.doc, sets, &type_name, self.vars) {
            let here = format!("{path}.selectionSet.{key}");
            let field = match fields[0].name.as_str() {
                "__typename" => ResponseField::Typename(type_name.clone()),
                name if name == affected_rows => ResponseField::AffectedRows,
                "returning" => {
                    let sub: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
                    ResponseField::Returning(self.row_fields(t, &sub, &here)?)
                }
                other => return Err(IrError::unknown_field(&here, other, &type_name)),
            };
            out.push((key, field));
        }
        Ok(out)
    }
}

/// `"a", "b"`: column names as Hasura lists them in messages.
fn quoted_list(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
