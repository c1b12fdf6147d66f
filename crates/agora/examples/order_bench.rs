//! Checkout under load (the `bench/order_*.sh` scripts run it).
//!
//! `order_bench DATABASE_URL SCENARIO [N]`, SCENARIO one of:
//! - `contention [RUNS]`: 200 buyers at once each check out 1 unit of a variant with 10 in stock;
//!   a run passes with exactly 10 orders, stock 0 and nothing but clean "out of stock" refusals.
//! - `throughput [ROUNDS]`: checkouts per second with 32 concurrent buyers on distinct products
//!   (3 lines each), against a bare "place order" transaction (an order, 3 lines with conditional
//!   stock decrements and one ledger row) on the same database, phases alternating.
//! - `flash [ROUNDS]`: 32 buyers on 20 hot variants against 32 on distinct variants: throughput
//!   and p99 ratios.
//! - `latency`: p99 checkout latency with 64 concurrent buyers on distinct products.
//!
//! Checkouts run through the application's use cases in-process (`agora_app::orders::checkout`,
//! exactly what `POST /api/v1/checkout` calls, with an `Idempotency-Key`), not over HTTP. The
//! database is filled first with the demo data, bench products and buyers whose carts are ready;
//! only the checkouts (or bare transactions) are timed. Every loop is bounded in count.

use std::time::{Duration, Instant};

use agora_app::idempotency::{Answer, Render, RequestKey, Stored};
use agora_app::orders::checkout::{self, CheckoutInput, Placed};
use agora_app::{Actor, App, AppError, ConflictKind};
use agora_core::address::AddressInput;
use agora_core::product::ProductStatus;
use agora_store::accounts::AccountRow;
use agora_store::products::{ProductRow, VariantRow};
use agora_store::{new_id, now_ms, Db, Engine};
use sqlx::Row;

/// One bench run's database and app, with the shop whose products are sold.
struct Bench {
    app: App,
    shop_id: String,
    /// Bench variants made so far (for unique SKUs).
    made: usize,
    blobs: std::path::PathBuf,
    schema: Option<String>,
}

fn address() -> AddressInput<'static> {
    AddressInput {
        name: "Bea Buyer",
        line1: "Hauptstr. 1",
        line2: None,
        city: "Berlin",
        region: None,
        postal_code: "10115",
        country: "DE",
        phone: None,
    }
}

impl Bench {
    async fn open(url: &str) -> anyhow::Result<Bench> {
        let schema = url
            .starts_with("postgres")
            .then(|| format!("bench_orders_{:08x}", rand::random::<u32>()));
        let db = Db::connect(url, schema.as_deref()).await?;
        db.migrate().await?;
        let blobs = std::env::temp_dir().join(format!("agora-bench-orders-{}", std::process::id()));
        std::fs::create_dir_all(&blobs)?;
        let search = agora_search::SearchIndex::open(None)?;
        let app = App::new(db, blobs.clone(), agora_app::Settings::default(), search);
        agora_app::demo::seed(&app).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        // A demo shop that sells in EUR and ships to Germany.
        let mut conn = app.db.conn().await?;
        let shop_id: String = sqlx::query("SELECT shop_id FROM variants WHERE sku = 'DEMO-001'")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        drop(conn);
        Ok(Bench {
            app,
            shop_id,
            made: 0,
            blobs,
            schema,
        })
    }

    async fn close(self) -> anyhow::Result<()> {
        if let Some(schema) = &self.schema {
            let mut conn = self.app.db.conn().await?;
            agora_store::raw_execute(&mut conn, &format!("DROP SCHEMA \"{schema}\" CASCADE")).await?;
        }
        self.app.db.close().await;
        std::fs::remove_dir_all(&self.blobs).ok();
        Ok(())
    }

