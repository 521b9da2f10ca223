//! Remote-schema root fields → IR: the operation to forward, re-printed with only that root
//! field (aliases, arguments, variables and directives kept; fragments inlined; customized type
//! names mapped back to the remote's), the variables it uses, and where `__typename` answers
//! must be renamed on the way back.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use apollo_compiler::ast::Value as GqlValue;
use apollo_compiler::executable::{
    Field as GqlField, Operation as GqlOperation, Selection, SelectionSet,
};
use apollo_compiler::{ExecutableDocument, Node};
use rasura_resolve::{RemotePreset, ResolvedRemoteSchema};

use rasura_ir_types::error::IrError;
use rasura_ir_types::types::{ColumnRef, DbJoin, RemoteCall, Root, Session, TypenameTree};

/// Customized type name → the remote's own, for every type of the remote.
fn reverse_types(r: &ResolvedRemoteSchema) -> HashMap<String, String> {
    r.introspection["types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .map(|n| (r.type_name(n), n.to_string()))
        .collect()
}

struct Printer<'a> {
    doc: &'a ExecutableDocument,
    remote: &'a ResolvedRemoteSchema,
    session: &'a Session,
    /// For a remote root field: the role's schema, the remote's index and how to build the
    /// select of a relationship to a table (`None` inside a table's remote join).
    joins: Option<(&'a rasura_schema::RoleSchema, usize, &'a DbSelect<'a>)>,
    /// Response keys from the root down to the selection being printed.
    path: Vec<String>,
    db_joins: Vec<DbJoin>,
    error: Option<IrError>,
    /// A preset's session variable the session lacks.
    missing: Option<String>,
    reverse: HashMap<String, String>,
    variables: BTreeSet<String>,
    out: String,
}

impl<'a> Printer<'a> {
    fn new(
        doc: &'a ExecutableDocument,
        remote: &'a ResolvedRemoteSchema,
        session: &'a Session,
    ) -> Printer<'a> {
        Printer {
            doc,
            remote,
            session,
            joins: None,
            path: vec![],
            db_joins: vec![],
            error: None,
            missing: None,
            reverse: reverse_types(remote),
            variables: BTreeSet::new(),
            out: String::new(),
        }
    }

    fn original<'n>(&'n self, name: &'n str) -> &'n str {
        self.reverse.get(name).map_or(name, String::as_str)
    }

    fn value(&mut self, v: &GqlValue) {
        collect_variables(v, &mut self.variables);
        let _ = write!(self.out, "{v}");
    }

    fn directives(&mut self, dirs: &apollo_compiler::executable::DirectiveList) {
        for d in dirs
            .iter()
            .filter(|d| d.name == "skip" || d.name == "include")
        {
            let _ = write!(self.out, " @{}", d.name);
            self.arguments(&d.arguments);
        }
    }

    fn arguments(&mut self, args: &[Node<apollo_compiler::ast::Argument>]) {
        self.arguments_with(args, &[]);
    }

    /// The given arguments, then the permission's presets.
    fn arguments_with(
        &mut self,
        args: &[Node<apollo_compiler::ast::Argument>],
        presets: &[RemotePreset],
    ) {
        if args.is_empty() && presets.is_empty() {
            return;
        }
        self.out.push('(');
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            let _ = write!(self.out, "{}: ", a.name);
            self.value(&a.value);
        }
        for (i, p) in presets.iter().enumerate() {
            if i > 0 || !args.is_empty() {
                self.out.push_str(", ");
            }
            let literal = match &p.session_variable {
                None => p.literal.clone(),
                Some(var) => match self.session.vars.get(var) {
                    Some(v) if matches!(p.type_name.as_str(), "Int" | "Float" | "Boolean") => {
                        v.clone()
                    }
                    Some(v) => serde_json::Value::String(v.clone()).to_string(),
                    None => {
                        self.missing.get_or_insert_with(|| var.clone());
                        "null".into()
                    }
                },
            };
            let _ = write!(self.out, "{}: {literal}", p.argument);
        }
        self.out.push(')');
    }

    /// Prints a field of the remote type `parent` under `key`, and notes in `tree` where
    /// `__typename` answers appear.
    fn field(&mut self, key: &str, f: &GqlField, parent: &str, tree: &mut TypenameTree) {
        if f.name == "__typename" {
            tree.typenames.insert(key.to_string());
        }
        let original = self.remote.original_field(parent, f.name.as_str());
        if key == original {
            let _ = write!(self.out, "{original}");
        } else {
            let _ = write!(self.out, "{key}: {original}");
        }
        let presets = self
            .remote
            .presets
            .get(&(parent.to_string(), original.clone()))
            .cloned()
            .unwrap_or_default();
        self.arguments_with(&f.arguments, &presets);
        self.directives(&f.directives);
        if !f.selection_set.selections.is_empty() {
            let child_type = self
                .original(f.definition.ty.inner_named_type().as_str())
                .to_string();
            let child = tree.children.entry(key.to_string()).or_default();
            self.path.push(key.to_string());
            self.selection_set(&f.selection_set, &child_type, child);
            self.path.pop();
        }
    }

    fn selection_set(&mut self, set: &SelectionSet, parent: &str, tree: &mut TypenameTree) {
        self.out.push_str(" {");
        self.selections(set, parent, tree);
        self.out.push_str(" }");
    }

    fn selections(&mut self, set: &SelectionSet, parent: &str, tree: &mut TypenameTree) {
        let mut added: Vec<(String, String)> = vec![];
        for s in &set.selections {
            self.out.push(' ');
            match s {
                Selection::Field(f) => {
                    let key = f.response_key().to_string();
                    if !self.db_join(&key, f, parent, set, &mut added) {
                        self.field(&key, f, parent, tree);
                    }
                }
                Selection::InlineFragment(i) => {
                    self.out.push_str("...");
                    let mut inner = parent.to_string();
                    if let Some(t) = &i.type_condition {
                        inner = self.original(t.as_str()).to_string();
                        let _ = write!(self.out, " on {inner}");
                    }
                    self.directives(&i.directives);
                    self.selection_set(&i.selection_set, &inner, tree);
                }
                Selection::FragmentSpread(sp) => {
                    let Some(def) = self.doc.fragments.get(&sp.fragment_name) else {
                        continue;
                    };
                    let original = self.original(def.type_condition().as_str()).to_string();
                    let _ = write!(self.out, "... on {original}");
                    self.directives(&sp.directives);
                    self.selection_set(&def.selection_set, &original, tree);
                }
            }
        }
        for (key, field) in added {
            let _ = write!(self.out, " {key}: {field}");
        }
    }
}

