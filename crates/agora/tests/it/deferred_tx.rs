//! A writing transaction whose `BEGIN` goes with its first statement and whose `COMMIT` goes with
//! its last (`Db::begin_with_first`, `Tx::opening`, `Tx::commit_with`; on SQLite the checkout's
//! way to save two hand-overs to the writer, on PostgreSQL an ordinary transaction): all of it
//! or nothing is written, whichever way it ends, and the next writer finds no transaction left
//! open.

use agora_store::batch::{Batch, Write};
use sqlx::Row;

use crate::support::*;

async fn make_table(app: &agora_app::App) {
    let mut tx = app.db.begin().await.unwrap();
    agora_store::raw_execute(&mut tx, "CREATE TABLE deferred_rows (id TEXT PRIMARY KEY)")
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn rows(app: &agora_app::App) -> Vec<String> {
    let mut conn = app.db.conn().await.unwrap();
    sqlx::query("SELECT id FROM deferred_rows ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn insert(id: &str) -> Write {
    Write::new("INSERT INTO deferred_rows (id) VALUES ($1)", vec![id.into()])
}

/// Opens `tx` with an insert of `id`.
async fn open_with_insert(tx: &mut agora_store::Tx, id: &str) {
    let sql = tx.opening("INSERT INTO deferred_rows (id) VALUES ($1)").into_owned();
    sqlx::query(&sql).bind(id).execute(&mut **tx).await.unwrap();
}

/// A later writer commits, and sees only what was committed before it.
async fn next_writer_commits(app: &agora_app::App, id: &str) {
    let mut tx = app.db.begin().await.unwrap();
    insert(id).run(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
}

db_test!(committed_with_its_last_string_it_writes_everything, |t| {
    make_table(&t.app).await;
    let mut tx = t.app.db.begin_with_first().await.unwrap();
    open_with_insert(&mut tx, "a").await;
    let mut last = Batch::new();
    last.push(insert("b"));
    last.push(insert("c"));
    let commits = t.app.db.commits();
    tx.commit_with(last).await.unwrap();
    assert_eq!(t.app.db.commits(), commits + 1, "the commit is counted");
    assert_eq!(rows(&t.app).await, ["a", "b", "c"]);
    next_writer_commits(&t.app, "d").await;
    assert_eq!(rows(&t.app).await, ["a", "b", "c", "d"]);
});

db_test!(refused_in_its_last_string_it_writes_nothing, |t| {
    make_table(&t.app).await;
    let mut tx = t.app.db.begin_with_first().await.unwrap();
    open_with_insert(&mut tx, "a").await;
    // The second write breaks the primary key: the string stops there, before its COMMIT.
    let mut last = Batch::new();
    last.push(insert("b"));
    last.push(insert("a"));
    let err = tx.commit_with(last).await.unwrap_err();
    assert!(agora_store::is_unique_violation(&err), "{err}");
    assert!(rows(&t.app).await.is_empty(), "nothing of the transaction is written");
    next_writer_commits(&t.app, "z").await;
    assert_eq!(
        rows(&t.app).await,
        ["z"],
        "the next writer is in no transaction left open"
    );
});

db_test!(dropped_open_it_writes_nothing, |t| {
    make_table(&t.app).await;
    {
        let mut tx = t.app.db.begin_with_first().await.unwrap();
        open_with_insert(&mut tx, "a").await;
        // Dropped here, as an error on the way would drop it.
    }
    next_writer_commits(&t.app, "z").await;
    assert_eq!(rows(&t.app).await, ["z"]);
});

db_test!(rolled_back_it_writes_nothing, |t| {
    make_table(&t.app).await;
    let mut tx = t.app.db.begin_with_first().await.unwrap();
    open_with_insert(&mut tx, "a").await;
    tx.rollback().await.unwrap();
    next_writer_commits(&t.app, "z").await;
    assert_eq!(rows(&t.app).await, ["z"]);
});
