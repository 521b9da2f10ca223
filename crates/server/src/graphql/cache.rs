//! Parsed and validated documents, cached per (role, query text) for one metadata version: a
//! repeated query skips parsing and validation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use apollo_compiler::validation::Valid;
use apollo_compiler::ExecutableDocument;

/// Entries kept before the cache is emptied (a simple bound against unbounded query variety).
const CAPACITY: usize = 4096;

/// The cache; lives in the engine state, so a metadata change starts a fresh one.
type Key = (String, String);

#[derive(Debug, Default)]
pub struct DocumentCache {
    entries: Mutex<HashMap<Key, Arc<Valid<ExecutableDocument>>>>,
}

impl DocumentCache {
    pub fn get(&self, role: &str, query: &str) -> Option<Arc<Valid<ExecutableDocument>>> {
        let entries = self.entries.lock().expect("cache lock");
        entries.get(&(role.to_string(), query.to_string())).cloned()
    }

    pub fn insert(&self, role: &str, query: &str, doc: Arc<Valid<ExecutableDocument>>) {
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert((role.to_string(), query.to_string()), doc);
    }
}
