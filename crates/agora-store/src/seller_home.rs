//! The figures of a seller's home: how many listings each shop has in each status, and the
//! variants whose stock is at or below their low-stock threshold.

use sqlx::{AnyConnection, Row};

/// `$first, $first+1, …`: placeholders for a list of `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Listings per shop and status: `(shop id, status, count)`.
pub async fn listing_counts(conn: &mut AnyConnection, shop_ids: &[String]) -> sqlx::Result<Vec<(String, String, i64)>> {
    if shop_ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT shop_id, status, COUNT(*) FROM products WHERE shop_id IN ({}) GROUP BY shop_id, status",
        placeholders(1, shop_ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in shop_ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// A variant running low.
#[derive(Debug, Clone)]
pub struct LowStockRow {
    pub variant_id: String,
    pub sku: String,
    pub attributes: String,
    pub stock: i64,
    pub threshold: i64,
    pub product_id: String,
    pub title: String,
    pub category: String,
    pub shop_id: String,
}

/// The variants on sale (or in draft) of these shops whose stock is at or below their threshold,
/// emptiest first.
pub async fn low_stock(conn: &mut AnyConnection, shop_ids: &[String], limit: i64) -> sqlx::Result<Vec<LowStockRow>> {
    if shop_ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT v.id, v.sku, v.attributes, v.stock, v.low_stock_threshold, p.id, p.title, p.category, p.shop_id
         FROM variants v JOIN products p ON p.id = v.product_id
         WHERE v.shop_id IN ({}) AND v.archived_at IS NULL AND p.status <> 'archived' AND v.stock <= v.low_stock_threshold
         ORDER BY v.stock, p.title, v.sku LIMIT $1",
        placeholders(2, shop_ids.len())
    );
    let mut query = sqlx::query(&sql).bind(limit);
    for id in shop_ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(LowStockRow {
                variant_id: r.try_get(0)?,
                sku: r.try_get(1)?,
                attributes: r.try_get(2)?,
                stock: r.try_get(3)?,
                threshold: r.try_get(4)?,
                product_id: r.try_get(5)?,
                title: r.try_get(6)?,
                category: r.try_get(7)?,
                shop_id: r.try_get(8)?,
            })
        })
        .collect()
}

/// A product in the seller's list.
#[derive(Debug, Clone)]
pub struct ListedProduct {
    pub id: String,
    pub title: String,
    pub category: String,
    pub status: String,
    /// The blob key of its first picture's thumbnail.
    pub thumb_key: Option<String>,
}

/// A shop's products, newest first, whatever their status.
pub async fn products_of_shop(conn: &mut AnyConnection, shop_id: &str, limit: i64) -> sqlx::Result<Vec<ListedProduct>> {
    let rows = sqlx::query(
        "SELECT p.id, p.title, p.category, p.status,
                (SELECT i.thumb_key FROM product_images i WHERE i.product_id = p.id ORDER BY i.position, i.created_at LIMIT 1)
         FROM products p WHERE p.shop_id = $1 ORDER BY p.created_at DESC, p.id LIMIT $2",
    )
    .bind(shop_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ListedProduct {
                id: r.try_get(0)?,
                title: r.try_get(1)?,
                category: r.try_get(2)?,
                status: r.try_get(3)?,
                thumb_key: r.try_get(4)?,
            })
        })
        .collect()
}

/// A variant in the seller's list.
#[derive(Debug, Clone)]
pub struct ListedVariant {
    pub product_id: String,
    pub id: String,
    pub sku: String,
    pub attributes: String,
    pub price_amount: i64,
    pub currency: String,
    pub stock: i64,
    pub threshold: i64,
    pub archived: bool,
}

/// Every variant of a shop, by product and position.
pub async fn variants_of_shop(conn: &mut AnyConnection, shop_id: &str) -> sqlx::Result<Vec<ListedVariant>> {
    let rows = sqlx::query(
        "SELECT product_id, id, sku, attributes, price_amount, currency, stock, low_stock_threshold,
                CAST(CASE WHEN archived_at IS NULL THEN 0 ELSE 1 END AS BIGINT)
         FROM variants WHERE shop_id = $1 ORDER BY product_id, position, sku",
    )
    .bind(shop_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ListedVariant {
                product_id: r.try_get(0)?,
                id: r.try_get(1)?,
                sku: r.try_get(2)?,
                attributes: r.try_get(3)?,
                price_amount: r.try_get(4)?,
                currency: r.try_get(5)?,
                stock: r.try_get(6)?,
                threshold: r.try_get(7)?,
                archived: crate::flag(r.try_get(8)?),
            })
        })
        .collect()
}
