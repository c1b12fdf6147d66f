//! The operator's view of the background jobs: the queue by status, and sending a dead job back.

use agora_app::jobs::{self, JobView};
use agora_app::rfc3339;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{Auth, Query};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct JobsParams {
    /// `queued`, `running`, `done` or `dead` (default).
    status: Option<String>,
    cursor: Option<String>,
    /// 1 to 200, default 50.
    limit: Option<i64>,
}

/// A background job.
#[derive(Debug, Serialize, ToSchema)]
pub struct Job {
    id: String,
    /// What it does, e.g. `prune_rate_limits`.
    kind: String,
    /// `queued`, `running`, `done` or `dead`.
    status: String,
    /// Its input, as JSON text.
    payload: String,
    /// When it runs next (queued), started (running) or last ran (done, dead).
    run_at: String,
    /// Attempts made so far.
    attempts: i64,
    /// Attempts after which it is given up as dead.
    max_attempts: i64,
    /// The worker that claimed it last (running it now, while it runs).
    locked_by: Option<String>,
    /// Why its last attempt failed.
    last_error: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<JobView> for Job {
    fn from(j: JobView) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            status: j.status.as_str().to_owned(),
            payload: j.payload,
            run_at: rfc3339(j.run_at),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            locked_by: j.locked_by,
            last_error: j.last_error,
            created_at: rfc3339(j.created_at),
            updated_at: rfc3339(j.updated_at),
        }
    }
}

/// How many jobs there are in each status.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobCounts {
    queued: i64,
    running: i64,
    done: i64,
    dead: i64,
}

/// A page of jobs.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    items: Vec<Job>,
    next_cursor: Option<String>,
    counts: JobCounts,
}

impl From<jobs::JobPage> for JobList {
    fn from(page: jobs::JobPage) -> Self {
        use agora_core::jobs::JobStatus;
        let count = |s: JobStatus| page.counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n);
        Self {
            counts: JobCounts {
                queued: count(JobStatus::Queued),
                running: count(JobStatus::Running),
                done: count(JobStatus::Done),
                dead: count(JobStatus::Dead),
            },
            items: page.items.into_iter().map(Job::from).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

/// Background jobs by status, soonest run time first (operators). Dead jobs failed every attempt
/// and wait for an operator.
#[utoipa::path(get, path = "/admin/jobs", tag = "admin", security(("bearer" = [])), params(JobsParams),
    responses((status = 200, body = JobList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<JobsParams>,
) -> ApiResult<Json<JobList>> {
    let status = q.status.as_deref().unwrap_or("dead");
    let page = jobs::list(&state.app, &actor, status, q.cursor.as_deref(), q.limit).await?;
    Ok(Json(page.into()))
}

/// Send a dead job back to the queue, due now, with its attempts counted afresh (operators).
#[utoipa::path(post, path = "/admin/jobs/{id}/retry", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Job), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn retry_job(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Job>> {
    Ok(Json(jobs::retry(&state.app, &actor, &id).await?.into()))
}
