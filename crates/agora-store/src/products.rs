//! Products and their variants (SKUs). The foundation needs them for the demo and the home page;
//! the catalog issue builds the full seller-facing model on top.

use agora_core::product::ProductStatus;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct ProductRow {
    pub id: String,
    pub shop_id: String,
    pub title: String,
    /// Markdown, as the seller wrote it.
    pub description: String,
    /// The description rendered to safe HTML when it was saved (see `agora_app::descriptions`);
    /// `None` for a row saved before that was kept.
    pub description_html: Option<String>,
    pub category: String,
    pub status: ProductStatus,
    pub attributes: String,
    pub min_order_qty: i64,
    pub featured: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct VariantRow {
    pub id: String,
    pub product_id: String,
    pub shop_id: String,
    pub sku: String,
    pub gtin: Option<String>,
    pub price_amount: i64,
    pub currency: String,
    pub stock: i64,
    pub attributes: String,
    pub position: i64,
}

/// A product card: what a listing shows.
#[derive(Debug, Clone)]
pub struct ProductCard {
    pub id: String,
    pub title: String,
    pub shop_id: String,
    pub shop_name: String,
    pub shop_slug: String,
    pub category: String,
    /// The lowest variant price.
    pub price_amount: i64,
    pub currency: String,
    pub stock: i64,
    /// The blob key of its first picture's thumbnail.
    pub thumb_key: Option<String>,
}

/// Inserts a product and its variants (their stock as given: record movements separately).
pub async fn insert(conn: &mut AnyConnection, p: &ProductRow, variants: &[VariantRow]) -> sqlx::Result<()> {
    insert_products(conn, &[p]).await?;
    insert_variants(conn, &variants.iter().collect::<Vec<_>>()).await
}

/// Bound parameters per multi-row INSERT. Far below both engines' limits: SQLite looks parameter
/// names up by a linear scan (and sqlx-sqlite looks up each one), so binding grows with the
/// square of the count; a few hundred keeps that negligible while saving most round trips.
pub(crate) const PARAMS_PER_INSERT: usize = 200;

/// `($1, $2, …), ($n+1, …)`: the VALUES of a multi-row insert of `rows` rows of `columns` columns.
pub(crate) fn values(rows: usize, columns: usize) -> String {
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
    for chunk in products.chunks(PARAMS_PER_INSERT / 12) {
        let sql = format!(
            "INSERT INTO products (id, shop_id, title, description, category, status, attributes, min_order_qty, featured,
                                   created_at, updated_at, description_html) VALUES {}",
            values(chunk.len(), 12)
        );
        let mut query = sqlx::query(&sql);
        for p in chunk {
            query = query
                .bind(&p.id)
                .bind(&p.shop_id)
                .bind(&p.title)
                .bind(&p.description)
                .bind(&p.category)
                .bind(p.status.as_str())
                .bind(&p.attributes)
                .bind(p.min_order_qty)
                .bind(i64::from(p.featured))
                .bind(p.created_at)
                .bind(p.updated_at)
                .bind(p.description_html.as_deref());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts many variants, with their stock as given (record the initial stock's movements
/// separately).
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

/// A product card's columns and tables. PostgreSQL sums BIGINTs as NUMERIC, which the `Any`
/// driver cannot decode: the total stock is cast back to BIGINT (a no-op on SQLite).
const CARD_FROM: &str = "SELECT p.id, p.title, s.id, s.name, s.slug, p.category,
        MIN(v.price_amount), MIN(v.currency), CAST(SUM(v.stock) AS BIGINT),
        (SELECT i.thumb_key FROM product_images i WHERE i.product_id = p.id ORDER BY i.position, i.created_at LIMIT 1)
    FROM products p JOIN shops s ON s.id = p.shop_id JOIN variants v ON v.product_id = p.id AND v.archived_at IS NULL";

/// What is for sale: active products of approved shops.
const FOR_SALE: &str = "WHERE p.status = 'active' AND s.status = 'approved'";

fn card(r: &AnyRow) -> sqlx::Result<ProductCard> {
    Ok(ProductCard {
        id: r.try_get(0)?,
        title: r.try_get(1)?,
        shop_id: r.try_get(2)?,
        shop_name: r.try_get(3)?,
        shop_slug: r.try_get(4)?,
        category: r.try_get(5)?,
        price_amount: r.try_get(6)?,
        currency: r.try_get(7)?,
        stock: r.try_get(8)?,
        thumb_key: r.try_get(9)?,
    })
}

/// Active products of approved shops, featured first, newest first.
pub async fn featured(conn: &mut AnyConnection, limit: i64) -> sqlx::Result<Vec<ProductCard>> {
    let sql = format!(
        "{CARD_FROM} {FOR_SALE} GROUP BY p.id, p.title, s.id, s.name, s.slug, p.category, p.featured, p.created_at
         ORDER BY p.featured DESC, p.created_at DESC, p.id LIMIT $1"
    );
    let rows = sqlx::query(&sql).bind(limit).fetch_all(conn).await?;
    rows.iter().map(card).collect()
}

/// Active products whose title contains `text` (case-insensitive), in categories `in_categories`
/// when given. A stop-gap listing until the search index lands.
pub async fn matching(
    conn: &mut AnyConnection,
    text: &str,
    in_categories: Option<&[String]>,
    limit: i64,
) -> sqlx::Result<Vec<ProductCard>> {
    let pattern = format!(
        "%{}%",
        text.to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let mut sql = format!("{CARD_FROM} {FOR_SALE} AND LOWER(p.title) LIKE $1 ESCAPE '\\'");
    if let Some(slugs) = in_categories {
        let list: Vec<String> = (0..slugs.len()).map(|i| format!("${}", i + 3)).collect();
        sql.push_str(&format!(
            " AND p.category IN ({})",
            if list.is_empty() {
                "NULL".into()
            } else {
                list.join(", ")
            }
        ));
    }
    sql.push_str(" GROUP BY p.id, p.title, s.id, s.name, s.slug, p.category, p.created_at ORDER BY p.created_at DESC, p.id LIMIT $2");
    let mut query = sqlx::query(&sql).bind(pattern).bind(limit);
    for slug in in_categories.unwrap_or_default() {
        query = query.bind(slug);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter().map(card).collect()
}

/// The product columns, read by [`product_at`].
pub(crate) const PRODUCT_COLUMNS: &str =
    "p.id, p.shop_id, p.title, p.description, p.category, p.status, p.attributes, p.min_order_qty, p.featured, \
     p.created_at, p.updated_at, p.description_html";
/// How many columns [`PRODUCT_COLUMNS`] names.
pub(crate) const PRODUCT_COLUMN_COUNT: usize = 12;
/// The variant columns, read by [`variant_at`].
pub(crate) const VARIANT_COLUMNS: &str =
    "v.id, v.product_id, v.shop_id, v.sku, v.gtin, v.price_amount, v.currency, v.stock, v.attributes, v.position";

/// A product read from `PRODUCT_COLUMNS` starting at column `at`.
pub(crate) fn product_at(r: &AnyRow, at: usize) -> sqlx::Result<ProductRow> {
    Ok(ProductRow {
        id: r.try_get(at)?,
        shop_id: r.try_get(at + 1)?,
        title: r.try_get(at + 2)?,
        description: r.try_get(at + 3)?,
        category: r.try_get(at + 4)?,
        status: crate::word(r, at + 5)?,
        attributes: r.try_get(at + 6)?,
        min_order_qty: r.try_get(at + 7)?,
        featured: crate::flag(r.try_get(at + 8)?),
        created_at: r.try_get(at + 9)?,
        updated_at: r.try_get(at + 10)?,
        description_html: r.try_get(at + 11)?,
    })
}

/// A variant read from `VARIANT_COLUMNS` starting at column `at`.
pub(crate) fn variant_at(r: &AnyRow, at: usize) -> sqlx::Result<VariantRow> {
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

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<(ProductRow, Vec<VariantRow>)>> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.id = $1");
    let Some(r) = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let sql = format!("SELECT {VARIANT_COLUMNS} FROM variants v WHERE v.product_id = $1 ORDER BY v.position, v.sku");
    let rows = sqlx::query(&sql).bind(id).fetch_all(conn).await?;
    let variants = rows.iter().map(|r| variant_at(r, 0)).collect::<sqlx::Result<_>>()?;
    Ok(Some((product_at(&r, 0)?, variants)))
}

pub async fn count(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) FROM products")
        .fetch_one(conn)
        .await?
        .try_get(0)
}

/// The editable fields of a product; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProductChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    /// The new description rendered (see [`ProductRow::description_html`]). A description saved
    /// without it leaves the column empty, to be rendered from the Markdown, never stale.
    pub description_html: Option<String>,
    pub category: Option<String>,
    pub status: Option<ProductStatus>,
    pub attributes: Option<String>,
    pub min_order_qty: Option<i64>,
}

pub async fn update(conn: &mut AnyConnection, id: &str, c: &ProductChanges, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE products SET title = COALESCE($1, title), description = COALESCE($2, description),
                category = COALESCE($3, category), status = COALESCE($4, status), attributes = COALESCE($5, attributes),
                min_order_qty = COALESCE($6, min_order_qty), updated_at = $7,
                description_html = CASE WHEN $2 IS NULL THEN description_html ELSE $9 END
         WHERE id = $8",
    )
    .bind(c.title.as_deref())
    .bind(c.description.as_deref())
    .bind(c.category.as_deref())
    .bind(c.status.map(ProductStatus::as_str))
    .bind(c.attributes.as_deref())
    .bind(c.min_order_qty)
    .bind(now)
    .bind(id)
    .bind(c.description_html.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// Up to `limit` products whose description was saved before its HTML was kept, by id after
/// `after`: `(id, description)`.
pub async fn unrendered_descriptions(
    conn: &mut AnyConnection,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT id, description FROM products WHERE description_html IS NULL AND id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// Keeps the HTML rendered from `description` for a product whose HTML is missing, unless its
/// description has changed since it was read (the change then kept its own).
pub async fn keep_description_html(
    conn: &mut AnyConnection,
    id: &str,
    description: &str,
    html: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE products SET description_html = $1 WHERE id = $2 AND description = $3 AND description_html IS NULL",
    )
    .bind(html)
    .bind(id)
    .bind(description)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Products of a shop, newest first (the seller's list and the storefront).
pub async fn of_shop(
    conn: &mut AnyConnection,
    shop_id: &str,
    only_active: bool,
    limit: i64,
) -> sqlx::Result<Vec<ProductCard>> {
    let status = if only_active { " AND p.status = 'active'" } else { "" };
    let sql = format!(
        "{CARD_FROM} WHERE p.shop_id = $1{status}
         GROUP BY p.id, p.title, s.id, s.name, s.slug, p.category, p.created_at ORDER BY p.created_at DESC, p.id LIMIT $2"
    );
    let rows = sqlx::query(&sql).bind(shop_id).bind(limit).fetch_all(conn).await?;
    rows.iter().map(card).collect()
}

/// The editable fields of a variant; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct VariantChanges {
    pub sku: Option<String>,
    /// `Some(None)` removes the GTIN.
    pub gtin: Option<Option<String>>,
    pub price_amount: Option<i64>,
    pub attributes: Option<String>,
    /// `Some(Some(at))` archives the variant, `Some(None)` puts it back on sale.
    pub archived_at: Option<Option<i64>>,
}

/// Applies a variant's changes. A SKU another variant of the shop has fails as a unique violation.
pub async fn update_variant(conn: &mut AnyConnection, id: &str, c: &VariantChanges) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE variants SET sku = COALESCE($1, sku),
                gtin = CASE WHEN $2 = 1 THEN $3 ELSE gtin END,
                price_amount = COALESCE($4, price_amount), attributes = COALESCE($5, attributes),
                archived_at = CASE WHEN $6 = 1 THEN $7 ELSE archived_at END
         WHERE id = $8",
    )
    .bind(c.sku.as_deref())
    .bind(i64::from(c.gtin.is_some()))
    .bind(c.gtin.clone().flatten())
    .bind(c.price_amount)
    .bind(c.attributes.as_deref())
    .bind(i64::from(c.archived_at.is_some()))
    .bind(c.archived_at.flatten())
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The first picture's thumbnail of each of these products that has one: `(product id, blob key)`.
pub async fn thumbnails(conn: &mut AnyConnection, product_ids: &[String]) -> sqlx::Result<Vec<(String, String)>> {
    if product_ids.is_empty() {
        return Ok(vec![]);
    }
    let list: Vec<String> = (1..=product_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT i.product_id, i.thumb_key FROM product_images i WHERE i.product_id IN ({})
         ORDER BY i.product_id, i.position, i.created_at",
        list.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for id in product_ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(conn).await?;
    let mut out: Vec<(String, String)> = Vec::new();
    for r in &rows {
        let (product, key): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        if out.last().is_none_or(|(p, _)| *p != product) {
            out.push((product, key));
        }
    }
    Ok(out)
}
