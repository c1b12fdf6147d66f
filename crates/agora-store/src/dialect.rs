//! Everything that differs between SQLite and PostgreSQL, in one place.

use anyhow::bail;

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

    /// Statements run on every new connection.
    pub(crate) fn session_setup(self, schema: Option<&str>) -> Vec<String> {
        match self {
            Engine::Sqlite => vec![
                "PRAGMA journal_mode = WAL".into(),
                "PRAGMA synchronous = NORMAL".into(),
                "PRAGMA foreign_keys = ON".into(),
                "PRAGMA busy_timeout = 10000".into(),
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

    /// How a writing transaction starts (`None`: the driver's plain `BEGIN`).
    pub(crate) fn begin_write_statement(self) -> Option<&'static str> {
        match self {
            Engine::Sqlite => Some("BEGIN IMMEDIATE"),
            Engine::Postgres => None,
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

/// Whether `err` is a violated unique constraint (a duplicate email, slug, …) on either engine.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.kind() == sqlx::error::ErrorKind::UniqueViolation)
}
