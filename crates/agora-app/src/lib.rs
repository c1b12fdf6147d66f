//! Agora's use cases. Each module is one capability; each public function is one thing a user (an
//! [`Actor`]) can do. A use case loads state through `agora-store`, asks `agora-core` what should
//! happen, and writes the change with its audit entry and outbox events in one transaction.

pub mod accounts;
mod actor;
pub mod audit;
pub mod categories;
pub mod companies;
pub mod demo;
mod error;
pub mod follower;
pub mod idempotency;
pub mod images;
pub mod import;
pub mod offers;
mod passwords;
pub mod product_cache;
pub mod products;
pub mod search;
pub mod shops;
pub mod stock;
mod time_fmt;
pub mod variants;

use std::path::PathBuf;

use agora_store::blobs::BlobStore;
use agora_store::Db;

pub use actor::Actor;
pub use error::{AppError, AppResult};
pub use time_fmt::rfc3339;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Failed logins per account within the window before further attempts get 429.
    pub login_failures_per_account: i64,
    /// Failed logins per client address within the window before further attempts get 429.
    pub login_failures_per_client: i64,
    pub login_window_ms: i64,
    /// How long a login stays valid.
    pub session_ttl_ms: i64,
    /// The largest qualification document accepted.
    pub max_upload_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            login_failures_per_account: 5,
            login_failures_per_client: 30,
            login_window_ms: 15 * 60 * 1000,
            session_ttl_ms: 30 * 24 * 60 * 60 * 1000,
            max_upload_bytes: 10 * 1024 * 1024,
        }
    }
}

/// The application: the database, the blob store and the settings. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    pub db: Db,
    pub blobs: BlobStore,
    pub settings: Settings,
    /// Product pages, kept fresh from the outbox.
    pub products: product_cache::ProductCache,
    /// The product search index, kept fresh from the outbox.
    pub search: agora_search::SearchIndex,
}

impl App {
    /// `search` is the index (in RAM for tests, on disk for a server).
    pub fn new(db: Db, blob_dir: PathBuf, settings: Settings, search: agora_search::SearchIndex) -> Self {
        Self {
            db,
            blobs: BlobStore::new(blob_dir),
            settings,
            products: product_cache::ProductCache::new(100_000),
            search,
        }
    }

    /// Keeps uploads in `blobs` instead of the folder given to [`App::new`].
    pub fn with_blobs(self, blobs: BlobStore) -> Self {
        Self { blobs, ..self }
    }
}
