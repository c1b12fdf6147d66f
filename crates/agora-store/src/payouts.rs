//! Money going back out: commission rates, shops' payout accounts and payouts, refunds, and the
//! ledger sums a settlement report reads.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

// ---- Commission rates ----

/// One commission rate: `scope` is `category` (target a slug) or `shop` (target a shop id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRow {
    pub scope: String,
    pub target_id: String,
    pub rate_bp: i64,
    pub updated_at: i64,
}

/// Sets (or replaces) a rate.
pub async fn set_rate(
    conn: &mut AnyConnection,
    scope: &str,
    target: &str,
    rate_bp: i64,
    by: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO commission_rates (scope, target_id, rate_bp, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (scope, target_id) DO UPDATE SET rate_bp = excluded.rate_bp, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
    )
    .bind(scope)
    .bind(target)
    .bind(rate_bp)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a rate; false when there was none.
pub async fn clear_rate(conn: &mut AnyConnection, scope: &str, target: &str) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("DELETE FROM commission_rates WHERE scope = $1 AND target_id = $2")
            .bind(scope)
            .bind(target)
            .execute(conn)
            .await?
            .rows_affected()
            > 0,
    )
}

/// Every rate, by scope and target.
pub async fn rates(conn: &mut AnyConnection) -> sqlx::Result<Vec<RateRow>> {
    sqlx::query("SELECT scope, target_id, rate_bp, updated_at FROM commission_rates ORDER BY scope, target_id")
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(RateRow {
                scope: r.try_get(0)?,
                target_id: r.try_get(1)?,
                rate_bp: r.try_get(2)?,
                updated_at: r.try_get(3)?,
            })
        })
        .collect()
}

