//! One root field of an operation → its IR: a table's select, by-pk, aggregate or stream, a
//! mutation, a function, an action, a remote schema's field, Relay's roots; and the source's
//! root field namespace the fields may sit under.

use std::collections::HashMap;

use apollo_compiler::executable::{
    Field as GqlField, Operation as GqlOperation, OperationType, SelectionSet,
};
use apollo_compiler::{ExecutableDocument, Node};
use rasura_schema::{MutationRoot, RoleSchema, RootField, SourceNamespace};
use serde_json::{Map, Value};

use crate::build::{Cx, ShapeKind};
use crate::collect::collect_fields;
use crate::error::IrError;
use crate::types::*;

/// The source's namespace when `f` (a field of `root_type`) is its field.
pub(crate) fn source_namespace<'a>(
    schema: &'a RoleSchema,
    root_type: &str,
    f: &GqlField,
) -> Option<&'a SourceNamespace> {
    let ns = schema.namespace.as_ref()?;
    let name = f.name.as_str();
    let is_ns = if root_type == "mutation_root" {
        schema.mutation_roots.get(name) == Some(&MutationRoot::SourceNamespace)
    } else {
        schema.query_roots.get(name) == Some(&RootField::SourceNamespace)
    };
    is_ns.then_some(ns)
}

/// The namespace field's type under an operation of `kind`.
pub(crate) fn namespace_type(ns: &SourceNamespace, kind: OperationType) -> &str {
    match kind {
        OperationType::Query => &ns.query_type,
        OperationType::Mutation => &ns.mutation_type,
        OperationType::Subscription => &ns.subscription_type,
    }
}

/// The other database source whose root field `f` (a field of `root_type`) is, if any (index
/// into `schema.sources`).
fn other_source(schema: &RoleSchema, root_type: &str, f: &GqlField) -> Option<usize> {
    let name = f.name.as_str();
    match root_type {
        "mutation_root" => match schema.mutation_roots.get(name) {
            Some(&MutationRoot::Source(k)) => Some(k),
            _ => None,
        },
        _ => match schema.query_roots.get(name) {
            Some(&RootField::Source(k)) => Some(k),
            _ => None,
        },
    }
}

/// Builds the IR of `op` (a query) for the role whose schema is `schema`. A root field of
/// another database source is built against that source's schema, and marked with it.
pub fn build_ir(
    schema: &RoleSchema,
    doc: &ExecutableDocument,
    op: &GqlOperation,
    vars: &Map<String, Value>,
    session: &Session,
) -> Result<Operation, IrError> {
    let cx = Cx {
        schema,
        root: schema,
        doc,
        op,
        vars,
        session,
        join_ids: Default::default(),
        node_source: Default::default(),
    };
    let root_type = op.object_type().to_string();
    let mut out = Operation {
        roots: vec![],
        sources: HashMap::new(),
    };
    for (key, fields) in collect_fields(doc, &[&op.selection_set], &root_type, vars) {
        let Some(k) = other_source(schema, &root_type, fields[0]) else {
            let first = out.roots.len();
            cx.root_entries(&root_type, key, &fields, &mut out.roots)?;
            // `node(id)` of a table of another source reads there.
            let n = cx.node_source.replace(0);
            if n > 0 {
                for (key, _) in &out.roots[first..] {
                    out.sources.insert(key.clone(), n);
                }
            }
            continue;
        };
        let cx = cx.in_source(k + 1);
        let first = out.roots.len();
        cx.root_entries(&root_type, key, &fields, &mut out.roots)?;
        for (key, _) in &out.roots[first..] {
            out.sources.insert(key.clone(), k + 1);
        }
    }
    Ok(out)
}

type RootMaps<'a> = (
    &'a HashMap<String, RootField>,
    &'a HashMap<String, MutationRoot>,
);