impl Printer<'_> {
    /// A relationship from the remote type `parent` to a table: `key: __typename` goes to the
    /// remote (keeping the key's place in the answer), the joined fields are added to the
    /// selection (`added`: under keys of their own), and the table's select is kept for after
    /// the remote answers. False when `f` is no such field.
    fn db_join(
        &mut self,
        key: &str,
        f: &Node<GqlField>,
        parent: &str,
        set: &SelectionSet,
        added: &mut Vec<(String, String)>,
    ) -> bool {
        let Some((schema, remote, db_select)) = self.joins else {
            return false;
        };
        let name = f.name.as_str();
        let rel = schema.remote_db_rels.iter().find(|r| {
            r.remote == remote
                && r.type_name == parent
                && (r.field == name || r.aggregate_field.as_deref() == Some(name))
        });
        let Some(rel) = rel else {
            return false;
        };
        let aggregate = rel.aggregate_field.as_deref() == Some(name);
        let keys: Vec<&str> = self.path.iter().map(String::as_str).chain([key]).collect();
        let at = format!("$.selectionSet.{}", keys.join(".selectionSet."));
        let select = match db_select(f, rel, aggregate, &at) {
            Ok(s) => s,
            Err(e) => {
                self.error.get_or_insert(e);
                return true;
            }
        };
        let taken: BTreeSet<String> = set
            .selections
            .iter()
            .filter_map(|s| match s {
                Selection::Field(f) => Some(f.response_key().to_string()),
                _ => None,
            })
            .collect();
        let table = match rel.source {
            0 => &schema.tables[rel.target],
            n => &schema.sources[n - 1].tables[rel.target],
        };
        let mut join = DbJoin {
            source: rel.source,
            path: self.path.clone(),
            key: key.to_string(),
            columns: vec![],
            added: vec![],
            select,
        };
        for (field, column) in &rel.mapping {
            let k = match added.iter().find(|(_, f)| f == field) {
                Some((k, _)) => k.clone(),
                None => {
                    let mut k = format!("{field}_join_column");
                    while taken.contains(&k) || added.iter().any(|(a, _)| a == &k) {
                        k.push('_');
                    }
                    added.push((k.clone(), field.clone()));
                    k
                }
            };
            let Some(info) = table.columns.get(column) else {
                self.error
                    .get_or_insert_with(|| IrError::new(&at, format!("no column \"{column}\"")));
                return true;
            };
            let column = ColumnRef {
                name: info.name.clone(),
                type_schema: info.type_schema.clone(),
                type_name: info.type_name.clone(),
                computed: None,
            };
            join.columns.push((k.clone(), column));
            join.added.push(k);
        }
        let _ = write!(self.out, "{key}: __typename");
        self.db_joins.push(join);
        true
    }

    /// `$name: Type = default` of the operation's variables this printer used, in the remote's
    /// type names.
    fn variable_definitions(&self, op: &GqlOperation) -> Vec<String> {
        let mut defs = vec![];
        for v in &op.variables {
            if self.variables.contains(v.name.as_str()) {
                let ty = v.ty.to_string();
                let inner = v.ty.inner_named_type().as_str();
                let ty = ty.replace(inner, self.original(inner));
                let mut d = format!("${}: {ty}", v.name);
                if let Some(default) = &v.default_value {
                    let _ = write!(d, " = {default}");
                }
                defs.push(d);
            }
        }
        defs
    }
}

