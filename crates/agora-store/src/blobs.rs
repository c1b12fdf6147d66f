//! The blob folder: uploaded files stored by the SHA-256 of their content.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path_of(&self, key: &str) -> Option<PathBuf> {
        let valid = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.dir.join(&key[..2]).join(key))
    }

    /// Stores `bytes` and returns their key. Writing the same content twice stores it once.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let key = hex::encode(Sha256::digest(bytes));
        let path = self.path_of(&key).expect("a SHA-256 hex digest is a valid key");
        if tokio::fs::try_exists(&path).await? {
            return Ok(key);
        }
        let folder = path.parent().unwrap_or(Path::new("."));
        tokio::fs::create_dir_all(folder).await?;
        // Write under a temporary name and rename, so a reader never sees half a file.
        let tmp = folder.join(format!("{key}.{}.tmp", crate::new_id("w")));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(key)
    }

    pub async fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        match self.path_of(key) {
            Some(path) => tokio::fs::read(path).await,
            None => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no such blob")),
        }
    }
}
