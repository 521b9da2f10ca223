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

use crate::error::IrError;
use crate::types::{RemoteCall, Root, Session, TypenameTree};

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
            self.selection_set(&f.selection_set, &child_type, child);
        }
    }

    fn selection_set(&mut self, set: &SelectionSet, parent: &str, tree: &mut TypenameTree) {
        self.out.push_str(" {");
        self.selections(set, parent, tree);
        self.out.push_str(" }");
    }

    fn selections(&mut self, set: &SelectionSet, parent: &str, tree: &mut TypenameTree) {
        for s in &set.selections {
            self.out.push(' ');
            match s {
                Selection::Field(f) => {
                    let key = f.response_key().to_string();
                    self.field(&key, f, parent, tree);
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
    }
}

impl Printer<'_> {
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

/// The parts of a request a remote join is printed from, and the join's id within it.
pub(crate) struct JoinRequest<'a> {
    pub schema: &'a rasura_schema::RoleSchema,
    pub doc: &'a ExecutableDocument,
    pub op: &'a apollo_compiler::executable::Operation,
    pub session: &'a Session,
    pub id: usize,
}

/// A remote relationship field of a table row: its selection printed for the remote.
pub(crate) fn remote_join(
    cx: &JoinRequest<'_>,
    rel: &rasura_schema::RemoteRelInfo,
    lhs: Vec<crate::types::ColumnRef>,
    fields: &[&Node<GqlField>],
) -> Result<crate::types::Field, IrError> {
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
    Ok(crate::types::Field::RemoteJoin(Box::new(
        crate::types::RemoteJoin {
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
#[allow(clippy::too_many_arguments)]
pub(crate) fn remote_root(
    doc: &ExecutableDocument,
    op: &GqlOperation,
    session: &Session,
    remote: &ResolvedRemoteSchema,
    index: usize,
    key: &str,
    fields: &[&Node<GqlField>],
    namespace: bool,
) -> Result<Root, IrError> {
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
    Ok(Root::Remote(Box::new(RemoteCall {
        index,
        query,
        variables: p.variables.into_iter().collect(),
        namespace,
        typenames: customized.then_some(tree),
    })))
}
