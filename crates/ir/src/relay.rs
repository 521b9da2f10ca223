//! Relay: `<t>_connection` (rows numbered in the order given, the primary key last, cut at an
//! `after`/`before` cursor and sliced by `first`/`last`, answered as edges and page info) and
//! `node(id)` (the row a global id names). Global ids are Hasura's version 1:
//! base64 of `[1, "<schema>", "<table>", <primary key values>...]`; cursors are base64 of the
//! JSON object of the row's order-by values.

use apollo_compiler::executable::{Field as GqlField, SelectionSet};
use apollo_compiler::Node;
use base64::Engine as _;
use rasura_metadata::QualifiedName;
use serde_json::Value;

use crate::build::{column_ref, Cx, ShapeKind};
use crate::collect::collect_fields;
use crate::error::IrError;
use crate::types::{
    ConnField, Connection, EdgeField, Field, OrderBy, OrderTarget, PageField, Select, Shape,
};

/// Base64 as Hasura writes ids and cursors (padded; read with or without padding).
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    base64::engine::general_purpose::STANDARD
        .decode(t)
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(t.trim_end_matches('='))
        })
        .ok()
}

impl Cx<'_> {
    /// `<t>_connection`.
    pub(crate) fn connection(
        &self,
        table: usize,
        f: &Node<GqlField>,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Connection, IrError> {
        let select = self.select(table, f, &[], path, ShapeKind::Rows)?;
        self.connection_of(select, table, f, sets, path)
    }

    /// `<f>_connection`: a connection over the rows a tracked function returns.
    pub(crate) fn function_connection(
        &self,
        index: usize,
        f: &Node<GqlField>,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Connection, IrError> {
        let func = &self.schema.functions[index];
        let mut select = self.select(func.table, f, &[], path, ShapeKind::Rows)?;
        select.from_function = Some(self.function_call(func, f, path)?);
        self.connection_of(select, func.table, f, sets, path)
    }

    /// The connection over `select`'s rows of `table`, shaped by the selection.
    fn connection_of(
        &self,
        mut select: Select,
        table: usize,
        f: &Node<GqlField>,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Connection, IrError> {
        let info = &self.schema.tables[table];
        for pk in &info.primary_key {
            let ordered = select
                .order_by
                .iter()
                .any(|o| matches!(&o.target, OrderTarget::Column(c) if c == pk));
            if !ordered {
                select.order_by.push(OrderBy {
                    target: OrderTarget::Column(pk.clone()),
                    desc: false,
                    nulls_first: false,
                });
            }
        }
        let cursor_keys: Vec<Vec<String>> = select
            .order_by
            .iter()
            .enumerate()
            .map(|(i, o)| match &o.target {
                OrderTarget::Column(c) => vec![info.columns[c].field.clone()],
                _ => vec![format!("__order_{i}")],
            })
            .collect();
        let split = match (self.arg(f, "after"), self.arg(f, "before")) {
            (Some(Value::String(_)), Some(Value::String(_))) => {
                return Err(IrError::new(
                    path,
                    "\"after\" and \"before\" are not allowed at once",
                ))
            }
            (Some(Value::String(c)), _) => Some((true, cursor_values(&c, &cursor_keys, path)?)),
            (_, Some(Value::String(c))) => Some((false, cursor_values(&c, &cursor_keys, path)?)),
            _ => None,
        };
        let count = |name: &str| -> Result<Option<u64>, IrError> {
            match self.arg(f, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
                Some(_) => Err(IrError::new(
                    &format!("{path}.args.{name}"),
                    "unexpected negative value",
                )),
            }
        };
        let slice = match (count("first")?, count("last")?) {
            (Some(_), Some(_)) => {
                return Err(IrError::new(
                    path,
                    "\"first\" and \"last\" are not allowed at once",
                ))
            }
            (Some(n), None) => Some((true, n)),
            (None, Some(n)) => Some((false, n)),
            (None, None) => None,
        };
        let conn_type = format!("{}Connection", info.type_name);
        let edge_type = format!("{}Edge", info.type_name);
        let mut fields = vec![];
        let mut node_fields = vec![];
        for (key, fs) in collect_fields(self.doc, sets, &conn_type, self.vars) {
            let here = format!("{path}.selectionSet.{key}");
            let sub: Vec<&SelectionSet> = fs.iter().map(|f| &f.selection_set).collect();
            let field = match fs[0].name.as_str() {
                "__typename" => ConnField::Typename(conn_type.clone()),
                "pageInfo" => ConnField::PageInfo(self.page_info(&sub, &here)?),
                "edges" => {
                    let mut edge = vec![];
                    for (k, efs) in collect_fields(self.doc, &sub, &edge_type, self.vars) {
                        let at = format!("{here}.selectionSet.{k}");
                        let esub: Vec<&SelectionSet> =
                            efs.iter().map(|f| &f.selection_set).collect();
                        let e = match efs[0].name.as_str() {
                            "__typename" => EdgeField::Typename(edge_type.clone()),
                            "cursor" => EdgeField::Cursor,
                            "node" => {
                                let nf = self.row_fields(table, &esub, &at)?;
                                node_fields.extend(nf.iter().cloned());
                                EdgeField::Node(nf)
                            }
                            other => return Err(IrError::unknown_field(&at, other, &edge_type)),
                        };
                        edge.push((k, e));
                    }
                    ConnField::Edges(edge)
                }
                other => return Err(IrError::unknown_field(&here, other, &conn_type)),
            };
            fields.push((key, field));
        }
        select.shape = Shape::Rows(node_fields);
        Ok(Connection {
            select,
            split,
            slice,
            cursor_keys,
            fields,
        })
    }

    fn page_info(
        &self,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Vec<(String, PageField)>, IrError> {
        let mut out = vec![];
        for (key, fs) in collect_fields(self.doc, sets, "PageInfo", self.vars) {
            let p = match fs[0].name.as_str() {
                "__typename" => PageField::Typename,
                "startCursor" => PageField::StartCursor,
                "endCursor" => PageField::EndCursor,
                "hasNextPage" => PageField::HasNextPage,
                "hasPreviousPage" => PageField::HasPreviousPage,
                other => {
                    let at = format!("{path}.selectionSet.{key}");
                    return Err(IrError::unknown_field(&at, other, "PageInfo"));
                }
            };
            out.push((key, p));
        }
        Ok(out)
    }

    /// `node(id)`: the row the id names, as the role may see it (null when it may not).
    pub(crate) fn node(
        &self,
        f: &Node<GqlField>,
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Select, IrError> {
        let at = format!("{path}.args.id");
        let invalid = |why: String| IrError::new(&at, format!("invalid node id: {why}"));
        let id = match self.arg(f, "id") {
            Some(Value::String(s)) => s,
            _ => return Err(invalid("expected a string".into())),
        };
        let bytes = decode_base64(&id).ok_or_else(|| invalid("not base64".into()))?;
        let parts: Vec<Value> = match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Array(a)) => a,
            Ok(_) => return Err(invalid("expected an array".into())),
            Err(e) => return Err(invalid(e.to_string())),
        };
        let version = match parts.first() {
            None => return Err(invalid("unexpected GUID format, found empty list".into())),
            Some(Value::Number(n)) => n.as_f64().unwrap_or_default(),
            Some(_) => {
                return Err(invalid(
                    "unexpected GUID format, needs to start with a version number".into(),
                ))
            }
        };
        if version != 1.0 {
            return Err(invalid(format!("unsupported GUID version: {version:.1}")));
        }
        let (Some(Value::String(schema)), Some(Value::String(name)), true) =
            (parts.get(1), parts.get(2), parts.len() > 3)
        else {
            return Err(invalid(
                "GUID version 1: expecting schema name, table name and at least one column value"
                    .into(),
            ));
        };
        let qualified = QualifiedName::new(schema, name);
        // The table in whichever source has it (in more than one: refused, as Hasura does,
        // rather than picking one).
        let schemas = std::iter::once(self.root).chain(self.root.sources.iter().map(|s| &**s));
        let found: Vec<(usize, usize)> = schemas
            .enumerate()
            .filter_map(|(n, s)| {
                let t = s.table_index.get(&qualified).copied()?;
                let i = &s.tables[t];
                (i.visible && !i.primary_key.is_empty()).then_some((n, t))
            })
            .collect();
        let (n, table) = match found[..] {
            [] => return Err(invalid(format!("no such table found: {qualified}"))),
            [one] => one,
            _ => {
                return Err(invalid(format!(
                    "the table {qualified} is in more than one source"
                )))
            }
        };
        if n > 0 {
            let there = self.in_source(n);
            let select = there.node_read(table, &parts[3..], sets, path)?;
            self.node_source.set(n);
            return Ok(select);
        }
        self.node_read(table, &parts[3..], sets, path)
    }

    /// The row of `table` whose primary key is `values`, as `node(id)` reads it.
    fn node_read(
        &self,
        table: usize,
        values: &[Value],
        sets: &[&SelectionSet],
        path: &str,
    ) -> Result<Select, IrError> {
        let at = format!("{path}.args.id");
        let invalid = |why: String| IrError::new(&at, format!("invalid node id: {why}"));
        let info = &self.schema.tables[table];
        if values.len() != info.primary_key.len() {
            return Err(invalid(format!(
                "expected {} primary key column values, found {}",
                info.primary_key.len(),
                values.len()
            )));
        }
        // Each value of the JSON type its column takes, as Hasura parses it.
        for (column, value) in info.primary_key.iter().zip(values) {
            let Some(c) = info.columns.get(column) else {
                continue;
            };
            if let Some(why) = key_value_problem(&c.type_name, value) {
                return Err(IrError::new(
                    path,
                    format!("value of column '{column}' in node id: {why}"),
                )
                .with_code("parse-failed"));
            }
        }
        self.by_key(table, values.to_vec(), sets, path)
    }

    /// The global id of a row of `table` (its primary key), in Relay's object types.
    pub(crate) fn node_id(&self, table: usize) -> Field {
        let info = &self.schema.tables[table];
        Field::NodeId {
            table: info.name.clone(),
            primary_key: info
                .primary_key
                .iter()
                .map(|c| column_ref(&info.columns[c]))
                .collect(),
        }
    }
}

/// The values a cursor holds for each order-by item, read by `keys`.
fn cursor_values(cursor: &str, keys: &[Vec<String>], path: &str) -> Result<Vec<Value>, IrError> {
    let invalid = || IrError::new(path, "the \"after\" or \"before\" cursor is invalid");
    let bytes = decode_base64(cursor).ok_or_else(invalid)?;
    let json: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    keys.iter()
        .map(|key| {
            key.iter()
                .try_fold(&json, |v, k| v.get(k))
                .cloned()
                .ok_or_else(invalid)
        })
        .collect()
}

/// Why a node id's key `value` does not fit a column of type `type_name` (Hasura's parser's
/// words): integers for integer columns, numbers for other numbers, strings for the rest.
fn key_value_problem(type_name: &str, value: &serde_json::Value) -> Option<String> {
    let kind = match value {
        serde_json::Value::Null => "Null",
        serde_json::Value::Bool(_) => "Boolean",
        serde_json::Value::Number(_) => "Number",
        serde_json::Value::String(_) => "String",
        serde_json::Value::Array(_) => "Array",
        serde_json::Value::Object(_) => "Object",
    };
    let (parser, wanted) = match type_name {
        "int2" => ("Int16", "Number"),
        "int4" => ("Int32", "Number"),
        "int8" => ("Int64", "Number"),
        "float4" | "float8" | "numeric" => ("Scientific", "Number"),
        "bool" => ("Bool", "Boolean"),
        _ => ("Text", "String"),
    };
    // Big numbers may come as strings (ids made with numbers stringified).
    let lenient = matches!(type_name, "int8" | "numeric") && kind == "String";
    if kind != wanted && !lenient {
        return Some(format!(
            "parsing {parser} failed, expected {wanted}, but encountered {kind}"
        ));
    }
    match value {
        serde_json::Value::Number(n)
            if parser.starts_with("Int") && !(n.is_i64() || n.is_u64()) =>
        {
            Some(format!(
                "parsing {parser} failed, unexpected floating number {n}"
            ))
        }
        _ => None,
    }
}
