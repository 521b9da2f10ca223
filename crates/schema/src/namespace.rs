//! A source's root field namespace (`customization.root_fields.namespace`): the database root
//! fields move under one field of the operation roots, typed `<ns>_query`,
//! `<ns>_mutation_frontend` (`_mutation_backend` for backend-only permissions) and
//! `<ns>_subscription`.

use std::collections::HashMap;
use std::fmt::Write;

use crate::naming::Naming;
use crate::types::{MutationRoot, RootField, SourceNamespace};
use crate::writer::SdlWriter;

/// The database's root fields, as SDL lines and by name, taken out of the roots.
#[derive(Default)]
pub(crate) struct DbFields {
    pub(crate) query_fields: String,
    pub(crate) mutation_fields: String,
    pub(crate) subscription_fields: String,
    pub(crate) query_roots: HashMap<String, RootField>,
    pub(crate) mutation_roots: HashMap<String, MutationRoot>,
}

impl DbFields {
    /// Moves what the writer and the root maps hold so far (the tables' fields) in here.
    pub(crate) fn take_from(
        &mut self,
        w: &mut SdlWriter,
        query_roots: &mut HashMap<String, RootField>,
        mutation_roots: &mut HashMap<String, MutationRoot>,
    ) {
        self.query_fields
            .push_str(&std::mem::take(&mut w.query_fields));
        self.mutation_fields
            .push_str(&std::mem::take(&mut w.mutation_fields));
        self.subscription_fields
            .push_str(&std::mem::take(&mut w.subscription_fields));
        self.query_roots.extend(query_roots.drain());
        self.mutation_roots.extend(mutation_roots.drain());
    }

    /// Writes the namespace types and puts the namespace field first on each root that has
    /// database fields.
    pub(crate) fn write_into(
        self,
        w: &mut SdlWriter,
        n: &Naming,
        backend: bool,
        query_roots: &mut HashMap<String, RootField>,
        mutation_roots: &mut HashMap<String, MutationRoot>,
    ) -> SourceNamespace {
        let field = n.namespace.clone();
        let mutation = if backend {
            "mutation_backend"
        } else {
            "mutation_frontend"
        };
        let ns = SourceNamespace {
            query_type: n.namespace_type("query"),
            mutation_type: n.namespace_type(mutation),
            subscription_type: n.namespace_type("subscription"),
            field: field.clone(),
            query_roots: self.query_roots,
            mutation_roots: self.mutation_roots,
        };
        if !self.query_fields.is_empty() {
            let _ = write!(
                w.types,
                "type {} {{\n{}}}\ntype {} {{\n{}{}}}\n",
                ns.query_type,
                self.query_fields,
                ns.subscription_type,
                self.query_fields,
                self.subscription_fields
            );
            w.query_fields
                .insert_str(0, &format!("  {field}: {}!\n", ns.query_type));
            w.subscription_fields
                .insert_str(0, &format!("  {field}: {}!\n", ns.subscription_type));
            query_roots.insert(field.clone(), RootField::SourceNamespace);
        }
        if !self.mutation_fields.is_empty() {
            let _ = write!(
                w.types,
                "type {} {{\n{}}}\n",
                ns.mutation_type, self.mutation_fields
            );
            w.mutation_fields
                .insert_str(0, &format!("  {field}: {}!\n", ns.mutation_type));
            mutation_roots.insert(field, MutationRoot::SourceNamespace);
        }
        ns
    }
}
