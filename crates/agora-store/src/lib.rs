//! Agora's storage: one schema and one set of queries for SQLite and PostgreSQL.
//!
//! Queries are written once, with `$n` placeholders and portable types (TEXT ids and JSON, integer
//! money and Unix-millisecond times). What differs between the engines lives in [`dialect`].
//! Functions take a `&mut AnyConnection`, so the caller decides whether they run inside a
//! transaction.

pub mod accounts;
pub mod addresses;
pub mod audit;
pub mod batch;
pub mod blobs;
pub mod carts;
pub mod catalog;
pub mod catalog_import;
pub mod categories;
pub mod checkout;
pub mod companies;
pub mod contracts;
pub mod conversations;
pub mod coupons;
mod dialect;
pub mod gateway;
pub mod idempotency;
pub mod invitations;
pub mod jobs;
pub mod ledger;
mod migrate;
pub mod negotiations;
pub mod nodes;
pub mod orders;
pub mod outbox;
pub mod payments;
pub mod payouts;
pub mod product_imports;
pub mod products;
pub mod qualifications;
pub mod rate_limits;
pub mod rfqs;
pub mod search_feed;
pub mod seller_home;
pub mod shipping_methods;
pub mod shop_ratings;
pub mod shops;
pub mod statement_lines;
pub mod tokens;
mod tx;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngCore;
use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool};
use tokio::sync::watch;

pub use dialect::{is_busy, is_unique_violation, Engine};
pub use sqlx::AnyConnection as Conn;
pub use sqlx::Error as DbError;
pub use tx::Tx;

/// The database: a pool of connections to one SQLite file or one PostgreSQL database.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    /// Where writing transactions run: on SQLite a pool of one connection, so that writers queue
    /// here in order instead of polling for the file's lock; on PostgreSQL the main pool.
    writers: AnyPool,
    engine: Engine,
    /// Where this process's outbox follower listens for other nodes' changes (PostgreSQL).
    listen_url: Arc<str>,
    /// Counts the transactions committed through this pool.
    commits: Arc<watch::Sender<u64>>,
    /// Counts those of them that may have changed what the storefront shows.
    storefront_commits: Arc<AtomicU64>,
}

impl std::fmt::Debug for Db {
    // Not the URL: it may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). With `schema`, PostgreSQL connections use
    /// that schema (created if absent): the tests give each test its own.
    pub async fn connect(url: &str, schema: Option<&str>) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let engine = Engine::from_url(url)?;
        let setup = engine.session_setup(schema);
        let options = || {
            let setup = setup.clone();
            AnyPoolOptions::new()
                .acquire_timeout(dialect::WAIT_FOR_CONNECTION)
                // No ping before handing out a pooled connection: it costs a round trip (on
                // SQLite a hand-over to the connection's thread) per request, and a connection
                // that broke fails its first statement anyway, which the pool then discards.
                .test_before_acquire(false)
                .after_connect(move |conn, _meta| {
                    let setup = setup.clone();
                    Box::pin(async move {
                        for statement in &setup {
                            sqlx::query(statement).execute(&mut *conn).await?;
                        }
                        Ok(())
                    })
                })
        };
        let url = engine.connect_url(url);
        let pool = options()
            .max_connections(engine.max_connections())
            .connect(&url)
            .await?;
        let writers = match engine.writer_connections() {
            Some(n) => options().max_connections(n).connect(&url).await?,
            None => pool.clone(),
        };
        let commits = Arc::new(watch::Sender::new(0));
        if let Some((every, idle)) = engine.checkpoint_interval() {
            tokio::spawn(checkpoints(pool.clone(), commits.subscribe(), every, idle));
        }
        Ok(Db {
            pool,
            writers,
            engine,
            listen_url: url.into(),
            commits,
            storefront_commits: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Brings the schema up to date.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.acquire().await?;
        migrate::run(&mut conn, self.engine, i64::MAX).await
    }

    /// Applies only the migrations numbered below `version`: for testing what a migration does
    /// to a database written before it.
    #[doc(hidden)]
    pub async fn migrate_before(&self, version: i64) -> anyhow::Result<()> {
        let mut conn = self.pool.acquire().await?;
        migrate::run(&mut conn, self.engine, version).await
    }

    /// A connection for reads (and single-statement writes).
    pub async fn conn(&self) -> sqlx::Result<PoolConnection<Any>> {
        self.pool.acquire().await
    }

    /// Starts a transaction that will write. On SQLite writers queue for the one writer
    /// connection, whose transaction takes the write lock at once, so two writers wait for each
    /// other instead of failing when they upgrade from reading. A writer that waits longer than
    /// the busy timeout fails with an error that [`is_busy`] recognises.
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        let tx = match self.engine.begin_write_statement() {
            Some(statement) => self.writers.begin_with(statement).await?,
            None => self.writers.begin().await?,
        };
        Ok(Tx::begun(tx, self.commits.clone(), self.storefront_commits.clone()))
    }

