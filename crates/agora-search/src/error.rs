//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in the search index.
///
/// User input never produces an error: odd query text is reduced to plain words, impossible
/// filters (say `min_price > max_price`) simply match nothing. Errors come from the index itself
/// (IO, a corrupt or incompatible directory, a dead indexing thread).
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy reported a failure.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// Reading or creating the index directory failed.
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    /// The directory holds an index built with a different schema (an older version of this
    /// crate). The index is derived data: delete the directory and rebuild it.
    #[error("the search index in {0} was built with a different schema: delete it and reindex")]
    SchemaMismatch(PathBuf),
    /// Every index folder under this one is held by another running process.
    #[error("every search index folder in {0} is in use by another process")]
    NoFreeFolder(PathBuf),
    /// A lock was poisoned by a panic in another thread.
    #[error("search index lock poisoned")]
    Poisoned,
}

/// `Result` with [`SearchError`] as the default error.
pub type Result<T, E = SearchError> = std::result::Result<T, E>;
