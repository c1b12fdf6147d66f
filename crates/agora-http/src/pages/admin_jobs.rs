//! The operator's page of background jobs: each status's jobs, and a retry button for dead ones.

use agora_app::jobs::{self, JobView};
use agora_app::rfc3339;
use agora_core::jobs::JobStatus;
use askama::Template;
use axum::extract::{Path, State};
use serde::Deserialize;

use super::{render, see_other, CsrfToken, Layout, PageForm, PageResult, PageUser};
use crate::extract::Query;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct JobsQuery {
    status: String,
    cursor: String,
    done: String,
}

pub struct Tab {
    pub status: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub current: bool,
}

/// A job as listed (times formatted).
pub struct Row {
    pub id: String,
    pub kind: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: String,
    pub last_error: Option<String>,
}

impl From<JobView> for Row {
    fn from(j: JobView) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: rfc3339(j.run_at),
            last_error: j.last_error,
        }
    }
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage {
    layout: Layout,
    tabs: Vec<Tab>,
    status: String,
    dead: bool,
    jobs: Vec<Row>,
    next_cursor: Option<String>,
}

fn label(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Dead => "Dead",
        JobStatus::Queued => "Waiting",
        JobStatus::Running => "Running",
        JobStatus::Done => "Done",
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Query(q): Query<JobsQuery>,
) -> PageResult {
    let actor = user.require("/admin/jobs")?;
    let status = if q.status.is_empty() {
        "dead".to_owned()
    } else {
        q.status
    };
    let cursor = (!q.cursor.is_empty()).then_some(q.cursor.as_str());
    let page = jobs::list(&state.app, &actor, &status, cursor, Some(50)).await?;
    let tabs = [JobStatus::Dead, JobStatus::Queued, JobStatus::Running, JobStatus::Done]
        .into_iter()
        .map(|s| Tab {
            status: s.as_str(),
            label: label(s),
            count: page.counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n),
            current: s.as_str() == status,
        })
        .collect();
    let notice = (q.done == "retried").then(|| "The job was sent back to the queue.".to_owned());
    let layout = Layout::new(&state, Some(actor), &csrf, "Background jobs")
        .await
        .with_notice(notice);
    Ok(render(&JobsPage {
        layout,
        tabs,
        dead: status == JobStatus::Dead.as_str(),
        status,
        jobs: page.items.into_iter().map(Row::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RetryForm {
    csrf: String,
}

pub async fn retry(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    PageForm(form): PageForm<RetryForm>,
) -> PageResult {
    let actor = user.require("/admin/jobs")?;
    csrf.check(&form.csrf)?;
    jobs::retry(&state.app, &actor, &id).await?;
    Ok(see_other("/admin/jobs?status=dead&done=retried"))
}
