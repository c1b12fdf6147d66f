//! The outbox: events written in the same transaction as the change, for whatever reacts later
//! (search indexing, notifications, other nodes).

use agora_core::events::Event;
use sqlx::AnyConnection;

/// Writes `event` in the caller's transaction.
pub async fn publish(conn: &mut AnyConnection, event: &Event, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO outbox (topic, payload, created_at) VALUES ($1, $2, $3)")
        .bind(event.topic())
        .bind(event.payload())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// One outbox event as stored; [`StoredEvent::decode`] reads it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: i64,
    pub topic: String,
    pub payload: String,
}

impl StoredEvent {
    pub fn decode(&self) -> Result<Event, agora_core::events::EventError> {
        Event::decode(&self.topic, &self.payload)
    }
}

/// Up to `limit` events after `after_id`, oldest first.
pub async fn after(conn: &mut AnyConnection, after_id: i64, limit: i64) -> sqlx::Result<Vec<StoredEvent>> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT id, topic, payload FROM outbox WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after_id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredEvent {
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

/// The event `id`, if it is there (the follower looks again for ids it saw skipped).
pub async fn one(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<StoredEvent>> {
    use sqlx::Row;
    let row = sqlx::query("SELECT id, topic, payload FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok(StoredEvent {
            id: r.try_get(0)?,
            topic: r.try_get(1)?,
            payload: r.try_get(2)?,
        })
    })
    .transpose()
}

/// Removes the events that every live node has applied: those at or below the lowest
/// `applied_outbox_id` of the nodes whose heartbeat is at or after `live_since`, and older than
/// `written_before` (an event committed late, below ids already read, may still be awaited).
/// Returns how many were removed.
pub async fn prune(conn: &mut AnyConnection, live_since: i64, written_before: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM outbox WHERE created_at < $2 AND id <= \
         (SELECT MIN(applied_outbox_id) FROM nodes WHERE heartbeat_at >= $1)",
    )
    .bind(live_since)
    .bind(written_before)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Wakes the outbox follower when new events may be there: at once after a transaction commits
/// in this process, at once when PostgreSQL notifies that another process wrote one, and at
/// the latest after the wait's time limit (the safety net if a notification is lost).
pub struct Signal {
    commits: tokio::sync::watch::Receiver<u64>,
    remote: Option<Remote>,
}

/// Notifications from PostgreSQL, on a connection of their own.
struct Remote {
    listener: sqlx::postgres::PgListener,
    /// Only notifications about this schema's outbox count.
    schema: String,
}

impl Signal {
    /// Subscribes to `db`'s changes. On PostgreSQL this opens a listening connection; if that
    /// fails, the follower still hears of this process's commits and polls for the rest.
    pub async fn subscribe(db: &crate::Db) -> Signal {
        let remote = match db.engine().notify_channel() {
            Some(channel) => match Remote::connect(db, channel).await {
                Ok(remote) => Some(remote),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for other nodes' changes; polling instead");
                    None
                }
            },
            None => None,
        };
        Signal {
            commits: db.commits.subscribe(),
            remote,
        }
    }

    /// Returns when new events may have been written, or after `at_most`.
    pub async fn wait(&mut self, at_most: std::time::Duration) {
        let Signal { commits, remote } = self;
        let local = async {
            if commits.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let remote = async {
            match remote {
                Some(remote) => remote.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = local => {}
            () = remote => {}
            () = tokio::time::sleep(at_most) => {}
        }
    }
}

impl Remote {
    async fn connect(db: &crate::Db, channel: &str) -> sqlx::Result<Remote> {
        use sqlx::Row;
        let schema: String = sqlx::query("SELECT CAST(current_schema() AS TEXT)")
            .fetch_one(&mut *db.conn().await?)
            .await?
            .try_get(0)?;
        let mut listener = sqlx::postgres::PgListener::connect(&db.listen_url).await?;
        listener.listen(channel).await?;
        Ok(Remote { listener, schema })
    }

    /// The next notification about our outbox. A lost connection is re-established by the next
    /// call; notifications sent meanwhile are lost, which the caller's catch-up makes up for.
    async fn next(&mut self) {
        loop {
            match self.listener.recv().await {
                Ok(n) if n.payload() == self.schema => return,
                Ok(_) => continue,
                Err(err) => {
                    tracing::warn!(error = %err, "listening for other nodes' changes failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    return;
                }
            }
        }
    }
}
