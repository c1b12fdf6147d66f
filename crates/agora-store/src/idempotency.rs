//! Stored responses for `Idempotency-Key`: the first request with a key claims it, its response is
//! kept, and a retry with the same key gets that response again.

use sqlx::{AnyConnection, Row};

/// How long a key is remembered.
pub const TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is ours now: run the request, then [`complete`] or [`release`] it.
    New,
    /// Another request with this key is still running.
    InFlight,
    /// The key was used with a different request.
    Mismatch,
    /// The first request ran, but its response carried a secret and was not kept.
    Withheld,
    /// The stored response of the first request.
    Done {
        status: i64,
        content_type: Option<String>,
        body: String,
    },
}

pub async fn claim(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: i64,
) -> sqlx::Result<Claim> {
    sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at < $3")
        .bind(scope)
        .bind(key)
        .bind(now - TTL_MS)
        .execute(&mut *conn)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, request_hash, state, created_at) VALUES ($1, $2, $3, 'running', $4)
         ON CONFLICT (scope, key) DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::New);
    }
    let row = sqlx::query(
        "SELECT request_hash, state, status, content_type, body FROM idempotency_keys WHERE scope = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        // Released between our insert and our read: the caller may simply retry.
        return Ok(Claim::InFlight);
    };
    let stored_hash: String = row.try_get(0)?;
    let state: String = row.try_get(1)?;
    Ok(if stored_hash != request_hash {
        Claim::Mismatch
    } else if state == "withheld" {
        Claim::Withheld
    } else if state != "done" {
        Claim::InFlight
    } else {
        Claim::Done {
            status: row.try_get(2)?,
            content_type: row.try_get(3)?,
            body: row.try_get::<Option<String>, _>(4)?.unwrap_or_default(),
        }
    })
}

pub async fn complete(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    status: i64,
    content_type: Option<&str>,
    body: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE idempotency_keys SET state = 'done', status = $1, content_type = $2, body = $3 WHERE scope = $4 AND key = $5")
        .bind(status)
        .bind(content_type)
        .bind(body)
        .bind(scope)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks a key whose request ran but whose response must not be stored (it carried a secret).
pub async fn withhold(conn: &mut AnyConnection, scope: &str, key: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE idempotency_keys SET state = 'withheld' WHERE scope = $1 AND key = $2")
        .bind(scope)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets a claim whose request failed unexpectedly, so that a retry runs it again.
pub async fn release(conn: &mut AnyConnection, scope: &str, key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2")
        .bind(scope)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}
