//! Keeping the index current: upserts, deletes, rebuilds, reopening from disk, and searching
//! while it changes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::*;

#[test]
fn upsert_replaces_and_delete_removes() {
    let index = index_of(vec![product("p1", "Old title"), product("p2", "Other")]);
    index.upsert(&[product("p1", "New title")]).expect("upsert");
    assert_eq!(index.len(), 2);
    assert!(text_ids(&index, "old").is_empty());
    assert_eq!(text_ids(&index, "new"), ["p1"]);
    // Last one wins within a batch.
    index
        .upsert(&[product("p3", "First"), product("p3", "Second")])
        .expect("upsert");
    assert!(text_ids(&index, "first").is_empty());
    assert_eq!(text_ids(&index, "second"), ["p3"]);
    index.delete(&["p1".into(), "missing".into()]).expect("delete");
    assert_eq!(index.len(), 2);
    assert!(text_ids(&index, "new").is_empty());
    index.upsert(&[]).expect("empty upsert");
    index.delete(&[]).expect("empty delete");
}

#[test]
fn rebuild_replaces_everything() {
    let index = index_of(vec![product("old", "Old thing")]);
    let count = index
        .rebuild((0..50).map(|i| product(&format!("n{i}"), "New thing")))
        .expect("rebuild");
    assert_eq!(count, 50);
    assert_eq!(index.len(), 50);
    assert!(text_ids(&index, "old").is_empty());
}

#[test]
fn on_disk_index_is_created_and_reopened() {
    let dir = std::env::temp_dir().join(format!(
        "agora-search-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let index = SearchIndex::open(Some(&dir)).expect("create");
        index.upsert(&[product("p1", "Persistent lamp")]).expect("upsert");
        // The writer lock keeps a second writer out while this one is open.
        assert!(SearchIndex::open(Some(&dir)).is_err());
    }
    let reopened = SearchIndex::open(Some(&dir)).expect("reopen");
    assert_eq!(reopened.len(), 1);
    assert_eq!(text_ids(&reopened, "lamps"), ["p1"]);
    drop(reopened);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_directory_with_another_schema_is_reported() {
    let dir = std::env::temp_dir().join(format!("agora-search-schema-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut builder = tantivy::schema::Schema::builder();
    builder.add_text_field("something_else", tantivy::schema::TEXT);
    tantivy::Index::create_in_dir(&dir, builder.build()).expect("foreign index");
    let opened = SearchIndex::open(Some(&dir));
    assert!(
        matches!(opened, Err(crate::SearchError::SchemaMismatch(ref path)) if path == &dir),
        "{opened:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn searches_run_concurrently_with_upserts() {
    let index = index_of(catalog());
    let stop = Arc::new(AtomicBool::new(false));
    let searchers: Vec<_> = (0..8)
        .map(|_| {
            let index = index.clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut runs = 0;
                while !stop.load(Ordering::Relaxed) || runs == 0 {
                    let results = index.search(&SearchQuery::text("headphones speaker")).expect("search");
                    // Every snapshot holds the original five audio products at least.
                    assert!(results.total >= 5, "{}", results.total);
                    runs += 1;
                }
                runs
            })
        })
        .collect();
    for i in 0..30 {
        let mut p = product(&format!("new{i}"), "Extra speaker");
        p.price_minor = i;
        index.upsert(&[p]).expect("upsert");
        // Visible as soon as upsert returns.
        assert_eq!(index.len(), 7 + i as u64);
    }
    stop.store(true, Ordering::Relaxed);
    for handle in searchers {
        assert!(handle.join().expect("searcher thread") > 0);
    }
    assert_eq!(search(&index, SearchQuery::text("extra")).total, 30);
}
