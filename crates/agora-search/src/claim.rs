//! Several processes sharing one data folder: each claims an index folder of its own, so two nodes
//! never write the same index.

use std::fs::File;
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;

use crate::error::{Result, SearchError};
use crate::index::open_folder;
use crate::SearchIndex;

/// Folders tried before giving up: more nodes than this on one data folder is a mistake.
const MAX_FOLDERS: usize = 64;

impl SearchIndex {
    /// Opens an index of this process's own under `parent`: the first of `parent/node-0`,
    /// `parent/node-1`, … that no running process holds. A folder is held through a lock on the
    /// file `node-N.lock` beside it, taken here and released when the index is dropped or the
    /// process ends, however it ends. A folder left by an ended process is taken again as it is;
    /// one that cannot be opened (built by another version, or damaged) is emptied and created
    /// anew: the index is derived data, which the caller rebuilds. Returns the index and its
    /// folder.
    pub fn open_claimed(parent: &Path) -> Result<(SearchIndex, PathBuf)> {
        std::fs::create_dir_all(parent)?;
        for n in 0..MAX_FOLDERS {
            let lock = File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(parent.join(format!("node-{n}.lock")))?;
            if !FileExt::try_lock_exclusive(&lock)? {
                continue;
            }
            let dir = parent.join(format!("node-{n}"));
            let index = match open_folder(&dir) {
                Ok(index) => index,
                Err(_) => {
                    // Ours alone (we hold its lock), so it is safe to start it afresh.
                    std::fs::remove_dir_all(&dir)?;
                    open_folder(&dir)?
                }
            };
            return Ok((SearchIndex::serve(index, Some(lock))?, dir));
        }
        Err(SearchError::NoFreeFolder(parent.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ProductDoc, SearchQuery};

    fn doc(id: &str, title: &str) -> ProductDoc {
        ProductDoc {
            product_id: id.into(),
            title: title.into(),
            currency: "EUR".into(),
            ..ProductDoc::default()
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("agora-claim-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn two_indexes_on_one_folder_take_different_subfolders() {
        let parent = temp_dir("two");
        let (first, first_dir) = SearchIndex::open_claimed(&parent).unwrap();
        let (second, second_dir) = SearchIndex::open_claimed(&parent).unwrap();
        assert_ne!(first_dir, second_dir);
        first.upsert(&[doc("p1", "Walnut desk")]).unwrap();
        second.upsert(&[doc("p2", "Oak chair")]).unwrap();
        assert_eq!((first.len(), second.len()), (1, 1), "each keeps its own documents");
        drop(first);
        let (third, third_dir) = SearchIndex::open_claimed(&parent).unwrap();
        assert_eq!(third_dir, first_dir, "a released folder is taken again");
        assert_eq!(
            third.search(&SearchQuery::text("desk")).unwrap().hits[0].product_id,
            "p1"
        );
        drop((second, third));
        std::fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn a_damaged_folder_is_started_afresh() {
        let parent = temp_dir("damaged");
        std::fs::create_dir_all(parent.join("node-0")).unwrap();
        std::fs::write(parent.join("node-0").join("meta.json"), b"{not json").unwrap();
        let (index, dir) = SearchIndex::open_claimed(&parent).unwrap();
        assert_eq!(dir, parent.join("node-0"));
        assert!(index.is_empty());
        index.upsert(&[doc("p1", "Walnut desk")]).unwrap();
        assert_eq!(index.len(), 1);
        drop(index);
        std::fs::remove_dir_all(&parent).unwrap();
    }
}