    /// `n` new products of one variant each with `stock` units at 10.00 EUR; their variant ids.
    async fn variants(&mut self, n: usize, stock: i64) -> anyhow::Result<Vec<String>> {
        let now = now_ms();
        let mut products = Vec::new();
        let mut variants = Vec::new();
        for _ in 0..n {
            self.made += 1;
            let product_id = new_id("prd");
            products.push(ProductRow {
                id: product_id.clone(),
                shop_id: self.shop_id.clone(),
                title: format!("Bench item {}", self.made),
                description: String::new(),
                description_html: Some(String::new()),
                category: "audio".into(),
                status: ProductStatus::Active,
                attributes: "{}".into(),
                min_order_qty: 1,
                featured: false,
                created_at: now,
                updated_at: now,
            });
            variants.push(VariantRow {
                id: new_id("var"),
                product_id,
                shop_id: self.shop_id.clone(),
                sku: format!("BENCH-{}", self.made),
                gtin: None,
                price_amount: 1000,
                currency: "EUR".into(),
                stock,
                attributes: "{}".into(),
                position: 0,
            });
        }
        let mut tx = self.app.db.begin().await?;
        agora_store::products::insert_products(&mut tx, &products.iter().collect::<Vec<_>>()).await?;
        agora_store::products::insert_variants(&mut tx, &variants.iter().collect::<Vec<_>>()).await?;
        tx.commit().await?;
        Ok(variants.into_iter().map(|v| v.id).collect())
    }

