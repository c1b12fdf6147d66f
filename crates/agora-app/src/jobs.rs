//! Background jobs as use cases: adding one inside another use case's transaction, and the
//! operator's view of the queue (listing jobs by status, sending a dead job back to the queue).
//! The worker that runs them is [`crate::job_runner`].

use agora_core::jobs::{JobEvent, JobKind, JobStatus};
use agora_store::jobs::{self as store, JobRow, NewJob};
use agora_store::{now_ms, Conn};

use agora_core::audit::AuditAction;

use crate::{audit, Actor, App, AppError, AppResult, ConflictKind};

/// The most jobs one page lists.
pub const PAGE_MAX: i64 = 200;

/// Adds a job of `kind` due at `run_at`, in the caller's transaction, so that it exists exactly
/// when the change that asked for it is committed. With a `dedupe_key`, nothing is added while a
/// queued or running job holds the key; returns the new job's id, if one was added.
pub async fn enqueue(
    conn: &mut Conn,
    kind: JobKind,
    payload: &serde_json::Value,
    run_at: i64,
    dedupe_key: Option<&str>,
) -> AppResult<Option<String>> {
    let payload = payload.to_string();
    let job = NewJob {
        kind: kind.as_str(),
        payload: &payload,
        run_at,
        dedupe_key,
        max_attempts: kind.max_attempts(),
    };
    Ok(store::enqueue(conn, job, now_ms()).await?)
}

/// A job, as the operator sees it (times in Unix milliseconds).
#[derive(Debug, Clone)]
pub struct JobView {
    pub id: String,
    pub kind: String,
    pub status: JobStatus,
    /// JSON.
    pub payload: String,
    /// When it runs next (queued), ran last (done, dead) or started (running).
    pub run_at: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    /// The worker that claimed it last (running it now, while it runs).
    pub locked_by: Option<String>,
    pub lease_until: Option<i64>,
    /// Why its last attempt failed.
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn view_of(row: JobRow) -> AppResult<JobView> {
    let status = row
        .status
        .parse()
        .map_err(|m| AppError::Internal(anyhow::anyhow!("job {} has status {:?}: {m}", row.id, row.status)))?;
    Ok(JobView {
        id: row.id,
        kind: row.kind,
        status,
        payload: row.payload,
        run_at: row.run_at,
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        locked_by: row.locked_by,
        lease_until: row.lease_until,
        last_error: row.last_error,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// One page of jobs.
#[derive(Debug, Clone)]
pub struct JobPage {
    pub items: Vec<JobView>,
    /// Pass back for the next page; absent on the last.
    pub next_cursor: Option<String>,
    /// How many jobs there are in each status.
    pub counts: Vec<(JobStatus, i64)>,
}

fn parse_cursor(raw: &str) -> AppResult<(i64, String)> {
    let bad = || AppError::invalid("cursor", "is not a cursor this list gave out");
    let (at, id) = raw.split_once('.').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.to_owned()))
}

/// The jobs with `status`, soonest run time first (operators only).
pub async fn list(
    app: &App,
    actor: &Actor,
    status: &str,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<JobPage> {
    actor.require_operator()?;
    let status: JobStatus = status.parse().map_err(|m| AppError::invalid("status", m))?;
    let limit = limit.unwrap_or(50);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(AppError::invalid("limit", format!("must be between 1 and {PAGE_MAX}")));
    }
    let after = cursor.map(parse_cursor).transpose()?;
    let mut conn = app.db.conn().await?;
    let rows = store::list(
        &mut conn,
        status.as_str(),
        after.as_ref().map(|(at, id)| (*at, id.as_str())),
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let items = rows
        .into_iter()
        .take(limit as usize)
        .map(view_of)
        .collect::<AppResult<Vec<_>>>()?;
    let next_cursor = if more {
        items.last().map(|j| format!("{}.{}", j.run_at, j.id))
    } else {
        None
    };
    Ok(JobPage {
        items,
        next_cursor,
        counts: counts(app).await?,
    })
}

/// How many jobs there are in each status (zero included), for operators and metrics.
pub async fn counts(app: &App) -> AppResult<Vec<(JobStatus, i64)>> {
    let mut conn = app.db.conn().await?;
    let found = store::depth(&mut conn).await?;
    Ok(JobStatus::ALL
        .iter()
        .map(|s| {
            let n = found.iter().find(|(name, _)| name == s.as_str()).map_or(0, |(_, n)| *n);
            (*s, n)
        })
        .collect())
}

/// Sends a dead job back to the queue, due now, with a fresh count of attempts (operators only),
/// and records who did in the audit log.
pub async fn retry(app: &App, actor: &Actor, id: &str) -> AppResult<JobView> {
    actor.require_operator()?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    let row = store::get(&mut tx, id).await?.ok_or(AppError::NotFound("job"))?;
    let job = view_of(row)?;
    if let Err(err) = job.status.transition(JobEvent::Retried) {
        return Err(AppError::conflict(ConflictKind::InvalidTransition, err.to_string()));
    }
    match store::requeue_dead(&mut tx, id, now).await {
        Ok(true) => {}
        Ok(false) => {
            return Err(AppError::conflict(
                ConflictKind::InvalidTransition,
                "the job left the dead-letter state meanwhile",
            ))
        }
        Err(err) if agora_store::is_unique_violation(&err) => {
            return Err(AppError::conflict(
                ConflictKind::InvalidTransition,
                "another job with the same key is already waiting or running",
            ))
        }
        Err(err) => return Err(err.into()),
    }
    let row = store::get(&mut tx, id).await?.ok_or(AppError::NotFound("job"))?;
    let data = serde_json::json!({ "kind": row.kind, "attempts": job.attempts, "last_error": job.last_error });
    audit::record(&mut tx, Some(&actor.account_id), AuditAction::JobRetried, id, data).await?;
    tx.commit().await?;
    tracing::info!(job = id, operator = %actor.account_id, "dead job sent back to the queue");
    view_of(row)
}
