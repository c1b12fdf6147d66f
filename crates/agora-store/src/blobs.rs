//! Uploaded files, stored by the SHA-256 of their content, in one of two places: the data folder
//! (the default; nodes share it through a network file system) or the database (for nodes that
//! share nothing but the database).

mod database;
mod folder;

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use sha2::{Digest, Sha256};

/// A future returned by a [`BlobBackend`].
pub type BlobFuture<'a, T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'a>>;

/// Where blobs are kept. Keys are checked by [`BlobStore`] before they reach a backend.
pub trait BlobBackend: Send + Sync + std::fmt::Debug {
    /// Stores `bytes` under `key`; storing a key that is there already changes nothing.
    fn write<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> BlobFuture<'a, ()>;
    /// The bytes under `key`; an [`io::ErrorKind::NotFound`] error when there are none.
    fn read<'a>(&'a self, key: &'a str) -> BlobFuture<'a, Vec<u8>>;
}

/// The blob store the application uses. Cheap to clone.
#[derive(Debug, Clone)]
pub struct BlobStore {
    backend: Arc<dyn BlobBackend>,
}

impl BlobStore {
    /// Blobs in the folder `dir` (created when the first one is stored).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self::with_backend(folder::Folder::new(dir.into()))
    }

    /// Blobs in the database's `blobs` table.
    pub fn database(db: crate::Db) -> Self {
        Self::with_backend(database::Table::new(db))
    }

    pub fn with_backend(backend: impl BlobBackend + 'static) -> Self {
        Self {
            backend: Arc::new(backend),
        }
    }

    /// Stores `bytes` and returns their key. Writing the same content twice stores it once.
    pub async fn put(&self, bytes: &[u8]) -> io::Result<String> {
        let key = hex::encode(Sha256::digest(bytes));
        self.backend.write(&key, bytes).await?;
        Ok(key)
    }

    pub async fn get(&self, key: &str) -> io::Result<Vec<u8>> {
        let valid = key.len() == 64 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !valid {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no such blob"));
        }
        self.backend.read(key).await
    }
}
