//! Stored responses for `Idempotency-Key`: the first request with a key claims it, its response is
//! kept, and a retry with the same key gets that response again.
//!
//! A claim is a row in state `running` held until `lease_until`. Claimed on its own, the row is
//! committed at once and its request renews the lease while it runs; a request that died leaves
//! a row whose lease runs out, and a retry takes it over. Claimed inside the transaction that does
//! the work, the row commits with the work and its response, or not at all: on PostgreSQL a
//! second claim of the same key waits at the insert for the first transaction to end, then sees
//! its response (committed) or claims the key itself (rolled back); SQLite has one writer.

use sqlx::{AnyConnection, Row};

use crate::batch::Write;

/// How long a key is remembered.
pub const TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is ours now: run the request, then [`complete`] or [`release`] it.
    New,
    /// Another request with this key is still running (its lease has not run out).
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

/// The statement that claims a key: a new key is inserted, a forgotten one (older than the TTL)
/// taken over as if new; it changes no row when the key is known. Its placeholders, in `p`: the
/// scope, the key, the request's hash, now, the lease's end and the oldest time still remembered.
pub(crate) fn claim_sql<S: std::fmt::Display>(p: &[S]) -> String {
    format!(
        "INSERT INTO idempotency_keys (scope, key, request_hash, state, created_at, lease_until) \
         VALUES ({}, {}, {}, 'running', {}, {}) \
         ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, state = 'running', \
         status = NULL, content_type = NULL, body = NULL, created_at = excluded.created_at, \
         lease_until = excluded.lease_until WHERE idempotency_keys.created_at < {}",
        p[0], p[1], p[2], p[3], p[4], p[5]
    )
}

/// Claims `key` within `scope` for the request whose fingerprint is `request_hash`, holding it
/// until `lease_until` (Unix ms). Run it on a transaction to claim the key together with the work.
pub async fn claim(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: i64,
    lease_until: i64,
) -> sqlx::Result<Claim> {
    // One statement: a new key is inserted, a forgotten one (older than the TTL) taken over as
    // if new. On PostgreSQL this waits while another transaction holds an uncommitted row for the
    // key.
    let sql = claim_sql(&["$1", "$2", "$3", "$4", "$5", "$6"]);
    let inserted = sqlx::query(&sql)
        .bind(scope)
        .bind(key)
        .bind(request_hash)
        .bind(now)
        .bind(lease_until)
        .bind(now - TTL_MS)
        .execute(&mut *conn)
        .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::New);
    }
    let row = sqlx::query(
        "SELECT request_hash, state, status, content_type, body, lease_until FROM idempotency_keys
         WHERE scope = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        // Released between our insert and our read: the caller may simply retry.
        return Ok(Claim::InFlight);
    };
    let stored_hash: String = row.try_get(0)?;
    let state: String = row.try_get(1)?;
    let held_until: i64 = row.try_get(5)?;
    if stored_hash != request_hash {
        return Ok(Claim::Mismatch);
    }
    match state.as_str() {
        "done" => Ok(Claim::Done {
            status: row.try_get(2)?,
            content_type: row.try_get(3)?,
            body: row.try_get::<Option<String>, _>(4)?.unwrap_or_default(),
        }),
        "withheld" => Ok(Claim::Withheld),
        _ if held_until <= now => take_over(conn, scope, key, now, lease_until).await,
        _ => Ok(Claim::InFlight),
    }
}

/// Claims a key whose request died (its lease ran out before it finished). Of several retries
/// doing so at once, one wins; the others see it in flight.
async fn take_over(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    now: i64,
    lease_until: i64,
) -> sqlx::Result<Claim> {
    let taken = sqlx::query(
        "UPDATE idempotency_keys SET created_at = $1, lease_until = $2
         WHERE scope = $3 AND key = $4 AND state = 'running' AND lease_until <= $1",
    )
    .bind(now)
    .bind(lease_until)
    .bind(scope)
    .bind(key)
    .execute(conn)
    .await?;
    Ok(if taken.rows_affected() == 1 {
        Claim::New
    } else {
        Claim::InFlight
    })
}

/// Holds a running claim until `lease_until`: its request is still working.
pub async fn renew(conn: &mut AnyConnection, scope: &str, key: &str, lease_until: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE idempotency_keys SET lease_until = $1 WHERE scope = $2 AND key = $3 AND state = 'running'")
        .bind(lease_until)
        .bind(scope)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Keeps the response of a claimed key (inside the work's transaction, or after it).
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

/// [`complete`], to run in a [`Batch`](crate::batch::Batch).
pub fn complete_write(scope: &str, key: &str, status: i64, content_type: Option<&str>, body: &str) -> Write {
    Write::new(
        "UPDATE idempotency_keys SET state = 'done', status = $1, content_type = $2, body = $3 WHERE scope = $4 AND key = $5",
        vec![status.into(), content_type.into(), body.into(), scope.into(), key.into()],
    )
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
