//! Payments: the money for one checkout's orders or for a wallet top-up, and where it stands.
//! Status changes are conditional updates (`… WHERE status = 'pending'`), so a payment settles
//! once however many callbacks or confirmations race for it.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::batch::Write;

/// A payment as stored. Amounts are minor units of `currency`; times are Unix ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub id: String,
    /// `order_group` or `top_up`.
    pub purpose: String,
    /// `card`, `wallet` or `bank_transfer`.
    pub method: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    pub amount: i64,
    pub currency: String,
    pub payer_account_id: String,
    pub group_id: Option<String>,
    pub bank_reference: Option<String>,
    pub provider: Option<String>,
    pub provider_reference: Option<String>,
    pub card_brand: Option<String>,
    pub last4: Option<String>,
    pub provider_idempotency_key: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The gateway's token for the card (never the card number).
    pub card_token: Option<String>,
}

const COLUMNS: &str = "id, purpose, method, status, amount, currency, payer_account_id, group_id, bank_reference, \
     provider, provider_reference, card_brand, last4, provider_idempotency_key, failure_reason, created_at, updated_at, card_token";

fn from_row(r: &AnyRow) -> sqlx::Result<PaymentRow> {
    Ok(PaymentRow {
        id: r.try_get(0)?,
        purpose: r.try_get(1)?,
        method: r.try_get(2)?,
        status: r.try_get(3)?,
        amount: r.try_get(4)?,
        currency: r.try_get(5)?,
        payer_account_id: r.try_get(6)?,
        group_id: r.try_get(7)?,
        bank_reference: r.try_get(8)?,
        provider: r.try_get(9)?,
        provider_reference: r.try_get(10)?,
        card_brand: r.try_get(11)?,
        last4: r.try_get(12)?,
        provider_idempotency_key: r.try_get(13)?,
        failure_reason: r.try_get(14)?,
        created_at: r.try_get(15)?,
        updated_at: r.try_get(16)?,
        card_token: r.try_get(17)?,
    })
}

/// Inserts a payment. Errs with a unique violation when its bank reference is taken (the caller
/// draws another).
pub async fn insert(conn: &mut AnyConnection, p: &PaymentRow) -> sqlx::Result<()> {
    insert_write(p).run(conn).await?;
    Ok(())
}

/// [`insert`], to run in a [`Batch`](crate::batch::Batch).
pub fn insert_write(p: &PaymentRow) -> Write {
    Write::new(
        format!(
            "INSERT INTO payments ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
        ),
        vec![
            (&p.id).into(),
            (&p.purpose).into(),
            (&p.method).into(),
            (&p.status).into(),
            p.amount.into(),
            (&p.currency).into(),
            (&p.payer_account_id).into(),
            (&p.group_id).into(),
            (&p.bank_reference).into(),
            (&p.provider).into(),
            (&p.provider_reference).into(),
            (&p.card_brand).into(),
            (&p.last4).into(),
            (&p.provider_idempotency_key).into(),
            (&p.failure_reason).into(),
            p.created_at.into(),
            p.updated_at.into(),
            (&p.card_token).into(),
        ],
    )
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<PaymentRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The payment with this bank reference (matched case-insensitively: references are stored
/// upper-cased).
pub async fn by_bank_reference(conn: &mut AnyConnection, reference: &str) -> sqlx::Result<Option<PaymentRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE bank_reference = $1"))
        .bind(reference.trim().to_uppercase())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The payments of an order group, newest first.
pub async fn of_group(conn: &mut AnyConnection, group_id: &str) -> sqlx::Result<Vec<PaymentRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payments WHERE group_id = $1 ORDER BY created_at DESC, id"
    ))
    .bind(group_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// A payer's payments, newest first.
pub async fn of_payer(conn: &mut AnyConnection, account_id: &str, limit: i64) -> sqlx::Result<Vec<PaymentRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payments WHERE payer_account_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind(account_id)
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Pending payments of one method, oldest first (the bank transfers an operator matches).
pub async fn pending_by_method(conn: &mut AnyConnection, method: &str, limit: i64) -> sqlx::Result<Vec<PaymentRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payments WHERE status = 'pending' AND method = $1 ORDER BY created_at, id LIMIT $2"
    ))
    .bind(method)
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Locks the payment's row for the rest of the transaction (PostgreSQL; SQLite's one writer holds
/// the database anyway) and reads it: what a settlement decides on.
pub async fn lock(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<PaymentRow>> {
    let engine = crate::Engine::of(conn);
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payments WHERE id = $1{}",
        engine.lock_for_update()
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// What the card gateway reports of a successful payment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardDetails<'a> {
    pub provider_reference: Option<&'a str>,
    pub card_brand: Option<&'a str>,
    pub last4: Option<&'a str>,
    /// The gateway's token for the card.
    pub card_token: Option<&'a str>,
}

/// Moves a pending payment to `succeeded`; false when it is not pending (any more).
pub async fn mark_succeeded(
    conn: &mut AnyConnection,
    id: &str,
    card: &CardDetails<'_>,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE payments SET status = 'succeeded', provider_reference = COALESCE($2, provider_reference), \
         card_brand = COALESCE($3, card_brand), last4 = COALESCE($4, last4), updated_at = $5, \
         card_token = COALESCE($6, card_token) WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(card.provider_reference)
    .bind(card.card_brand)
    .bind(card.last4)
    .bind(now)
    .bind(card.card_token)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Moves a pending payment to `failed`; false when it is not pending (any more).
pub async fn mark_failed(conn: &mut AnyConnection, id: &str, reason: &str, now: i64) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE payments SET status = 'failed', failure_reason = $2, updated_at = $3 WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(reason)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records the gateway's data on a payment without settling it (the gateway engineer's hosted
/// page sets the provider and its idempotency key when the buyer arrives).
pub async fn set_provider(
    conn: &mut AnyConnection,
    id: &str,
    provider: &str,
    provider_idempotency_key: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE payments SET provider = $2, provider_idempotency_key = COALESCE(provider_idempotency_key, $3), \
         updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(provider)
    .bind(provider_idempotency_key)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Payments whose suspense account holds money: `(payment, held)`, oldest first.
pub async fn with_suspense(conn: &mut AnyConnection, limit: i64) -> sqlx::Result<Vec<(PaymentRow, i64)>> {
    let cols: Vec<String> = COLUMNS.split(", ").map(|c| format!("p.{c}")).collect();
    sqlx::query(&format!(
        "SELECT {}, a.balance FROM payments p JOIN ledger_accounts a \
         ON a.kind = 'bank_suspense' AND a.owner_id = p.id AND a.currency = p.currency \
         WHERE a.balance <> 0 ORDER BY p.created_at, p.id LIMIT $1",
        cols.join(", ")
    ))
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((from_row(r)?, r.try_get(18)?)))
    .collect()
}
