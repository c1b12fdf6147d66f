//! The audit log: appended in the same transaction as the change it records.

use agora_core::audit::AuditEntry;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Appends an entry linked to the chain's head. The head row's update serialises concurrent
/// appends (a row lock on PostgreSQL, the write lock on SQLite), so the chain never forks.
pub async fn append(
    conn: &mut AnyConnection,
    actor: Option<&str>,
    action: &str,
    subject: &str,
    data: &str,
    now: i64,
) -> sqlx::Result<i64> {
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let mut entry = AuditEntry {
        seq: head.try_get(0)?,
        at_ms: now,
        actor: actor.map(str::to_owned),
        action: action.to_owned(),
        subject: subject.to_owned(),
        data: data.to_owned(),
        prev_hash: head.try_get(1)?,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, subject, data, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(entry.seq)
    .bind(entry.at_ms)
    .bind(entry.actor.as_deref())
    .bind(&entry.action)
    .bind(&entry.subject)
    .bind(&entry.data)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&entry.hash)
        .execute(conn)
        .await?;
    Ok(entry.seq)
}

/// The recorded head of the chain: `(seq, hash)`.
pub async fn head(conn: &mut AnyConnection) -> sqlx::Result<(i64, String)> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(conn)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Up to `limit` entries after `after_seq`, in order: the log is read in pages when verified.
pub async fn page(conn: &mut AnyConnection, after_seq: i64, limit: i64) -> sqlx::Result<Vec<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, subject, data, prev_hash, hash FROM audit_log
         WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after_seq)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(entry).collect()
}

/// The latest entries about `subject`, newest first (for showing a shop's history).
pub async fn for_subject(conn: &mut AnyConnection, subject: &str, limit: i64) -> sqlx::Result<Vec<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, subject, data, prev_hash, hash FROM audit_log
         WHERE subject = $1 ORDER BY seq DESC LIMIT $2",
    )
    .bind(subject)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(entry).collect()
}

fn entry(r: &AnyRow) -> sqlx::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.try_get(0)?,
        at_ms: r.try_get(1)?,
        actor: r.try_get(2)?,
        action: r.try_get(3)?,
        subject: r.try_get(4)?,
        data: r.try_get(5)?,
        prev_hash: r.try_get(6)?,
        hash: r.try_get(7)?,
    })
}
