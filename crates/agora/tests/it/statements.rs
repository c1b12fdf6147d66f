//! How many SQL statements one checkout issues: counted through the driver's own statement log
//! (sqlx reports every statement it runs as a `tracing` event with the target `sqlx::query`).
//! And, since the checkout takes all its stock in one statement, that checkouts sharing variants
//! never deadlock whatever the order of their carts.
//!
//! The count is deterministic: the test runs the checkout in-process on a runtime of its own, and
//! counts only the statements run on the threads that carry the checkout's connections (on
//! SQLite the worker threads of the writer and of the reading connections, on PostgreSQL the
//! test's own thread), so the tests running beside it in this binary add nothing.
//!
//! The goal is at most 20 statements for a 3-line, one-shop checkout with an `Idempotency-Key`.
//! Both figures include the `COMMIT` (on SQLite the checkout's `BEGIN` too, sent in its strings);
//! the writes that PostgreSQL makes one statement are separate statements on SQLite, sent as one
//! string (see the store's batch), so SQLite counts more.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;

use agora_app::cart::{self, CartOf};
use agora_app::idempotency::{Render, RequestKey, Stored};
use agora_app::orders::checkout::{self, CheckoutInput, Placed};
use agora_app::{Actor, App, Settings};
use agora_core::address::AddressInput;
use agora_store::accounts::AccountRow;
use agora_store::carts::Owner;
use agora_store::Db;
use rand::Rng;
use sqlx::Row;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// The most statements a 3-line, one-shop checkout may issue, by engine: what it issues today,
/// so that a change that adds one fails here (the goal is at most 20). Read before the writing
/// transaction: the cart with its lines (1), the price rules of all lines (1), the tax rates (1),
/// the shop's price mode and shipping rates (1). Then written, in a first step sent at once (see
/// the store's checkout): the idempotency claim, the cart emptied answering the lines it held,
/// the stock of all lines and the audit entry's place reserved: on SQLite 4 statements in one
/// string, counted here one by one; on PostgreSQL 1 statement of `WITH` queries. Then, sent at
/// once (see the store's batch), the order group, the order, its lines, its first event, the stock
/// movements, the reservation's expiry and confirmation email jobs, the checkout's one payment (a
/// card payment posts nothing to the ledger until the gateway settles it), the response kept with
/// the key, the audit entry and its chain's new head: on SQLite 10 statements in one string; on
/// PostgreSQL 1 statement. And the COMMIT: on PostgreSQL on its own, on SQLite at the end of that
/// string, whose `BEGIN` opens the first step's string (counted here too; sqlx's own `BEGIN` on
/// PostgreSQL is not logged).
const MOST_ON_SQLITE: usize = 20;
const MOST_ON_POSTGRES: usize = 7;

/// How many connections SQLite's pool opens for reading at most.
pub(crate) const READING_CONNECTIONS: usize = 8;

/// One statement the driver reported: on which thread, and its SQL.
struct Statement {
    thread: ThreadId,
    sql: String,
}

static ARMED: AtomicBool = AtomicBool::new(false);
static SEEN: Mutex<Vec<Statement>> = Mutex::new(Vec::new());

/// Records sqlx's statement events while [`ARMED`]; asks for nothing else.
struct StatementLog;

/// The statement's SQL: sqlx gives its summary, and the whole text when it is longer.
#[derive(Default)]
struct SqlField {
    summary: String,
    statement: String,
}

impl SqlField {
    fn keep(&mut self, field: &Field, value: String) {
        match field.name() {
            "summary" => self.summary = value,
            "db.statement" => self.statement = value,
            _ => {}
        }
    }

    fn sql(self) -> String {
        if self.statement.trim().is_empty() {
            self.summary
        } else {
            self.statement
        }
    }
}

impl Visit for SqlField {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.keep(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.keep(field, format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber> Layer<S> for StatementLog {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if metadata.target() == "sqlx::query" {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        metadata.target() == "sqlx::query" && ARMED.load(Ordering::SeqCst)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut sql = SqlField::default();
        event.record(&mut sql);
        SEEN.lock().unwrap().push(Statement {
            thread: std::thread::current().id(),
            sql: sql.sql(),
        });
    }
}

/// Installs the statement log as the process's subscriber (once: tests share the process).
pub(crate) fn install() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(StatementLog);
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        tracing::callsite::rebuild_interest_cache();
    });
}

