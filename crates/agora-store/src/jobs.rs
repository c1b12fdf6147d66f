//! The jobs table: work that happens later or on another node. A job is claimed by one node at a
//! time under a lease (PostgreSQL skips rows another node is claiming; SQLite claims in its one
//! writing transaction), finished or failed only by the node holding that lease, and a job whose
//! node stopped renewing its lease is claimed again.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::batch::{Arg, Write};
use crate::{new_id, Db};

/// A job to add.
#[derive(Debug, Clone, Copy)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    /// JSON.
    pub payload: &'a str,
    pub run_at: i64,
    /// While a job with this key is queued or running, another is not added.
    pub dedupe_key: Option<&'a str>,
    pub max_attempts: i64,
}

/// A claimed job, as its handler sees it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub dedupe_key: Option<String>,
    /// This attempt's number (1 for the first).
    pub attempts: i64,
    pub max_attempts: i64,
}

/// A job as an operator sees it.
#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub run_at: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub locked_by: Option<String>,
    pub lease_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const ROW: &str = "id, kind, payload, status, run_at, attempts, max_attempts, locked_by, lease_until, \
                   last_error, created_at, updated_at";

fn job_row(r: &AnyRow) -> sqlx::Result<JobRow> {
    Ok(JobRow {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        payload: r.try_get(2)?,
        status: r.try_get(3)?,
        run_at: r.try_get(4)?,
        attempts: r.try_get(5)?,
        max_attempts: r.try_get(6)?,
        locked_by: r.try_get(7)?,
        lease_until: r.try_get(8)?,
        last_error: r.try_get(9)?,
        created_at: r.try_get(10)?,
        updated_at: r.try_get(11)?,
    })
}

/// Adds a job, inside the caller's transaction if it runs in one, so the job exists exactly when
/// the change that asked for it does. Returns its id, or `None` when a queued or running job
/// holds the same dedupe key.
pub async fn enqueue(conn: &mut AnyConnection, job: NewJob<'_>, now: i64) -> sqlx::Result<Option<String>> {
    let id = new_id("job");
    let added = sqlx::query(
        "INSERT INTO jobs (id, kind, payload, dedupe_key, status, run_at, attempts, max_attempts, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6, $7, $7)
         ON CONFLICT DO NOTHING",
    )
    .bind(&id)
    .bind(job.kind)
    .bind(job.payload)
    .bind(job.dedupe_key)
    .bind(job.run_at)
    .bind(job.max_attempts)
    .bind(now)
    .execute(conn)
    .await?;
    Ok((added.rows_affected() == 1).then_some(id))
}

