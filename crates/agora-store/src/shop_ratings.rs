//! Buyers' ratings of shops, one per order, and each shop's count and sum of scores.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct RatingRow {
    pub order_id: String,
    pub shop_id: String,
    pub account_id: String,
    pub score: i64,
    pub comment: Option<String>,
    pub created_at: i64,
}

fn rating(r: &AnyRow) -> sqlx::Result<RatingRow> {
    Ok(RatingRow {
        order_id: r.try_get(0)?,
        shop_id: r.try_get(1)?,
        account_id: r.try_get(2)?,
        score: r.try_get(3)?,
        comment: r.try_get(4)?,
        created_at: r.try_get(5)?,
    })
}

/// Stores the rating of an order; false when the order was rated already.
pub async fn insert(conn: &mut AnyConnection, r: &RatingRow) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO shop_ratings (order_id, shop_id, account_id, score, comment, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(&r.order_id)
    .bind(&r.shop_id)
    .bind(&r.account_id)
    .bind(r.score)
    .bind(&r.comment)
    .bind(r.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn of_order(conn: &mut AnyConnection, order_id: &str) -> sqlx::Result<Option<RatingRow>> {
    sqlx::query(
        "SELECT order_id, shop_id, account_id, score, comment, created_at FROM shop_ratings WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(rating)
    .transpose()
}

/// How many ratings the shop has and the sum of their scores.
pub async fn summary(conn: &mut AnyConnection, shop_id: &str) -> sqlx::Result<(i64, i64)> {
    let r =
        sqlx::query("SELECT COUNT(*), CAST(COALESCE(SUM(score), 0) AS BIGINT) FROM shop_ratings WHERE shop_id = $1")
            .bind(shop_id)
            .fetch_one(conn)
            .await?;
    // PostgreSQL sums BIGINTs into NUMERIC; the cast keeps one type on both engines.
    Ok((r.try_get(0)?, r.try_get(1)?))
}
