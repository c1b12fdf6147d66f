//! Orders, their lines and timelines, and what checkout reads: tax rates, a shop's price mode
//! and shipping rates. An order's rows are a snapshot: written once at checkout, never re-read
//! from the catalog.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::batch::{Arg, Write};

/// The operator's tax rates for a destination: `(category, basis points)`.
pub async fn tax_rates(conn: &mut AnyConnection, country: &str) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query("SELECT category, rate_bp FROM tax_rates WHERE country = $1")
        .bind(country)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

pub async fn set_tax_rate(conn: &mut AnyConnection, country: &str, category: &str, rate_bp: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO tax_rates (country, category, rate_bp) VALUES ($1, $2, $3) \
         ON CONFLICT (country, category) DO UPDATE SET rate_bp = excluded.rate_bp",
    )
    .bind(country)
    .bind(category)
    .bind(rate_bp)
    .execute(conn)
    .await?;
    Ok(())
}

/// What checkout needs of a shop: its price mode, its shipping rate for the destination (the
/// country's own, else its rate for everywhere, `*`), whether it set any rate at all, and its
/// shipping methods in the order it lists them (which, when there are any, replace the rates).
#[derive(Debug, Clone)]
pub struct ShopTerms {
    pub price_mode: String,
    pub shipping: Option<(i64, String)>,
    pub has_rates: bool,
    pub methods: Vec<crate::shipping_methods::MethodRow>,
}

pub async fn shop_terms(conn: &mut AnyConnection, shop_id: &str, country: &str) -> sqlx::Result<ShopTerms> {
    // One statement: the rates as columns, one row per method (one row of NULLs for a shop
    // without any).
    let rows = sqlx::query(
        "SELECT s.price_mode, \
           COALESCE((SELECT r.amount FROM shipping_rates r WHERE r.shop_id = s.id AND r.country = $2), \
                    (SELECT r.amount FROM shipping_rates r WHERE r.shop_id = s.id AND r.country = '*')), \
           COALESCE((SELECT r.currency FROM shipping_rates r WHERE r.shop_id = s.id AND r.country = $2), \
                    (SELECT r.currency FROM shipping_rates r WHERE r.shop_id = s.id AND r.country = '*')), \
           (SELECT COUNT(*) FROM shipping_rates r WHERE r.shop_id = s.id), \
           m.id, m.position, m.name, m.method \
         FROM shops s LEFT JOIN shipping_methods m ON m.shop_id = s.id WHERE s.id = $1 \
         ORDER BY m.position, m.id",
    )
    .bind(shop_id)
    .bind(country)
    .fetch_all(conn)
    .await?;
    let first = rows.first().ok_or(sqlx::Error::RowNotFound)?;
    let amount: Option<i64> = first.try_get(1)?;
    let currency: Option<String> = first.try_get(2)?;
    let rate_count: i64 = first.try_get(3)?;
    let mut methods = Vec::new();
    for r in &rows {
        if let Some(id) = r.try_get::<Option<String>, _>(4)? {
            methods.push(crate::shipping_methods::MethodRow {
                id,
                position: r.try_get(5)?,
                name: r.try_get(6)?,
                method: r.try_get(7)?,
            });
        }
    }
    Ok(ShopTerms {
        price_mode: first.try_get(0)?,
        shipping: amount.zip(currency),
        has_rates: rate_count > 0,
        methods,
    })
}

pub async fn insert_group(
    conn: &mut AnyConnection,
    id: &str,
    buyer: &str,
    payment_method: &str,
    now: i64,
) -> sqlx::Result<()> {
    group_write(id, buyer, payment_method, now).run(conn).await?;
    Ok(())
}

/// [`insert_group`], to run in a [`Batch`](crate::batch::Batch).
pub fn group_write(id: &str, buyer: &str, payment_method: &str, now: i64) -> Write {
    Write::new(
        "INSERT INTO order_groups (id, buyer_account_id, payment_method, created_at) VALUES ($1, $2, $3, $4)",
        vec![id.into(), buyer.into(), payment_method.into(), now.into()],
    )
}

/// An order as stored.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: String,
    pub group_id: String,
    pub buyer_account_id: String,
    pub company_id: Option<String>,
    pub shop_id: String,
    pub status: String,
    pub payment_method: String,
    pub currency: String,
    pub price_mode: String,
    pub subtotal: i64,
    pub discount: i64,
    pub shipping: i64,
    pub tax: i64,
    pub total: i64,
    /// The address as JSON.
    pub shipping_address: String,
    pub purchase_order: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The name of the shipping method chosen at checkout; `None` for a shop's plain rate.
    pub shipping_method: Option<String>,
}

