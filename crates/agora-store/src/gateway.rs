//! The card gateway's tables: the shared webhook secret, the callbacks processed, the card
//! refunds confirmed, and the built-in sandbox gateway's own sessions and refunds. Every "once"
//! here is a primary or unique key with `ON CONFLICT DO NOTHING`, so racing nodes agree.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Stores `candidate` as the secret `name` unless one is stored already; returns the stored one.
/// Every node that starts reads the same value, whichever wrote it first.
pub async fn ensure_secret(conn: &mut AnyConnection, name: &str, candidate: &str, now: i64) -> sqlx::Result<String> {
    sqlx::query(
        "INSERT INTO platform_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(candidate)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("SELECT value FROM platform_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(conn)
        .await
}

/// Whether a gateway callback with this event id was processed.
pub async fn event_processed(conn: &mut AnyConnection, event_id: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM gateway_events WHERE event_id = $1")
        .bind(event_id)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// Records a processed callback; false when it was recorded already (a concurrent delivery).
pub async fn record_event(
    conn: &mut AnyConnection,
    event_id: &str,
    provider: &str,
    payment_id: &str,
    kind: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO gateway_events (event_id, provider, payment_id, kind, processed_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event_id)
    .bind(provider)
    .bind(payment_id)
    .bind(kind)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A card refund the gateway confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRefundRow {
    /// The refund id (`rfd_…`).
    pub id: String,
    pub payment_id: String,
    pub order_id: String,
    pub amount: i64,
    pub currency: String,
    pub provider: String,
    pub idempotency_key: String,
    pub provider_reference: String,
    pub created_at: i64,
}

const REFUND_COLUMNS: &str =
    "id, payment_id, order_id, amount, currency, provider, idempotency_key, provider_reference, created_at";

fn refund_row(r: &AnyRow) -> sqlx::Result<GatewayRefundRow> {
    Ok(GatewayRefundRow {
        id: r.try_get(0)?,
        payment_id: r.try_get(1)?,
        order_id: r.try_get(2)?,
        amount: r.try_get(3)?,
        currency: r.try_get(4)?,
        provider: r.try_get(5)?,
        idempotency_key: r.try_get(6)?,
        provider_reference: r.try_get(7)?,
        created_at: r.try_get(8)?,
    })
}

/// Records a confirmed refund; false when this refund id was recorded already.
pub async fn insert_refund(conn: &mut AnyConnection, r: &GatewayRefundRow) -> sqlx::Result<bool> {
    let done = sqlx::query(&format!(
        "INSERT INTO gateway_refunds ({REFUND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (id) DO NOTHING"
    ))
    .bind(&r.id)
    .bind(&r.payment_id)
    .bind(&r.order_id)
    .bind(r.amount)
    .bind(&r.currency)
    .bind(&r.provider)
    .bind(&r.idempotency_key)
    .bind(&r.provider_reference)
    .bind(r.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn refund_by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<GatewayRefundRow>> {
    sqlx::query(&format!("SELECT {REFUND_COLUMNS} FROM gateway_refunds WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(refund_row)
        .transpose()
}

/// The confirmed refunds of a payment, oldest first.
pub async fn refunds_of_payment(conn: &mut AnyConnection, payment_id: &str) -> sqlx::Result<Vec<GatewayRefundRow>> {
    sqlx::query(&format!(
        "SELECT {REFUND_COLUMNS} FROM gateway_refunds WHERE payment_id = $1 ORDER BY created_at, id"
    ))
    .bind(payment_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(refund_row)
    .collect()
}

/// One hosted payment page of the sandbox gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxSession {
    pub id: String,
    pub idempotency_key: String,
    /// The merchant's reference of the payment (Agora's payment id).
    pub merchant_reference: String,
    pub merchant: String,
    pub amount: i64,
    pub currency: String,
    pub return_url: String,
    /// `open`, `approved` or `declined`.
    pub status: String,
    pub card_token: Option<String>,
    pub card_brand: Option<String>,
    pub last4: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const SESSION_COLUMNS: &str =
    "id, idempotency_key, merchant_reference, merchant, amount, currency, return_url, status, \
     card_token, card_brand, last4, created_at, updated_at";

fn session_row(r: &AnyRow) -> sqlx::Result<SandboxSession> {
    Ok(SandboxSession {
        id: r.try_get(0)?,
        idempotency_key: r.try_get(1)?,
        merchant_reference: r.try_get(2)?,
        merchant: r.try_get(3)?,
        amount: r.try_get(4)?,
        currency: r.try_get(5)?,
        return_url: r.try_get(6)?,
        status: r.try_get(7)?,
        card_token: r.try_get(8)?,
        card_brand: r.try_get(9)?,
        last4: r.try_get(10)?,
        created_at: r.try_get(11)?,
        updated_at: r.try_get(12)?,
    })
}

/// Opens `s` unless a session with its idempotency key exists; returns the stored session.
pub async fn open_session(conn: &mut AnyConnection, s: &SandboxSession) -> sqlx::Result<SandboxSession> {
    sqlx::query(&format!(
        "INSERT INTO sandbox_sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (idempotency_key) DO NOTHING"
    ))
    .bind(&s.id)
    .bind(&s.idempotency_key)
    .bind(&s.merchant_reference)
    .bind(&s.merchant)
    .bind(s.amount)
    .bind(&s.currency)
    .bind(&s.return_url)
    .bind(&s.status)
    .bind(s.card_token.as_deref())
    .bind(s.card_brand.as_deref())
    .bind(s.last4.as_deref())
    .bind(s.created_at)
    .bind(s.updated_at)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query(&format!(
        "SELECT {SESSION_COLUMNS} FROM sandbox_sessions WHERE idempotency_key = $1"
    ))
    .bind(&s.idempotency_key)
    .fetch_one(conn)
    .await?;
    session_row(&row)
}

pub async fn session(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<SandboxSession>> {
    sqlx::query(&format!("SELECT {SESSION_COLUMNS} FROM sandbox_sessions WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(session_row)
        .transpose()
}

/// What a card holder decided on a hosted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionDecision<'a> {
    /// `approved` or `declined`.
    pub status: &'a str,
    pub card_token: Option<&'a str>,
    pub card_brand: Option<&'a str>,
    pub last4: Option<&'a str>,
}

/// Closes an open session with the holder's decision; false when it was closed already.
pub async fn close_session(conn: &mut AnyConnection, id: &str, d: SessionDecision<'_>, now: i64) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE sandbox_sessions SET status = $2, card_token = $3, card_brand = $4, last4 = $5, updated_at = $6 \
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(d.status)
    .bind(d.card_token)
    .bind(d.card_brand)
    .bind(d.last4)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A refund the sandbox made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxRefund {
    pub idempotency_key: String,
    pub id: String,
    pub session_id: String,
    pub amount: i64,
    pub currency: String,
    pub created_at: i64,
}

const SANDBOX_REFUND_COLUMNS: &str = "idempotency_key, id, session_id, amount, currency, created_at";

fn sandbox_refund_row(r: &AnyRow) -> sqlx::Result<SandboxRefund> {
    Ok(SandboxRefund {
        idempotency_key: r.try_get(0)?,
        id: r.try_get(1)?,
        session_id: r.try_get(2)?,
        amount: r.try_get(3)?,
        currency: r.try_get(4)?,
        created_at: r.try_get(5)?,
    })
}

/// Makes refund `r` unless one with its idempotency key exists; returns the stored refund.
pub async fn refund_once(conn: &mut AnyConnection, r: &SandboxRefund) -> sqlx::Result<SandboxRefund> {
    sqlx::query(&format!(
        "INSERT INTO sandbox_refunds ({SANDBOX_REFUND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (idempotency_key) DO NOTHING"
    ))
    .bind(&r.idempotency_key)
    .bind(&r.id)
    .bind(&r.session_id)
    .bind(r.amount)
    .bind(&r.currency)
    .bind(r.created_at)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query(&format!(
        "SELECT {SANDBOX_REFUND_COLUMNS} FROM sandbox_refunds WHERE idempotency_key = $1"
    ))
    .bind(&r.idempotency_key)
    .fetch_one(conn)
    .await?;
    sandbox_refund_row(&row)
}

pub async fn sandbox_refund(conn: &mut AnyConnection, idempotency_key: &str) -> sqlx::Result<Option<SandboxRefund>> {
    sqlx::query(&format!(
        "SELECT {SANDBOX_REFUND_COLUMNS} FROM sandbox_refunds WHERE idempotency_key = $1"
    ))
    .bind(idempotency_key)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(sandbox_refund_row)
    .transpose()
}

/// The refunds the sandbox made on one session (its charge), oldest first.
pub async fn sandbox_refunds_of(conn: &mut AnyConnection, session_id: &str) -> sqlx::Result<Vec<SandboxRefund>> {
    sqlx::query(&format!(
        "SELECT {SANDBOX_REFUND_COLUMNS} FROM sandbox_refunds WHERE session_id = $1 ORDER BY created_at, id"
    ))
    .bind(session_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(sandbox_refund_row)
    .collect()
}
