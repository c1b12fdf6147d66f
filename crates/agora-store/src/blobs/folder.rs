//! Blobs as files in a folder: `DIR/ab/abcd…`.

use std::path::{Path, PathBuf};

use super::{BlobBackend, BlobFuture};

#[derive(Debug)]
pub(super) struct Folder {
    dir: PathBuf,
}

impl Folder {
    pub(super) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn path_of(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(key)
    }
}

impl BlobBackend for Folder {
    fn write<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> BlobFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path_of(key);
            if tokio::fs::try_exists(&path).await? {
                return Ok(());
            }
            let folder = path.parent().unwrap_or(Path::new("."));
            tokio::fs::create_dir_all(folder).await?;
            // Write under a temporary name and rename, so a reader never sees half a file.
            let tmp = folder.join(format!("{key}.{}.tmp", crate::new_id("w")));
            tokio::fs::write(&tmp, bytes).await?;
            tokio::fs::rename(&tmp, &path).await
        })
    }

    fn read<'a>(&'a self, key: &'a str) -> BlobFuture<'a, Vec<u8>> {
        Box::pin(async move { tokio::fs::read(self.path_of(key)).await })
    }
}
