//! A source's table entries by name: stages look up the entry of each resolved table, which a
//! scan of the source's list would make quadratic in the number of tables.

use std::collections::{HashMap, HashSet};

use rasura_metadata::document::Source;
use rasura_metadata::table::{QualifiedName, TableEntry};
use rasura_resolved::types::ResolvedTable;

pub(super) struct Entries<'a>(HashMap<&'a QualifiedName, &'a TableEntry>);

impl<'a> Entries<'a> {
    pub(super) fn of(source: &'a Source) -> Entries<'a> {
        Entries(source.tables.iter().map(|t| (&t.table, t)).collect())
    }

    pub(super) fn get(&self, name: &QualifiedName) -> Option<&'a TableEntry> {
        self.0.get(name).copied()
    }
}

/// The names of the resolved (tracked and existing) tables.
pub(super) fn tracked(tables: &[ResolvedTable]) -> HashSet<QualifiedName> {
    tables.iter().map(|t| t.name.clone()).collect()
}
