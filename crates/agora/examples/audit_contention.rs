//! Measures what the audit append costs concurrent writers (`bench/audit_contention.sh` runs it).
//!
//! `audit_contention POSTGRES_URL [SECONDS_PER_PHASE] [ROUNDS]`
//!
//! Fills a fresh schema with the demo data, then has 32 tasks update 32 different products as
//! fast as they can, each update one transaction: the product row, its outbox event and, by
//! phase, no audit entry ("bare"), an entry in the subject's chain ("chains", what the platform
//! does), or an entry in one shared chain ("one chain", the single head row of before). Phases
//! alternate within each round, so every ratio compares rates measured side by side.

use std::time::{Duration, Instant};

use agora_app::App;
use agora_core::audit::AuditAction;
use agora_core::events::Event;
use agora_store::audit::Record;
use agora_store::products::ProductChanges;
use agora_store::{now_ms, outbox, Db};
use rand::Rng;
use sqlx::Row;

const WRITERS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Bare,
    Chains,
    OneChain,
}

const MODES: [Mode; 3] = [Mode::Bare, Mode::Chains, Mode::OneChain];

async fn update(app: &App, product: &str, mode: Mode, n: u64) -> anyhow::Result<()> {
    let mut tx = app.db.begin().await?;
    let now = now_ms();
    let title = format!("Bench title {n}");
    let changes = ProductChanges {
        title: Some(title.clone()),
        ..ProductChanges::default()
    };
    agora_store::products::update(&mut tx, product, &changes, now).await?;
    let data = serde_json::json!({ "title": title });
    match mode {
        Mode::Bare => {}
        Mode::Chains => {
            agora_app::audit::record(&mut tx, None, AuditAction::ProductUpdated, product, data)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Mode::OneChain => {
            let record = Record {
                at_ms: now,
                actor: None,
                action: AuditAction::ProductUpdated.as_str(),
                subject: product,
                data: &data.to_string(),
            };
            agora_store::audit::append(&mut tx, 0, record).await?;
        }
    }
    let event = Event::ProductChanged {
        product_id: product.to_owned(),
    };
    outbox::publish(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Updates per second with every writer busy for `length`.
async fn phase(app: &App, products: &[String], mode: Mode, length: Duration) -> anyhow::Result<f64> {
    let started = Instant::now();
    let deadline = started + length;
    let tasks: Vec<_> = products
        .iter()
        .cloned()
        .map(|product| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    update(&app, &product, mode, n).await?;
                    n += 1;
                }
                anyhow::Ok(n)
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .ok_or_else(|| anyhow::anyhow!("usage: audit_contention POSTGRES_URL [SECONDS] [ROUNDS]"))?;
    let seconds: f64 = args.get(2).map_or(Ok(4.0), |s| s.parse())?;
    let rounds: usize = args.get(3).map_or(Ok(5), |s| s.parse())?;
    let schema = format!("bench_audit_{:08x}", rand::thread_rng().gen::<u32>());
    let db = Db::connect(url, Some(&schema)).await?;
    db.migrate().await?;
    let blobs = tempfile_dir()?;
    let search = agora_search::SearchIndex::open(None)?;
    let app = App::new(db, blobs.clone(), agora_app::Settings::default(), search);
    agora_app::demo::seed(&app).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut conn = app.db.conn().await?;
    let products: Vec<String> = sqlx::query("SELECT id FROM products ORDER BY id LIMIT $1")
        .bind(WRITERS as i64)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    drop(conn);
    anyhow::ensure!(products.len() == WRITERS, "the demo has fewer than {WRITERS} products");
    println!("{WRITERS} writers updating {WRITERS} products on PostgreSQL, {rounds} rounds of {seconds} s per phase");
    let length = Duration::from_secs_f64(seconds);
    phase(&app, &products, Mode::Chains, Duration::from_secs(1)).await?; // warm-up
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); MODES.len()];
    for round in 1..=rounds {
        let mut line = format!("round {round}:");
        for (i, mode) in MODES.iter().enumerate() {
            let rate = phase(&app, &products, *mode, length).await?;
            rates[i].push(rate);
            line += &format!("  {mode:?} {rate:.0}/s");
        }
        println!("{line}");
    }
    let [bare, chains, one] = [0, 1, 2].map(|i| median(rates[i].clone()));
    let ratio = |i: usize| median(rates[i].iter().zip(&rates[0]).map(|(r, b)| r / b).collect());
    println!("median updates/s: bare {bare:.0}, audit in the subject's chain {chains:.0}, audit in one shared chain {one:.0}");
    println!(
        "with the audit append (chains) / without: {:.2}x (median of the rounds' ratios)",
        ratio(1)
    );
    println!(
        "with one shared chain (the old single head) / without: {:.2}x (median of the rounds' ratios)",
        ratio(2)
    );
    let mut conn = app.db.conn().await?;
    agora_store::raw_execute(&mut conn, &format!("DROP SCHEMA \"{schema}\" CASCADE")).await?;
    std::fs::remove_dir_all(&blobs).ok();
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("agora-bench-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