/// Runs `body` with statements recorded, and returns those it ran on the threads that carry the
/// connections it may use (found by running the statement `marker` on each of them first, see
/// [`mark_connections`]).
///
/// On SQLite a connection's thread may log a statement after its caller has moved on (a query
/// that wanted one row has its answer before the statement has finished and been logged), so
/// after `body` the marker runs once more on every connection: each thread has then logged all
/// it ran before. Those markers are left out of the count.
pub(crate) async fn statements_of<F>(app: &App, marker: &str, body: F) -> Vec<String>
where
    F: std::future::Future<Output = ()>,
{
    // Only one counting test records at a time.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    SEEN.lock().unwrap().clear();
    ARMED.store(true, Ordering::SeqCst);
    tracing::callsite::rebuild_interest_cache();
    mark_connections(app, marker).await;
    let start = SEEN.lock().unwrap().len();
    body.await;
    if app.db.engine() == agora_store::Engine::Sqlite {
        mark_connections(app, marker).await;
    }
    ARMED.store(false, Ordering::SeqCst);
    let seen = std::mem::take(&mut *SEEN.lock().unwrap());
    let threads: Vec<ThreadId> = seen[..start]
        .iter()
        .filter(|s| s.sql.contains(marker))
        .map(|s| s.thread)
        .collect();
    assert!(!threads.is_empty(), "the driver logged the marker statement");
    // A string of several statements sent at once (SQLite's batches) counts as each of them.
    seen.into_iter()
        .skip(start)
        .filter(|s| threads.contains(&s.thread) && !s.sql.contains(marker))
        .flat_map(|s| s.sql.split("; ").map(str::to_owned).collect::<Vec<_>>())
        .filter(|s| !is_housekeeping(s))
        .collect()
}

/// Whether a statement is none of the counted work's own: SQLite's background checkpoint, or the
/// set-up a connection runs once when the pool opens it (which may happen during any request).
fn is_housekeeping(statement: &str) -> bool {
    // The driver's log may lay a statement out over several lines.
    let s = statement.trim_start();
    s.contains("wal_checkpoint")
        || s.starts_with("CREATE SCHEMA IF NOT EXISTS")
        || s.starts_with("SET search_path")
        || s.starts_with("PRAGMA")
}

async fn buyer(app: &App) -> Actor {
    buyer_numbered(app, 0).await
}

async fn buyer_numbered(app: &App, n: usize) -> Actor {
    let id = agora_store::new_id("acc");
    let row = AccountRow {
        id: id.clone(),
        email: format!("counted.buyer{n}@example.com"),
        name: "Counted Buyer".into(),
        kind: "individual".into(),
        password_hash: "not a hash: this account never logs in".into(),
        is_operator: false,
        created_at: agora_store::now_ms(),
    };
    let mut tx = app.db.begin().await.unwrap();
    agora_store::accounts::insert(&mut tx, &row).await.unwrap();
    tx.commit().await.unwrap();
    Actor {
        account_id: id,
        email: row.email,
        name: row.name,
        is_operator: false,
        token_id: "counted".into(),
        company: None,
        default_country: None,
    }
}

