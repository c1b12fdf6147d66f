//! SQLite and PostgreSQL get the very same schema from the migrations.

use std::collections::BTreeSet;

use agora_store::Db;
use rand::Rng;
use sqlx::Row;

/// Every `(table, column)` of a freshly migrated database.
async fn columns(db: &Db) -> BTreeSet<(String, String)> {
    db.migrate().await.expect("migrations apply");
    let mut conn = db.conn().await.unwrap();
    let rows = sqlx::query(db.engine().columns_query())
        .fetch_all(&mut *conn)
        .await
        .expect("the columns query runs");
    rows.iter()
        .map(|r| (r.try_get::<String, _>(0).unwrap(), r.try_get::<String, _>(1).unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(agora_pg), ignore = "needs AGORA_TEST_POSTGRES_URL")]
async fn both_engines_migrate_to_the_same_tables_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("schema.db").display());
    let sqlite = Db::connect(&sqlite_url, None).await.unwrap();
    let on_sqlite = columns(&sqlite).await;
    sqlite.close().await;

    let pg_url = std::env::var("AGORA_TEST_POSTGRES_URL").expect("AGORA_TEST_POSTGRES_URL");
    let schema = format!("t_{:016x}", rand::thread_rng().gen::<u64>());
    let postgres = Db::connect(&pg_url, Some(&schema)).await.unwrap();
    let on_postgres = columns(&postgres).await;

    let tables: BTreeSet<&str> = on_sqlite.iter().map(|(t, _)| t.as_str()).collect();
    for expected in ["accounts", "shops", "qualifications", "products", "audit_log"] {
        assert!(tables.contains(expected), "{expected} is missing: {tables:?}");
    }
    let only_sqlite: Vec<_> = on_sqlite.difference(&on_postgres).collect();
    let only_postgres: Vec<_> = on_postgres.difference(&on_sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the schemas differ\n  only on SQLite: {only_sqlite:?}\n  only on PostgreSQL: {only_postgres:?}"
    );

    let mut conn = postgres.conn().await.unwrap();
    agora_store::raw_execute(&mut conn, &format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .await
        .unwrap();
    drop(conn);
    postgres.close().await;
}
