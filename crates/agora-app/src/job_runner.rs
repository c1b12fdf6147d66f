//! The job worker every `agora serve` node runs: it claims due jobs of the kinds it has handlers
//! for, runs a bounded number at once, renews its lease on each while it runs, and records the
//! outcome only while it still holds that lease, so each job's outcome is recorded by exactly one
//! node. A failed attempt is retried after a growing pause ([`agora_core::jobs::retry_at`]),
//! then left dead for an operator.
//!
//! It looks for work when this process commits a transaction (a use case may have added a job),
//! and at least every poll interval (jobs added by other nodes, or due later).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_core::jobs::retry_at;
use agora_store::jobs::{self as store, NewJob};
use agora_store::outbox::Signal;
use agora_store::{new_id, now_ms};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use crate::{App, AppError, AppResult};

/// A claimed job, as its handler gets it.
pub use agora_store::jobs::Claimed as Job;

/// What a handler reports when it succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Done, and the same job (kind, payload, key) runs again at `at`: a recurring job schedules
    /// its next run in the transaction that records this one's end.
    Again {
        at: i64,
    },
}

type HandlerFuture = Pin<Box<dyn Future<Output = AppResult<Outcome>> + Send>>;
type Handler = Arc<dyn Fn(App, Job) -> HandlerFuture + Send + Sync>;

/// The handlers a worker runs, by job kind, and the recurring jobs it keeps scheduled.
#[derive(Clone, Default)]
pub struct Handlers {
    by_kind: BTreeMap<String, Handler>,
    /// `(kind, max_attempts)` of the jobs that always have one queued or running run.
    recurring: Vec<(String, i64)>,
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handlers")
            .field("kinds", &self.by_kind.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Handlers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs jobs of `kind` with `handler`.
    pub fn on<F, Fut>(mut self, kind: &str, handler: F) -> Self
    where
        F: Fn(App, Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = AppResult<Outcome>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |app, job| Box::pin(handler(app, job)));
        self.by_kind.insert(kind.to_owned(), handler);
        self
    }

    /// Keeps one job of `kind` (key: the kind's name) queued or running across every node: the
    /// worker adds it when none is, and its handler answers [`Outcome::Again`].
    pub fn recurring(mut self, kind: &str, max_attempts: i64) -> Self {
        self.recurring.push((kind.to_owned(), max_attempts));
        self
    }

    fn kinds(&self) -> Vec<&str> {
        self.by_kind.keys().map(String::as_str).collect()
    }
}

/// How a worker works.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// The longest it waits before looking for due jobs when nothing wakes it.
    pub poll: Duration,
    /// Jobs run at once on this node.
    pub concurrency: usize,
    /// How long a claim holds without renewal: a node that stops (crashes, loses the database)
    /// for longer gives its jobs up to others. It renews every third of this while a job runs.
    pub lease: Duration,
    /// At shutdown, how long running jobs may take to finish; the rest are claimed again by
    /// other nodes when their leases run out.
    pub drain: Duration,
    /// How often the queue's depth is published as metrics and recurring jobs are checked.
    pub housekeeping: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            concurrency: 4,
            lease: Duration::from_secs(60),
            drain: Duration::from_secs(10),
            housekeeping: Duration::from_secs(15),
        }
    }
}

/// A node's job worker.
#[derive(Clone)]
pub struct Worker {
    app: App,
    handlers: Arc<Handlers>,
    settings: WorkerSettings,
    /// Who holds the leases this worker takes.
    node: Arc<str>,
}

impl Worker {
    pub fn new(app: App, handlers: Handlers, settings: WorkerSettings) -> Self {
        Self {
            app,
            handlers: Arc::new(handlers),
            settings,
            node: new_id("worker").into(),
        }
    }