impl Cx<'_> {
    /// The IR of the root field at `key` (the fields under it when it is the source's
    /// namespace, keyed `<namespace key>\u{1f}<key>`), added to `roots`.
    fn root_entries(
        &self,
        root_type: &str,
        key: String,
        fields: &[&Node<GqlField>],
        roots: &mut Vec<(String, Root)>,
    ) -> Result<(), IrError> {
        let (doc, vars, schema) = (self.doc, self.vars, self.schema);
        let path = format!("$.selectionSet.{key}");
        if let Some(ns) = source_namespace(schema, root_type, fields[0]) {
            let ty = namespace_type(ns, self.op.operation_type);
            let sets: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
            for (inner, inner_fields) in collect_fields(doc, &sets, ty, vars) {
                let at = format!("{path}.selectionSet.{inner}");
                let maps = (&ns.query_roots, &ns.mutation_roots);
                let root = self.root(maps, root_type, ty, &inner, &inner_fields, &at)?;
                roots.push((format!("{key}{NAMESPACE_SEPARATOR}{inner}"), root));
            }
            return Ok(());
        }
        let maps = (&schema.query_roots, &schema.mutation_roots);
        let root = self.root(maps, root_type, root_type, &key, fields, &path)?;
        roots.push((key, root));
        Ok(())
    }

    /// What a remote root field is printed from.
    fn remote_request<'r>(
        &'r self,
        db_select: &'r crate::remote::DbSelect<'r>,
    ) -> crate::remote::RootRequest<'r> {
        crate::remote::RootRequest {
            schema: self.schema,
            doc: self.doc,
            op: self.op,
            session: self.session,
            db_select,
        }
    }

    /// The IR of root field `fields` (merged fields of one response key) of `parent`, an
    /// operation root (`root_type`) or the namespace type under it; names looked up in `maps`.
    pub(crate) fn root(
        &self,
        (query_roots, mutation_roots): RootMaps<'_>,
        root_type: &str,
        parent: &str,
        key: &str,
        fields: &[&Node<GqlField>],
        path: &str,
    ) -> Result<Root, IrError> {
        let schema = self.schema;
        let db_select = |f: &Node<GqlField>,
                         rel: &rasura_schema::RemoteDbRelInfo,
                         aggregate: bool,
                         at: &str| {
            let kind = match (aggregate, rel.array) {
                (true, _) => ShapeKind::Aggregate,
                (false, true) => ShapeKind::Rows,
                (false, false) => ShapeKind::Single,
            };
            // The table of another source is read through that source's schema.
            let other = (rel.source > 0).then(|| self.in_source(rel.source));
            let cx = other.as_ref().unwrap_or(self);
            let mut select = cx.select(rel.target, f, &[&f.selection_set], at, kind)?;
            if !rel.array {
                select.limit = Some(1);
            }
            Ok(select)
        };
        let f = fields[0];
        let name = f.name.as_str();
        let sets: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
        if name == "__typename" {
            return Ok(Root::Typename(parent.to_string()));
        }
        if name == "__schema" || name == "__type" {
            return Ok(Root::Introspection);
        }
        if root_type == "mutation_root" {
            return match mutation_roots.get(name) {
                Some(&MutationRoot::Action(i)) => self.action(i, f, fields, path),
                Some(&MutationRoot::Remote(i)) => {
                    let r = &schema.remotes[i];
                    crate::remote::remote_root(
                        &self.remote_request(&db_select),
                        r,
                        i,
                        key,
                        fields,
                        false,
                    )
                }
                Some(&MutationRoot::RemoteNamespace(i)) => {
                    let r = &schema.remotes[i];
                    crate::remote::remote_root(
                        &self.remote_request(&db_select),
                        r,
                        i,
                        key,
                        fields,
                        true,
                    )
                }
                Some(&MutationRoot::Function(i)) => Ok(Root::Select(Box::new(
                    self.function_select(i, f, &sets, path, false)?,
                ))),
                Some(MutationRoot::SourceNamespace | MutationRoot::Source(_)) | None => {
                    Err(IrError::unknown_field(path, name, parent))
                }
                Some(&root) => self.mutation(root, f, fields, path),
            };
        }
        let Some(&root) = query_roots.get(name) else {
            return Err(IrError::unknown_field(path, name, parent));
        };
        let select = match root {
            RootField::Select(t) => self.select(t, f, &sets, path, ShapeKind::Rows)?,
            RootField::SelectAggregate(t) => {
                self.select(t, f, &sets, path, ShapeKind::Aggregate)?
            }
            RootField::SelectByPk(t) => self.by_pk(t, f, &sets, path)?,
            RootField::SelectStream(t) => self.stream(t, f, &sets, path)?,
            RootField::ActionResult(i) => return self.action_result(i, f, fields, path),
            RootField::Connection(t) => {
                let c = self.connection(t, f, &sets, path)?;
                return Ok(Root::Connection(Box::new(c)));
            }
            RootField::FunctionConnection(i) => {
                let c = self.function_connection(i, f, &sets, path)?;
                return Ok(Root::Connection(Box::new(c)));
            }
            RootField::Node => self.node(f, &sets, path)?,
            // A constant answer, written as a root `__typename` is.
            RootField::Placeholder => {
                return Ok(Root::Typename(
                    rasura_schema::build::PLACEHOLDER_TEXT.to_string(),
                ))
            }
            RootField::Action(i) => return self.action(i, f, fields, path),
            RootField::Remote(i) | RootField::RemoteNamespace(i) => {
                let namespace = matches!(root, RootField::RemoteNamespace(_));
                let r = &schema.remotes[i];
                return crate::remote::remote_root(
                    &self.remote_request(&db_select),
                    r,
                    i,
                    key,
                    fields,
                    namespace,
                );
            }
            RootField::Function(i) => self.function_select(i, f, &sets, path, false)?,
            RootField::FunctionAggregate(i) => self.function_select(i, f, &sets, path, true)?,
            RootField::Native(t) => self.native_select(t, f, &sets, path)?,
            RootField::SourceNamespace | RootField::Source(_) => {
                return Err(IrError::unknown_field(path, name, parent))
            }
        };
        Ok(Root::Select(Box::new(select)))
    }
}
