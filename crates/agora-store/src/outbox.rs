//! The outbox: events written in the same transaction as the change, for whatever reacts later
//! (search indexing, notifications, other nodes).

use sqlx::AnyConnection;

pub async fn publish(conn: &mut AnyConnection, topic: &str, payload: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO outbox (topic, payload, created_at) VALUES ($1, $2, $3)")
        .bind(topic)
        .bind(payload)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
