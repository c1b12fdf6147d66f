//! Carts and their lines. A cart belongs to an account or, until its guest logs in, to the hash of
//! a guest cookie; lines are read together with what the buyer needs to see and what the rules
//! need to check (the variant's price and stock, the product's and shop's status).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Whose cart.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    Account(&'a str),
    /// The SHA-256 (hex) of a guest cookie's secret.
    Guest(&'a str),
}

/// The cart of `owner`, if it has one.
pub async fn find(conn: &mut AnyConnection, owner: Owner<'_>) -> sqlx::Result<Option<String>> {
    let query = match owner {
        Owner::Account(id) => sqlx::query("SELECT id FROM carts WHERE account_id = $1").bind(id),
        Owner::Guest(hash) => sqlx::query("SELECT id FROM carts WHERE guest_token_hash = $1").bind(hash),
    };
    query.fetch_optional(conn).await?.map(|r| r.try_get(0)).transpose()
}

/// The cart of `owner`, created when it has none (two requests creating it at once make one).
pub async fn find_or_create(conn: &mut AnyConnection, owner: Owner<'_>, now: i64) -> sqlx::Result<String> {
    if let Some(id) = find(conn, owner).await? {
        return Ok(id);
    }
    let (account, guest) = match owner {
        Owner::Account(id) => (Some(id), None),
        Owner::Guest(hash) => (None, Some(hash)),
    };
    sqlx::query(
        "INSERT INTO carts (id, account_id, guest_token_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(crate::new_id("cart"))
    .bind(account)
    .bind(guest)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    find(conn, owner)
        .await?
        .ok_or_else(|| sqlx::Error::Protocol("a cart just created is missing".into()))
}

/// A cart line with the catalog's current facts about its variant.
#[derive(Debug, Clone)]
pub struct LineRow {
    pub id: String,
    pub variant_id: String,
    pub quantity: i64,
    /// The unit price the buyer saw when adding the line or last changing its quantity.
    pub seen_unit_price: i64,
    pub added_at: i64,
    pub product_id: String,
    pub product_title: String,
    pub product_status: String,
    pub min_order_qty: i64,
    pub shop_id: String,
    pub shop_name: String,
    pub shop_status: String,
    pub sku: String,
    /// The variant's attributes (JSON object text).
    pub attributes: String,
    pub price_amount: i64,
    pub currency: String,
    pub stock: i64,
    /// The product's first image's thumbnail, if it has one.
    pub thumb_key: Option<String>,
    /// The weight of one unit (0 when the seller did not give one).
    pub weight_grams: i64,
}

// An archived variant reads as an archived product: not for sale, whatever its product's status.
const LINE_COLUMNS: &str = "l.id, l.variant_id, l.quantity, l.seen_unit_price, l.added_at, p.id, p.title, \
     CASE WHEN v.archived_at IS NULL THEN p.status ELSE 'archived' END, \
     p.min_order_qty, s.id, s.name, s.status, v.sku, v.attributes, v.price_amount, v.currency, v.stock, \
     (SELECT i.thumb_key FROM product_images i WHERE i.product_id = p.id ORDER BY i.position, i.created_at LIMIT 1), \
     COALESCE(v.weight_grams, 0)";

fn line(r: &AnyRow) -> sqlx::Result<LineRow> {
    Ok(LineRow {
        id: r.try_get(0)?,
        variant_id: r.try_get(1)?,
        quantity: r.try_get(2)?,
        seen_unit_price: r.try_get(3)?,
        added_at: r.try_get(4)?,
        product_id: r.try_get(5)?,
        product_title: r.try_get(6)?,
        product_status: r.try_get(7)?,
        min_order_qty: r.try_get(8)?,
        shop_id: r.try_get(9)?,
        shop_name: r.try_get(10)?,
        shop_status: r.try_get(11)?,
        sku: r.try_get(12)?,
        attributes: r.try_get(13)?,
        price_amount: r.try_get(14)?,
        currency: r.try_get(15)?,
        stock: r.try_get(16)?,
        thumb_key: r.try_get(17)?,
        weight_grams: r.try_get(18)?,
    })
}

/// The lines of a cart, in the order they were added.
pub async fn lines(conn: &mut AnyConnection, cart_id: &str) -> sqlx::Result<Vec<LineRow>> {
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM cart_lines l JOIN variants v ON v.id = l.variant_id \
         JOIN products p ON p.id = v.product_id JOIN shops s ON s.id = v.shop_id \
         WHERE l.cart_id = $1 ORDER BY l.added_at, l.id"
    );
    sqlx::query(&sql)
        .bind(cart_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(line)
        .collect()
}

/// An account's cart with its lines, in one query: the cart's id and its lines in the order they
/// were added; `None` when the account has no cart or an empty one.
pub async fn lines_of_account(
    conn: &mut AnyConnection,
    account_id: &str,
) -> sqlx::Result<Option<(String, Vec<LineRow>)>> {
    let sql = format!(
        "SELECT {LINE_COLUMNS}, c.id FROM carts c JOIN cart_lines l ON l.cart_id = c.id \
         JOIN variants v ON v.id = l.variant_id JOIN products p ON p.id = v.product_id JOIN shops s ON s.id = v.shop_id \
         WHERE c.account_id = $1 ORDER BY l.added_at, l.id"
    );
    let rows = sqlx::query(&sql).bind(account_id).fetch_all(conn).await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let cart_id: String = first.try_get(19)?;
    let lines = rows.iter().map(line).collect::<sqlx::Result<Vec<_>>>()?;
    Ok(Some((cart_id, lines)))
}

/// A cart line as checkout takes it: `(line id, variant id, quantity)`.
pub type TakenLine = (String, String, i64);

/// Empties a cart, answering the lines it held (by line id), so that checkout can tell whether
/// they are still the ones it priced.
pub async fn take_lines(conn: &mut AnyConnection, cart_id: &str) -> sqlx::Result<Vec<TakenLine>> {
    let rows = sqlx::query("DELETE FROM cart_lines WHERE cart_id = $1 RETURNING id, variant_id, quantity")
        .bind(cart_id)
        .fetch_all(conn)
        .await?;
    let mut taken = rows
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<sqlx::Result<Vec<TakenLine>>>()?;
    taken.sort();
    Ok(taken)
}

/// The variant of the cart's line `line_id`, if the line is in this cart.
pub async fn variant_of_line(conn: &mut AnyConnection, cart_id: &str, line_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query("SELECT variant_id FROM cart_lines WHERE cart_id = $1 AND id = $2")
        .bind(cart_id)
        .bind(line_id)
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// How many lines the cart has.
pub async fn count(conn: &mut AnyConnection, cart_id: &str) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) FROM cart_lines WHERE cart_id = $1")
        .bind(cart_id)
        .fetch_one(conn)
        .await?
        .try_get(0)
}

