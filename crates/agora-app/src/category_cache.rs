//! The category tree held in process: every page's navigation, the search facets' names and the
//! variant options read it, and it changes rarely. It is dropped when a category is created: at
//! once on the node that made the change, and on every node when the outbox follower sees the
//! `categories.changed` event.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use agora_store::categories::CategoryRow;

/// Every category, as last read from the database.
#[derive(Debug, Clone, Default)]
pub struct CategoryCache {
    rows: Arc<RwLock<Option<Arc<Vec<CategoryRow>>>>>,
    /// Counts invalidations, so that a read that started before one never stores what it read.
    generation: Arc<AtomicU64>,
}

impl CategoryCache {
    /// The cached rows, if any.
    pub fn get(&self) -> Option<Arc<Vec<CategoryRow>>> {
        self.rows.read().ok().and_then(|r| r.clone())
    }

    /// The generation to pass to [`CategoryCache::put`] with rows read after this call.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps rows read from the database, unless the categories changed since `generation`.
    pub fn put(&self, generation: u64, rows: Arc<Vec<CategoryRow>>) {
        if let Ok(mut slot) = self.rows.write() {
            if self.generation.load(Ordering::SeqCst) == generation {
                *slot = Some(rows);
            }
        }
    }

    /// Forgets the rows: the next read goes to the database.
    pub fn invalidate(&self) {
        if let Ok(mut slot) = self.rows.write() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_before_a_change_are_not_kept() {
        let cache = CategoryCache::default();
        let before = cache.generation();
        cache.invalidate();
        cache.put(before, Arc::new(vec![]));
        assert!(cache.get().is_none(), "stale rows were stored");
        cache.put(cache.generation(), Arc::new(vec![]));
        assert!(cache.get().is_some());
    }
}
