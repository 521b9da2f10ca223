//! The Relay schema's own parts: the `Node` interface and `node(id)` root, `PageInfo`, and for
//! each table with a primary key its `<t>_connection` root with the `<t>Connection` and
//! `<t>Edge` types (Hasura's names and descriptions).

use std::collections::HashMap;
use std::fmt::Write;

use crate::naming::TypeNames;
use crate::types::{RootField, TableInfo};
use crate::writer::SdlWriter;

/// The arguments of a connection field over the rows of `names`' table.
pub(crate) fn connection_args(names: &TypeNames) -> String {
    format!(
        "(after: String, before: String, {}: [{}!], first: Int, last: Int, {}: [{}!], where: {})",
        names.naming.field("distinct_on"),
        names.select_column,
        names.naming.field("order_by"),
        names.order_by,
        names.bool_exp
    )
}

/// Whether the table is a `Node` in Relay: it has a primary key.
pub(crate) fn is_node(info: &TableInfo) -> bool {
    !info.primary_key.is_empty()
}

impl SdlWriter {
    /// `<select>_connection` on the query root, and its connection and edge types.
    pub(crate) fn connection_root(
        &mut self,
        select: &str,
        names: &TypeNames,
        qualified: &str,
        idx: usize,
        roots: &mut HashMap<String, RootField>,
    ) {
        let field = self.naming.field(&format!("{select}_connection"));
        let object = &names.object;
        let _ = writeln!(
            self.query_fields,
            "  \"fetch data from the table: \\\"{qualified}\\\"\"\n  {field}{}: {object}Connection!",
            connection_args(names),
        );
        self.connection_types(object, qualified);
        roots.insert(field, RootField::Connection(idx));
    }

    /// `<object>Connection` and `<object>Edge`, written once whoever asks.
    pub(crate) fn connection_types(&mut self, object: &str, qualified: &str) {
        self.extra_inputs.insert(format!(
            "\"A Relay connection object on \\\"{qualified}\\\"\"\ntype {object}Connection {{\n  pageInfo: PageInfo!\n  edges: [{object}Edge!]!\n}}\ntype {object}Edge {{\n  cursor: String!\n  node: {object}!\n}}\n"
        ));
    }

    /// `node(id: ID!): Node`, first on the query root, with the `Node` interface and `PageInfo`.
    pub(crate) fn relay_node(&mut self, roots: &mut HashMap<String, RootField>) {
        self.query_fields.insert_str(
            0,
            "  \"Fetches an object given its ID\"\n  node(\n    \"A globally unique id\"\n    id: ID!\n  ): Node\n",
        );
        self.types.push_str(
            "\"An object with globally unique ID\"\ninterface Node {\n  \"A globally unique identifier\"\n  id: ID!\n}\ntype PageInfo {\n  startCursor: String!\n  endCursor: String!\n  hasNextPage: Boolean!\n  hasPreviousPage: Boolean!\n}\n",
        );
        roots.insert("node".into(), RootField::Node);
    }
}
