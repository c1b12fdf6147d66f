//! Coupons and their redemptions. A use is consumed by one conditional update of the coupon's
//! count, which also locks the coupon's row until the transaction ends: checkouts using one coupon
//! take turns there, so a limit is never exceeded however many run at once.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A coupon as stored. Amounts are minor units of `currency`; times are Unix ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRow {
    pub id: String,
    /// `None` for the operator's coupons.
    pub shop_id: Option<String>,
    /// Upper-cased.
    pub code: String,
    /// `percentage` or `fixed`.
    pub kind: String,
    pub percentage_bp: Option<i64>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub min_spend: Option<i64>,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub total_limit: Option<i64>,
    pub per_buyer_limit: Option<i64>,
    pub used_count: i64,
    pub active: bool,
    pub created_by: String,
    pub created_at: i64,
}

const COLUMNS: &str = "c.id, c.shop_id, c.code, c.kind, c.percentage_bp, c.amount, c.currency, c.min_spend, \
     c.valid_from, c.valid_until, c.total_limit, c.per_buyer_limit, c.used_count, c.active, c.created_by, c.created_at";

fn from_row(r: &AnyRow) -> sqlx::Result<CouponRow> {
    Ok(CouponRow {
        id: r.try_get(0)?,
        shop_id: r.try_get(1)?,
        code: r.try_get(2)?,
        kind: r.try_get(3)?,
        percentage_bp: r.try_get(4)?,
        amount: r.try_get(5)?,
        currency: r.try_get(6)?,
        min_spend: r.try_get(7)?,
        valid_from: r.try_get(8)?,
        valid_until: r.try_get(9)?,
        total_limit: r.try_get(10)?,
        per_buyer_limit: r.try_get(11)?,
        used_count: r.try_get(12)?,
        active: crate::flag(r.try_get(13)?),
        created_by: r.try_get(14)?,
        created_at: r.try_get(15)?,
    })
}

/// Inserts a coupon; false (and nothing written) when its scope already has this code.
pub async fn insert(conn: &mut AnyConnection, c: &CouponRow) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO coupons (id, shop_id, code, kind, percentage_bp, amount, currency, min_spend, valid_from, \
         valid_until, total_limit, per_buyer_limit, used_count, active, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&c.id)
    .bind(c.shop_id.as_deref())
    .bind(&c.code)
    .bind(&c.kind)
    .bind(c.percentage_bp)
    .bind(c.amount)
    .bind(c.currency.as_deref())
    .bind(c.min_spend)
    .bind(c.valid_from)
    .bind(c.valid_until)
    .bind(c.total_limit)
    .bind(c.per_buyer_limit)
    .bind(c.used_count)
    .bind(i64::from(c.active))
    .bind(&c.created_by)
    .bind(c.created_at)
    .execute(conn)
    .await;
    match result {
        Ok(_) => Ok(true),
        Err(e) if crate::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<CouponRow>> {
    let sql = format!("SELECT {COLUMNS} FROM coupons c WHERE c.id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A shop's coupons (`None`: the operator's), newest first.
pub async fn list(conn: &mut AnyConnection, shop_id: Option<&str>) -> sqlx::Result<Vec<CouponRow>> {
    let sql = match shop_id {
        Some(_) => format!("SELECT {COLUMNS} FROM coupons c WHERE c.shop_id = $1 ORDER BY c.created_at DESC, c.id"),
        None => format!("SELECT {COLUMNS} FROM coupons c WHERE c.shop_id IS NULL ORDER BY c.created_at DESC, c.id"),
    };
    let mut query = sqlx::query(&sql);
    if let Some(shop) = shop_id {
        query = query.bind(shop);
    }
    query.fetch_all(conn).await?.iter().map(from_row).collect()
}

/// Stops a coupon from being used; false when there is no such coupon.
pub async fn deactivate(conn: &mut AnyConnection, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE coupons SET active = 0 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The active coupons with this (upper-cased) code, of every scope, each with how many checkouts
/// of `buyer` used it so far.
pub async fn active_by_code(conn: &mut AnyConnection, code: &str, buyer: &str) -> sqlx::Result<Vec<(CouponRow, i64)>> {
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT COUNT(*) FROM coupon_redemptions r WHERE r.coupon_id = c.id AND r.buyer_account_id = $2 \
         AND r.returned_at IS NULL) \
         FROM coupons c WHERE c.code = $1 AND c.active = 1 ORDER BY c.created_at, c.id"
    );
    sqlx::query(&sql)
        .bind(code)
        .bind(buyer)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| Ok((from_row(r)?, r.try_get(16)?)))
        .collect()
}

/// Why a use could not be consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotConsumed {
    /// Every use is taken (or the coupon was deactivated meanwhile).
    UsedUp,
    /// This buyer used it as often as allowed.
    BuyerLimit,
}

/// One use of a coupon, for [`consume`].
#[derive(Debug, Clone, Copy)]
pub struct Redemption<'a> {
    pub coupon_id: &'a str,
    pub buyer_account_id: &'a str,
    pub group_id: &'a str,
    /// The coupon's limit of uses per buyer (coupons never change it).
    pub per_buyer_limit: Option<i64>,
    pub amount: i64,
    pub currency: &'a str,
    pub at: i64,
}

