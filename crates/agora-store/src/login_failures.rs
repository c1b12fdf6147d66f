//! Failed logins, counted per account email and per client address for rate limiting. Kept in the
//! database so that every node of a cluster sees the same counts.

use sqlx::{AnyConnection, Row};

pub async fn record(conn: &mut AnyConnection, email: &str, client: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO login_failures (email, client, at) VALUES ($1, $2, $3)")
        .bind(email)
        .bind(client)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Failures since `since`: `(for this email, from this client)`.
pub async fn counts(conn: &mut AnyConnection, email: &str, client: &str, since: i64) -> sqlx::Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM login_failures WHERE email = $1 AND at >= $3),
                (SELECT COUNT(*) FROM login_failures WHERE client = $2 AND at >= $3)",
    )
    .bind(email)
    .bind(client)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// A successful login clears the account's failures.
pub async fn clear(conn: &mut AnyConnection, email: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE email = $1")
        .bind(email)
        .execute(conn)
        .await?;
    Ok(())
}
