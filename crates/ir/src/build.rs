//! Builds the IR of an operation: root fields, selection sets, arguments.

use apollo_compiler::executable::{Field as GqlField, Operation as GqlOperation, SelectionSet};
use apollo_compiler::{ExecutableDocument, Node};
use rasura_schema::{RoleSchema, TableField};
use serde_json::{Map, Value};

use crate::bool_exp::parse_bool_exp;
use crate::collect::collect_fields;
use crate::error::IrError;
use crate::order_by::{parse_distinct_on, parse_order_by};
use crate::types::*;
use crate::value::resolve;
use rasura_naming::vocab;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShapeKind {
    Rows,
    Single,
    Aggregate,
}

pub(crate) struct Cx<'a> {
    pub(crate) schema: &'a RoleSchema,
    /// The role's whole schema (the first source's, with the others in its `sources`).
    pub(crate) root: &'a RoleSchema,
    pub(crate) doc: &'a ExecutableDocument,
    pub(crate) op: &'a GqlOperation,
    /// The next remote join's id.
    pub(crate) join_ids: std::cell::Cell<usize>,
    /// The source (its number) of the table the last `node(id)` read.
    pub(crate) node_source: std::cell::Cell<usize>,
    pub(crate) vars: &'a Map<String, Value>,
    pub(crate) session: &'a Session,
}

impl<'a> Cx<'a> {
    /// The same request's context for source number `n` (0: the first served): its schema,
    /// fresh join ids.
    pub(crate) fn in_source(&self, n: usize) -> Cx<'a> {
        let schema = match n {
            0 => self.root,
            n => &*self.root.sources[n - 1],
        };
        Cx {
            schema,
            root: self.root,
            doc: self.doc,
            op: self.op,
            vars: self.vars,
            session: self.session,
            join_ids: Default::default(),
            node_source: Default::default(),
        }
    }
}