/// Several jobs added by one insert (like [`enqueue`], each skipped while a queued or running
/// job holds its dedupe key), to run in a [`Batch`](crate::batch::Batch); `None` for no job.
pub fn enqueue_write(jobs: &[NewJob<'_>], now: i64) -> Option<Write> {
    if jobs.is_empty() {
        return None;
    }
    let rows: Vec<String> = (0..jobs.len())
        .map(|i| {
            let p = |k: usize| format!("${}", i * 6 + k + 2);
            format!(
                "({}, {}, {}, {}, 'queued', {}, 0, {}, $1, $1)",
                p(0),
                p(1),
                p(2),
                p(3),
                p(4),
                p(5)
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO jobs (id, kind, payload, dedupe_key, status, run_at, attempts, max_attempts, created_at, updated_at) \
         VALUES {} ON CONFLICT DO NOTHING",
        rows.join(", ")
    );
    let mut args: Vec<Arg> = vec![now.into()];
    for job in jobs {
        args.extend([
            Arg::Text(new_id("job")),
            job.kind.into(),
            job.payload.into(),
            job.dedupe_key.into(),
            job.run_at.into(),
            job.max_attempts.into(),
        ]);
    }
    Some(Write::new(sql, args))
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The condition of a job that may be claimed at `$1` among `kinds` (bound from `$2`): queued and
/// due, or running under a lease that has run out.
fn claimable(kinds: usize) -> String {
    format!(
        "kind IN ({}) AND ((status = 'queued' AND run_at <= $1) OR (status = 'running' AND lease_until < $1))",
        placeholders(2, kinds)
    )
}

/// Whether a job of one of `kinds` may be claimed now (a cheap read before a writing claim).
pub async fn any_due(conn: &mut AnyConnection, kinds: &[&str], now: i64) -> sqlx::Result<bool> {
    if kinds.is_empty() {
        return Ok(false);
    }
    let sql = format!("SELECT id FROM jobs WHERE {} LIMIT 1", claimable(kinds.len()));
    let mut query = sqlx::query(&sql).bind(now);
    for kind in kinds {
        query = query.bind(*kind);
    }
    Ok(query.fetch_optional(conn).await?.is_some())
}

/// Claims up to `limit` due jobs of `kinds` for `node`, which holds them until `now + lease_ms`
/// unless it renews the lease. Each claim counts an attempt. A job whose lease ran out after its
/// last attempt is given up as dead instead of run again.
pub async fn claim(
    db: &Db,
    node: &str,
    kinds: &[&str],
    limit: i64,
    now: i64,
    lease_ms: i64,
) -> sqlx::Result<Vec<Claimed>> {
    if kinds.is_empty() || limit <= 0 {
        return Ok(Vec::new());
    }
    let mut tx = db.begin().await?;
    tx.leaves_storefront_alone();
    let buried = sqlx::query(
        "UPDATE jobs SET status = 'dead', lease_until = NULL, updated_at = $1,
             last_error = 'its node stopped while running it, on every attempt'
         WHERE status = 'running' AND lease_until < $1 AND attempts >= max_attempts",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let n = kinds.len();
    let sql = format!(
        "UPDATE jobs SET status = 'running', locked_by = ${node}, lease_until = ${until}, attempts = attempts + 1,
             updated_at = $1
         WHERE id IN (SELECT id FROM jobs WHERE {cond} ORDER BY run_at, id LIMIT ${limit}{lock})
         RETURNING id, kind, payload, dedupe_key, attempts, max_attempts",
        cond = claimable(n),
        node = n + 2,
        until = n + 3,
        limit = n + 4,
        lock = db.engine().skip_locked(),
    );
    let mut query = sqlx::query(&sql).bind(now);
    for kind in kinds {
        query = query.bind(*kind);
    }
    let rows = query
        .bind(node)
        .bind(now + lease_ms)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    if rows.is_empty() && buried == 0 {
        // Nothing changed: a commit would wake this process's workers for nothing (another
        // node may hold every due job, which a worker would then keep trying to claim).
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    rows.iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get(0)?,
                kind: r.try_get(1)?,
                payload: r.try_get(2)?,
                dedupe_key: r.try_get(3)?,
                attempts: r.try_get(4)?,
                max_attempts: r.try_get(5)?,
            })
        })
        .collect()
}

/// Extends `node`'s lease on a running job. False when the node no longer holds it.
pub async fn renew(conn: &mut AnyConnection, id: &str, node: &str, until: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE jobs SET lease_until = $3 WHERE id = $1 AND locked_by = $2 AND status = 'running'")
        .bind(id)
        .bind(node)
        .bind(until)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a job `node` holds as done (`locked_by` keeps naming the node that ran it). False when the node no longer holds it (its lease ran out and
/// another node claimed it): then nothing changes.
pub async fn complete(conn: &mut AnyConnection, id: &str, node: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'done', lease_until = NULL, last_error = NULL, updated_at = $3
         WHERE id = $1 AND locked_by = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(node)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt of a job `node` holds: queued again at `retry_at`, or dead when it is
/// `None`. False when the node no longer holds it.
pub async fn fail(
    conn: &mut AnyConnection,
    id: &str,
    node: &str,
    error: &str,
    retry_at: Option<i64>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET status = CASE WHEN $4 IS NULL THEN 'dead' ELSE 'queued' END,
             run_at = COALESCE($4, run_at), lease_until = NULL, last_error = $3, updated_at = $5
         WHERE id = $1 AND locked_by = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(node)
    .bind(error)
    .bind(retry_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sends a dead job back to the queue, due at `now`, with its attempts counted from zero. False
/// when it is not dead. Fails with a unique violation when another job with its dedupe key waits.
pub async fn requeue_dead(conn: &mut AnyConnection, id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'queued', run_at = $2, attempts = 0, updated_at = $2
         WHERE id = $1 AND status = 'dead'",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One job.
pub async fn get(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<JobRow>> {
    let row = sqlx::query(&format!("SELECT {ROW} FROM jobs WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(job_row).transpose()
}

/// Up to `limit` jobs with `status`, by run time then id, after the position `(run_at, id)`.
pub async fn list(
    conn: &mut AnyConnection,
    status: &str,
    after: Option<(i64, &str)>,
    limit: i64,
) -> sqlx::Result<Vec<JobRow>> {
    let (run_at, id) = after.unwrap_or((i64::MIN, ""));
    let rows = sqlx::query(&format!(
        "SELECT {ROW} FROM jobs WHERE status = $1 AND (run_at > $2 OR (run_at = $2 AND id > $3))
         ORDER BY run_at, id LIMIT $4"
    ))
    .bind(status)
    .bind(run_at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(job_row).collect()
}

/// How many jobs there are in each status that has any.
pub async fn depth(conn: &mut AnyConnection) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status")
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// Deletes up to `limit` jobs that finished before `before`; returns how many.
pub async fn prune_done(conn: &mut AnyConnection, before: i64, limit: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status = 'done' AND updated_at < $1 LIMIT $2)",
    )
    .bind(before)
    .bind(limit)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
