//! Queries for bulk catalog import and export: a shop's whole catalog read in a few queries, and
//! the single-variant writes an import needs beside [`crate::products`] and [`crate::catalog`].

use sqlx::{AnyConnection, Row};

use crate::products::{product_at, variant_at, ProductRow, VariantRow, PRODUCT_COLUMNS, VARIANT_COLUMNS};

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

/// Bound parameters per multi-row INSERT. Far below both engines' limits: SQLite looks parameter
/// names up by a linear scan (and sqlx-sqlite looks up each one), so binding grows with the
/// square of the count; a few hundred keeps that negligible while saving most round trips.
const PARAMS_PER_INSERT: usize = 200;

/// `($1, $2, …), ($n+1, …)`: the VALUES of a multi-row insert of `rows` rows of `columns` columns.
fn values(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * columns + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// Inserts many products, a few hundred per statement (their variants with [`insert_variants`]).
pub async fn insert_products(conn: &mut AnyConnection, products: &[&ProductRow]) -> sqlx::Result<()> {
    for chunk in products.chunks(PARAMS_PER_INSERT / 11) {
        let sql = format!(
            "INSERT INTO products (id, shop_id, title, description, category, status, attributes, min_order_qty, featured,
                                   created_at, updated_at) VALUES {}",
            values(chunk.len(), 11)
        );
        let mut query = sqlx::query(&sql);
        for p in chunk {
            query = query
                .bind(&p.id)
                .bind(&p.shop_id)
                .bind(&p.title)
                .bind(&p.description)
                .bind(&p.category)
                .bind(&p.status)
                .bind(&p.attributes)
                .bind(p.min_order_qty)
                .bind(i64::from(p.featured))
                .bind(p.created_at)
                .bind(p.updated_at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts many variants, with their stock as given (record the movements with
/// [`insert_movements`]).
pub async fn insert_variants(conn: &mut AnyConnection, variants: &[&VariantRow]) -> sqlx::Result<()> {
    for chunk in variants.chunks(PARAMS_PER_INSERT / 10) {
        let sql = format!(
            "INSERT INTO variants (id, product_id, shop_id, sku, gtin, price_amount, currency, stock, attributes, position)
             VALUES {}",
            values(chunk.len(), 10)
        );
        let mut query = sqlx::query(&sql);
        for v in chunk {
            query = query
                .bind(&v.id)
                .bind(&v.product_id)
                .bind(&v.shop_id)
                .bind(&v.sku)
                .bind(v.gtin.as_deref())
                .bind(v.price_amount)
                .bind(&v.currency)
                .bind(v.stock)
                .bind(&v.attributes)
                .bind(v.position);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A stock movement applied together with its variant's insertion (the initial stock).
#[derive(Debug, Clone)]
pub struct NewMovement<'a> {
    pub variant_id: &'a str,
    pub kind: &'a str,
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
                .bind(m.kind)
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
