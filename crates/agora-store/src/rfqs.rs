//! Requests for quotation, the shops invited to them, and their quotes. Accepting a quote and
//! closing the others are conditional updates, so one RFQ is awarded once.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct RfqRow {
    pub id: String,
    pub buyer_account_id: String,
    pub company_id: Option<String>,
    pub title: String,
    pub description: String,
    pub category: String,
    pub quantity: i64,
    /// `(amount, currency)`.
    pub target: Option<(i64, String)>,
    pub target_shown: bool,
    pub delivery_country: Option<String>,
    pub payment_method: String,
    pub shipping_address: Option<String>,
    pub deadline: i64,
    pub visibility: String,
    pub status: String,
    pub accepted_quote_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "r.id, r.buyer_account_id, r.company_id, r.title, r.description, r.category, r.quantity, \
     r.target_amount, r.target_currency, r.target_shown, r.delivery_country, r.payment_method, r.shipping_address, \
     r.deadline, r.visibility, r.status, r.accepted_quote_id, r.created_at, r.updated_at";

fn rfq(r: &AnyRow) -> sqlx::Result<RfqRow> {
    let amount: Option<i64> = r.try_get(7)?;
    let currency: Option<String> = r.try_get(8)?;
    Ok(RfqRow {
        id: r.try_get(0)?,
        buyer_account_id: r.try_get(1)?,
        company_id: r.try_get(2)?,
        title: r.try_get(3)?,
        description: r.try_get(4)?,
        category: r.try_get(5)?,
        quantity: r.try_get(6)?,
        target: amount.zip(currency),
        target_shown: crate::flag(r.try_get(9)?),
        delivery_country: r.try_get(10)?,
        payment_method: r.try_get(11)?,
        shipping_address: r.try_get(12)?,
        deadline: r.try_get(13)?,
        visibility: r.try_get(14)?,
        status: r.try_get(15)?,
        accepted_quote_id: r.try_get(16)?,
        created_at: r.try_get(17)?,
        updated_at: r.try_get(18)?,
    })
}