/// Units to add to a cart.
pub struct NewLine<'a> {
    pub cart_id: &'a str,
    pub variant_id: &'a str,
    pub quantity: i64,
    pub seen_unit_price: i64,
    pub currency: &'a str,
    pub now: i64,
}

/// Adds units to the cart's line for the variant, creating the line when there is none, in one
/// statement (so two adds at once both count). Returns the line's id and its new quantity.
pub async fn add_units(conn: &mut AnyConnection, l: &NewLine<'_>) -> sqlx::Result<(String, i64)> {
    let row = sqlx::query(
        "INSERT INTO cart_lines (id, cart_id, variant_id, quantity, seen_unit_price, currency, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_lines.quantity + excluded.quantity \
         RETURNING id, quantity",
    )
    .bind(crate::new_id("line"))
    .bind(l.cart_id)
    .bind(l.variant_id)
    .bind(l.quantity)
    .bind(l.seen_unit_price)
    .bind(l.currency)
    .bind(l.now)
    .fetch_one(&mut *conn)
    .await?;
    let added = (row.try_get(0)?, row.try_get(1)?);
    touch(conn, l.cart_id, l.now).await?;
    Ok(added)
}

/// Sets a line's quantity and the unit price the buyer now sees; false when the line is not in
/// this cart.
pub async fn set_quantity(
    conn: &mut AnyConnection,
    cart_id: &str,
    line_id: &str,
    quantity: i64,
    seen_unit_price: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE cart_lines SET quantity = $1, seen_unit_price = $2 WHERE cart_id = $3 AND id = $4")
        .bind(quantity)
        .bind(seen_unit_price)
        .bind(cart_id)
        .bind(line_id)
        .execute(&mut *conn)
        .await?;
    touch(conn, cart_id, now).await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a line; false when it is not in this cart.
pub async fn delete_line(conn: &mut AnyConnection, cart_id: &str, line_id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM cart_lines WHERE cart_id = $1 AND id = $2")
        .bind(cart_id)
        .bind(line_id)
        .execute(&mut *conn)
        .await?;
    touch(conn, cart_id, now).await?;
    Ok(done.rows_affected() == 1)
}

/// Empties a cart (after checkout).
pub async fn clear(conn: &mut AnyConnection, cart_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM cart_lines WHERE cart_id = $1")
        .bind(cart_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes a whole cart with its lines (a guest cart after merging it).
pub async fn delete(conn: &mut AnyConnection, cart_id: &str) -> sqlx::Result<()> {
    clear(conn, cart_id).await?;
    sqlx::query("DELETE FROM carts WHERE id = $1")
        .bind(cart_id)
        .execute(conn)
        .await?;
    Ok(())
}

async fn touch(conn: &mut AnyConnection, cart_id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE carts SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(cart_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// What adding a variant to a cart needs to know about it.
#[derive(Debug, Clone)]
pub struct VariantFacts {
    pub product_id: String,
    pub product_status: String,
    pub min_order_qty: i64,
    pub shop_status: String,
    pub price_amount: i64,
    pub currency: String,
    pub stock: i64,
    pub sku: String,
}

pub async fn variant(conn: &mut AnyConnection, variant_id: &str) -> sqlx::Result<Option<VariantFacts>> {
    sqlx::query(
        "SELECT p.id, CASE WHEN v.archived_at IS NULL THEN p.status ELSE 'archived' END, p.min_order_qty, s.status, v.price_amount, v.currency, v.stock, v.sku \
         FROM variants v JOIN products p ON p.id = v.product_id JOIN shops s ON s.id = v.shop_id WHERE v.id = $1",
    )
    .bind(variant_id)
    .fetch_optional(conn)
    .await?
    .map(|r| {
        Ok(VariantFacts {
            product_id: r.try_get(0)?,
            product_status: r.try_get(1)?,
            min_order_qty: r.try_get(2)?,
            shop_status: r.try_get(3)?,
            price_amount: r.try_get(4)?,
            currency: r.try_get(5)?,
            stock: r.try_get(6)?,
            sku: r.try_get(7)?,
        })
    })
    .transpose()
}
