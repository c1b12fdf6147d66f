//! The jobs table: each job runs on exactly one node however many claim at once, a failed job runs
//! again after a pause and is left dead after its last attempt, an operator sees dead jobs and
//! sends them back, a node that vanished gives its jobs up when its lease runs out, and the first
//! real job prunes the rate limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agora_app::job_runner::{Handlers, Outcome, Worker, WorkerSettings};
use agora_app::{job_handlers, App, AppError, Settings};
use agora_store::jobs::{self, JobRow, NewJob};
use agora_store::{now_ms, rate_limits, Db};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row;

use crate::page_session;
use crate::support::{db_test, TestApp};

/// Test-only kinds, run by the handlers below (production ships neither).
const COUNTED: &str = "test_counted";
const FAILING: &str = "test_failing";

/// How many times each job ran, by id.
type Runs = Arc<Mutex<HashMap<String, u32>>>;

fn counting(runs: &Runs) -> Handlers {
    let runs = runs.clone();
    Handlers::new().on(COUNTED, move |_app, job| {
        let runs = runs.clone();
        async move {
            // Long enough for other workers to try to claim the same job meanwhile.
            tokio::time::sleep(Duration::from_millis(5)).await;
            *runs.lock().unwrap().entry(job.id).or_default() += 1;
            Ok(Outcome::Done)
        }
    })
}

fn failing() -> Handlers {
    Handlers::new().on(FAILING, |_app, _job| async {
        Err(AppError::BadRequest("the mail server said no".into()))
    })
}

fn settings() -> WorkerSettings {
    WorkerSettings {
        poll: Duration::from_millis(50),
        concurrency: 4,
        lease: Duration::from_secs(30),
        drain: Duration::from_secs(5),
        housekeeping: Duration::from_secs(60),
    }
}

async fn add(app: &App, kind: &str, max_attempts: i64, run_at: i64) -> String {
    let mut tx = app.db.begin().await.unwrap();
    let job = NewJob {
        kind,
        payload: "{}",
        run_at,
        dedupe_key: None,
        max_attempts,
    };
    let id = jobs::enqueue(&mut tx, job, now_ms()).await.unwrap().expect("added");
    tx.commit().await.unwrap();
    id
}

async fn job(app: &App, id: &str) -> JobRow {
    let mut conn = app.db.conn().await.unwrap();
    jobs::get(&mut conn, id).await.unwrap().expect("the job exists")
}

