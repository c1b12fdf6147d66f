//! Queries for bulk catalog import and export: a shop's whole catalog read in a few queries, and
//! the single-variant writes an import needs beside [`crate::products`] and [`crate::catalog`].

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::products::{ProductRow, VariantRow};

const PRODUCT_COLUMNS: &str =
    "p.id, p.shop_id, p.title, p.description, p.category, p.status, p.attributes, p.min_order_qty, p.featured, \
     p.created_at, p.updated_at";
const VARIANT_COLUMNS: &str =
    "v.id, v.product_id, v.shop_id, v.sku, v.gtin, v.price_amount, v.currency, v.stock, v.attributes, v.position";

fn product_at(r: &AnyRow, at: usize) -> sqlx::Result<ProductRow> {
    Ok(ProductRow {
        id: r.try_get(at)?,
        shop_id: r.try_get(at + 1)?,
        title: r.try_get(at + 2)?,
        description: r.try_get(at + 3)?,
        category: r.try_get(at + 4)?,
        status: r.try_get(at + 5)?,
        attributes: r.try_get(at + 6)?,
        min_order_qty: r.try_get(at + 7)?,
        featured: crate::flag(r.try_get(at + 8)?),
        created_at: r.try_get(at + 9)?,
        updated_at: r.try_get(at + 10)?,
    })
}

fn variant_at(r: &AnyRow, at: usize) -> sqlx::Result<VariantRow> {
    Ok(VariantRow {
        id: r.try_get(at)?,
        product_id: r.try_get(at + 1)?,
        shop_id: r.try_get(at + 2)?,
        sku: r.try_get(at + 3)?,
        gtin: r.try_get(at + 4)?,
        price_amount: r.try_get(at + 5)?,
        currency: r.try_get(at + 6)?,
        stock: r.try_get(at + 7)?,
        attributes: r.try_get(at + 8)?,
        position: r.try_get(at + 9)?,
    })
}

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
        .map(|r| Ok((product_at(r, 0)?, variant_at(r, 11)?)))
        .collect()
}

/// Adds a variant to an existing product, with its stock as given (record the movement with
/// [`record_movement`]).
pub async fn insert_variant(conn: &mut AnyConnection, v: &VariantRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO variants (id, product_id, shop_id, sku, gtin, price_amount, currency, stock, attributes, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&v.id)
    .bind(&v.product_id)
    .bind(&v.shop_id)
    .bind(&v.sku)
    .bind(v.gtin.as_deref())
    .bind(v.price_amount)
    .bind(&v.currency)
    .bind(v.stock)
    .bind(&v.attributes)
    .bind(v.position)
    .execute(conn)
    .await?;
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

/// Records a stock movement that was applied together with the variant's insertion (its initial
/// stock). Changes to existing stock go through [`crate::catalog::move_stock`] instead.
#[allow(clippy::too_many_arguments)]
pub async fn record_movement(
    conn: &mut AnyConnection,
    variant_id: &str,
    kind: &str,
    delta: i64,
    stock_after: i64,
    actor: Option<&str>,
    reason: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO stock_movements (variant_id, kind, delta, stock_after, actor, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(variant_id)
    .bind(kind)
    .bind(delta)
    .bind(stock_after)
    .bind(actor)
    .bind(reason)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
