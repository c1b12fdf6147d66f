//! Queries for bulk catalog import and export: a shop's whole catalog read in a few queries, and
//! the single-variant writes an import needs beside [`crate::products`] (which inserts products and
//! variants in bulk) and [`crate::catalog`].

use agora_core::catalog::StockMovementKind;
use sqlx::{AnyConnection, Row};

use crate::products::{
    product_at, values, variant_at, ProductRow, VariantRow, PARAMS_PER_INSERT, PRODUCT_COLUMNS, PRODUCT_COLUMN_COUNT,
    VARIANT_COLUMNS,
};

/// Every product of a shop.
pub async fn products_of_shop(conn: &mut AnyConnection, shop_id: &str) -> sqlx::Result<Vec<ProductRow>> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.shop_id = $1");
    let rows = sqlx::query(&sql).bind(shop_id).fetch_all(conn).await?;
    rows.iter().map(|r| product_at(r, 0)).collect()
}

/// Every variant of a shop.
pub async fn variants_of_shop(conn: &mut AnyConnection, shop_id: &str) -> sqlx::Result<Vec<VariantRow>> {
    let sql = format!("SELECT {VARIANT_COLUMNS} FROM variants v WHERE v.shop_id = $1");
    let rows = sqlx::query(&sql).bind(shop_id).fetch_all(conn).await?;
    rows.iter().map(|r| variant_at(r, 0)).collect()
}

/// The volume tiers of every variant of a shop: `(variant id, min qty, unit price)`.
pub async fn tiers_of_shop(conn: &mut AnyConnection, shop_id: &str) -> sqlx::Result<Vec<crate::catalog::TierRow>> {
    let rows = sqlx::query(
        "SELECT t.variant_id, t.min_qty, t.unit_price_amount FROM price_tiers t JOIN variants v ON v.id = t.variant_id
         WHERE v.shop_id = $1 ORDER BY t.variant_id, t.min_qty",
    )
    .bind(shop_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// A shop's catalog in a stable order for export: products by creation, variants by position.
pub async fn catalog_of_shop(conn: &mut AnyConnection, shop_id: &str) -> sqlx::Result<Vec<(ProductRow, VariantRow)>> {
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS}, {VARIANT_COLUMNS} FROM products p JOIN variants v ON v.product_id = p.id
         WHERE p.shop_id = $1 ORDER BY p.created_at, p.id, v.position, v.sku"
    );
    let rows = sqlx::query(&sql).bind(shop_id).fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((product_at(r, 0)?, variant_at(r, PRODUCT_COLUMN_COUNT)?)))
        .collect()
}

/// A stock movement applied together with its variant's insertion (the initial stock).
#[derive(Debug, Clone)]
pub struct NewMovement<'a> {
    pub variant_id: &'a str,
    pub kind: StockMovementKind,
    pub delta: i64,
    pub stock_after: i64,
    pub actor: Option<&'a str>,
    pub reason: &'a str,
    pub at: i64,
}

/// Records many movements whose stock changes were applied with the variants' insertion. Changes
/// to existing stock go through [`crate::catalog::move_stock`] instead.
pub async fn insert_movements(conn: &mut AnyConnection, movements: &[NewMovement<'_>]) -> sqlx::Result<()> {
    for chunk in movements.chunks(PARAMS_PER_INSERT / 7) {
        let sql = format!(
            "INSERT INTO stock_movements (variant_id, kind, delta, stock_after, actor, reason, at) VALUES {}",
            values(chunk.len(), 7)
        );
        let mut query = sqlx::query(&sql);
        for m in chunk {
            query = query
                .bind(m.variant_id)
                .bind(m.kind.as_str())
                .bind(m.delta)
                .bind(m.stock_after)
                .bind(m.actor)
                .bind(m.reason)
                .bind(m.at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Sets a variant's price, GTIN and attributes (stock moves only through movements).
pub async fn update_variant(
    conn: &mut AnyConnection,
    variant_id: &str,
    price_amount: i64,
    currency: &str,
    gtin: Option<&str>,
    attributes: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE variants SET price_amount = $1, currency = $2, gtin = $3, attributes = $4 WHERE id = $5")
        .bind(price_amount)
        .bind(currency)
        .bind(gtin)
        .bind(attributes)
        .bind(variant_id)
        .execute(conn)
        .await?;
    Ok(())
}