async fn count(app: &App, sql: &str) -> i64 {
    let mut conn = app.db.conn().await.unwrap();
    sqlx::query(sql)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

db_test!(a_due_job_runs_once_and_a_later_one_waits, |t| {
    let runs = Runs::default();
    let worker = Worker::new(t.app.clone(), counting(&runs), settings());
    let now = now_ms();
    let due = add(&t.app, COUNTED, 3, now).await;
    let later = add(&t.app, COUNTED, 3, now + 60_000).await;
    assert_eq!(worker.run_due(now).await.unwrap(), 1);
    assert_eq!(worker.run_due(now).await.unwrap(), 0, "a done job does not run again");
    let done = job(&t.app, &due).await;
    assert_eq!((done.status.as_str(), done.attempts), ("done", 1));
    assert_eq!(done.locked_by.as_deref(), Some(worker.node()));
    assert_eq!(job(&t.app, &later).await.status, "queued");
    assert_eq!(worker.run_due(now + 60_000).await.unwrap(), 1);
    assert_eq!(job(&t.app, &later).await.status, "done");
    let runs = runs.lock().unwrap();
    assert_eq!((runs.get(&due), runs.get(&later)), (Some(&1), Some(&1)));
});

db_test!(a_job_is_added_only_with_the_transaction_that_asks_for_it, |t| {
    let mut tx = t.app.db.begin().await.unwrap();
    let kind = agora_core::jobs::JobKind::PruneJobs;
    let payload = serde_json::json!({"order": "ord_1"});
    let id = agora_app::jobs::enqueue(&mut tx, kind, &payload, now_ms(), Some("expire:ord_1"))
        .await
        .unwrap()
        .expect("added");
    let twice = agora_app::jobs::enqueue(&mut tx, kind, &payload, now_ms(), Some("expire:ord_1"))
        .await
        .unwrap();
    assert_eq!(twice, None, "one waiting job per key");
    tx.rollback().await.unwrap();
    let mut conn = t.app.db.conn().await.unwrap();
    assert!(
        jobs::get(&mut conn, &id).await.unwrap().is_none(),
        "rolled back with its transaction"
    );
});

db_test!(
    a_failing_job_retries_after_growing_pauses_then_dies_where_an_operator_sees_it,
    |t| {
        let worker = Worker::new(t.app.clone(), failing(), settings());
        let t0 = now_ms();
        let id = add(&t.app, FAILING, 3, t0).await;

        assert_eq!(worker.run_due(t0).await.unwrap(), 1);
        let first = job(&t.app, &id).await;
        assert_eq!(
            (first.status.as_str(), first.attempts, first.run_at),
            ("queued", 1, t0 + 1_000)
        );
        assert!(first.last_error.unwrap().contains("the mail server said no"));
        assert_eq!(
            worker.run_due(t0 + 999).await.unwrap(),
            0,
            "not before its pause is over"
        );

        assert_eq!(worker.run_due(t0 + 1_000).await.unwrap(), 1);
        let second = job(&t.app, &id).await;
        assert_eq!(
            (second.status.as_str(), second.attempts, second.run_at),
            ("queued", 2, t0 + 3_000)
        );

        assert_eq!(worker.run_due(t0 + 3_000).await.unwrap(), 1);
        let dead = job(&t.app, &id).await;
        assert_eq!((dead.status.as_str(), dead.attempts), ("dead", 3));
        assert_eq!(
            worker.run_due(t0 + 86_400_000).await.unwrap(),
            0,
            "a dead job never runs by itself"
        );

        // The operator sees it, with why it failed; nobody else does.
        let operator = t.operator().await;
        let r = t.get("/api/v1/admin/jobs?status=dead", Some(&operator)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["counts"]["dead"], 1);
        let listed = &r.body["items"][0];
        assert_eq!(
            (listed["id"].as_str(), listed["kind"].as_str()),
            (Some(id.as_str()), Some(FAILING))
        );
        assert_eq!(
            (listed["attempts"].as_i64(), listed["status"].as_str()),
            (Some(3), Some("dead"))
        );
        assert!(listed["last_error"]
            .as_str()
            .unwrap()
            .contains("the mail server said no"));
        let default = t.get("/api/v1/admin/jobs", Some(&operator)).await;
        assert_eq!(
            default.body["items"][0]["id"], listed["id"],
            "dead jobs are listed by default"
        );
        let user = t.user("someone@example.com").await;
        let r = t.get("/api/v1/admin/jobs?status=dead", Some(&user)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(t.get("/api/v1/admin/jobs", None).await.status, StatusCode::UNAUTHORIZED);
        let r = t.get("/api/v1/admin/jobs?status=buried", Some(&operator)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let page = page_session::get(&t, "/admin/jobs", &operator).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains(&id) && page.text.contains("the mail server said no"));
        assert_eq!(
            page_session::get(&t, "/admin/jobs", &user).await.status,
            StatusCode::FORBIDDEN
        );

        // Sent back by the operator, it runs afresh.
        let retry = format!("/api/v1/admin/jobs/{id}/retry");
        assert_eq!(
            t.post(&retry, Some(&user), Value::Null).await.status,
            StatusCode::FORBIDDEN
        );
        let r = t.post(&retry, Some(&operator), Value::Null).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (r.body["status"].as_str(), r.body["attempts"].as_i64()),
            (Some("queued"), Some(0))
        );
        let audited = format!("SELECT COUNT(*) FROM audit_log WHERE action = 'job.retried' AND subject = '{id}'");
        assert_eq!(count(&t.app, &audited).await, 1, "the operator's retry is audited");
        let again = t.post(&retry, Some(&operator), Value::Null).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.problem_type(), "/problems/invalid-transition");
        let missing = t
            .post("/api/v1/admin/jobs/job_nope/retry", Some(&operator), Value::Null)
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let mended = Worker::new(
            t.app.clone(),
            Handlers::new().on(FAILING, |_app, _job| async { Ok(Outcome::Done) }),
            settings(),
        );
        assert_eq!(mended.run_due(now_ms()).await.unwrap(), 1);
        assert_eq!(job(&t.app, &id).await.status, "done");
    }
);

