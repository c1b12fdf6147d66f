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

/// One outbox event.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: i64,
    pub topic: String,
    pub payload: String,
}

/// Up to `limit` events after `after_id`, oldest first.
pub async fn after(conn: &mut AnyConnection, after_id: i64, limit: i64) -> sqlx::Result<Vec<Event>> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT id, topic, payload FROM outbox WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after_id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                id: r.try_get(0)?,
                topic: r.try_get(1)?,
                payload: r.try_get(2)?,
            })
        })
        .collect()
}

/// The newest event's id (0 when there is none).
pub async fn last_id(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    use sqlx::Row;
    let row = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM outbox")
        .fetch_one(conn)
        .await?;
    row.try_get(0)
}
