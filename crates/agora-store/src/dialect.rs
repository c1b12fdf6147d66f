//! Everything that differs between SQLite and PostgreSQL, in one place.

use std::time::Duration;

use anyhow::bail;
use sqlx::error::DatabaseError;

/// How long SQLite waits for another connection's lock before answering "database is locked".
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request waits for a pooled connection (writers for the writer's) before giving up.
pub(crate) const WAIT_FOR_CONNECTION: Duration = BUSY_TIMEOUT;

/// How often, at most, SQLite's write-ahead log is copied into the database file in the
/// background while commits come in. Often, so that each copy is small: a copy ends by flushing
/// the log and the database file to disk, and while a large flush runs the writer's own writes
/// to the log wait for the disk (at 200 ms, a busy shop's checkouts stalled for tens of
/// milliseconds every few tenths of a second; at 10 ms the flushes are too small to notice).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(10);
/// How often it is copied when no commit through [`crate::Tx`] announced itself meanwhile (a
/// single-statement write on a pooled connection commits without one).
const CHECKPOINT_IDLE: Duration = Duration::from_secs(1);
/// The log's size, in pages, at which a commit copies it itself (SQLite's default is 1000): far
/// more than the background task lets it grow to.
const WAL_BACKSTOP_PAGES: u32 = 20_000;

/// The database engine behind a [`crate::Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn from_url(url: &str) -> anyhow::Result<Engine> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Engine::Postgres)
        } else {
            bail!("unsupported database URL (use sqlite://PATH or postgres://…)")
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }

    /// SQLite creates its file when asked to.
    pub(crate) fn connect_url(self, url: &str) -> String {
        match self {
            Engine::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        }
    }

    /// SQLite serialises writers anyway; a few connections serve concurrent readers (WAL).
    pub(crate) fn max_connections(self) -> u32 {
        match self {
            Engine::Sqlite => 8,
            Engine::Postgres => 16,
        }
    }

    /// The size of a separate pool for writing transactions (`None`: they share the main pool).
    /// SQLite has one writer at a time: one connection for them makes writers wait in line for
    /// it, in order, rather than each polling the file's lock until the busy timeout.
    pub(crate) fn writer_connections(self) -> Option<u32> {
        match self {
            Engine::Sqlite => Some(1),
            Engine::Postgres => None,
        }
    }

    /// Statements run on every new connection.
    pub(crate) fn session_setup(self, schema: Option<&str>) -> Vec<String> {
        match self {
            Engine::Sqlite => vec![
                "PRAGMA journal_mode = WAL".into(),
                // In WAL mode a commit is written to the log without waiting for the disk; it
                // survives the process being killed (the log is in the OS's cache), and a power
                // loss loses at most the last commits, never the database's consistency.
                "PRAGMA synchronous = NORMAL".into(),
                // The log is copied into the database file by a background task, not by the
                // commit that happens to fill it (which made that buyer wait for the copy and
                // every writer behind it); this only backs it up should the task fall behind.
                format!("PRAGMA wal_autocheckpoint = {WAL_BACKSTOP_PAGES}"),
                "PRAGMA foreign_keys = ON".into(),
                format!("PRAGMA busy_timeout = {}", BUSY_TIMEOUT.as_millis()),
            ],
            Engine::Postgres => match schema {
                Some(schema) => vec![
                    format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""),
                    format!("SET search_path TO \"{schema}\""),
                ],
                None => vec![],
            },
        }
    }

    /// How often a background task checkpoints the write-ahead log, at most while commits come
    /// in and at least when none do (`None`: the engine does it).
    pub(crate) fn checkpoint_interval(self) -> Option<(Duration, Duration)> {
        match self {
            Engine::Sqlite => Some((CHECKPOINT_EVERY, CHECKPOINT_IDLE)),
            Engine::Postgres => None,
        }
    }

    /// How a writing transaction starts (`None`: the driver's plain `BEGIN`).
    pub(crate) fn begin_write_statement(self) -> Option<&'static str> {
        match self {
            Engine::Sqlite => Some("BEGIN IMMEDIATE"),
            Engine::Postgres => None,
        }
    }

    /// What ends a sub-select of rows to claim: PostgreSQL locks them and passes over rows another
    /// transaction is claiming; SQLite needs nothing, its one writer claims alone.
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// What ends a select of rows a statement is about to update, to lock them first in the
    /// select's order: PostgreSQL's row locks are taken as rows are met, and two transactions
    /// meeting the same rows in different orders deadlock; SQLite's one writer needs nothing.
    pub(crate) fn lock_for_update(self) -> &'static str {
        match self {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR NO KEY UPDATE",
        }
    }

    /// Statements that take and release a lock held while migrating, so that several nodes
    /// starting at once migrate one after the other (SQLite has a single writer anyway).
    pub(crate) fn migration_lock(self) -> Option<(&'static str, &'static str)> {
        match self {
            Engine::Sqlite => None,
            Engine::Postgres => Some(("SELECT pg_advisory_lock(74201)", "SELECT pg_advisory_unlock(74201)")),
        }
    }

    /// An expression for the next log-wide audit sequence number. PostgreSQL takes it from a
    /// sequence, which holds no lock until commit; on SQLite the writer holds the database's
    /// write lock anyway, so the highest number so far plus one is safe.
    pub(crate) fn next_audit_seq(self) -> &'static str {
        match self {
            Engine::Sqlite => "(SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log)",
            Engine::Postgres => "nextval('audit_log_seq')",
        }
    }

    /// The statements that write an audit entry (bound to its ten columns, `$1` the sequence
    /// number, `$2` the chain, `$10` the hash) and move its chain's head to it. PostgreSQL does
    /// both in one statement, one round trip less while the chain's head is locked; SQLite runs
    /// in-process, where two statements cost nothing more.
    pub(crate) fn write_audit_entry(self) -> &'static [&'static str] {
        const INSERT: &str =
            "INSERT INTO audit_log (seq, chain, chain_seq, at, actor, action, subject, data, prev_hash, hash) \
                              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        match self {
            Engine::Sqlite => &[INSERT, "UPDATE audit_chains SET hash = $10 WHERE chain = $2"],
            Engine::Postgres => &["WITH entry AS (INSERT INTO audit_log (seq, chain, chain_seq, at, actor, action, subject, data, prev_hash, hash) \
                                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)) \
                                   UPDATE audit_chains SET hash = $10 WHERE chain = $2"],
        }
    }

    /// The engine behind an open connection.
    pub(crate) fn of(conn: &sqlx::AnyConnection) -> Engine {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Engine::Sqlite
        } else {
            Engine::Postgres
        }
    }

    /// The channel on which the database announces new outbox events to every connection that
    /// listens (a trigger in the PostgreSQL migrations). SQLite has none: a node finds what other
    /// processes wrote there (an import beside it) by polling.
    pub(crate) fn notify_channel(self) -> Option<&'static str> {
        match self {
            Engine::Sqlite => None,
            Engine::Postgres => Some("agora_outbox"),
        }
    }

    /// The query listing every user table and column, as `(table, column)` rows, for comparing the
    /// two engines' schemas.
    pub fn columns_query(self) -> &'static str {
        match self {
            Engine::Sqlite => {
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.name"
            }
            Engine::Postgres => {
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() ORDER BY table_name, column_name"
            }
        }
    }
}

/// Whether `err` means the database is at capacity rather than broken: no connection came free in
/// time, SQLite's file stayed locked past the busy timeout, or PostgreSQL has no connection slot
/// or lock to spare. The request may succeed if retried shortly.
pub fn is_busy(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(e) => {
            if let Some(e) = e.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
                let code = e.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
                matches!(code & 0xff, 5 | 6)
            } else if let Some(e) = e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                // too_many_connections and lock_not_available.
                matches!(e.code(), "53300" | "55P03")
            } else {
                false
            }
        }
        _ => false,
    }
}

/// Whether `err` is a violated unique constraint (a duplicate email, slug, …) on either engine.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.kind() == sqlx::error::ErrorKind::UniqueViolation)
}
