//! On SQLite, commits go to the write-ahead log, and a background task copies the log into the
//! database file soon after (small copies, often: see the store's dialect). Without it the log
//! would be copied only when it reached its backstop size, by the commit that filled it.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_copied_into_the_database_file_soon_after_a_commit() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let file = t._dir.path().join("agora.db");
    let mut tx = t.app.db.begin().await.unwrap();
    agora_store::raw_execute(
        &mut tx,
        "CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let before = std::fs::metadata(&file).unwrap().len();
    // About 2 MB, far below the size at which a commit would copy the log itself.
    let mut tx = t.app.db.begin().await.unwrap();
    for i in 0..200i64 {
        sqlx::query("INSERT INTO filler (id, body) VALUES ($1, $2)")
            .bind(i)
            .bind("x".repeat(10_000))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut grown = 0;
    for _ in 0..250 {
        grown = std::fs::metadata(&file).unwrap().len().saturating_sub(before);
        if grown > 1_000_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        grown > 1_000_000,
        "the database file grew by {grown} bytes within 5 s of the commit"
    );
}