    /// [`Db::begin`] for a transaction that sends its first statement through [`Tx::opening`]:
    /// on SQLite its `BEGIN` is sent with that statement instead of on its own, one hand-over to
    /// the writer's thread less while every other writer waits (on PostgreSQL the same as
    /// [`Db::begin`]).
    pub async fn begin_with_first(&self) -> sqlx::Result<Tx> {
        match self.engine.begin_write_statement() {
            Some(statement) => Ok(Tx::unopened(
                self.writers.acquire().await?,
                statement,
                self.commits.clone(),
                self.storefront_commits.clone(),
            )),
            None => self.begin().await,
        }
    }

    /// How many writing transactions this process has committed so far.
    pub fn commits(&self) -> u64 {
        *self.commits.borrow()
    }

    /// How many of them may have changed what the storefront shows: all but those declared
    /// [`Tx::leaves_storefront_alone`].
    pub fn storefront_commits(&self) -> u64 {
        self.storefront_commits.load(Ordering::SeqCst)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> sqlx::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    pub async fn close(&self) {
        self.writers.close().await;
        self.pool.close().await;
    }
}

/// Copies SQLite's write-ahead log into the database file on a reading connection, for as long
/// as the pool is open, so that the writer's commits never do it: after commits, at most every
/// `every`, and otherwise every `idle` (see [`Engine::checkpoint_interval`]). A passive
/// checkpoint waits for no one and blocks no one.
async fn checkpoints(
    pool: AnyPool,
    mut commits: watch::Receiver<u64>,
    every: std::time::Duration,
    idle: std::time::Duration,
) {
    loop {
        tokio::time::sleep(every).await;
        if let Ok(Err(_)) = tokio::time::timeout(idle, commits.changed()).await {
            return; // every `Db` of this pool is gone
        }
        if pool.is_closed() {
            return;
        }
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %err, "checkpointing the write-ahead log failed");
        }
    }
}

/// Now, in Unix milliseconds: the one time format stored.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A new opaque id such as `acc_0193a5…`: a type prefix, then the time in milliseconds (48 bits)
/// and 80 random bits, as 32 hex digits. Ids made later sort after those made earlier, so a new
/// row's key lands beside the last ones in every index that holds it, on pages the database has
/// at hand, instead of on a random page of the whole index: on SQLite a checkout wrote about half
/// as many pages to the log with these as with wholly random ids. 80 random bits keep ids of one
/// millisecond apart and beyond guessing; an id tells when it was made. Ids are not secrets: what
/// guards a session, a token or a guest's cart is a secret of its own.
pub fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    let millis = u64::try_from(now_ms()).unwrap_or(0) & 0xffff_ffff_ffff;
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    rand::thread_rng().fill_bytes(&mut bytes[6..]);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// Reads a 0/1 integer column as a flag (portable: neither engine's BOOLEAN decodes through `Any`).
/// A domain word (a status, a kind) read from a TEXT column: a value the code does not know is a
/// decoding error, never a default.
pub(crate) fn word<T: std::str::FromStr<Err = String>>(r: &sqlx::any::AnyRow, at: usize) -> sqlx::Result<T> {
    use sqlx::Row;
    let text: String = r.try_get(at)?;
    text.parse().map_err(|e: String| sqlx::Error::ColumnDecode {
        index: at.to_string(),
        source: format!("{text:?}: {e}").into(),
    })
}

pub(crate) fn flag(value: i64) -> bool {
    value != 0
}

/// Runs one statement as it is. For tools and tests that need to act on the database directly
/// (the audit tests tamper with rows the way an attacker with database access would).
pub async fn raw_execute(conn: &mut Conn, statement: &str) -> sqlx::Result<u64> {
    Ok(sqlx::raw_sql(statement).execute(conn).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_a_prefix_and_32_hex_digits_that_sort_by_when_they_were_made() {
        let first = new_id("ord");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = new_id("ord");
        for id in [&first, &later] {
            let digits = id.strip_prefix("ord_").expect("the prefix");
            assert_eq!(digits.len(), 32, "{id}");
            assert!(
                digits.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "{id}"
            );
        }
        assert!(first < later, "{first} sorts after {later}");
        let millis = i64::from_str_radix(&later[4..16], 16).expect("hex");
        assert!((now_ms() - millis).abs() < 60_000, "the id's time {millis} is not now");
    }

    #[test]
    fn ids_made_in_one_millisecond_differ() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| new_id("x")).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
