//! Rate limits kept in the database, so that every node of a cluster sees the same counts: one row
//! per bucket (an address, an account and address, ...) counting hits in a fixed window.
//!
//! A hit is claimed with one conditional upsert, so that concurrent requests can never claim more
//! than the limit between them.

use sqlx::{AnyConnection, Row};

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The hit is counted: it is the `n`th of its window.
    Granted(i64),
    /// The bucket is full until its window ends, `retry_after_ms` from now.
    Refused { retry_after_ms: i64 },
}

/// Counts a hit in `bucket` unless `limit` hits were already counted in the window of `window_ms`
/// that started with the bucket's first hit; a window that has ended starts again.
pub async fn claim(
    conn: &mut AnyConnection,
    bucket: &str,
    limit: i64,
    window_ms: i64,
    now: i64,
) -> sqlx::Result<Claim> {
    let granted = sqlx::query(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (bucket) DO UPDATE SET
             hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END,
             window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END
         WHERE rate_limits.window_start <= $3 OR rate_limits.hits < $4
         RETURNING hits",
    )
    .bind(bucket)
    .bind(now)
    .bind(now - window_ms)
    .bind(limit)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = granted {
        return Ok(Claim::Granted(row.try_get(0)?));
    }
    let started: i64 = sqlx::query("SELECT window_start FROM rate_limits WHERE bucket = $1")
        .bind(bucket)
        .fetch_one(conn)
        .await?
        .try_get(0)?;
    Ok(Claim::Refused {
        retry_after_ms: (started + window_ms - now).max(1),
    })
}

/// Gives back one hit (a claimed attempt that turned out to be allowed, or was never made).
pub async fn give_back(conn: &mut AnyConnection, bucket: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE rate_limits SET hits = hits - 1 WHERE bucket = $1 AND hits > 0")
        .bind(bucket)
        .execute(conn)
        .await?;
    Ok(())
}

/// The hits counted in `bucket`'s current window (0 when it has ended).
pub async fn hits(conn: &mut AnyConnection, bucket: &str, window_ms: i64, now: i64) -> sqlx::Result<i64> {
    let row = sqlx::query("SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start > $2")
        .bind(bucket)
        .bind(now - window_ms)
        .fetch_optional(conn)
        .await?;
    row.map(|r| r.try_get(0)).transpose().map(Option::unwrap_or_default)
}

/// Forgets a bucket's hits.
pub async fn clear(conn: &mut AnyConnection, bucket: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE bucket = $1")
        .bind(bucket)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes up to `limit` buckets whose window started at or before `ended_before` (their window
/// has ended, so a new hit would start a new one anyway); returns how many.
pub async fn prune(conn: &mut AnyConnection, ended_before: i64, limit: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM rate_limits WHERE bucket IN \
         (SELECT bucket FROM rate_limits WHERE window_start <= $1 LIMIT $2)",
    )
    .bind(ended_before)
    .bind(limit)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
