//! The catalog's version on this node: what a cache of whole pages or search results stamps its
//! entries with, so that an entry made before a change is never served after it. It moves when
//! the outbox follower has applied a catalog event (after the search index took it, so a result
//! read before the index caught up is not kept under the new version) and with every transaction
//! this process commits that may change what the storefront shows (stock taken by a checkout, a
//! rating: changes that announce nothing). Transactions declared
//! [`agora_store::Tx::leaves_storefront_alone`] (a job's bookkeeping, an audit anchor, a session,
//! a cart) do not move it: a node busy with those keeps serving its cached pages.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::App;

/// Counts the catalog changes this node's follower applied.
#[derive(Debug, Clone, Default)]
pub struct CatalogVersion {
    applied: Arc<AtomicU64>,
}

/// What a cached entry was made from: equal stamps mean nothing it shows has changed since,
/// as far as this node can know (a change made elsewhere that announces nothing reaches it only
/// when the entry expires).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Stamp {
    applied: u64,
    commits: u64,
}

impl CatalogVersion {
    /// Records that catalog events were applied: every entry stamped before is stale.
    pub fn bump(&self) {
        self.applied.fetch_add(1, Ordering::SeqCst);
    }
}

/// The stamp to give an entry built from what is read after this call.
pub fn stamp(app: &App) -> Stamp {
    Stamp {
        applied: app.catalog_version.applied.load(Ordering::SeqCst),
        commits: app.db.storefront_commits(),
    }
}