pub async fn insert(conn: &mut AnyConnection, r: &RfqRow, invited: &[String]) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO rfqs (id, buyer_account_id, company_id, title, description, category, quantity, target_amount, \
         target_currency, target_shown, delivery_country, payment_method, shipping_address, deadline, visibility, status, \
         accepted_quote_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(&r.id)
    .bind(&r.buyer_account_id)
    .bind(&r.company_id)
    .bind(&r.title)
    .bind(&r.description)
    .bind(&r.category)
    .bind(r.quantity)
    .bind(r.target.as_ref().map(|t| t.0))
    .bind(r.target.as_ref().map(|t| t.1.clone()))
    .bind(i64::from(r.target_shown))
    .bind(&r.delivery_country)
    .bind(&r.payment_method)
    .bind(&r.shipping_address)
    .bind(r.deadline)
    .bind(&r.visibility)
    .bind(&r.status)
    .bind(&r.accepted_quote_id)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(&mut *conn)
    .await?;
    for shop in invited {
        sqlx::query("INSERT INTO rfq_invitations (rfq_id, shop_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(&r.id)
            .bind(shop)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<RfqRow>> {
    let sql = format!("SELECT {COLUMNS} FROM rfqs r WHERE r.id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(rfq)
        .transpose()
}

pub async fn invited(conn: &mut AnyConnection, rfq_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query("SELECT shop_id FROM rfq_invitations WHERE rfq_id = $1 ORDER BY shop_id")
        .bind(rfq_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

/// The condition under which shop `$n` sees an RFQ `r`: invited, or the RFQ is public and the
/// shop (approved) sells in its category or the category's parent.
fn seen_by_shop(n: usize) -> String {
    format!(
        "(r.id IN (SELECT i.rfq_id FROM rfq_invitations i WHERE i.shop_id = ${n}) \
         OR (r.visibility = 'public' AND EXISTS (SELECT 1 FROM shops s JOIN shop_categories sc ON sc.shop_id = s.id \
         WHERE s.id = ${n} AND s.status = 'approved' AND (sc.category_slug = r.category \
         OR sc.category_slug = (SELECT c.parent FROM categories c WHERE c.slug = r.category)))))"
    )
}

/// Whether shop `shop_id` may see RFQ `rfq_id`.
pub async fn visible_to_shop(conn: &mut AnyConnection, rfq_id: &str, shop_id: &str) -> sqlx::Result<bool> {
    let sql = format!("SELECT 1 FROM rfqs r WHERE r.id = $1 AND {}", seen_by_shop(2));
    Ok(sqlx::query(&sql)
        .bind(rfq_id)
        .bind(shop_id)
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// The newest RFQs a buyer published.
pub async fn of_buyer(conn: &mut AnyConnection, account_id: &str, limit: i64) -> sqlx::Result<Vec<RfqRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM rfqs r WHERE r.buyer_account_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT $2"
    );
    sqlx::query(&sql)
        .bind(account_id)
        .bind(limit)
        .fetch_all(conn)
        .await?
        .iter()
        .map(rfq)
        .collect()
}

/// The RFQs shop `shop_id` sees, soonest deadline first: those still open to quotes (deadline
/// after `now`) and those it quoted on.
pub async fn for_shop(conn: &mut AnyConnection, shop_id: &str, now: i64, limit: i64) -> sqlx::Result<Vec<RfqRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM rfqs r WHERE {} AND ((r.status = 'open' AND r.deadline > $2) \
         OR r.id IN (SELECT q.rfq_id FROM quotes q WHERE q.shop_id = $1)) ORDER BY r.deadline, r.id LIMIT $3",
        seen_by_shop(1)
    );
    sqlx::query(&sql)
        .bind(shop_id)
        .bind(now)
        .bind(limit)
        .fetch_all(conn)
        .await?
        .iter()
        .map(rfq)
        .collect()
}

/// Marks an open RFQ awarded to `quote_id`; false when it was awarded already.
pub async fn award(conn: &mut AnyConnection, rfq_id: &str, quote_id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE rfqs SET status = 'awarded', accepted_quote_id = $1, updated_at = $2 WHERE id = $3 AND status = 'open'",
    )
    .bind(quote_id)
    .bind(now)
    .bind(rfq_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct QuoteRow {
    pub id: String,
    pub rfq_id: String,
    pub shop_id: String,
    pub account_id: String,
    pub session_id: String,
    pub variant_id: Option<String>,
    pub unit_price: i64,
    pub currency: String,
    pub quantity: i64,
    pub shipping: i64,
    pub lead_time_days: i64,
    pub valid_until: i64,
    pub note: Option<String>,
    pub status: String,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const QUOTE_COLUMNS: &str = "id, rfq_id, shop_id, account_id, session_id, variant_id, unit_price, currency, quantity, \
     shipping, lead_time_days, valid_until, note, status, revision, created_at, updated_at";

fn quote(r: &AnyRow) -> sqlx::Result<QuoteRow> {
    Ok(QuoteRow {
        id: r.try_get(0)?,
        rfq_id: r.try_get(1)?,
        shop_id: r.try_get(2)?,
        account_id: r.try_get(3)?,
        session_id: r.try_get(4)?,
        variant_id: r.try_get(5)?,
        unit_price: r.try_get(6)?,
        currency: r.try_get(7)?,
        quantity: r.try_get(8)?,
        shipping: r.try_get(9)?,
        lead_time_days: r.try_get(10)?,
        valid_until: r.try_get(11)?,
        note: r.try_get(12)?,
        status: r.try_get(13)?,
        revision: r.try_get(14)?,
        created_at: r.try_get(15)?,
        updated_at: r.try_get(16)?,
    })
}

/// Inserts a shop's first quote on an RFQ; false when the shop quoted meanwhile.
pub async fn insert_quote(conn: &mut AnyConnection, q: &QuoteRow) -> sqlx::Result<bool> {
    let sql = format!(
        "INSERT INTO quotes ({QUOTE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (rfq_id, shop_id) DO NOTHING"
    );
    let done = sqlx::query(&sql)
        .bind(&q.id)
        .bind(&q.rfq_id)
        .bind(&q.shop_id)
        .bind(&q.account_id)
        .bind(&q.session_id)
        .bind(&q.variant_id)
        .bind(q.unit_price)
        .bind(&q.currency)
        .bind(q.quantity)
        .bind(q.shipping)
        .bind(q.lead_time_days)
        .bind(q.valid_until)
        .bind(&q.note)
        .bind(&q.status)
        .bind(q.revision)
        .bind(q.created_at)
        .bind(q.updated_at)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Revises a submitted quote still at `q.revision - 1`; false when it moved meanwhile.
pub async fn revise_quote(conn: &mut AnyConnection, q: &QuoteRow) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE quotes SET account_id = $1, session_id = $2, variant_id = $3, unit_price = $4, currency = $5, quantity = $6, \
         shipping = $7, lead_time_days = $8, valid_until = $9, note = $10, revision = $11, updated_at = $12 \
         WHERE id = $13 AND status = 'submitted' AND revision = $14",
    )
    .bind(&q.account_id)
    .bind(&q.session_id)
    .bind(&q.variant_id)
    .bind(q.unit_price)
    .bind(&q.currency)
    .bind(q.quantity)
    .bind(q.shipping)
    .bind(q.lead_time_days)
    .bind(q.valid_until)
    .bind(&q.note)
    .bind(q.revision)
    .bind(q.updated_at)
    .bind(&q.id)
    .bind(q.revision - 1)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn quote_by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<QuoteRow>> {
    let sql = format!("SELECT {QUOTE_COLUMNS} FROM quotes WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(quote)
        .transpose()
}

pub async fn quote_of_shop(conn: &mut AnyConnection, rfq_id: &str, shop_id: &str) -> sqlx::Result<Option<QuoteRow>> {
    let sql = format!("SELECT {QUOTE_COLUMNS} FROM quotes WHERE rfq_id = $1 AND shop_id = $2");
    sqlx::query(&sql)
        .bind(rfq_id)
        .bind(shop_id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(quote)
        .transpose()
}

/// Every quote on an RFQ (for its buyer).
pub async fn quotes_of(conn: &mut AnyConnection, rfq_id: &str) -> sqlx::Result<Vec<QuoteRow>> {
    let sql = format!("SELECT {QUOTE_COLUMNS} FROM quotes WHERE rfq_id = $1 ORDER BY created_at, id");
    sqlx::query(&sql)
        .bind(rfq_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(quote)
        .collect()
}

/// Moves a submitted quote to `status`; false when it was not submitted any more.
pub async fn set_quote_status(conn: &mut AnyConnection, id: &str, status: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE quotes SET status = $1, updated_at = $2 WHERE id = $3 AND status = 'submitted'")
        .bind(status)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes every other submitted quote of the RFQ as rejected; returns `(quote id, shop id)` of
/// each.
pub async fn reject_others(
    conn: &mut AnyConnection,
    rfq_id: &str,
    accepted: &str,
    now: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query(
        "UPDATE quotes SET status = 'rejected', updated_at = $1 WHERE rfq_id = $2 AND id <> $3 AND status = 'submitted' \
         RETURNING id, shop_id",
    )
    .bind(now)
    .bind(rfq_id)
    .bind(accepted)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect()
}

/// Marks an open RFQ cancelled; false when it was awarded or cancelled already.
pub async fn cancel(conn: &mut AnyConnection, rfq_id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE rfqs SET status = 'cancelled', updated_at = $1 WHERE id = $2 AND status = 'open'")
        .bind(now)
        .bind(rfq_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes every submitted quote of a cancelled RFQ as rejected; returns `(quote id, shop id)`
/// of each.
pub async fn reject_all(conn: &mut AnyConnection, rfq_id: &str, now: i64) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query(
        "UPDATE quotes SET status = 'rejected', updated_at = $1 WHERE rfq_id = $2 AND status = 'submitted' \
         RETURNING id, shop_id",
    )
    .bind(now)
    .bind(rfq_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect()
}

/// Expires a quote still submitted at `revision` whose validity ended by `now`; false when it
/// moved on (revised, accepted, closed) first.
pub async fn expire_quote(conn: &mut AnyConnection, id: &str, revision: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE quotes SET status = 'expired', updated_at = $1 \
         WHERE id = $2 AND status = 'submitted' AND revision = $3 AND valid_until <= $1",
    )
    .bind(now)
    .bind(id)
    .bind(revision)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether shop `shop_id` quoted on the RFQ or was invited to it.
pub async fn quoted_or_invited(conn: &mut AnyConnection, rfq_id: &str, shop_id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 FROM quotes WHERE rfq_id = $1 AND shop_id = $2 \
         UNION ALL SELECT 1 FROM rfq_invitations WHERE rfq_id = $1 AND shop_id = $2",
    )
    .bind(rfq_id)
    .bind(shop_id)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// The oldest conversation between the RFQ's buyer and shop `shop_id` about the RFQ.
pub async fn conversation_about(
    conn: &mut AnyConnection,
    rfq_id: &str,
    shop_id: &str,
    buyer_account_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query(
        "SELECT id FROM conversations WHERE rfq_id = $1 AND shop_id = $2 AND buyer_account_id = $3 \
         ORDER BY created_at, id LIMIT 1",
    )
    .bind(rfq_id)
    .bind(shop_id)
    .bind(buyer_account_id)
    .fetch_optional(conn)
    .await?
    .map(|r| r.try_get(0))
    .transpose()
}