    /// The name under which this worker holds its claims.
    pub fn node(&self) -> &str {
        &self.node
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.settings.lease.as_millis()).unwrap_or(i64::MAX / 4)
    }

    /// Adds each recurring job that has no run queued or running (due at once).
    pub async fn schedule_recurring(&self) -> AppResult<()> {
        let now = now_ms();
        for (kind, max_attempts) in &self.handlers.recurring {
            let mut tx = self.app.db.begin().await?;
            tx.leaves_storefront_alone();
            let job = NewJob {
                kind,
                payload: "{}",
                run_at: now,
                dedupe_key: Some(kind),
                max_attempts: *max_attempts,
            };
            if let Some(id) = store::enqueue(&mut tx, job, now).await? {
                tracing::info!(kind = %kind, job = %id, "recurring job scheduled");
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Claims up to `limit` jobs due at `now`.
    async fn claim(&self, limit: usize, now: i64) -> AppResult<Vec<Job>> {
        let kinds = self.handlers.kinds();
        let mut conn = self.app.db.conn().await?;
        if !store::any_due(&mut conn, &kinds, now).await? {
            return Ok(Vec::new());
        }
        drop(conn);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(store::claim(&self.app.db, &self.node, &kinds, limit, now, self.lease_ms()).await?)
    }

    /// Claims the jobs due at `now` (as many as run at once) and runs each to its end, recording
    /// outcomes as of `now`. Returns how many ran. For tests and tools; a node runs [`Worker::run`].
    pub async fn run_due(&self, now: i64) -> AppResult<usize> {
        let jobs = self.claim(self.settings.concurrency.max(1), now).await?;
        let n = jobs.len();
        let mut running = JoinSet::new();
        for job in jobs {
            let worker = self.clone();
            running.spawn(async move { worker.run_one(job, Some(now)).await });
        }
        while running.join_next().await.is_some() {}
        Ok(n)
    }

    /// Runs one claimed job, renewing the lease while it runs, then records its outcome as of
    /// `now` (the clock's time when `None`).
    async fn run_one(&self, job: Job, now: Option<i64>) {
        let handler = self.handlers.by_kind.get(&job.kind).cloned();
        let started = Instant::now();
        let result = match handler {
            Some(handler) => match self.while_leased(&job, handler(self.app.clone(), job.clone())).await {
                Some(result) => result,
                None => return,
            },
            None => Err(AppError::Internal(anyhow::anyhow!("no handler for {:?}", job.kind))),
        };
        let now = now.unwrap_or_else(now_ms);
        let outcome = match &result {
            Ok(_) => "done",
            Err(_) if retry_at(now, job.attempts, job.max_attempts).is_some() => "retry",
            Err(_) => "dead",
        };
        match self.finish(&job, result, now).await {
            Ok(true) => {
                metrics::counter!("agora_jobs_finished_total", "kind" => job.kind.clone(), "outcome" => outcome)
                    .increment(1);
                metrics::histogram!("agora_job_duration_seconds", "kind" => job.kind.clone())
                    .record(started.elapsed().as_secs_f64());
            }
            Ok(false) => {
                tracing::warn!(job = %job.id, kind = %job.kind, "the job's lease ran out while it ran; another node took it over")
            }
            Err(err) => {
                tracing::error!(job = %job.id, error = %err, "recording a job's outcome failed; it runs again when its lease runs out")
            }
        }
    }

    /// Drives `work` while renewing the lease on `job`; `None` when the lease was lost (another
    /// node holds the job now, so this run's outcome must not count).
    async fn while_leased(&self, job: &Job, mut work: HandlerFuture) -> Option<AppResult<Outcome>> {
        let mut renew = tokio::time::interval((self.settings.lease / 3).max(Duration::from_millis(10)));
        renew.tick().await;
        loop {
            tokio::select! {
                result = &mut work => return Some(result),
                _ = renew.tick() => {
                    let renewed = match self.app.db.conn().await {
                        Ok(mut conn) => store::renew(&mut conn, &job.id, &self.node, now_ms() + self.lease_ms()).await,
                        Err(err) => Err(err),
                    };
                    match renewed {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(job = %job.id, "lost the lease on a running job; stopping it");
                            return None;
                        }
                        Err(err) => tracing::warn!(job = %job.id, error = %err, "renewing a job's lease failed"),
                    }
                }
            }
        }
    }

    /// Records a job's outcome, if this worker still holds it.
    async fn finish(&self, job: &Job, result: AppResult<Outcome>, now: i64) -> AppResult<bool> {
        let mut tx = self.app.db.begin().await?;
        tx.leaves_storefront_alone();
        let held = match result {
            Ok(outcome) => {
                let held = store::complete(&mut tx, &job.id, &self.node, now).await?;
                if let (true, Outcome::Again { at }) = (held, outcome) {
                    let next = NewJob {
                        kind: &job.kind,
                        payload: &job.payload,
                        run_at: at,
                        dedupe_key: job.dedupe_key.as_deref(),
                        max_attempts: job.max_attempts,
                    };
                    store::enqueue(&mut tx, next, now).await?;
                }
                held
            }
            Err(err) => {
                let error = describe(&err);
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %error, "a job failed");
                let again = retry_at(now, job.attempts, job.max_attempts);
                store::fail(&mut tx, &job.id, &self.node, &error, again, now).await?
            }
        };
        tx.commit().await?;
        Ok(held)
    }

    /// Publishes how many jobs wait, run, finished and died, as `agora_jobs{status}`.
    async fn publish_depth(&self) -> AppResult<()> {
        for (status, n) in crate::jobs::counts(&self.app).await? {
            metrics::gauge!("agora_jobs", "status" => status.as_str()).set(n as f64);
        }
        Ok(())
    }

    /// Runs jobs until `shutdown` turns true (or its sender is dropped), then waits up to the drain
    /// time for the running ones.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut signal = Signal::subscribe(&self.app.db).await;
        let slots = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let mut running = JoinSet::new();
        let mut last_housekeeping: Option<Instant> = None;
        while !*shutdown.borrow() {
            if last_housekeeping.is_none_or(|t| t.elapsed() >= self.settings.housekeeping) {
                last_housekeeping = Some(Instant::now());
                if let Err(err) = self.schedule_recurring().await {
                    tracing::warn!(error = %err, "scheduling recurring jobs failed");
                }
                if let Err(err) = self.publish_depth().await {
                    tracing::warn!(error = %err, "counting jobs failed");
                }
            }
            let free = slots.available_permits();
            if free > 0 {
                match self.claim(free, now_ms()).await {
                    Ok(jobs) => {
                        for job in jobs {
                            let Ok(slot) = slots.clone().acquire_owned().await else {
                                break;
                            };
                            let worker = self.clone();
                            running.spawn(async move {
                                worker.run_one(job, None).await;
                                drop(slot);
                            });
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "claiming jobs failed; will retry"),
                }
            }
            tokio::select! {
                () = signal.wait(self.settings.poll) => {}
                changed = shutdown.changed() => {
                    // Nobody can ask any more: stop as if asked.
                    if changed.is_err() {
                        break;
                    }
                }
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
            while running.try_join_next().is_some() {}
        }
        let drained = tokio::time::timeout(self.settings.drain, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                jobs = running.len(),
                "jobs still running at shutdown; other nodes take them over when their leases run out"
            );
            running.abort_all();
        }
    }
}

/// A failure as stored with the job: the whole chain for an internal error.
fn describe(err: &AppError) -> String {
    let text = match err {
        AppError::Internal(e) => format!("{e:#}"),
        other => other.to_string(),
    };
    text.chars().take(2000).collect()
}
