//! Lines of imported bank statements: each transfer received, recorded once (its `line_key` is
//! unique), with what became of it.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A statement line as stored. `amount` is in minor units of `currency`; times are Unix ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLineRow {
    pub id: String,
    pub line_key: String,
    pub booked_on: String,
    pub amount: i64,
    pub currency: String,
    pub reference: String,
    pub counterparty: Option<String>,
    pub bank_transaction_id: Option<String>,
    pub payment_id: Option<String>,
    /// `settled`, `held_in_suspense` or `unmatched`.
    pub outcome: String,
    pub imported_by: Option<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, line_key, booked_on, amount, currency, reference, counterparty, bank_transaction_id, \
     payment_id, outcome, imported_by, created_at";

fn from_row(r: &AnyRow) -> sqlx::Result<StatementLineRow> {
    Ok(StatementLineRow {
        id: r.try_get(0)?,
        line_key: r.try_get(1)?,
        booked_on: r.try_get(2)?,
        amount: r.try_get(3)?,
        currency: r.try_get(4)?,
        reference: r.try_get(5)?,
        counterparty: r.try_get(6)?,
        bank_transaction_id: r.try_get(7)?,
        payment_id: r.try_get(8)?,
        outcome: r.try_get(9)?,
        imported_by: r.try_get(10)?,
        created_at: r.try_get(11)?,
    })
}

/// Records a line; false (and nothing written) when a line with its key is recorded already. The
/// caller inserts it in the transaction that posts the line's money, and drops that transaction on
/// false: the key is the line's idempotency claim.
pub async fn insert(conn: &mut AnyConnection, l: &StatementLineRow) -> sqlx::Result<bool> {
    let r = sqlx::query(&format!(
        "INSERT INTO bank_statement_lines ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (line_key) DO NOTHING"
    ))
    .bind(&l.id)
    .bind(&l.line_key)
    .bind(&l.booked_on)
    .bind(l.amount)
    .bind(&l.currency)
    .bind(&l.reference)
    .bind(l.counterparty.as_deref())
    .bind(l.bank_transaction_id.as_deref())
    .bind(l.payment_id.as_deref())
    .bind(&l.outcome)
    .bind(l.imported_by.as_deref())
    .bind(l.created_at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The line recorded with this key, if any.
pub async fn by_key(conn: &mut AnyConnection, key: &str) -> sqlx::Result<Option<StatementLineRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM bank_statement_lines WHERE line_key = $1"
    ))
    .bind(key)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Lines that matched no payment and whose money still waits in their own suspense account:
/// `(line, held)`, oldest first.
pub async fn unmatched_held(conn: &mut AnyConnection, limit: i64) -> sqlx::Result<Vec<(StatementLineRow, i64)>> {
    let cols: Vec<String> = COLUMNS.split(", ").map(|c| format!("l.{c}")).collect();
    sqlx::query(&format!(
        "SELECT {}, a.balance FROM bank_statement_lines l JOIN ledger_accounts a \
         ON a.kind = 'bank_suspense' AND a.owner_id = l.id AND a.currency = l.currency \
         WHERE l.outcome = 'unmatched' AND a.balance <> 0 ORDER BY l.created_at, l.id LIMIT $1",
        cols.join(", ")
    ))
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((from_row(r)?, r.try_get(12)?)))
    .collect()
}

/// Locks a line (on PostgreSQL; SQLite's writer holds the database anyway) and reads it.
pub async fn lock(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<StatementLineRow>> {
    let engine = crate::Engine::of(conn);
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM bank_statement_lines WHERE id = $1{}",
        engine.lock_for_update()
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Records that an operator matched an unmatched line to `payment_id`, with what became of it.
pub async fn assign(conn: &mut AnyConnection, id: &str, payment_id: &str, outcome: &str) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE bank_statement_lines SET payment_id = $2, outcome = $3 WHERE id = $1 AND outcome = 'unmatched'",
    )
    .bind(id)
    .bind(payment_id)
    .bind(outcome)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