/// Three variants of one demo shop, in stock and sold one at a time.
async fn three_variants(app: &App) -> Vec<String> {
    let mut conn = app.db.conn().await.unwrap();
    let rows = sqlx::query(
        "SELECT v.id, v.shop_id FROM variants v JOIN products p ON p.id = v.product_id \
         WHERE p.min_order_qty <= 1 AND v.stock >= 5 ORDER BY v.shop_id, v.id",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut by_shop: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for r in &rows {
        by_shop.entry(r.get(1)).or_default().push(r.get(0));
    }
    let mut ids = by_shop
        .into_values()
        .find(|v| v.len() >= 3)
        .expect("a demo shop with three products");
    ids.truncate(3);
    ids
}

/// A demo marketplace in process on a fresh database (no outbox follower, so that nothing runs
/// beside what is counted), with the folder it lives in and its PostgreSQL schema.
pub(crate) async fn demo_app(engine: crate::support::Engine) -> (App, tempfile::TempDir, Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let (url, schema) = match engine {
        crate::support::Engine::Sqlite => (format!("sqlite://{}", dir.path().join("agora.db").display()), None),
        crate::support::Engine::Postgres => (
            std::env::var("AGORA_TEST_POSTGRES_URL").expect("AGORA_TEST_POSTGRES_URL"),
            Some(format!("t_{:016x}", rand::thread_rng().gen::<u64>())),
        ),
    };
    let db = Db::connect(&url, schema.as_deref()).await.unwrap();
    db.migrate().await.unwrap();
    let search = agora_search::SearchIndex::open(None).unwrap();
    let app = App::new(db, dir.path().join("blobs"), Settings::default(), search);
    agora_app::demo::seed(&app).await.unwrap();
    (app, dir, schema)
}

/// Runs `marker` on the writer and, on SQLite, on every reading connection the pool has (where
/// each connection has a worker thread of its own; on PostgreSQL they all run on this thread).
async fn mark_connections(app: &App, marker: &str) {
    let sqlite = matches!(app.db.engine(), agora_store::Engine::Sqlite);
    let mut tx = app.db.begin().await.unwrap();
    agora_store::raw_execute(&mut tx, marker).await.unwrap();
    tx.commit().await.unwrap();
    let mut readers = Vec::new();
    for _ in 0..if sqlite { READING_CONNECTIONS } else { 0 } {
        readers.push(app.db.conn().await.unwrap());
    }
    for conn in &mut readers {
        agora_store::raw_execute(conn, marker).await.unwrap();
    }
}

/// The statements of a 3-line, one-shop checkout with a key, on a fresh node (the shop's terms
/// and tax rates not yet held), then of a second one (they are held).
async fn count_checkout(engine: crate::support::Engine) -> (Vec<String>, Vec<String>) {
    install();
    let (app, _dir, schema) = demo_app(engine).await;
    let actor = buyer(&app).await;
    let variants = three_variants(&app).await;
    let mut counted = Vec::new();
    for round in 1..=2 {
        for v in &variants {
            cart::add(&app, CartOf::Buyer(&actor), v, 1).await.unwrap();
        }
        counted.push(counted_checkout(&app, &actor, &format!("count-{round}")).await);
    }
    if let Some(schema) = schema {
        let mut conn = app.db.conn().await.unwrap();
        agora_store::raw_execute(&mut conn, &format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .await
            .ok();
    }
    let warm = counted.pop().unwrap();
    (counted.pop().unwrap(), warm)
}

async fn counted_checkout(app: &App, actor: &agora_app::Actor, key: &str) -> Vec<String> {
    let key = RequestKey::new(&actor.account_id, key, "POST", "/api/v1/checkout", b"{}").unwrap();
    let render: Render<Placed> = &|placed| {
        Ok(Stored {
            status: 201,
            content_type: Some("application/json".into()),
            body: placed.group_id.clone(),
        })
    };
    let input = CheckoutInput {
        shipping_address: AddressInput {
            name: "Bea Buyer",
            line1: "Hauptstr. 1",
            line2: None,
            city: "Berlin",
            region: None,
            postal_code: "10115",
            country: "DE",
            phone: None,
        },
        payment_method: "card",
        purchase_order: None,
        coupon: None,
        ..Default::default()
    };
    let marker = format!("SELECT 'statement count {}'", rand::thread_rng().gen::<u32>());
    // The checkout reads on a pooled reading connection and writes on the writer.
    statements_of(app, &marker, async {
        let placed = checkout::checkout(app, actor, input, Some(key.rendered_by(render)))
            .await
            .unwrap();
        match placed {
            agora_app::idempotency::Answer::Done(p) => {
                assert_eq!(p.orders.len(), 1);
                assert_eq!(p.orders[0].lines.len(), 3);
            }
            other => panic!("a checkout runs: {other:?}"),
        }
    })
    .await
}

pub(crate) fn report(engine: &str, statements: &[String]) -> String {
    let mut out = format!("{} statements on {engine}:\n", statements.len());
    for s in statements {
        out += &format!("  {}\n", s.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    out
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    // One thread: every task of the test, and on PostgreSQL its connections' I/O, runs here.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

mod a_three_line_checkout_issues_few_statements {
    use super::*;

    /// The first checkout within the limit; the next one reads neither the shop's terms nor the
    /// tax rates again (held in process, see `agora_app::checkout_terms`).
    fn check(engine: &str, most: usize, (first, next): (Vec<String>, Vec<String>)) {
        let count = first.len();
        let (first, next) = (report(engine, &first), report(engine, &next));
        println!("first checkout: {first}next checkout: {next}");
        assert!(count <= most, "{first}");
        for read in ["FROM tax_rates", "FROM shipping_rates"] {
            assert!(first.contains(read), "the first checkout reads {read}: {first}");
            assert!(!next.contains(read), "the next checkout reads {read} again: {next}");
        }
    }

    #[test]
    fn sqlite() {
        let counted = runtime().block_on(count_checkout(crate::support::Engine::Sqlite));
        check("SQLite", MOST_ON_SQLITE, counted);
    }

    #[test]
    #[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
    fn postgres() {
        let counted = runtime().block_on(count_checkout(crate::support::Engine::Postgres));
        check("PostgreSQL", MOST_ON_POSTGRES, counted);
    }
}

/// Checkouts that share variants, each cart holding them in another order, all succeed: the
/// stock is taken in one order whatever the cart's, so PostgreSQL never finds a deadlock.
async fn crossing_checkouts(engine: crate::support::Engine) {
    let dir = tempfile::tempdir().unwrap();
    let (url, schema) = match engine {
        crate::support::Engine::Sqlite => (format!("sqlite://{}", dir.path().join("agora.db").display()), None),
        crate::support::Engine::Postgres => (
            std::env::var("AGORA_TEST_POSTGRES_URL").expect("AGORA_TEST_POSTGRES_URL"),
            Some(format!("t_{:016x}", rand::thread_rng().gen::<u64>())),
        ),
    };
    let db = Db::connect(&url, schema.as_deref()).await.unwrap();
    db.migrate().await.unwrap();
    let search = agora_search::SearchIndex::open(None).unwrap();
    let app = App::new(db, dir.path().join("blobs"), Settings::default(), search);
    agora_app::demo::seed(&app).await.unwrap();
    let variants = three_variants(&app).await;
    sqlx::query("UPDATE variants SET stock = 1000")
        .execute(&mut *app.db.conn().await.unwrap())
        .await
        .unwrap();
    const BUYERS: usize = 32;
    const ROUNDS: usize = 4;
    for round in 0..ROUNDS {
        let mut buyers = Vec::new();
        for i in 0..BUYERS {
            let actor = buyer_numbered(&app, round * BUYERS + i).await;
            // Each cart holds the three variants in another of their six orders (lines are
            // listed by the moment they were added).
            let order: [usize; 3] = [[0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1], [2, 0, 1], [1, 0, 2]][i % 6];
            let mut tx = app.db.begin().await.unwrap();
            let cart = agora_store::carts::find_or_create(&mut tx, Owner::Account(&actor.account_id), 0)
                .await
                .unwrap();
            for (at, k) in order.into_iter().enumerate() {
                let line = agora_store::carts::NewLine {
                    cart_id: &cart,
                    variant_id: &variants[k],
                    quantity: 1,
                    seen_unit_price: 0,
                    currency: "EUR",
                    now: at as i64,
                };
                agora_store::carts::add_units(&mut tx, &line).await.unwrap();
            }
            tx.commit().await.unwrap();
            buyers.push(actor);
        }
        let tasks = buyers.into_iter().map(|actor| {
            let app = app.clone();
            tokio::spawn(async move {
                let input = CheckoutInput {
                    shipping_address: AddressInput {
                        name: "Bea Buyer",
                        line1: "Hauptstr. 1",
                        line2: None,
                        city: "Berlin",
                        region: None,
                        postal_code: "10115",
                        country: "DE",
                        phone: None,
                    },
                    payment_method: "card",
                    purchase_order: None,
                    coupon: None,
                    ..Default::default()
                };
                checkout::checkout(&app, &actor, input, None).await.map(|_| ())
            })
        });
        for r in futures::future::join_all(tasks).await {
            r.unwrap().expect("every crossing checkout is placed");
        }
    }
    let mut conn = app.db.conn().await.unwrap();
    for v in &variants {
        let stock: i64 = sqlx::query("SELECT stock FROM variants WHERE id = $1")
            .bind(v)
            .fetch_one(&mut *conn)
            .await
            .unwrap()
            .get(0);
        assert_eq!(stock, 1000 - (BUYERS * ROUNDS) as i64);
    }
    drop(conn);
    if let Some(schema) = schema {
        let mut conn = app.db.conn().await.unwrap();
        agora_store::raw_execute(&mut conn, &format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .await
            .ok();
    }
}

mod checkouts_crossing_on_the_same_variants_never_deadlock {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        super::crossing_checkouts(crate::support::Engine::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    #[cfg_attr(not(agora_pg), ignore = "set AGORA_TEST_POSTGRES_URL to run on PostgreSQL")]
    async fn postgres() {
        super::crossing_checkouts(crate::support::Engine::Postgres).await;
    }
}