const ORDER_COLUMNS: &str = "o.id, o.group_id, o.buyer_account_id, o.company_id, o.shop_id, o.status, o.payment_method, \
     o.currency, o.price_mode, o.subtotal, o.discount, o.shipping, o.tax, o.total, o.shipping_address, o.purchase_order, \
     o.carrier, o.tracking_number, o.created_at, o.updated_at, o.shipping_method";

fn order(r: &AnyRow) -> sqlx::Result<OrderRow> {
    Ok(OrderRow {
        id: r.try_get(0)?,
        group_id: r.try_get(1)?,
        buyer_account_id: r.try_get(2)?,
        company_id: r.try_get(3)?,
        shop_id: r.try_get(4)?,
        status: r.try_get(5)?,
        payment_method: r.try_get(6)?,
        currency: r.try_get(7)?,
        price_mode: r.try_get(8)?,
        subtotal: r.try_get(9)?,
        discount: r.try_get(10)?,
        shipping: r.try_get(11)?,
        tax: r.try_get(12)?,
        total: r.try_get(13)?,
        shipping_address: r.try_get(14)?,
        purchase_order: r.try_get(15)?,
        carrier: r.try_get(16)?,
        tracking_number: r.try_get(17)?,
        created_at: r.try_get(18)?,
        updated_at: r.try_get(19)?,
        shipping_method: r.try_get(20)?,
    })
}

pub async fn insert_order(conn: &mut AnyConnection, o: &OrderRow) -> sqlx::Result<()> {
    order_write(o).run(conn).await?;
    Ok(())
}

/// [`insert_order`], to run in a [`Batch`](crate::batch::Batch).
pub fn order_write(o: &OrderRow) -> Write {
    Write::new(
        "INSERT INTO orders (id, group_id, buyer_account_id, company_id, shop_id, status, payment_method, currency, \
         price_mode, subtotal, discount, shipping, tax, total, shipping_address, purchase_order, carrier, tracking_number, \
         created_at, updated_at, shipping_method) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        vec![
            (&o.id).into(),
            (&o.group_id).into(),
            (&o.buyer_account_id).into(),
            (&o.company_id).into(),
            (&o.shop_id).into(),
            (&o.status).into(),
            (&o.payment_method).into(),
            (&o.currency).into(),
            (&o.price_mode).into(),
            o.subtotal.into(),
            o.discount.into(),
            o.shipping.into(),
            o.tax.into(),
            o.total.into(),
            (&o.shipping_address).into(),
            (&o.purchase_order).into(),
            (&o.carrier).into(),
            (&o.tracking_number).into(),
            o.created_at.into(),
            o.updated_at.into(),
            (&o.shipping_method).into(),
        ],
    )
}

/// An order line as stored: what was bought, at what price and tax.
#[derive(Debug, Clone)]
pub struct LineRow {
    pub order_id: String,
    pub position: i64,
    pub variant_id: String,
    pub product_id: String,
    pub title: String,
    pub sku: String,
    pub variant_label: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub discount: i64,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
    pub tax_rate_bp: i64,
}

/// Inserts an order's lines, a few hundred parameters per statement (one statement for a cart
/// of up to 14 lines).
pub async fn insert_lines(conn: &mut AnyConnection, lines: &[LineRow]) -> sqlx::Result<()> {
    for write in lines_writes(lines) {
        write.run(conn).await?;
    }
    Ok(())
}

/// [`insert_lines`], to run in a [`Batch`](crate::batch::Batch).
pub fn lines_writes(lines: &[LineRow]) -> Vec<Write> {
    lines
        .chunks(crate::products::PARAMS_PER_INSERT / 14)
        .map(|chunk| {
            let sql = format!(
                "INSERT INTO order_lines (order_id, position, variant_id, product_id, title, sku, variant_label, quantity, \
                 unit_price, discount, net, tax, gross, tax_rate_bp) VALUES {}",
                crate::products::values(chunk.len(), 14)
            );
            let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * 14);
            for l in chunk {
                args.extend([
                    (&l.order_id).into(),
                    l.position.into(),
                    (&l.variant_id).into(),
                    (&l.product_id).into(),
                    (&l.title).into(),
                    (&l.sku).into(),
                    (&l.variant_label).into(),
                    l.quantity.into(),
                    l.unit_price.into(),
                    l.discount.into(),
                    l.net.into(),
                    l.tax.into(),
                    l.gross.into(),
                    l.tax_rate_bp.into(),
                ]);
            }
            Write::new(sql, args)
        })
        .collect()
}

pub async fn lines(conn: &mut AnyConnection, order_id: &str) -> sqlx::Result<Vec<LineRow>> {
    sqlx::query(
        "SELECT order_id, position, variant_id, product_id, title, sku, variant_label, quantity, unit_price, discount, \
         net, tax, gross, tax_rate_bp FROM order_lines WHERE order_id = $1 ORDER BY position",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok(LineRow {
            order_id: r.try_get(0)?,
            position: r.try_get(1)?,
            variant_id: r.try_get(2)?,
            product_id: r.try_get(3)?,
            title: r.try_get(4)?,
            sku: r.try_get(5)?,
            variant_label: r.try_get(6)?,
            quantity: r.try_get(7)?,
            unit_price: r.try_get(8)?,
            discount: r.try_get(9)?,
            net: r.try_get(10)?,
            tax: r.try_get(11)?,
            gross: r.try_get(12)?,
            tax_rate_bp: r.try_get(13)?,
        })
    })
    .collect()
}