db_test!(an_operator_retries_a_dead_job_from_the_back_office_page, |t| {
    let worker = Worker::new(t.app.clone(), failing(), settings());
    let now = now_ms();
    let id = add(&t.app, FAILING, 1, now).await;
    worker.run_due(now).await.unwrap();
    assert_eq!(job(&t.app, &id).await.status, "dead");
    let operator = t.operator().await;
    let r = page_session::post(&t, &format!("/admin/jobs/{id}/retry"), &operator, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(job(&t.app, &id).await.status, "queued");
});

/// Another node on the same database: its own connections, its own worker.
async fn node(t: &TestApp, runs: &Runs) -> Worker {
    let db = Db::connect(&t.database_url, t.schema.as_deref()).await.unwrap();
    let search = agora_search::SearchIndex::open(None).unwrap();
    let app = App::new(db, t._dir.path().join("blobs"), Settings::default(), search);
    Worker::new(app, counting(runs), settings())
}

db_test!(every_job_runs_exactly_once_however_many_nodes_claim_it, |t| {
    const JOBS: usize = 60;
    let runs = Runs::default();
    let mut ids = Vec::new();
    for _ in 0..JOBS / 2 {
        ids.push(add(&t.app, COUNTED, 3, now_ms()).await);
    }
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut nodes = Vec::new();
    for _ in 0..3 {
        let worker = node(&t, &runs).await;
        nodes.push(tokio::spawn(worker.run(stopping.clone())));
    }
    // More arrive while the nodes work.
    for _ in 0..JOBS / 2 {
        ids.push(add(&t.app, COUNTED, 3, now_ms()).await);
    }
    let mut done = 0;
    for _ in 0..600 {
        done = count(&t.app, "SELECT COUNT(*) FROM jobs WHERE status = 'done'").await;
        if done == JOBS as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send(true).unwrap();
    for n in nodes {
        n.await.unwrap();
    }
    assert_eq!(done, JOBS as i64, "every job finished");
    let runs = runs.lock().unwrap().clone();
    for id in &ids {
        assert_eq!(runs.get(id), Some(&1), "job {id} ran once");
    }
    assert_eq!(runs.values().sum::<u32>(), JOBS as u32);
    assert_eq!(count(&t.app, "SELECT COUNT(*) FROM jobs WHERE attempts <> 1").await, 0);
    let workers = count(&t.app, "SELECT COUNT(DISTINCT locked_by) FROM jobs").await;
    assert!(workers >= 1, "the nodes shared the work ({workers} took part)");
});

db_test!(
    a_job_whose_node_vanished_is_claimed_again_when_its_lease_runs_out,
    |t| {
        let runs = Runs::default();
        let worker = Worker::new(t.app.clone(), counting(&runs), settings());
        let t0 = now_ms();
        let id = add(&t.app, COUNTED, 3, t0).await;
        let ghost = jobs::claim(&t.app.db, "ghost", &[COUNTED], 10, t0, 1_000)
            .await
            .unwrap();
        assert_eq!(ghost.len(), 1, "a node claims it, then vanishes");
        assert_eq!(worker.run_due(t0 + 999).await.unwrap(), 0, "its lease still holds");
        assert_eq!(worker.run_due(t0 + 1_001).await.unwrap(), 1);
        let done = job(&t.app, &id).await;
        assert_eq!((done.status.as_str(), done.attempts), ("done", 2));
        assert_eq!(runs.lock().unwrap().get(&id), Some(&1));
        // The vanished node comes back: its outcome no longer counts.
        let mut conn = t.app.db.conn().await.unwrap();
        assert!(!jobs::complete(&mut conn, &id, "ghost", t0 + 2_000).await.unwrap());
        assert!(!jobs::fail(&mut conn, &id, "ghost", "late", Some(t0), t0 + 2_000)
            .await
            .unwrap());
        drop(conn);
        assert_eq!(job(&t.app, &id).await.status, "done");

        // A job whose node vanished on its last attempt is given up, not run again.
        let last = add(&t.app, COUNTED, 1, t0).await;
        jobs::claim(&t.app.db, "ghost", &[COUNTED], 10, t0, 1_000)
            .await
            .unwrap();
        assert_eq!(worker.run_due(t0 + 5_000).await.unwrap(), 0);
        let dead = job(&t.app, &last).await;
        assert_eq!(dead.status, "dead");
        assert!(dead.last_error.unwrap().contains("stopped"));
    }
);

db_test!(a_long_job_keeps_its_claim_while_it_runs, |t| {
    let runs = Runs::default();
    let slow = {
        let runs = runs.clone();
        Handlers::new().on(COUNTED, move |_app, job| {
            let runs = runs.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(3_000)).await;
                *runs.lock().unwrap().entry(job.id).or_default() += 1;
                Ok(Outcome::Done)
            }
        })
    };
    // A lease far shorter than the job: only its renewals keep the other node away. The lease is
    // long enough that a renewal delayed by a busy machine still lands in time.
    let short = WorkerSettings {
        lease: Duration::from_millis(1_000),
        ..settings()
    };
    let a = Worker::new(t.app.clone(), slow, short.clone());
    let b = Worker::new(t.app.clone(), counting(&runs), short);
    let id = add(&t.app, COUNTED, 3, now_ms()).await;
    let running = tokio::spawn(async move { a.run_due(now_ms()).await.unwrap() });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut taken_over = 0;
    while !running.is_finished() {
        taken_over += b.run_due(now_ms()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(running.await.unwrap(), 1);
    assert_eq!(taken_over, 0, "no other node claimed the job while it ran");
    let done = job(&t.app, &id).await;
    assert_eq!((done.status.as_str(), done.attempts), ("done", 1));
    assert_eq!(runs.lock().unwrap().get(&id), Some(&1));
});

db_test!(
    the_pruning_job_deletes_ended_rate_limit_windows_and_schedules_its_next_run,
    |t| {
        let window = Settings::default().login_window_ms;
        let mut conn = t.app.db.conn().await.unwrap();
        rate_limits::claim(&mut conn, "login:old", 5, window, now_ms() - window - 1)
            .await
            .unwrap();
        rate_limits::claim(&mut conn, "login:fresh", 5, window, now_ms())
            .await
            .unwrap();
        drop(conn);
        let a = Worker::new(t.app.clone(), job_handlers::standard(), settings());
        let b = Worker::new(t.app.clone(), job_handlers::standard(), settings());
        a.schedule_recurring().await.unwrap();
        b.schedule_recurring().await.unwrap();
        let pending = "SELECT COUNT(*) FROM jobs WHERE kind = 'prune_rate_limits' AND status = 'queued'";
        assert_eq!(count(&t.app, pending).await, 1, "one waiting run, however many nodes");

        assert_eq!(a.run_due(now_ms()).await.unwrap(), 2, "both recurring jobs ran");
        assert_eq!(
            count(&t.app, "SELECT COUNT(*) FROM rate_limits WHERE bucket = 'login:old'").await,
            0
        );
        assert_eq!(
            count(&t.app, "SELECT COUNT(*) FROM rate_limits WHERE bucket = 'login:fresh'").await,
            1
        );
        let done = "SELECT COUNT(*) FROM jobs WHERE kind = 'prune_rate_limits' AND status = 'done'";
        assert_eq!(count(&t.app, done).await, 1);
        assert_eq!(count(&t.app, pending).await, 1, "its next run is scheduled");
        let next = "SELECT run_at FROM jobs WHERE kind = 'prune_rate_limits' AND status = 'queued'";
        assert!(count(&t.app, next).await > now_ms() + 60_000, "and due later");
        b.schedule_recurring().await.unwrap();
        assert_eq!(count(&t.app, pending).await, 1);
        assert_eq!(a.run_due(now_ms()).await.unwrap(), 0, "nothing more is due now");
    }
);

db_test!(two_serving_processes_never_run_one_job_twice, |t| {
    const JOBS: i64 = 30;
    let now = now_ms();
    for i in 0..JOBS {
        // A real kind, so the processes' own handlers run it.
        add(&t.app, "prune_jobs", 3, now + i).await;
    }
    let node = |dir: &std::path::Path| {
        let mut cmd = t.agora(dir);
        cmd.env("AGORA_JOB_POLL_MS", "20").env("AGORA_JOB_CONCURRENCY", "3");
        crate::nodes::Node::start(cmd)
    };
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_a, _b) = (node(dirs.0.path()).await, node(dirs.1.path()).await);
    let done = "SELECT COUNT(*) FROM jobs WHERE dedupe_key IS NULL AND status = 'done'";
    let mut finished = 0;
    for _ in 0..600 {
        finished = count(&t.app, done).await;
        if finished >= JOBS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(finished >= JOBS, "the nodes ran every job ({finished} of {JOBS})");
    // A job runs only when a node claims it, and every claim counts an attempt.
    let twice = "SELECT COUNT(*) FROM jobs WHERE status = 'done' AND attempts <> 1";
    assert_eq!(count(&t.app, twice).await, 0, "no job was claimed twice");
});

db_test!(the_queue_depth_is_published_as_metrics, |t| {
    let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = metrics.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(metrics, agora_http::metrics_router()).await });
    add(&t.app, COUNTED, 3, now_ms() + 3_600_000).await;
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(Worker::new(t.app.clone(), counting(&Runs::default()), settings()).run(stopping));
    let mut text = String::new();
    for _ in 0..100 {
        text = t
            .client
            .get(format!("http://{addr}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains("agora_jobs{status=\"queued\"}") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    worker.await.unwrap();
    for status in ["queued", "running", "done", "dead"] {
        assert!(
            text.contains(&format!("agora_jobs{{status=\"{status}\"}}")),
            "{status} in:\n{text}"
        );
    }
});

db_test!(a_dead_job_is_not_sent_back_while_another_holds_its_key, |t| {
    let worker = Worker::new(t.app.clone(), failing(), settings());
    let keyed = |run_at| NewJob {
        kind: FAILING,
        payload: "{}",
        run_at,
        dedupe_key: Some("order:42"),
        max_attempts: 1,
    };
    let now = now_ms();
    let mut conn = t.app.db.conn().await.unwrap();
    let dead = jobs::enqueue(&mut conn, keyed(now), now).await.unwrap().unwrap();
    drop(conn);
    worker.run_due(now).await.unwrap();
    assert_eq!(job(&t.app, &dead).await.status, "dead");
    let mut conn = t.app.db.conn().await.unwrap();
    let fresh = jobs::enqueue(&mut conn, keyed(now + 60_000), now).await.unwrap();
    drop(conn);
    assert!(fresh.is_some(), "a dead job no longer holds its key");
    let operator = t.operator().await;
    let r = t
        .post(
            &format!("/api/v1/admin/jobs/{dead}/retry"),
            Some(&operator),
            Value::Null,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.problem_type(), "/problems/invalid-transition");
    assert_eq!(job(&t.app, &dead).await.status, "dead");
});