    /// A new buyer whose cart holds one unit of each of `variants`, ready to check out.
    async fn buyers(&self, carts: &[Vec<String>]) -> anyhow::Result<Vec<Actor>> {
        let now = now_ms();
        let mut actors = Vec::new();
        let mut tx = self.app.db.begin().await?;
        for (i, variants) in carts.iter().enumerate() {
            let id = new_id("acc");
            let row = AccountRow {
                id: id.clone(),
                email: format!("{id}@bench.example"),
                name: format!("Bench buyer {i}"),
                kind: "individual".into(),
                password_hash: "never logs in".into(),
                is_operator: false,
                created_at: now,
            };
            agora_store::accounts::insert(&mut tx, &row).await?;
            let cart = new_id("cart");
            sqlx::query("INSERT INTO carts (id, account_id, created_at, updated_at) VALUES ($1, $2, $3, $3)")
                .bind(&cart)
                .bind(&id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            for v in variants {
                sqlx::query(
                    "INSERT INTO cart_lines (id, cart_id, variant_id, quantity, seen_unit_price, currency, added_at) \
                     VALUES ($1, $2, $3, 1, 1000, 'EUR', $4)",
                )
                .bind(new_id("line"))
                .bind(&cart)
                .bind(v)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            actors.push(Actor {
                account_id: id,
                email: row.email,
                name: row.name,
                is_operator: false,
                token_id: "bench".into(),
                company: None,
                default_country: None,
            });
        }
        tx.commit().await?;
        Ok(actors)
    }
}

/// One checkout of the actor's cart, as `POST /api/v1/checkout` runs it.
async fn check_out(app: &App, actor: &Actor) -> Result<Placed, AppError> {
    let raw_key = new_id("key");
    let key = RequestKey::new(&actor.account_id, &raw_key, "POST", "/api/v1/checkout", b"{}")?;
    let render: Render<Placed> = &|placed| {
        Ok(Stored {
            status: 201,
            content_type: Some("application/json".into()),
            body: placed.group_id.clone(),
        })
    };
    let input = CheckoutInput {
        shipping_address: address(),
        payment_method: "card",
        purchase_order: None,
        coupon: None,
        ..Default::default()
    };
    match checkout::checkout(app, actor, input, Some(key.rendered_by(render))).await? {
        Answer::Done(placed) => Ok(placed),
        Answer::Replayed(_) => Err(AppError::Internal(anyhow::anyhow!("a new key replayed"))),
    }
}

fn p99(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[((v.len() * 99).div_ceil(100)).saturating_sub(1).min(v.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A phase's figures: checkouts per second over the phase, and each checkout's latency.
struct Phase {
    rate: f64,
    latencies: Vec<Duration>,
}

/// Each group of buyers checks out its carts one after the other, all groups at once.
async fn run_checkouts(app: &App, groups: Vec<Vec<Actor>>) -> anyhow::Result<Phase> {
    let started = Instant::now();
    let tasks: Vec<_> = groups
        .into_iter()
        .map(|group| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for actor in group {
                    let t = Instant::now();
                    check_out(&app, &actor)
                        .await
                        .map_err(|e| anyhow::anyhow!("checkout failed: {e:?}"))?;
                    latencies.push(t.elapsed());
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    Ok(Phase { rate, latencies })
}

/// Prepares `buyers × per_buyer` carts: buyer `b`'s carts hold the variants `lines(b, i)`.
async fn prepare(
    bench: &Bench,
    buyers: usize,
    per_buyer: usize,
    lines: impl Fn(usize, usize) -> Vec<String>,
) -> anyhow::Result<Vec<Vec<Actor>>> {
    let mut groups = Vec::new();
    for b in 0..buyers {
        let carts: Vec<Vec<String>> = (0..per_buyer).map(|i| lines(b, i)).collect();
        groups.push(bench.buyers(&carts).await?);
    }
    Ok(groups)
}

// ---- The bare "place order" transaction ----

const BARE_SCHEMA: [&str; 4] = [
    "CREATE TABLE bench_stock (id TEXT PRIMARY KEY, stock BIGINT NOT NULL)",
    "CREATE TABLE bench_orders (id TEXT PRIMARY KEY, buyer TEXT NOT NULL, total BIGINT NOT NULL, created_at BIGINT NOT NULL)",
    "CREATE TABLE bench_order_lines (order_id TEXT NOT NULL, position BIGINT NOT NULL, variant_id TEXT NOT NULL, \
     quantity BIGINT NOT NULL, unit_price BIGINT NOT NULL, PRIMARY KEY (order_id, position))",
    "CREATE TABLE bench_ledger (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, amount BIGINT NOT NULL, at BIGINT NOT NULL)",
];

async fn bare_setup(app: &App, buyers: usize) -> anyhow::Result<()> {
    let mut tx = app.db.begin().await?;
    for s in BARE_SCHEMA {
        agora_store::raw_execute(&mut tx, s).await?;
    }
    for b in 0..buyers {
        for l in 0..3 {
            sqlx::query("INSERT INTO bench_stock (id, stock) VALUES ($1, 1000000000)")
                .bind(format!("s{b}-{l}"))
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// An order of 3 lines, each taking one unit only if there is one, and a ledger row.
async fn bare_order(app: &App, buyer: usize) -> anyhow::Result<()> {
    let now = now_ms();
    let order = new_id("ord");
    let mut tx = app.db.begin().await?;
    sqlx::query("INSERT INTO bench_orders (id, buyer, total, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&order)
        .bind(format!("b{buyer}"))
        .bind(3000i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    for l in 0..3i64 {
        let variant = format!("s{buyer}-{l}");
        let taken = sqlx::query("UPDATE bench_stock SET stock = stock - $1 WHERE id = $2 AND stock >= $1")
            .bind(1i64)
            .bind(&variant)
            .execute(&mut *tx)
            .await?;
        anyhow::ensure!(taken.rows_affected() == 1, "bare stock ran out");
        sqlx::query(
            "INSERT INTO bench_order_lines (order_id, position, variant_id, quantity, unit_price) VALUES ($1, $2, $3, 1, 1000)",
        )
        .bind(&order)
        .bind(l)
        .bind(&variant)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("INSERT INTO bench_ledger (id, order_id, amount, at) VALUES ($1, $2, $3, $4)")
        .bind(new_id("led"))
        .bind(&order)
        .bind(3000i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn run_bare(app: &App, buyers: usize, per_buyer: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..buyers)
        .map(|b| {
            let app = app.clone();
            tokio::spawn(async move {
                for _ in 0..per_buyer {
                    bare_order(&app, b).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    Ok((buyers * per_buyer) as f64 / started.elapsed().as_secs_f64())
}

// ---- Scenarios ----

async fn contention(bench: &mut Bench, runs: usize) -> anyhow::Result<bool> {
    const BUYERS: usize = 200;
    const STOCK: i64 = 10;
    println!("{BUYERS} buyers at once for 1 unit each of a variant with {STOCK} in stock, {runs} runs");
    let mut all_pass = true;
    for run in 1..=runs {
        let variant = bench.variants(1, STOCK).await?.remove(0);
        let carts = vec![vec![variant.clone()]; BUYERS];
        let buyers = bench.buyers(&carts).await?;
        let started = Instant::now();
        let tasks: Vec<_> = buyers
            .into_iter()
            .map(|actor| {
                let app = bench.app.clone();
                tokio::spawn(async move { check_out(&app, &actor).await })
            })
            .collect();
        let (mut won, mut sold_out, mut other) = (0, 0, Vec::new());
        for t in tasks {
            match t.await? {
                Ok(_) => won += 1,
                Err(AppError::Conflict {
                    kind: ConflictKind::OutOfStock,
                    ..
                }) => sold_out += 1,
                Err(e) => other.push(e.to_string()),
            }
        }
        let elapsed = started.elapsed();
        let mut conn = bench.app.db.conn().await?;
        let stock: i64 = sqlx::query("SELECT stock FROM variants WHERE id = $1")
            .bind(&variant)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let orders: i64 = sqlx::query("SELECT COUNT(DISTINCT order_id) FROM order_lines WHERE variant_id = $1")
            .bind(&variant)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let pass = won == 10 && orders == 10 && stock == 0 && other.is_empty() && sold_out == BUYERS - 10;
        all_pass &= pass;
        println!(
            "run {run}: {} — {won} checkouts placed, {orders} orders, stock {stock}, {sold_out} clean 409 out-of-stock, \
             {} other errors{} ({:.0} ms)",
            if pass { "PASS" } else { "FAIL" },
            other.len(),
            other.first().map(|e| format!(" (first: {e})")).unwrap_or_default(),
            ms(elapsed)
        );
    }
    println!("contention: {}", if all_pass { "every run passed" } else { "FAILED" });
    Ok(all_pass)
}

/// Checkouts per buyer per phase: enough for a few seconds at the rates these machines reach
/// (`ORDER_BENCH_PER_BUYER` sets another count, e.g. to profile a longer phase).
fn per_buyer(engine: Engine) -> usize {
    if let Some(n) = std::env::var("ORDER_BENCH_PER_BUYER").ok().and_then(|n| n.parse().ok()) {
        return n;
    }
    match engine {
        Engine::Sqlite => 40,
        Engine::Postgres => 25,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn throughput(bench: &mut Bench, rounds: usize) -> anyhow::Result<()> {
    const BUYERS: usize = 32;
    let per = per_buyer(bench.app.db.engine());
    let products = bench.variants(BUYERS * 3, 1_000_000_000).await?;
    bare_setup(&bench.app, BUYERS).await?;
    println!(
        "{BUYERS} concurrent buyers on distinct products, 3 lines per checkout, {per} checkouts per buyer per phase, \
         {rounds} rounds (checkouts in-process through agora_app's use case)"
    );
    let lines = |b: usize, _| products[b * 3..b * 3 + 3].to_vec();
    // Warm-up: one phase of each.
    let warm = prepare(bench, BUYERS, 5, lines).await?;
    run_checkouts(&bench.app, warm).await?;
    run_bare(&bench.app, BUYERS, 5).await?;
    let (mut apps, mut bares, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let groups = prepare(bench, BUYERS, per, lines).await?;
        let bare = run_bare(&bench.app, BUYERS, per).await?;
        let app = run_checkouts(&bench.app, groups).await?.rate;
        println!(
            "round {round}: bare place-order {bare:.0}/s, app checkout {app:.0}/s, ratio {:.2}x",
            app / bare
        );
        apps.push(app);
        bares.push(bare);
        ratios.push(app / bare);
    }
    println!(
        "throughput: bare {:.0}/s, checkout {:.0}/s (medians); checkout / bare = {:.2}x (median of the rounds' ratios)",
        median(bares),
        median(apps),
        median(ratios)
    );
    Ok(())
}

async fn flash(bench: &mut Bench, rounds: usize) -> anyhow::Result<()> {
    const BUYERS: usize = 32;
    const HOT: usize = 20;
    let per = per_buyer(bench.app.db.engine());
    let hot = bench.variants(HOT, 1_000_000_000).await?;
    let distinct = bench.variants(BUYERS * 3, 1_000_000_000).await?;
    println!(
        "{BUYERS} buyers on {HOT} hot variants vs {BUYERS} on distinct variants, 3 lines per checkout, \
         {per} checkouts per buyer per phase, {rounds} rounds"
    );
    // Each hot cart takes 3 different hot variants, so every pair of buyers meets on some.
    let hot_lines = |b: usize, i: usize| (0..3).map(|k| hot[(b + i + k * 7) % HOT].clone()).collect();
    let distinct_lines = |b: usize, _| distinct[b * 3..b * 3 + 3].to_vec();
    let warm = prepare(bench, BUYERS, 5, distinct_lines).await?;
    run_checkouts(&bench.app, warm).await?;
    let (mut rate_ratios, mut p99_ratios) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let d = prepare(bench, BUYERS, per, distinct_lines).await?;
        let h = prepare(bench, BUYERS, per, hot_lines).await?;
        let d = run_checkouts(&bench.app, d).await?;
        let h = run_checkouts(&bench.app, h).await?;
        let (dp, hp) = (p99(d.latencies), p99(h.latencies));
        println!(
            "round {round}: distinct {:.0}/s p99 {:.1} ms; hot {:.0}/s p99 {:.1} ms; throughput hot/distinct {:.2}x, p99 hot/distinct {:.2}x",
            d.rate,
            ms(dp),
            h.rate,
            ms(hp),
            h.rate / d.rate,
            ms(hp) / ms(dp)
        );
        rate_ratios.push(h.rate / d.rate);
        p99_ratios.push(ms(hp) / ms(dp));
    }
    println!(
        "flash sale: throughput hot/distinct {:.2}x (goal >= 0.5x), p99 hot/distinct {:.2}x (goal <= 5x) (medians of the rounds)",
        median(rate_ratios),
        median(p99_ratios)
    );
    Ok(())
}

async fn latency(bench: &mut Bench) -> anyhow::Result<()> {
    const BUYERS: usize = 64;
    let per = per_buyer(bench.app.db.engine());
    let products = bench.variants(BUYERS * 3, 1_000_000_000).await?;
    let lines = |b: usize, _| products[b * 3..b * 3 + 3].to_vec();
    println!("{BUYERS} concurrent buyers on distinct products, 3 lines per checkout, {per} checkouts each");
    let warm = prepare(bench, BUYERS, 3, lines).await?;
    run_checkouts(&bench.app, warm).await?;
    // One buyer alone first: a checkout's own time, with nobody to wait for.
    let alone = prepare(bench, 1, per * 2, lines).await?;
    let alone = run_checkouts(&bench.app, alone).await?;
    let mut sorted = alone.latencies.clone();
    sorted.sort();
    println!(
        "one buyer alone: {} checkouts at {:.0}/s; p50 {:.1} ms, p99 {:.1} ms",
        sorted.len(),
        alone.rate,
        ms(sorted[sorted.len() / 2]),
        ms(p99(alone.latencies))
    );
    let groups = prepare(bench, BUYERS, per, lines).await?;
    let phase = run_checkouts(&bench.app, groups).await?;
    let mut sorted = phase.latencies.clone();
    sorted.sort();
    let p50 = sorted[sorted.len() / 2];
    let worst = *sorted.last().unwrap_or(&Duration::ZERO);
    println!(
        "latency: {} checkouts at {:.0}/s; p50 {:.1} ms, p99 {:.1} ms (goal < 50 ms), max {:.1} ms",
        phase.latencies.len(),
        phase.rate,
        ms(p50),
        ms(p99(phase.latencies)),
        ms(worst)
    );
    // Each buyer starts its next checkout as soon as one ends, so the buyers wait on average
    // BUYERS / rate (Little's law): at 64 buyers the p99 goal is, in effect, a throughput goal.
    println!(
        "{BUYERS} buyers / {:.0} checkouts/s = {:.1} ms mean latency by Little's law ({:.0}/s would make it 50 ms)",
        phase.rate,
        BUYERS as f64 / phase.rate * 1000.0,
        BUYERS as f64 / 0.05
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: order_bench DATABASE_URL contention|throughput|flash|latency [N]";
    let url = args.get(1).ok_or_else(|| anyhow::anyhow!(usage))?;
    let scenario = args.get(2).ok_or_else(|| anyhow::anyhow!(usage))?.clone();
    let n: Option<usize> = args.get(3).map(|s| s.parse()).transpose()?;
    let mut bench = Bench::open(url).await?;
    println!("== {scenario} on {} ==", bench.app.db.engine().name());
    let mut ok = true;
    match scenario.as_str() {
        "contention" => ok = contention(&mut bench, n.unwrap_or(5)).await?,
        "throughput" => throughput(&mut bench, n.unwrap_or(3)).await?,
        "flash" => flash(&mut bench, n.unwrap_or(3)).await?,
        "latency" => latency(&mut bench).await?,
        _ => anyhow::bail!(usage),
    }
    bench.close().await?;
    anyhow::ensure!(ok, "a contention run failed");
    Ok(())
}
