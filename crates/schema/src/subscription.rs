//! The subscription root: live queries over the query root's fields (shared, not parsed
//! twice) and the `<t>_stream` fields of streaming subscriptions with their cursor types.

use std::collections::HashMap;
use std::fmt::Write;

use apollo_compiler::Schema;

use crate::naming::TypeNames;
use crate::types::{ColumnInfo, RootField, TableInfo};
use crate::writer::SdlWriter;

/// Gives `subscription_root` every field of `query_root` ahead of its own (the `_stream`
/// fields): the field definitions are shared nodes, so the copy costs pointers, not a second
/// parse of every root field. The result stays valid: the fields were validated on the query root.
pub(crate) fn share_query_fields(
    schema: apollo_compiler::validation::Valid<Schema>,
) -> apollo_compiler::validation::Valid<Schema> {
    use apollo_compiler::schema::ExtendedType;
    let mut schema = schema.into_inner();
    let query_fields = match schema.types.get("query_root") {
        Some(ExtendedType::Object(q)) => q.fields.clone(),
        _ => return apollo_compiler::validation::Valid::assume_valid(schema),
    };
    if let Some(ExtendedType::Object(sub)) = schema.types.get_mut("subscription_root") {
        let sub = sub.make_mut();
        let own: Vec<_> = sub
            .fields
            .drain(..)
            .filter(|(name, _)| name.as_str() != "no_queries_available")
            .collect();
        sub.fields = query_fields;
        sub.fields.extend(own);
    }
    apollo_compiler::validation::Valid::assume_valid(schema)
}

impl SdlWriter {
    /// `<t>_stream(batch_size, cursor, where)` and its cursor input types.
    pub(crate) fn stream_field(
        &mut self,
        info: &TableInfo,
        names: &TypeNames,
        cols: &[&ColumnInfo],
        idx: usize,
        roots: &mut HashMap<String, RootField>,
    ) {
        let base = &info.type_name;
        let n = &self.naming;
        let stream = n.table_root("", &info.ident, "stream");
        if cols.is_empty() || roots.contains_key(&stream) {
            return;
        }
        let cursor_input = names.of("stream_cursor_input");
        let value_input = names.of("stream_cursor_value_input");
        let (batch_size, initial_value) = (n.field("batch_size"), n.field("initial_value"));
        let ordering = n.typename("cursor_ordering");
        let _ = writeln!(
            self.subscription_fields,
            "  \"fetch data from the table in a streaming manner: \\\"{base}\\\"\"\n  {stream}({batch_size}: Int!, cursor: [{cursor_input}]!, where: {}): [{}!]!",
            names.bool_exp, names.object
        );
        let _ = writeln!(
            self.types,
            "\"Streaming cursor of the table \\\"{base}\\\"\"\ninput {cursor_input} {{\n  {initial_value}: {value_input}!\n  ordering: {ordering}\n}}\n\"Initial value of the column from where the streaming should start\"\ninput {value_input} {{"
        );
        for c in cols {
            self.scalar(&c.scalar);
            let _ = writeln!(self.types, "  {}: {}", c.field, c.scalar);
        }
        self.types.push_str("}\n");
        roots.insert(stream, RootField::SelectStream(idx));
    }

    /// `subscription_root` with only its own fields (and `cursor_ordering` when streams exist);
    /// the query root's fields join it after parsing (`share_query_fields`).
    pub(crate) fn subscription_root(&self, out: &mut String) {
        if !self.subscription_fields.is_empty() {
            let _ = writeln!(
                out,
                "\"ordering argument of a cursor\"\nenum {} {{\n  \"ascending ordering of the cursor\"\n  ASC\n  \"descending ordering of the cursor\"\n  DESC\n}}",
                self.naming.typename("cursor_ordering")
            );
        }
        let own = if self.subscription_fields.is_empty() {
            "  no_queries_available: String!\n"
        } else {
            &self.subscription_fields
        };
        let _ = write!(out, "type subscription_root {{\n{own}}}\n");
    }
}
