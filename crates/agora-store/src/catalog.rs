//! The seller catalog beyond the product rows: price tiers, company prices, stock and its
//! movements, shipping rates, offers of the same item (GTIN) across shops.

use std::collections::BTreeMap;

use agora_core::catalog::StockMovementKind;
use sqlx::{AnyConnection, Row};

use crate::batch::{Arg, Write};

/// A volume tier of one variant: `(variant id, min qty, unit price in minor units)`.
pub type TierRow = (String, i64, i64);

pub async fn insert_tier(conn: &mut AnyConnection, variant_id: &str, min_qty: i64, amount: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO price_tiers (variant_id, min_qty, unit_price_amount) VALUES ($1, $2, $3)")
        .bind(variant_id)
        .bind(min_qty)
        .bind(amount)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn clear_tiers(conn: &mut AnyConnection, variant_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM price_tiers WHERE variant_id = $1")
        .bind(variant_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The tiers of every variant of a product, by variant then quantity.
pub async fn tiers_of_product(conn: &mut AnyConnection, product_id: &str) -> sqlx::Result<Vec<TierRow>> {
    let rows = sqlx::query(
        "SELECT t.variant_id, t.min_qty, t.unit_price_amount FROM price_tiers t JOIN variants v ON v.id = t.variant_id
         WHERE v.product_id = $1 ORDER BY t.variant_id, t.min_qty",
    )
    .bind(product_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// A company's own prices for a product's variants: `(variant id, unit price)`.
pub async fn company_prices_of_product(
    conn: &mut AnyConnection,
    product_id: &str,
    company_id: &str,
) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT c.variant_id, c.unit_price_amount FROM company_prices c JOIN variants v ON v.id = c.variant_id
         WHERE v.product_id = $1 AND c.company_id = $2",
    )
    .bind(product_id)
    .bind(company_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// Every company's own prices for a product's variants: `(variant id, company id, unit price)`.
pub async fn all_company_prices_of_product(
    conn: &mut AnyConnection,
    product_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT c.variant_id, c.company_id, c.unit_price_amount FROM company_prices c
         JOIN variants v ON v.id = c.variant_id WHERE v.product_id = $1",
    )
    .bind(product_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

pub async fn set_company_price(
    conn: &mut AnyConnection,
    variant_id: &str,
    company_id: &str,
    amount: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO company_prices (variant_id, company_id, unit_price_amount) VALUES ($1, $2, $3)
         ON CONFLICT (variant_id, company_id) DO UPDATE SET unit_price_amount = excluded.unit_price_amount",
    )
    .bind(variant_id)
    .bind(company_id)
    .bind(amount)
    .execute(conn)
    .await?;
    Ok(())
}

/// A variant with its shop, for permission checks: `(product id, shop id, stock)`.
pub async fn variant_owner(conn: &mut AnyConnection, variant_id: &str) -> sqlx::Result<Option<(String, String, i64)>> {
    let row = sqlx::query("SELECT product_id, shop_id, stock FROM variants WHERE id = $1")
        .bind(variant_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .transpose()
}

/// Adds `delta` (negative to take away) to a variant's stock, atomically and never below zero,
/// and records the movement. `None` when there was not enough stock (nothing changes).
pub async fn move_stock(
    conn: &mut AnyConnection,
    variant_id: &str,
    delta: i64,
    kind: StockMovementKind,
    actor: Option<&str>,
    reason: &str,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    let row = sqlx::query("UPDATE variants SET stock = stock + $1 WHERE id = $2 AND stock + $1 >= 0 RETURNING stock")
        .bind(delta)
        .bind(variant_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let stock_after: i64 = row.try_get(0)?;
    sqlx::query(
        "INSERT INTO stock_movements (variant_id, kind, delta, stock_after, actor, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(variant_id)
    .bind(kind.as_str())
    .bind(delta)
    .bind(stock_after)
    .bind(actor)
    .bind(reason)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(Some(stock_after))
}

/// Takes stock for a sale: `quantity` units of each variant, all in one statement, none below
/// zero, and records the movements in one more. Returns each variant's stock after, or the
/// variants that had too few units (then the caller rolls the transaction back: some variants
/// may have been decremented). A variant named twice is taken once with the units added up.
/// The variants are locked in the order of their ids, so that concurrent sales of the same
/// variants never deadlock.
pub async fn take_stock(
    conn: &mut AnyConnection,
    takes: &[(&str, i64)],
    actor: Option<&str>,
    reason: &str,
    now: i64,
) -> sqlx::Result<Result<Vec<(String, i64)>, Vec<String>>> {
    take_stock_guarded(conn, takes, None, actor, reason, now).await
}

/// [`take_stock`] for a checkout priced before its transaction: a variant is taken only while
/// it is not archived and its price is still the one in `prices` (`(variant id, base price)`);
/// one that changed is among the variants answered as short. The movements are not written but
/// answered, for the caller to run (in a [`Batch`](crate::batch::Batch) with its other writes).
pub async fn take_stock_at_prices(
    conn: &mut AnyConnection,
    takes: &[(&str, i64)],
    prices: &[(&str, i64)],
    actor: Option<&str>,
    reason: &str,
    now: i64,
) -> sqlx::Result<Result<Write, Vec<String>>> {
    let (wanted, after) = match take_only(conn, takes, Some(prices)).await? {
        Ok(taken) => taken,
        Err(short) => return Ok(Err(short)),
    };
    Ok(Ok(movements_write(&wanted, &after, actor, reason, now)))
}

async fn take_stock_guarded(
    conn: &mut AnyConnection,
    takes: &[(&str, i64)],
    prices: Option<&[(&str, i64)]>,
    actor: Option<&str>,
    reason: &str,
    now: i64,
) -> sqlx::Result<Result<Vec<(String, i64)>, Vec<String>>> {
    let (wanted, after) = match take_only(conn, takes, prices).await? {
        Ok(taken) => taken,
        Err(short) => return Ok(Err(short)),
    };
    if !after.is_empty() {
        movements_write(&wanted, &after, actor, reason, now).run(conn).await?;
    }
    Ok(Ok(after))
}

/// The movements of a sale: one row per variant taken.
pub fn movements_write(
    wanted: &BTreeMap<String, i64>,
    after: &[(String, i64)],
    actor: Option<&str>,
    reason: &str,
    now: i64,
) -> Write {
    let sql = format!(
        "INSERT INTO stock_movements (variant_id, kind, delta, stock_after, actor, reason, at) VALUES {}",
        crate::products::values(after.len(), 7)
    );
    let mut args: Vec<Arg> = Vec::with_capacity(after.len() * 7);
    for (variant, stock_after) in after {
        args.extend([
            variant.into(),
            StockMovementKind::Sold.as_str().into(),
            (-wanted[variant]).into(),
            (*stock_after).into(),
            actor.into(),
            reason.into(),
            now.into(),
        ]);
    }
    Write::new(sql, args)
}

/// Takes the stock: the units wanted per variant, and each variant's stock after (sorted), or
/// the variants that were short.
#[allow(clippy::type_complexity)]
async fn take_only(
    conn: &mut AnyConnection,
    takes: &[(&str, i64)],
    prices: Option<&[(&str, i64)]>,
) -> sqlx::Result<Result<(BTreeMap<String, i64>, Vec<(String, i64)>), Vec<String>>> {
    let mut wanted: BTreeMap<String, i64> = BTreeMap::new();
    for (variant, quantity) in takes {
        *wanted.entry((*variant).to_owned()).or_default() += quantity;
    }
    if wanted.is_empty() {
        return Ok(Ok((wanted, Vec::new())));
    }
    let per = if prices.is_some() { 3 } else { 2 };
    let values: Vec<String> = (0..wanted.len())
        .map(|i| match prices {
            Some(_) => format!(
                "(${}, CAST(${} AS BIGINT), CAST(${} AS BIGINT))",
                per * i + 1,
                per * i + 2,
                per * i + 3
            ),
            None => format!("(${}, CAST(${} AS BIGINT))", per * i + 1, per * i + 2),
        })
        .collect();
    let (columns, guard) = match prices {
        Some(_) => (
            "vid, qty, price",
            " AND variants.price_amount = d.price AND variants.archived_at IS NULL",
        ),
        None => ("vid, qty", ""),
    };
    // The rows are locked in the order of their ids before the update (on PostgreSQL; SQLite has
    // one writer), so that two sales of the same variants never wait for each other in a circle.
    let sql = format!(
        "WITH d({columns}) AS (VALUES {}), \
         locked AS (SELECT id FROM variants WHERE id IN (SELECT vid FROM d) ORDER BY id{}) \
         UPDATE variants SET stock = stock - d.qty FROM d \
         WHERE variants.id = d.vid AND variants.id IN (SELECT id FROM locked) AND variants.stock >= d.qty{guard} \
         RETURNING id, stock",
        values.join(", "),
        crate::Engine::of(conn).lock_for_update()
    );
    let mut query = sqlx::query(&sql);
    for (variant, quantity) in &wanted {
        query = query.bind(variant.as_str()).bind(*quantity);
        if let Some(prices) = prices {
            let price = prices.iter().find(|(v, _)| v == variant).map_or(-1, |(_, p)| *p);
            query = query.bind(price);
        }
    }
    let mut after = Vec::new();
    for r in query.fetch_all(&mut *conn).await? {
        after.push((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?));
    }
    if after.len() < wanted.len() {
        let short = wanted
            .keys()
            .filter(|v| !after.iter().any(|(id, _)| id == *v))
            .cloned()
            .collect();
        return Ok(Err(short));
    }
    after.sort();
    Ok(Ok((wanted, after)))
}

/// The stock of some variants now: `(variant id, stock)`.
pub async fn stocks(conn: &mut AnyConnection, variant_ids: &[&str]) -> sqlx::Result<Vec<(String, i64)>> {
    if variant_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (1..=variant_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!("SELECT id, stock FROM variants WHERE id IN ({})", list.join(", "));
    let mut query = sqlx::query(&sql);
    for id in variant_ids {
        query = query.bind(*id);
    }
    query
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// The price rules stored for some variants, for one buyer: every volume tier, and the company's
/// own prices when `company_id` is given, in one query.
#[derive(Debug, Clone, Default)]
pub struct PriceFacts {
    /// `(variant id, min qty, unit price)`, by variant then quantity.
    pub tiers: Vec<TierRow>,
    /// `(variant id, unit price)`.
    pub company_prices: Vec<(String, i64)>,
}

pub async fn price_facts(
    conn: &mut AnyConnection,
    variant_ids: &[&str],
    company_id: Option<&str>,
) -> sqlx::Result<PriceFacts> {
    if variant_ids.is_empty() {
        return Ok(PriceFacts::default());
    }
    let list: Vec<String> = (2..variant_ids.len() + 2).map(|i| format!("${i}")).collect();
    let list = list.join(", ");
    // `$1` is the company (empty for none: no company has an empty id).
    let sql = format!(
        "SELECT CAST(0 AS BIGINT), variant_id, min_qty, unit_price_amount FROM price_tiers WHERE variant_id IN ({list}) \
         UNION ALL SELECT CAST(1 AS BIGINT), variant_id, CAST(0 AS BIGINT), unit_price_amount FROM company_prices \
         WHERE company_id = $1 AND variant_id IN ({list}) ORDER BY 1, 2, 3"
    );
    let mut query = sqlx::query(&sql).bind(company_id.unwrap_or(""));
    for id in variant_ids {
        query = query.bind(*id);
    }
    let mut facts = PriceFacts::default();
    for r in query.fetch_all(conn).await? {
        let kind: i64 = r.try_get(0)?;
        let variant: String = r.try_get(1)?;
        if kind == 0 {
            facts.tiers.push((variant, r.try_get(2)?, r.try_get(3)?));
        } else {
            facts.company_prices.push((variant, r.try_get(3)?));
        }
    }
    Ok(facts)
}

/// One stock movement.
#[derive(Debug, Clone)]
pub struct MovementRow {
    pub kind: StockMovementKind,
    pub delta: i64,
    pub stock_after: i64,
    pub actor: Option<String>,
    pub reason: String,
    pub at: i64,
}

pub async fn movements(conn: &mut AnyConnection, variant_id: &str, limit: i64) -> sqlx::Result<Vec<MovementRow>> {
    let rows = sqlx::query(
        "SELECT kind, delta, stock_after, actor, reason, at FROM stock_movements WHERE variant_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(variant_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MovementRow {
                kind: crate::word(r, 0)?,
                delta: r.try_get(1)?,
                stock_after: r.try_get(2)?,
                actor: r.try_get(3)?,
                reason: r.try_get(4)?,
                at: r.try_get(5)?,
            })
        })
        .collect()
}

/// One shop's offer of an item.
#[derive(Debug, Clone)]
pub struct OfferRow {
    pub product_id: String,
    pub variant_id: String,
    pub shop_id: String,
    pub shop_name: String,
    pub price_amount: i64,
    pub currency: String,
    pub stock: i64,
    /// The shop's shipping charge to the buyer's country (or its rate for everywhere), if it set one.
    pub shipping_amount: Option<i64>,
    pub sku: String,
    /// The variant's options as stored (a JSON object).
    pub attributes: String,
    /// The slug of its product's category, which declares the options' order.
    pub category: String,
    /// The buyer's company's own unit price of the variant, if the shop gave it one.
    pub company_price_amount: Option<i64>,
}

/// Every active offer of the item with this GTIN, from approved shops, with the unit price each
/// gives `company` (the buyer's, if any) read in the same statement.
pub async fn offers_by_gtin(
    conn: &mut AnyConnection,
    gtin: &str,
    country: &str,
    company: Option<&str>,
) -> sqlx::Result<Vec<OfferRow>> {
    let rows = sqlx::query(
        "SELECT v.product_id, v.id, s.id, s.name, v.price_amount, v.currency, v.stock,
                COALESCE((SELECT amount FROM shipping_rates r WHERE r.shop_id = s.id AND r.country = $2 AND r.currency = v.currency),
                         (SELECT amount FROM shipping_rates r WHERE r.shop_id = s.id AND r.country = '*' AND r.currency = v.currency)),
                v.sku, v.attributes, p.category, cp.unit_price_amount
         FROM variants v JOIN products p ON p.id = v.product_id JOIN shops s ON s.id = v.shop_id
         LEFT JOIN company_prices cp ON cp.variant_id = v.id AND cp.company_id = $3
         WHERE v.gtin = $1 AND v.archived_at IS NULL AND p.status = 'active' AND s.status = 'approved'",
    )
    .bind(gtin)
    .bind(country)
    .bind(company.unwrap_or(""))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OfferRow {
                product_id: r.try_get(0)?,
                variant_id: r.try_get(1)?,
                shop_id: r.try_get(2)?,
                shop_name: r.try_get(3)?,
                price_amount: r.try_get(4)?,
                currency: r.try_get(5)?,
                stock: r.try_get(6)?,
                shipping_amount: r.try_get(7)?,
                sku: r.try_get(8)?,
                attributes: r.try_get(9)?,
                category: r.try_get(10)?,
                company_price_amount: r.try_get(11)?,
            })
        })
        .collect()
}

pub async fn set_shipping_rate(
    conn: &mut AnyConnection,
    shop_id: &str,
    country: &str,
    amount: i64,
    currency: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO shipping_rates (shop_id, country, amount, currency) VALUES ($1, $2, $3, $4)
         ON CONFLICT (shop_id, country) DO UPDATE SET amount = excluded.amount, currency = excluded.currency",
    )
    .bind(shop_id)
    .bind(country)
    .bind(amount)
    .bind(currency)
    .execute(conn)
    .await?;
    Ok(())
}

/// A product image: the original and a thumbnail, both in the blob folder.
#[derive(Debug, Clone)]
pub struct ImageRow {
    pub id: String,
    pub product_id: String,
    pub blob_key: String,
    pub thumb_key: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub position: i64,
    pub created_at: i64,
}

/// Adds an image at the end of its product's gallery, unless the product already has `max`
/// images: false then, and nothing changes. The product's row is locked first, so that uploads
/// racing for the last place are counted one after the other (SQLite has a single writer anyway).
pub async fn insert_image(conn: &mut AnyConnection, i: &ImageRow, max: i64) -> sqlx::Result<bool> {
    let locked = sqlx::query("UPDATE products SET shop_id = shop_id WHERE id = $1")
        .bind(&i.product_id)
        .execute(&mut *conn)
        .await?;
    if locked.rows_affected() == 0 {
        return Ok(false);
    }
    let inserted = sqlx::query(
        "INSERT INTO product_images (id, product_id, blob_key, thumb_key, content_type, width, height, position, created_at)
         SELECT $1, $2, $3, $4, $5, $6, $7,
                (SELECT COALESCE(MAX(position), -1) + 1 FROM product_images WHERE product_id = $2), $8
         WHERE (SELECT COUNT(*) FROM product_images WHERE product_id = $2) < $9",
    )
    .bind(&i.id)
    .bind(&i.product_id)
    .bind(&i.blob_key)
    .bind(&i.thumb_key)
    .bind(&i.content_type)
    .bind(i.width)
    .bind(i.height)
    .bind(i.created_at)
    .bind(max)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn images_of_product(conn: &mut AnyConnection, product_id: &str) -> sqlx::Result<Vec<ImageRow>> {
    let rows = sqlx::query(
        "SELECT id, product_id, blob_key, thumb_key, content_type, width, height, position, created_at
         FROM product_images WHERE product_id = $1 ORDER BY position, id",
    )
    .bind(product_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ImageRow {
                id: r.try_get(0)?,
                product_id: r.try_get(1)?,
                blob_key: r.try_get(2)?,
                thumb_key: r.try_get(3)?,
                content_type: r.try_get(4)?,
                width: r.try_get(5)?,
                height: r.try_get(6)?,
                position: r.try_get(7)?,
                created_at: r.try_get(8)?,
            })
        })
        .collect()
}

/// Deletes one image of a product; false when there was none.
pub async fn delete_image(conn: &mut AnyConnection, product_id: &str, image_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM product_images WHERE id = $1 AND product_id = $2")
        .bind(image_id)
        .bind(product_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The content type of a stored image blob (original or thumbnail), if it is one.
pub async fn image_blob_type(conn: &mut AnyConnection, key: &str) -> sqlx::Result<Option<String>> {
    let row = sqlx::query(
        "SELECT content_type, CASE WHEN thumb_key = $1 THEN 1 ELSE 0 END FROM product_images
         WHERE blob_key = $1 OR thumb_key = $1 LIMIT 1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let original: String = r.try_get(0)?;
        let is_thumb: i64 = r.try_get(1)?;
        Ok(if is_thumb == 1 {
            "image/jpeg".to_owned()
        } else {
            original
        })
    })
    .transpose()
}

/// A variant's base price: `(amount, currency)`.
pub async fn variant_price(conn: &mut AnyConnection, variant_id: &str) -> sqlx::Result<Option<(i64, String)>> {
    let row = sqlx::query("SELECT price_amount, currency FROM variants WHERE id = $1")
        .bind(variant_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// Sets the weight of one unit of a variant.
pub async fn set_weight(conn: &mut AnyConnection, variant_id: &str, grams: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE variants SET weight_grams = $1 WHERE id = $2")
        .bind(grams)
        .bind(variant_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Each variant's low-stock threshold and whether it is archived: `(variant id, threshold, archived)`.
pub async fn variant_flags(
    conn: &mut AnyConnection,
    product_id: &str,
) -> sqlx::Result<Vec<(String, i64, bool, Option<i64>)>> {
    let rows = sqlx::query(
        "SELECT id, low_stock_threshold, CAST(CASE WHEN archived_at IS NULL THEN 0 ELSE 1 END AS BIGINT), weight_grams \
         FROM variants WHERE product_id = $1",
    )
    .bind(product_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, crate::flag(r.try_get(2)?), r.try_get(3)?)))
        .collect()
}

pub async fn set_low_stock_threshold(conn: &mut AnyConnection, variant_id: &str, threshold: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE variants SET low_stock_threshold = $1 WHERE id = $2")
        .bind(threshold)
        .bind(variant_id)
        .execute(conn)
        .await?;
    Ok(())
}
