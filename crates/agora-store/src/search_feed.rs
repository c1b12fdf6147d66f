//! What the search index is fed: every listed product with its shop and variants, read in bulk.

use sqlx::{AnyConnection, Row};

/// A listed product (active, of an approved shop) with what the index needs.
#[derive(Debug, Clone)]
pub struct FeedProduct {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub attributes: String,
    pub shop_id: String,
    pub shop_name: String,
    pub created_at: i64,
}

/// A variant, for prices, stock and attributes.
#[derive(Debug, Clone)]
pub struct FeedVariant {
    pub product_id: String,
    pub price_amount: i64,
    pub currency: String,
    pub stock: i64,
    pub attributes: String,
}

const PRODUCTS: &str = "SELECT p.id, p.title, p.description, p.category, p.attributes, s.id, s.name, p.created_at
    FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.status = 'active' AND s.status = 'approved'";
const VARIANTS: &str = "SELECT v.product_id, v.price_amount, v.currency, v.stock, v.attributes
    FROM variants v JOIN products p ON p.id = v.product_id JOIN shops s ON s.id = p.shop_id
    WHERE p.status = 'active' AND s.status = 'approved' AND v.archived_at IS NULL";

fn product(r: &sqlx::any::AnyRow) -> sqlx::Result<FeedProduct> {
    Ok(FeedProduct {
        id: r.try_get(0)?,
        title: r.try_get(1)?,
        description: r.try_get(2)?,
        category: r.try_get(3)?,
        attributes: r.try_get(4)?,
        shop_id: r.try_get(5)?,
        shop_name: r.try_get(6)?,
        created_at: r.try_get(7)?,
    })
}

fn variant(r: &sqlx::any::AnyRow) -> sqlx::Result<FeedVariant> {
    Ok(FeedVariant {
        product_id: r.try_get(0)?,
        price_amount: r.try_get(1)?,
        currency: r.try_get(2)?,
        stock: r.try_get(3)?,
        attributes: r.try_get(4)?,
    })
}

/// Every listed product and every variant of them.
pub async fn all(conn: &mut AnyConnection) -> sqlx::Result<(Vec<FeedProduct>, Vec<FeedVariant>)> {
    let products = sqlx::query(PRODUCTS)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(product)
        .collect::<sqlx::Result<_>>()?;
    let variants = sqlx::query(VARIANTS)
        .fetch_all(conn)
        .await?
        .iter()
        .map(variant)
        .collect::<sqlx::Result<_>>()?;
    Ok((products, variants))
}

/// The listed product with this id, if it is listed, with its variants.
pub async fn one(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<(FeedProduct, Vec<FeedVariant>)>> {
    let sql = format!("{PRODUCTS} AND p.id = $1");
    let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let sql = format!("{VARIANTS} AND p.id = $1");
    let variants = sqlx::query(&sql)
        .bind(id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(variant)
        .collect::<sqlx::Result<_>>()?;
    Ok(Some((product(&row)?, variants)))
}

/// The ids of a shop's products (when the shop's status changes, all of them change with it).
pub async fn product_ids_of_shop(conn: &mut AnyConnection, shop_id: &str) -> sqlx::Result<Vec<String>> {
    let rows = sqlx::query("SELECT id FROM products WHERE shop_id = $1")
        .bind(shop_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}
