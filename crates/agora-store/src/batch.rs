//! Several writes that need nothing back, sent together. On PostgreSQL they go as one statement,
//! each write a data-modifying `WITH` query of it: one round trip and one plan instead of one per
//! write, which is what a busy server spends its time on. On SQLite they go to the connection's
//! worker thread as one string of statements run one after the other: one hand-over between
//! threads instead of one per write, which matters while the one writer waits for each (and more
//! so on a busy machine, where each hand-over may wait for a core).
//!
//! The writes of one batch see the database as it was before the batch (PostgreSQL runs a
//! statement's `WITH` queries on one snapshot), so a batch holds only inserts that do not read
//! each other's rows; foreign keys between them are checked at the end of the statement, and hold.

use sqlx::AnyConnection;

use crate::Engine;

/// A value bound to a write.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(v)
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::OptInt(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_owned())
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(v.clone())
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::OptText(v.map(str::to_owned))
    }
}

impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Arg {
        Arg::OptText(v.clone())
    }
}

/// One write: a statement with `$1…$n` placeholders and its values.
#[derive(Debug, Clone)]
pub struct Write {
    sql: String,
    args: Vec<Arg>,
}

impl Write {
    pub fn new(sql: impl Into<String>, args: Vec<Arg>) -> Write {
        Write { sql: sql.into(), args }
    }

    /// Runs this write alone.
    pub async fn run(self, conn: &mut AnyConnection) -> sqlx::Result<u64> {
        Ok(bind(sqlx::query(&self.sql), self.args)
            .execute(conn)
            .await?
            .rows_affected())
    }
}

pub(crate) fn bind<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for arg in args {
        query = match arg {
            Arg::Int(v) => query.bind(v),
            Arg::OptInt(v) => query.bind(v),
            Arg::Text(v) => query.bind(v),
            Arg::OptText(v) => query.bind(v),
        };
    }
    query
}

/// Writes to send together, in order.
#[derive(Debug, Default)]
pub struct Batch {
    writes: Vec<Write>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    pub fn push(&mut self, write: Write) {
        self.writes.push(write);
    }

    pub fn extend(&mut self, writes: impl IntoIterator<Item = Write>) {
        self.writes.extend(writes);
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Runs every write: on PostgreSQL as one statement, on SQLite as one string of statements.
    pub async fn run(self, conn: &mut AnyConnection) -> sqlx::Result<()> {
        if self.writes.len() < 2 {
            for write in self.writes {
                write.run(conn).await?;
            }
            return Ok(());
        }
        let (sql, args) = match Engine::of(conn) {
            Engine::Postgres => combine(self.writes),
            Engine::Sqlite => in_sequence(self.writes),
        };
        bind(sqlx::query(&sql), args).execute(conn).await?;
        Ok(())
    }

    /// Runs every write, then `last` (a statement without values, such as `COMMIT`), as one
    /// string of statements: SQLite only.
    pub(crate) async fn run_then(self, conn: &mut AnyConnection, last: &str) -> sqlx::Result<()> {
        let (sql, args) = in_sequence(self.writes);
        let sql = if sql.is_empty() {
            last.to_owned()
        } else {
            format!("{sql}; {last}")
        };
        bind(sqlx::query(&sql), args).execute(conn).await?;
        Ok(())
    }
}

/// The writes as one statement: all but the last as `WITH` queries, their placeholders numbered
/// on after those before them.
fn combine(writes: Vec<Write>) -> (String, Vec<Arg>) {
    let count = writes.len();
    let mut sql = String::new();
    let mut args = Vec::new();
    for (i, write) in writes.into_iter().enumerate() {
        let shifted = shift_placeholders(&write.sql, args.len());
        if i + 1 < count {
            sql.push_str(if i == 0 { "WITH " } else { ", " });
            sql.push_str(&format!("w{i} AS ({shifted})"));
        } else {
            sql.push(' ');
            sql.push_str(&shifted);
        }
        args.extend(write.args);
    }
    (sql, args)
}

/// The writes as one string of statements separated by `;`, their placeholders numbered on
/// after those before them (SQLite binds each statement's `$n` to the string's n-th value).
fn in_sequence(writes: Vec<Write>) -> (String, Vec<Arg>) {
    let mut parts = Vec::with_capacity(writes.len());
    let mut args = Vec::new();
    for write in writes {
        parts.push(shift_placeholders(&write.sql, args.len()));
        args.extend(write.args);
    }
    (parts.join("; "), args)
}

/// `sql` with every placeholder `$n` made `$(n + by)` (the statements batched hold no `$` in
/// literals).
fn shift_placeholders(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some(&d) = chars.peek() {
            if !d.is_ascii_digit() {
                break;
            }
            digits.push(d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_on() {
        assert_eq!(
            shift_placeholders("VALUES ($1, $2), ($10, 'x')", 3),
            "VALUES ($4, $5), ($13, 'x')"
        );
    }

    #[test]
    fn writes_follow_each_other_on_sqlite() {
        let (sql, args) = in_sequence(vec![
            Write::new("INSERT INTO a (x) VALUES ($1)", vec![Arg::Int(1)]),
            Write::new("INSERT INTO b (x, y) VALUES ($1, $2)", vec![Arg::Int(2), Arg::Int(3)]),
        ]);
        assert_eq!(
            sql,
            "INSERT INTO a (x) VALUES ($1); INSERT INTO b (x, y) VALUES ($2, $3)"
        );
        assert_eq!(args.len(), 3);
    }

    #[test]
    fn writes_become_with_queries_of_the_last() {
        let (sql, args) = combine(vec![
            Write::new("INSERT INTO a (x) VALUES ($1)", vec![Arg::Int(1)]),
            Write::new("INSERT INTO b (x, y) VALUES ($1, $2)", vec![Arg::Int(2), Arg::Int(3)]),
            Write::new("INSERT INTO c (x) VALUES ($1)", vec![Arg::Int(4)]),
        ]);
        assert_eq!(
            sql,
            "WITH w0 AS (INSERT INTO a (x) VALUES ($1)), w1 AS (INSERT INTO b (x, y) VALUES ($2, $3)) \
             INSERT INTO c (x) VALUES ($4)"
        );
        assert_eq!(args.len(), 4);
    }
}