/// The rate of one scope and target, if set.
pub async fn rate(conn: &mut AnyConnection, scope: &str, target: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query("SELECT rate_bp FROM commission_rates WHERE scope = $1 AND target_id = $2")
        .bind(scope)
        .bind(target)
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// The category of each line of an order and the line's amount (gross): `(category, amount)`.
pub async fn line_categories(conn: &mut AnyConnection, order_id: &str) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query(
        "SELECT p.category, l.gross FROM order_lines l JOIN products p ON p.id = l.product_id \
         WHERE l.order_id = $1 ORDER BY l.position",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect()
}

/// Every category's parent: `(slug, parent)`.
pub async fn category_parents(conn: &mut AnyConnection) -> sqlx::Result<Vec<(String, Option<String>)>> {
    sqlx::query("SELECT slug, parent FROM categories")
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

// ---- Payout accounts ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutAccountRow {
    pub shop_id: String,
    pub holder: String,
    pub iban: String,
    pub bic: Option<String>,
    pub updated_at: i64,
}

/// Sets the shop's payout account, replacing any.
pub async fn set_account(conn: &mut AnyConnection, a: &PayoutAccountRow, by: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO payout_accounts (shop_id, holder, iban, bic, updated_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (shop_id) DO UPDATE SET holder = excluded.holder, \
         iban = excluded.iban, bic = excluded.bic, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(&a.shop_id)
    .bind(&a.holder)
    .bind(&a.iban)
    .bind(&a.bic)
    .bind(by)
    .bind(a.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The shop's payout account; with `lock`, locked for the rest of the transaction (PostgreSQL;
/// SQLite's one writer holds the database anyway): payouts of one shop wait for each other here.
pub async fn account(conn: &mut AnyConnection, shop_id: &str, lock: bool) -> sqlx::Result<Option<PayoutAccountRow>> {
    let suffix = if lock {
        crate::Engine::of(conn).lock_for_update()
    } else {
        ""
    };
    sqlx::query(&format!(
        "SELECT shop_id, holder, iban, bic, updated_at FROM payout_accounts WHERE shop_id = $1{suffix}"
    ))
    .bind(shop_id)
    .fetch_optional(conn)
    .await?
    .map(|r| {
        Ok(PayoutAccountRow {
            shop_id: r.try_get(0)?,
            holder: r.try_get(1)?,
            iban: r.try_get(2)?,
            bic: r.try_get(3)?,
            updated_at: r.try_get(4)?,
        })
    })
    .transpose()
}

// ---- Payouts ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRow {
    pub id: String,
    pub shop_id: String,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    pub owed_settled: i64,
    pub holder: String,
    pub iban: String,
    pub bic: Option<String>,
    pub requested_by: String,
    pub decided_by: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const PAYOUT_COLUMNS: &str = "id, shop_id, status, amount, currency, owed_settled, holder, iban, bic, requested_by, \
                              decided_by, failure_reason, created_at, updated_at";

fn payout_row(r: &AnyRow) -> sqlx::Result<PayoutRow> {
    Ok(PayoutRow {
        id: r.try_get(0)?,
        shop_id: r.try_get(1)?,
        status: r.try_get(2)?,
        amount: r.try_get(3)?,
        currency: r.try_get(4)?,
        owed_settled: r.try_get(5)?,
        holder: r.try_get(6)?,
        iban: r.try_get(7)?,
        bic: r.try_get(8)?,
        requested_by: r.try_get(9)?,
        decided_by: r.try_get(10)?,
        failure_reason: r.try_get(11)?,
        created_at: r.try_get(12)?,
        updated_at: r.try_get(13)?,
    })
}

pub async fn insert_payout(conn: &mut AnyConnection, p: &PayoutRow) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO payouts ({PAYOUT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(&p.id)
    .bind(&p.shop_id)
    .bind(&p.status)
    .bind(p.amount)
    .bind(&p.currency)
    .bind(p.owed_settled)
    .bind(&p.holder)
    .bind(&p.iban)
    .bind(&p.bic)
    .bind(&p.requested_by)
    .bind(&p.decided_by)
    .bind(&p.failure_reason)
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn payout(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<PayoutRow>> {
    sqlx::query(&format!("SELECT {PAYOUT_COLUMNS} FROM payouts WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(payout_row)
        .transpose()
}

/// Moves a payout from `from` to `to`; false when it is not `from` (any more).
pub async fn set_payout_status(
    conn: &mut AnyConnection,
    id: &str,
    from: &str,
    to: &str,
    by: &str,
    reason: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE payouts SET status = $1, decided_by = $2, failure_reason = $3, updated_at = $4 \
         WHERE id = $5 AND status = $6",
    )
    .bind(to)
    .bind(by)
    .bind(reason)
    .bind(now)
    .bind(id)
    .bind(from)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A shop's payouts, newest first.
pub async fn payouts_of_shop(conn: &mut AnyConnection, shop_id: &str, limit: i64) -> sqlx::Result<Vec<PayoutRow>> {
    sqlx::query(&format!(
        "SELECT {PAYOUT_COLUMNS} FROM payouts WHERE shop_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(shop_id)
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(payout_row)
    .collect()
}

/// Payouts in one status, oldest first (the operator's queue).
pub async fn payouts_by_status(conn: &mut AnyConnection, status: &str, limit: i64) -> sqlx::Result<Vec<PayoutRow>> {
    sqlx::query(&format!(
        "SELECT {PAYOUT_COLUMNS} FROM payouts WHERE status = $1 ORDER BY created_at, id LIMIT $2"
    ))
    .bind(status)
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(payout_row)
    .collect()
}

// ---- Refunds ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRow {
    pub id: String,
    pub order_id: String,
    pub shop_id: String,
    pub amount: i64,
    pub currency: String,
    pub fee_returned: i64,
    pub source: String,
    pub route: String,
    pub reason: String,
    pub restocked: bool,
    pub created_by: String,
    pub created_at: i64,
}

const REFUND_COLUMNS: &str =
    "id, order_id, shop_id, amount, currency, fee_returned, source, route, reason, restocked, created_by, created_at";

fn refund_row(r: &AnyRow) -> sqlx::Result<RefundRow> {
    Ok(RefundRow {
        id: r.try_get(0)?,
        order_id: r.try_get(1)?,
        shop_id: r.try_get(2)?,
        amount: r.try_get(3)?,
        currency: r.try_get(4)?,
        fee_returned: r.try_get(5)?,
        source: r.try_get(6)?,
        route: r.try_get(7)?,
        reason: r.try_get(8)?,
        restocked: crate::flag(r.try_get(9)?),
        created_by: r.try_get(10)?,
        created_at: r.try_get(11)?,
    })
}

pub async fn insert_refund(conn: &mut AnyConnection, r: &RefundRow) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO refunds ({REFUND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&r.id)
    .bind(&r.order_id)
    .bind(&r.shop_id)
    .bind(r.amount)
    .bind(&r.currency)
    .bind(r.fee_returned)
    .bind(&r.source)
    .bind(&r.route)
    .bind(&r.reason)
    .bind(i64::from(r.restocked))
    .bind(&r.created_by)
    .bind(r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn refunds_of_order(conn: &mut AnyConnection, order_id: &str) -> sqlx::Result<Vec<RefundRow>> {
    sqlx::query(&format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE order_id = $1 ORDER BY created_at, id"
    ))
    .bind(order_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(refund_row)
    .collect()
}

/// Locks the order's row for the rest of the transaction (PostgreSQL; SQLite's one writer holds
/// the database anyway): refunds of one order wait for each other here. False when it is absent.
pub async fn lock_order(conn: &mut AnyConnection, order_id: &str) -> sqlx::Result<bool> {
    let engine = crate::Engine::of(conn);
    Ok(sqlx::query(&format!(
        "SELECT id FROM orders WHERE id = $1{}",
        engine.lock_for_update()
    ))
    .bind(order_id)
    .fetch_optional(conn)
    .await?
    .is_some())
}

// ---- Ledger sums ----

/// The commission the platform took on an order: what its release (or cash collection) posted
/// to platform fees.
pub async fn fee_of_order(conn: &mut AnyConnection, order_id: &str) -> sqlx::Result<i64> {
    let r = sqlx::query(
        "SELECT CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) FROM ledger_postings p \
         JOIN ledger_transactions t ON t.id = p.transaction_id JOIN ledger_accounts a ON a.id = p.account_id \
         WHERE t.reference = $1 AND t.kind IN ('escrow_released', 'cash_collected') AND a.kind = 'platform_fees'",
    )
    .bind(order_id)
    .fetch_one(conn)
    .await?;
    r.try_get(0)
}

/// The postings to one shop's accounts of `kinds` in `[from, to)` (ms), summed by account kind
/// and transaction kind: `(account kind, transaction kind, sum)`.
pub async fn shop_flows(
    conn: &mut AnyConnection,
    shop_id: &str,
    currency: &str,
    from: i64,
    to: i64,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query(
        "SELECT a.kind, t.kind, CAST(SUM(p.amount) AS BIGINT) FROM ledger_postings p \
         JOIN ledger_accounts a ON a.id = p.account_id JOIN ledger_transactions t ON t.id = p.transaction_id \
         WHERE a.owner_id = $1 AND a.currency = $2 AND p.created_at >= $3 AND p.created_at < $4 \
         GROUP BY a.kind, t.kind ORDER BY a.kind, t.kind",
    )
    .bind(shop_id)
    .bind(currency)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .collect()
}

/// The balance of a shop's account of `kind` at `at` (ms): the sum of its postings before then.
pub async fn balance_at(
    conn: &mut AnyConnection,
    shop_id: &str,
    kind: &str,
    currency: &str,
    at: i64,
) -> sqlx::Result<i64> {
    let r = sqlx::query(
        "SELECT CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) FROM ledger_postings p \
         JOIN ledger_accounts a ON a.id = p.account_id \
         WHERE a.owner_id = $1 AND a.kind = $2 AND a.currency = $3 AND p.created_at < $4",
    )
    .bind(shop_id)
    .bind(kind)
    .bind(currency)
    .bind(at)
    .fetch_one(conn)
    .await?;
    r.try_get(0)
}

/// The commission the platform charged on a shop's orders and gave back with its refunds in
/// `[from, to)`: `(transaction kind, sum posted to platform fees)`.
pub async fn platform_fees_of_shop(
    conn: &mut AnyConnection,
    shop_id: &str,
    currency: &str,
    from: i64,
    to: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query(
        "SELECT t.kind, CAST(SUM(p.amount) AS BIGINT) FROM ledger_postings p \
         JOIN ledger_transactions t ON t.id = p.transaction_id JOIN ledger_accounts a ON a.id = p.account_id \
         WHERE a.kind = 'platform_fees' AND a.currency = $1 AND p.created_at >= $2 AND p.created_at < $3 \
           AND (EXISTS (SELECT 1 FROM orders o WHERE o.id = t.reference AND o.shop_id = $4) \
             OR EXISTS (SELECT 1 FROM refunds r WHERE r.id = t.reference AND r.shop_id = $4)) \
         GROUP BY t.kind",
    )
    .bind(currency)
    .bind(from)
    .bind(to)
    .bind(shop_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect()
}

/// The totals of a shop's cash-on-delivery orders whose cash was collected in `[from, to)`.
pub async fn cash_collected_total(
    conn: &mut AnyConnection,
    shop_id: &str,
    currency: &str,
    from: i64,
    to: i64,
) -> sqlx::Result<i64> {
    sqlx::query(
        "SELECT CAST(COALESCE(SUM(o.total), 0) AS BIGINT) FROM order_events e JOIN orders o ON o.id = e.order_id \
         WHERE o.shop_id = $1 AND o.currency = $2 AND e.event = 'cash_collected' AND e.at >= $3 AND e.at < $4",
    )
    .bind(shop_id)
    .bind(currency)
    .bind(from)
    .bind(to)
    .fetch_one(conn)
    .await?
    .try_get(0)
}