impl Cx<'_> {
    /// Argument `name` of Hasura's vocabulary (`order_by`, `pk_columns`, ...), looked up as the
    /// schema's naming spells it.
    pub(crate) fn arg(&self, f: &GqlField, name: &str) -> Option<Value> {
        if self.schema.naming.graphql {
            return self.arg_named(f, &self.schema.naming.field(name));
        }
        self.arg_named(f, name)
    }

    /// Argument `name` exactly as written in the schema (a column's field).
    pub(crate) fn arg_named(&self, f: &GqlField, name: &str) -> Option<Value> {
        f.specified_argument_by_name(name)
            .and_then(|v| resolve(v, self.vars))
    }

    pub(crate) fn select(
        &self,
        table: usize,
        f: &Node<GqlField>,
        sets: &[&SelectionSet],
        path: &str,
        kind: ShapeKind,
    ) -> Result<Select, IrError> {
        let args = format!("{path}.args");
        let filter = match self.arg(f, "where") {
            Some(w) => parse_bool_exp(
                self.schema,
                self.session,
                table,
                &w,
                &format!("{args}.where"),
            )?,
            None => BoolExp::True,
        };
        let order_by = match self.arg(f, "order_by") {
            Some(o) => parse_order_by(
                self.schema,
                self.session,
                table,
                &o,
                &format!("{args}.order_by"),
            )?,
            None => vec![],
        };
        let distinct_on = match self.arg(f, "distinct_on") {
            Some(d) => parse_distinct_on(self.schema, table, &d, &format!("{args}.distinct_on"))?,
            None => vec![],
        };
        if !distinct_on.is_empty() && !order_by.is_empty() {
            let leading: Vec<&str> = order_by
                .iter()
                .take(distinct_on.len())
                .filter_map(|o| match &o.target {
                    OrderTarget::Column(c) => Some(c.as_str()),
                    _ => None,
                })
                .collect();
            let mut a = leading.clone();
            let mut b: Vec<&str> = distinct_on.iter().map(String::as_str).collect();
            a.sort_unstable();
            b.sort_unstable();
            if a != b {
                return Err(IrError::new(
                    &args,
                    "\"distinct_on\" columns must match initial \"order_by\" columns",
                ));
            }
        }
        let redactions = self.redactions(table)?;
        let user = crate::redact::redact_filter(self.with_target_perms(filter)?, &redactions);
        let filter = self.and_filter(self.select_filter(table)?, user);
        let order_by = self.order_with_perms(order_by)?;
        let given = self.count_arg(f, "limit", &args)?;
        let role_limit = self.select_limit(table);
        // The role's limit bounds the rows returned; of an aggregate, only its `nodes`.
        let (limit, nodes_limit) = match (kind, given, role_limit) {
            (ShapeKind::Aggregate, a, Some(b)) if a.is_none_or(|a| b < a) => (a, Some(b)),
            (ShapeKind::Aggregate, a, _) => (a, None),
            (_, Some(a), Some(b)) => (Some(a.min(b)), None),
            (_, a, b) => (a.or(b), None),
        };
        let offset = self.count_arg(f, "offset", &args)?;
        let shape = self.shape(table, sets, path, kind)?;
        Ok(Select {
            from_function: None,
            from_native: self.native_call(table),
            table: self.schema.tables[table].name.clone(),
            filter,
            order_by,
            distinct_on,
            limit,
            offset,
            nodes_limit,
            shape,
            redactions,
        })
    }

    fn count_arg(&self, f: &GqlField, name: &str, args: &str) -> Result<Option<u64>, IrError> {
        match self.arg(f, name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            // Hasura takes a string of digits for `offset` (not for `limit`).
            Some(Value::String(s)) if name == "offset" && s.parse::<u64>().is_ok() => {
                Ok(s.parse().ok())
            }
            Some(Value::Number(n)) if n.as_i64().is_some_and(|i| i < 0) => Err(IrError::new(
                &format!("{args}.{name}"),
                "unexpected negative value",
            )
            .with_code("not-supported")),
            Some(other) => Err(IrError::new(
                &format!("{args}.{name}"),
                format!(
                    "expected a non-negative 32-bit integer for type 'Int', but found {}",
                    describe(&other)
                ),
            )),
        }
    }

    pub(crate) fn by_pk(
        &self,
        table: usize,
        f: &Node<GqlField>,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Select, IrError> {
        let info = &self.schema.tables[table];
        let mut values = vec![];
        for pk in &info.primary_key {
            let col = &info.columns[pk];
            let value = self
                .arg_named(f, &col.field)
                .filter(|v| !v.is_null())
                .ok_or_else(|| {
                    IrError::new(
                        &format!("{path}.args"),
                        format!("missing required field '{}'", col.field),
                    )
                })?;
            values.push(value);
        }
        self.by_key(table, values, sets, path)
    }

    /// The row of `table` whose primary key is `values`, as the role may see it (a single
    /// object, or null).
    pub(crate) fn by_key(
        &self,
        table: usize,
        values: Vec<Value>,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Select, IrError> {
        let info = &self.schema.tables[table];
        let parts = info
            .primary_key
            .iter()
            .zip(values)
            .map(|(pk, value)| BoolExp::Compare {
                column: column_ref(&info.columns[pk]),
                cast: false,
                op: CompareOp::Eq,
                value,
            })
            .collect();
        let redactions = self.redactions(table)?;
        let by_key = crate::redact::redact_filter(BoolExp::And(parts), &redactions);
        Ok(Select {
            from_function: None,
            from_native: None,
            table: info.name.clone(),
            filter: self.and_filter(self.select_filter(table)?, by_key),
            order_by: vec![],
            distinct_on: vec![],
            limit: None,
            offset: None,
            nodes_limit: None,
            shape: self.shape(table, sets, path, ShapeKind::Single)?,
            redactions,
        })
    }

    pub(crate) fn shape(
        &self,
        table: usize,
        sets: &[&SelectionSet],
        path: &str,
        kind: ShapeKind,
    ) -> Result<Shape, IrError> {
        Ok(match kind {
            ShapeKind::Rows => Shape::Rows(self.row_fields(table, sets, path)?),
            ShapeKind::Single => Shape::Single(self.row_fields(table, sets, path)?),
            ShapeKind::Aggregate => Shape::Aggregate(self.aggregate_fields(table, sets, path)?),
        })
    }

    pub(crate) fn row_fields(
        &self,
        table: usize,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Vec<(String, Field)>, IrError> {
        let info = &self.schema.tables[table];
        let mut out = vec![];
        for (key, fields) in collect_fields(self.doc, sets, &info.type_name, self.vars) {
            let f = fields[0];
            let here = format!("{path}.selectionSet.{key}");
            let sub: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
            let field = match f.name.as_str() {
                "__typename" => Field::Typename(info.type_name.clone()),
                "id" if self.schema.relay && !info.primary_key.is_empty() => self.node_id(table),
                name => match info.fields.get(name) {
                    Some(TableField::Column(c)) => {
                        let path_arg = match self.arg(f, "path") {
                            Some(Value::String(p)) => {
                                Some(parse_json_path(&p).map_err(|e| IrError::new(&here, e))?)
                            }
                            _ => None,
                        };
                        Field::Column {
                            column: column_ref(&info.columns[c]),
                            path: path_arg,
                            upper: info.columns[c].enum_values.is_some(),
                        }
                    }
                    Some(TableField::ComputedRows(n) | TableField::ComputedAggregate(n)) => {
                        let aggregate = matches!(
                            info.fields.get(name),
                            Some(TableField::ComputedAggregate(_))
                        );
                        Field::Relationship {
                            mapping: vec![],
                            select: Box::new(self.computed_rows(
                                &info.computed[n],
                                f,
                                &sub,
                                &here,
                                aggregate,
                            )?),
                        }
                    }
                    Some(TableField::Computed(n)) => {
                        let c = &info.computed[n];
                        let mut column = computed_ref(c, self.session);
                        // Named, so that a role seeing it only on some rows finds it.
                        column.name = name.to_string();
                        if let Some(call) = column.computed.take() {
                            let given = self.arg(f, "args");
                            let call = crate::computed::with_args(*call, c, given.as_ref(), &here)?;
                            column.computed = Some(Box::new(call));
                        }
                        Field::Column {
                            column,
                            path: None,
                            upper: false,
                        }
                    }
                    Some(TableField::ObjectRel(r)) => Field::Relationship {
                        mapping: r.mapping.clone(),
                        select: Box::new(Select {
                            from_function: None,
                            from_native: self.native_call(r.target),
                            table: self.schema.tables[r.target].name.clone(),
                            filter: self.select_filter(r.target)?,
                            order_by: vec![],
                            distinct_on: vec![],
                            limit: None,
                            offset: None,
                            nodes_limit: None,
                            shape: self.shape(r.target, &sub, &here, ShapeKind::Single)?,
                            redactions: self.redactions(r.target)?,
                        }),
                    },
                    Some(TableField::ArrayRel(r)) => Field::Relationship {
                        mapping: r.mapping.clone(),
                        select: Box::new(self.select(r.target, f, &sub, &here, ShapeKind::Rows)?),
                    },
                    Some(TableField::ArrayConnection(r)) => Field::Connection {
                        mapping: r.mapping.clone(),
                        connection: Box::new(self.connection(r.target, f, &sub, &here)?),
                    },
                    Some(TableField::ArrayAggregate(r)) => Field::Relationship {
                        mapping: r.mapping.clone(),
                        select: Box::new(self.select(
                            r.target,
                            f,
                            &sub,
                            &here,
                            ShapeKind::Aggregate,
                        )?),
                    },
                    Some(TableField::RemoteRel(i)) => {
                        let rel = &self.schema.remote_rels[*i];
                        let lhs = rel
                            .lhs
                            .iter()
                            .map(|c| column_ref(&info.columns[c]))
                            .collect();
                        let id = self.join_ids.get();
                        self.join_ids.set(id + 1);
                        let request = crate::remote::JoinRequest {
                            schema: self.schema,
                            doc: self.doc,
                            op: self.op,
                            session: self.session,
                            id,
                        };
                        crate::remote::remote_join(&request, rel, lhs, &fields)?
                    }
                    Some(TableField::SourceRel(r)) => self.source_join(table, r, f, &sub, &here)?,
                    None => return Err(IrError::unknown_field(&here, name, &info.type_name)),
                },
            };
            out.push((key, field));
        }
        Ok(out)
    }

    /// A relationship of `table` to a table of another source: the target's select, built
    /// against that source's schema, to run once the row's join columns are known.
    fn source_join(
        &self,
        table: usize,
        r: &rasura_schema::SourceRelInfo,
        f: &Node<GqlField>,
        sub: &[&SelectionSet],
        here: &str,
    ) -> Result<Field, IrError> {
        let cx = self.in_source(r.source);
        let target = cx.schema;
        let kind = if r.array {
            ShapeKind::Rows
        } else {
            ShapeKind::Single
        };
        let mut select = cx.select(r.target, f, sub, here, kind)?;
        if !r.array {
            select.limit = Some(1);
        }
        let (info, goal) = (&self.schema.tables[table], &target.tables[r.target]);
        let column = |t: &rasura_schema::TableInfo, c: &str| {
            t.columns
                .get(c)
                .map(column_ref)
                .ok_or_else(|| IrError::new(here, format!("no column \"{c}\" in \"{}\"", t.name)))
        };
        let mut lhs = vec![];
        let mut columns = vec![];
        for (mine, theirs) in &r.mapping {
            lhs.push(column(info, mine)?);
            columns.push((mine.clone(), column(goal, theirs)?));
        }
        let id = self.join_ids.get();
        self.join_ids.set(id + 1);
        Ok(Field::SourceJoin(Box::new(crate::types::SourceJoin {
            id,
            source: r.source,
            lhs,
            columns,
            array: r.array,
            select,
        })))
    }

    fn aggregate_fields(
        &self,
        table: usize,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Vec<(String, AggField)>, IrError> {
        let agg_type = self.schema.table_type(table, "aggregate");
        let mut out = vec![];
        for (key, fields) in collect_fields(self.doc, sets, &agg_type, self.vars) {
            let here = format!("{path}.selectionSet.{key}");
            let sub: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
            let field = match fields[0].name.as_str() {
                "__typename" => AggField::Typename(agg_type.clone()),
                "nodes" => AggField::Nodes(self.row_fields(table, &sub, &here)?),
                "aggregate" => AggField::Aggregate(self.aggregate_ops(table, &sub, &here)?),
                other => return Err(IrError::unknown_field(&here, other, &agg_type)),
            };
            out.push((key, field));
        }
        Ok(out)
    }

    fn aggregate_ops(
        &self,
        table: usize,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Vec<(String, AggOp)>, IrError> {
        let info = &self.schema.tables[table];
        let type_name = self.schema.table_type(table, "aggregate_fields");
        let mut out = vec![];
        for (key, fields) in collect_fields(self.doc, sets, &type_name, self.vars) {
            let f = fields[0];
            let here = format!("{path}.selectionSet.{key}");
            let op = match f.name.as_str() {
                "__typename" => AggOp::Typename(type_name.clone()),
                "count" => {
                    let columns = match self.arg(f, "columns") {
                        Some(c) => parse_distinct_on(
                            self.schema,
                            table,
                            &c,
                            &format!("{here}.args.columns"),
                        )?,
                        None => vec![],
                    };
                    let distinct = self
                        .arg(f, "distinct")
                        .and_then(|d| d.as_bool())
                        .unwrap_or(false);
                    AggOp::Count { columns, distinct }
                }
                op => {
                    let op = self.schema.naming.internal(op, vocab::AGGREGATES);
                    let op_type = self.schema.table_type(table, &format!("{op}_fields"));
                    let sub: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
                    let mut cols = vec![];
                    for (k, fs) in collect_fields(self.doc, &sub, &op_type, self.vars) {
                        let field = match fs[0].name.as_str() {
                            "__typename" => OpField::Typename(op_type.clone()),
                            name => OpField::Column(column_ref(
                                info.column_by_field(name)
                                    .ok_or_else(|| IrError::unknown_field(&here, name, &op_type))?,
                            )),
                        };
                        cols.push((k, field));
                    }
                    AggOp::Op {
                        op: op.to_string(),
                        fields: cols,
                    }
                }
            };
            out.push((key, op));
        }
        Ok(out)
    }
}

pub(crate) use crate::computed::{computed_call, computed_ref};

pub(crate) fn column_ref(c: &rasura_schema::ColumnInfo) -> ColumnRef {
    ColumnRef {
        name: c.name.clone(),
        type_schema: c.type_schema.clone(),
        type_name: c.type_name.clone(),
        computed: None,
    }
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "a negative integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Parses a JSON path argument (`$.a.b[0]`, `a`, `["key"]`, `['key']`) into its elements.
pub fn parse_json_path(p: &str) -> Result<Vec<String>, String> {
    let mut s = p.trim();
    s = s.strip_prefix('$').unwrap_or(s);
    let chars: Vec<char> = s.chars().collect();
    let mut out = vec![];
    let mut i = 0;
    let mut first = true;
    while i < chars.len() {
        match chars[i] {
            '.' if chars.get(i + 1) == Some(&'[') => i += 1,
            '.' => {
                i += 1;
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                if start == i {
                    return Err(format!("parse json path error: empty key in {p:?}"));
                }
                out.push(chars[start..i].iter().collect());
            }
            '[' => {
                i += 1;
                if i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                    let quote = chars[i];
                    i += 1;
                    let start = i;
                    while i < chars.len() && chars[i] != quote {
                        i += 1;
                    }
                    out.push(chars[start..i].iter().collect());
                    i += 1;
                } else {
                    let start = i;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                    if start == i {
                        return Err(format!("parse json path error: expected an index in {p:?}"));
                    }
                    out.push(chars[start..i].iter().collect());
                }
                if i >= chars.len() || chars[i] != ']' {
                    return Err(format!("parse json path error: expected ']' in {p:?}"));
                }
                i += 1;
            }
            _ if first => {
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                out.push(chars[start..i].iter().collect());
            }
            c => return Err(format!("parse json path error: unexpected {c:?} in {p:?}")),
        }
        first = false;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse_json_path;

    #[test]
    fn json_paths() {
        assert_eq!(parse_json_path("$.a.b[0]").unwrap(), vec!["a", "b", "0"]);
        assert_eq!(parse_json_path("a").unwrap(), vec!["a"]);
        assert_eq!(
            parse_json_path("$['hello world!']").unwrap(),
            vec!["hello world!"]
        );
        assert_eq!(
            parse_json_path("$.objs[0][\"你好\"]").unwrap(),
            vec!["objs", "0", "你好"]
        );
        assert_eq!(
            parse_json_path("objs[0].[\"你好\"]").unwrap(),
            vec!["objs", "0", "你好"]
        );
        assert!(parse_json_path("$.a[x]").is_err());
    }
}