/// Consumes one use of a coupon inside the checkout's transaction: counts it only while uses are
/// left (the update locks the coupon's row until the transaction ends, so concurrent checkouts
/// take turns and a later one sees the earlier one's count), then checks the buyer's own uses
/// under that lock and records the redemption. On `Err`, the caller must roll back.
pub async fn consume(conn: &mut AnyConnection, r: &Redemption<'_>) -> sqlx::Result<Result<(), NotConsumed>> {
    let counted = sqlx::query(
        "UPDATE coupons SET used_count = used_count + 1 \
         WHERE id = $1 AND active = 1 AND (total_limit IS NULL OR used_count < total_limit)",
    )
    .bind(r.coupon_id)
    .execute(&mut *conn)
    .await?;
    if counted.rows_affected() != 1 {
        return Ok(Err(NotConsumed::UsedUp));
    }
    // Read after taking the lock: on PostgreSQL this statement sees every checkout that used the
    // coupon and committed before this one got the lock.
    if let Some(limit) = r.per_buyer_limit {
        let used: i64 = sqlx::query(
            "SELECT COUNT(*) FROM coupon_redemptions \
                 WHERE coupon_id = $1 AND buyer_account_id = $2 AND returned_at IS NULL",
        )
        .bind(r.coupon_id)
        .bind(r.buyer_account_id)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        if used >= limit {
            return Ok(Err(NotConsumed::BuyerLimit));
        }
    }
    sqlx::query(
        "INSERT INTO coupon_redemptions (coupon_id, buyer_account_id, group_id, amount, currency, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(r.coupon_id)
    .bind(r.buyer_account_id)
    .bind(r.group_id)
    .bind(r.amount)
    .bind(r.currency)
    .bind(r.at)
    .execute(conn)
    .await?;
    Ok(Ok(()))
}

/// How many checkouts used a coupon: its count, and its redemption rows not given back (they must
/// agree).
pub async fn uses(conn: &mut AnyConnection, id: &str) -> sqlx::Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT c.used_count, \
         (SELECT COUNT(*) FROM coupon_redemptions r WHERE r.coupon_id = c.id AND r.returned_at IS NULL) \
         FROM coupons c WHERE c.id = $1",
    )
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Gives back the coupon use of an order group once none of the orders its coupon covers (the
/// coupon's shop's, or every order for an operator's coupon) is still live, i.e. all of them are in
/// `cancelled`: marks the redemption returned and counts the use off the coupon. Returns the
/// coupons given back (none, or the group's one).
pub async fn give_back(
    conn: &mut AnyConnection,
    group_id: &str,
    cancelled: &str,
    now: i64,
) -> sqlx::Result<Vec<String>> {
    let returned: Vec<String> = sqlx::query(
        "UPDATE coupon_redemptions SET returned_at = $2 \
         WHERE group_id = $1 AND returned_at IS NULL AND NOT EXISTS ( \
           SELECT 1 FROM orders o JOIN coupons c ON c.id = coupon_redemptions.coupon_id \
           WHERE o.group_id = $1 AND o.status <> $3 AND (c.shop_id IS NULL OR c.shop_id = o.shop_id)) \
         RETURNING coupon_id",
    )
    .bind(group_id)
    .bind(now)
    .bind(cancelled)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<sqlx::Result<_>>()?;
    for id in &returned {
        sqlx::query("UPDATE coupons SET used_count = used_count - 1 WHERE id = $1 AND used_count > 0")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(returned)
}

/// What came of [`update`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Updated {
    Done,
    /// Another coupon of the same scope has the code.
    CodeTaken,
    /// The new total limit is below the uses already counted (or there is no such coupon).
    BelowUses,
}

/// Changes a coupon's terms (everything but its scope, count, state and creator). The total limit
/// is checked against the count in the same statement, so a concurrent checkout cannot slip past it.
pub async fn update(conn: &mut AnyConnection, c: &CouponRow) -> sqlx::Result<Updated> {
    let result = sqlx::query(
        "UPDATE coupons SET code = $2, kind = $3, percentage_bp = $4, amount = $5, currency = $6, min_spend = $7, \
         valid_from = $8, valid_until = $9, total_limit = $10, per_buyer_limit = $11 \
         WHERE id = $1 AND ($10 IS NULL OR used_count <= $10)",
    )
    .bind(&c.id)
    .bind(&c.code)
    .bind(&c.kind)
    .bind(c.percentage_bp)
    .bind(c.amount)
    .bind(c.currency.as_deref())
    .bind(c.min_spend)
    .bind(c.valid_from)
    .bind(c.valid_until)
    .bind(c.total_limit)
    .bind(c.per_buyer_limit)
    .execute(conn)
    .await;
    match result {
        Ok(done) if done.rows_affected() == 1 => Ok(Updated::Done),
        Ok(_) => Ok(Updated::BelowUses),
        Err(e) if crate::is_unique_violation(&e) => Ok(Updated::CodeTaken),
        Err(e) => Err(e),
    }
}