/// One step of an order's timeline.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub event: String,
    /// The status the order had after it.
    pub status: String,
    pub actor: Option<String>,
    pub party: String,
    pub note: Option<String>,
    pub at: i64,
}

/// An order's first steps (placed, and paid at once by a wallet) as one insert, to run in a
/// [`Batch`](crate::batch::Batch).
pub fn events_write(order_id: &str, events: &[EventRow]) -> Write {
    let sql = format!(
        "INSERT INTO order_events (order_id, event, status, actor, party, note, at) VALUES {}",
        crate::products::values(events.len(), 7)
    );
    let mut args: Vec<Arg> = Vec::with_capacity(events.len() * 7);
    for e in events {
        args.extend([
            order_id.into(),
            (&e.event).into(),
            (&e.status).into(),
            (&e.actor).into(),
            (&e.party).into(),
            (&e.note).into(),
            e.at.into(),
        ]);
    }
    Write::new(sql, args)
}

pub async fn insert_event(conn: &mut AnyConnection, order_id: &str, e: &EventRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO order_events (order_id, event, status, actor, party, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(order_id)
    .bind(&e.event)
    .bind(&e.status)
    .bind(&e.actor)
    .bind(&e.party)
    .bind(&e.note)
    .bind(e.at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn events(conn: &mut AnyConnection, order_id: &str) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query("SELECT event, status, actor, party, note, at FROM order_events WHERE order_id = $1 ORDER BY id")
        .bind(order_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(EventRow {
                event: r.try_get(0)?,
                status: r.try_get(1)?,
                actor: r.try_get(2)?,
                party: r.try_get(3)?,
                note: r.try_get(4)?,
                at: r.try_get(5)?,
            })
        })
        .collect()
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<OrderRow>> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders o WHERE o.id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(order)
        .transpose()
}

pub async fn of_group(conn: &mut AnyConnection, group_id: &str) -> sqlx::Result<Vec<OrderRow>> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders o WHERE o.group_id = $1 ORDER BY o.id");
    sqlx::query(&sql)
        .bind(group_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(order)
        .collect()
}

/// Whose orders a list shows.
#[derive(Debug, Clone, Copy)]
pub enum Party<'a> {
    Buyer(&'a str),
    /// The orders of every shop the seller runs.
    ShopsOf {
        account_id: &'a str,
        company_id: Option<&'a str>,
    },
    /// The orders placed for a company; only `buyer`'s when given.
    Company {
        company_id: &'a str,
        buyer: Option<&'a str>,
    },
}

/// A page of orders, newest first, after the cursor `(created_at, id)`.
pub async fn list(
    conn: &mut AnyConnection,
    party: Party<'_>,
    status: Option<&str>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> sqlx::Result<Vec<OrderRow>> {
    let (who, a, b) = match party {
        Party::Buyer(id) => ("o.buyer_account_id = $1 AND $2 = ''", id, None),
        Party::ShopsOf { account_id, company_id } => (
            "o.shop_id IN (SELECT s.id FROM shops s WHERE s.owner_account_id = $1 OR (s.company_id IS NOT NULL AND s.company_id = $2))",
            account_id,
            company_id,
        ),
        Party::Company { company_id, buyer } => (
            "o.company_id = $1 AND ($2 = '' OR o.buyer_account_id = $2)",
            company_id,
            buyer,
        ),
    };
    let (at, id) = after.unwrap_or((i64::MAX, ""));
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders o WHERE {who} AND ($3 = '' OR o.status = $3) \
         AND (o.created_at < $4 OR (o.created_at = $4 AND o.id < $5)) ORDER BY o.created_at DESC, o.id DESC LIMIT $6"
    );
    sqlx::query(&sql)
        .bind(a)
        .bind(b.unwrap_or(""))
        .bind(status.unwrap_or(""))
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(conn)
        .await?
        .iter()
        .map(order)
        .collect()
}

/// Moves an order from `from` to `to` if nobody moved it meanwhile; false otherwise.
pub async fn set_status(conn: &mut AnyConnection, id: &str, from: &str, to: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
        .bind(to)
        .bind(now)
        .bind(id)
        .bind(from)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_tracking(conn: &mut AnyConnection, id: &str, carrier: &str, tracking: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE orders SET carrier = $1, tracking_number = $2 WHERE id = $3")
        .bind(carrier)
        .bind(tracking)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
