//! Products and their variants (SKUs). The foundation needs them for the demo and the home page;
//! the catalog issue builds the full seller-facing model on top.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct ProductRow {
    pub id: String,
    pub shop_id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub status: String,
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
}

/// Inserts a product and its variants (their stock as given: record movements separately).
pub async fn insert(conn: &mut AnyConnection, p: &ProductRow, variants: &[VariantRow]) -> sqlx::Result<()> {
    crate::catalog_import::insert_products(conn, &[p]).await?;
    crate::catalog_import::insert_variants(conn, &variants.iter().collect::<Vec<_>>()).await
}

/// A product card's columns and tables. PostgreSQL sums BIGINTs as NUMERIC, which the `Any`
/// driver cannot decode: the total stock is cast back to BIGINT (a no-op on SQLite).
const CARD_FROM: &str = "SELECT p.id, p.title, s.id, s.name, s.slug, p.category,
        MIN(v.price_amount), MIN(v.currency), CAST(SUM(v.stock) AS BIGINT)
    FROM products p JOIN shops s ON s.id = p.shop_id JOIN variants v ON v.product_id = p.id";

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
     p.created_at, p.updated_at";
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
        status: r.try_get(at + 5)?,
        attributes: r.try_get(at + 6)?,
        min_order_qty: r.try_get(at + 7)?,
        featured: crate::flag(r.try_get(at + 8)?),
        created_at: r.try_get(at + 9)?,
        updated_at: r.try_get(at + 10)?,
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
    pub category: Option<String>,
    pub status: Option<String>,
    pub attributes: Option<String>,
    pub min_order_qty: Option<i64>,
}

pub async fn update(conn: &mut AnyConnection, id: &str, c: &ProductChanges, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE products SET title = COALESCE($1, title), description = COALESCE($2, description),
                category = COALESCE($3, category), status = COALESCE($4, status), attributes = COALESCE($5, attributes),
                min_order_qty = COALESCE($6, min_order_qty), updated_at = $7
         WHERE id = $8",
    )
    .bind(c.title.as_deref())
    .bind(c.description.as_deref())
    .bind(c.category.as_deref())
    .bind(c.status.as_deref())
    .bind(c.attributes.as_deref())
    .bind(c.min_order_qty)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
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