/// Builds the select of a relationship from a remote type to a table: the field, the
/// relationship, whether its `_aggregate` field was asked for, and the error path.
pub type DbSelect<'a> = dyn Fn(
        &Node<GqlField>,
        &rasura_schema::RemoteDbRelInfo,
        bool,
        &str,
    ) -> Result<rasura_ir_types::types::Select, IrError>
    + 'a;

/// The parts of a request a remote root field is printed from.
pub struct RootRequest<'a> {
    pub schema: &'a rasura_schema::RoleSchema,
    pub doc: &'a ExecutableDocument,
    pub op: &'a GqlOperation,
    pub session: &'a Session,
    pub db_select: &'a DbSelect<'a>,
}

/// The parts of a request a remote join is printed from, and the join's id within it.
pub struct JoinRequest<'a> {
    pub schema: &'a rasura_schema::RoleSchema,
    pub doc: &'a ExecutableDocument,
    pub op: &'a apollo_compiler::executable::Operation,
    pub session: &'a Session,
    pub id: usize,
}

/// A remote relationship field of a table row: its selection printed for the remote.
pub fn remote_join(
    cx: &JoinRequest<'_>,
    rel: &rasura_schema::RemoteRelInfo,
    lhs: Vec<rasura_ir_types::types::ColumnRef>,
    fields: &[&Node<GqlField>],
) -> Result<rasura_ir_types::types::Field, IrError> {
    let remote = &cx.schema.remotes[rel.remote];
    let mut p = Printer::new(cx.doc, remote, cx.session);
    let mut tree = TypenameTree::default();
    for f in fields {
        if !f.selection_set.selections.is_empty() {
            p.selection_set(&f.selection_set, &rel.result_type, &mut tree);
        }
    }
    if let Some(var) = p.missing {
        return Err(
            IrError::new("$", format!("missing session variables: \"{var}\""))
                .with_code("not-found"),
        );
    }
    let id = cx.id;
    let customized = !remote.type_prefix.is_empty()
        || !remote.type_suffix.is_empty()
        || !remote.type_mapping.is_empty();
    Ok(rasura_ir_types::types::Field::RemoteJoin(Box::new(
        rasura_ir_types::types::RemoteJoin {
            id,
            remote: rel.remote,
            lhs,
            path: rel.path.clone(),
            variable_definitions: p.variable_definitions(cx.op),
            variables: p.variables.iter().cloned().collect(),
            selection: p.out,
            typenames: customized.then_some(tree),
        },
    )))
}

fn collect_variables(v: &GqlValue, out: &mut BTreeSet<String>) {
    match v {
        GqlValue::Variable(n) => {
            out.insert(n.to_string());
        }
        GqlValue::List(items) => items.iter().for_each(|i| collect_variables(i, out)),
        GqlValue::Object(fields) => fields.iter().for_each(|(_, i)| collect_variables(i, out)),
        _ => {}
    }
}

/// The IR of a remote root field (`namespace`: the field is the remote's namespace and its
/// selection holds the remote root fields).
pub fn remote_root(
    request: &RootRequest<'_>,
    remote: &ResolvedRemoteSchema,
    index: usize,
    key: &str,
    fields: &[&Node<GqlField>],
    namespace: bool,
) -> Result<Root, IrError> {
    let (doc, op, session) = (request.doc, request.op, request.session);
    let root_key = if op.operation_type.is_mutation() {
        "mutationType"
    } else {
        "queryType"
    };
    let root_type = remote.introspection[root_key]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut p = Printer::new(doc, remote, session);
    p.joins = Some((request.schema, index, request.db_select));
    let mut tree = TypenameTree::default();
    for f in fields {
        if namespace {
            // The namespace field's selection is what the remote answers at its root.
            p.selections(&f.selection_set, &root_type, &mut tree);
        } else {
            p.out.push(' ');
            p.field(key, f, &root_type, &mut tree);
        }
    }
    let kind = if op.operation_type.is_mutation() {
        "mutation"
    } else {
        "query"
    };
    let defs = p.variable_definitions(op);
    let defs = if defs.is_empty() {
        String::new()
    } else {
        format!("({})", defs.join(", "))
    };
    let query = format!("{kind}{defs} {{{} }}", p.out);
    let customized = !remote.type_prefix.is_empty()
        || !remote.type_suffix.is_empty()
        || !remote.type_mapping.is_empty();
    if let Some(var) = p.missing {
        return Err(
            IrError::new("$", format!("missing session variables: \"{var}\""))
                .with_code("not-found"),
        );
    }
    if let Some(e) = p.error {
        return Err(e);
    }
    let mut db_joins = p.db_joins;
    if !namespace {
        // The answer is the root field's value: paths start below its key.
        for j in &mut db_joins {
            j.path.remove(0);
        }
    }
    Ok(Root::Remote(Box::new(RemoteCall {
        index,
        query,
        variables: p.variables.into_iter().collect(),
        namespace,
        typenames: customized.then_some(tree),
        db_joins,
    })))
}
