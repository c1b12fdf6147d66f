//! The nodes of the platform: each running `agora serve` records how far it has applied the
//! outbox, with a heartbeat, so that events every live node has seen can be pruned.

use sqlx::AnyConnection;

/// Records a node that starts following the outbox after event `applied`.
pub async fn register(conn: &mut AnyConnection, id: &str, applied: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO nodes (id, applied_outbox_id, started_at, heartbeat_at) VALUES ($1, $2, $3, $3)")
        .bind(id)
        .bind(applied)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records that node `id` is alive and has applied every event up to `applied`. Returns false
/// when the node is no longer known: it was silent so long that it was taken for dead, and the
/// events it had not applied may be gone.
pub async fn heartbeat(conn: &mut AnyConnection, id: &str, applied: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE nodes SET applied_outbox_id = $2, heartbeat_at = $3 WHERE id = $1")
        .bind(id)
        .bind(applied)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets the nodes whose last heartbeat is before `dead_before`; returns how many.
pub async fn forget_dead(conn: &mut AnyConnection, dead_before: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM nodes WHERE heartbeat_at < $1")
        .bind(dead_before)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
