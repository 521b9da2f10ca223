//! Caches of one metadata version, bounded in bytes: validated documents per (role, query
//! text), and (through [`BoundedCache`]) plans and introspection answers. An entry over the
//! per-entry limit is never kept, and the oldest entries make room for new ones, so no query
//! mix can grow them past their budget.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use apollo_compiler::validation::Valid;
use apollo_compiler::ExecutableDocument;

/// A map whose entries carry an estimated size: it holds at most `budget` bytes, refuses an
/// entry over `max_entry` bytes, and drops its oldest entries to make room.
#[derive(Debug)]
pub struct BoundedCache<K, V> {
    inner: Mutex<Entries<K, V>>,
    budget: usize,
    max_entry: usize,
}

#[derive(Debug)]
struct Entries<K, V> {
    map: HashMap<K, (V, usize)>,
    /// Insertion order, for eviction.
    order: VecDeque<K>,
    bytes: usize,
}

impl<K: Hash + Eq + Clone, V: Clone> BoundedCache<K, V> {
    pub fn new(budget: usize, max_entry: usize) -> BoundedCache<K, V> {
        BoundedCache {
            inner: Mutex::new(Entries {
                map: HashMap::new(),
                order: VecDeque::new(),
                bytes: 0,
            }),
            budget,
            max_entry: max_entry.min(budget),
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let inner = self.inner.lock().expect("cache lock");
        inner.map.get(key).map(|(v, _)| v.clone())
    }

    /// Keeps `value` under `key` if its estimated `size` fits; returns whether it was kept.
    pub fn insert(&self, key: K, value: V, size: usize) -> bool {
        if size > self.max_entry {
            return false;
        }
        let mut inner = self.inner.lock().expect("cache lock");
        if let Some((_, old)) = inner.map.remove(&key) {
            inner.bytes -= old;
            inner.order.retain(|k| k != &key);
        }
        while inner.bytes + size > self.budget {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some((_, s)) = inner.map.remove(&oldest) {
                inner.bytes -= s;
            }
        }
        inner.bytes += size;
        inner.order.push_back(key.clone());
        inner.map.insert(key, (value, size));
        true
    }

    /// Estimated bytes held, and entries (for the tests).
    #[cfg(test)]
    fn held(&self) -> (usize, usize) {
        let inner = self.inner.lock().expect("cache lock");
        (inner.bytes, inner.map.len())
    }
}

/// Bytes of validated documents kept per metadata version.
const DOCUMENT_BUDGET: usize = 64 << 20;
/// Query texts above this size are parsed each time, never kept.
pub const MAX_CACHED_QUERY: usize = 64 << 10;
/// A parsed document takes several times its text (nodes, names, positions).
const DOCUMENT_BYTES_PER_CHAR: usize = 12;

type Key = (String, String);

/// Validated documents per (role, query text).
#[derive(Debug)]
pub struct DocumentCache {
    entries: BoundedCache<Key, Arc<Valid<ExecutableDocument>>>,
}

impl Default for DocumentCache {
    fn default() -> DocumentCache {
        DocumentCache {
            entries: BoundedCache::new(DOCUMENT_BUDGET, MAX_CACHED_QUERY * DOCUMENT_BYTES_PER_CHAR),
        }
    }
}

impl DocumentCache {
    pub fn get(&self, role: &str, query: &str) -> Option<Arc<Valid<ExecutableDocument>>> {
        self.entries.get(&(role.to_string(), query.to_string()))
    }

    pub fn insert(&self, role: &str, query: &str, doc: Arc<Valid<ExecutableDocument>>) {
        let size = role.len() + query.len() * (1 + DOCUMENT_BYTES_PER_CHAR) + 256;
        self.entries
            .insert((role.to_string(), query.to_string()), doc, size);
    }
}

#[cfg(test)]
mod tests {
    use super::BoundedCache;

    #[test]
    fn holds_its_budget_and_drops_the_oldest_first() {
        let c: BoundedCache<u32, u32> = BoundedCache::new(100, 50);
        for i in 0..10 {
            assert!(c.insert(i, i, 30));
        }
        let (bytes, len) = c.held();
        assert!(bytes <= 100);
        assert_eq!(len, 3);
        assert_eq!(c.get(&9), Some(9));
        assert_eq!(c.get(&0), None);
        // Too large for one entry: not kept, nothing dropped for it.
        assert!(!c.insert(99, 99, 51));
        assert_eq!(c.held().1, 3);
        // Replacing a key does not count it twice.
        assert!(c.insert(9, 10, 30));
        assert_eq!(c.held(), (90, 3));
        assert_eq!(c.get(&9), Some(10));
    }
}
