//! The cart: what a buyer (or a guest, by a cookie) means to buy. Prices are never stored as the
//! truth: every view prices each line again from the catalog, the volume tiers and the buyer's
//! company price, and says when a price or the stock changed since the line was added. The
//! minimum order quantity and the stock are checked on every change and again at checkout.

use std::collections::BTreeMap;

use agora_core::money::Money;
use agora_core::pricing::{PriceError, PriceRules, PriceTier};
use agora_core::product::ProductStatus;
use agora_core::shop::ShopStatus;
use agora_store::carts::{self as store, LineRow, Owner};
use agora_store::catalog as catalog_store;
use agora_store::{now_ms, Conn};
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::price_comparison::price_rules;
use crate::stored::currency;
use crate::{Actor, App, AppError, AppResult, ConflictKind};

/// The most lines one cart holds.
pub const MAX_LINES: i64 = 100;
/// The most units of one line.
pub const MAX_QUANTITY: i64 = 1_000_000;

/// Whose cart a request means.
#[derive(Debug, Clone, Copy)]
pub enum CartOf<'a> {
    /// A logged-in buyer's.
    Buyer(&'a Actor),
    /// A guest's, by the secret of their cart cookie.
    Guest(&'a str),
}

impl CartOf<'_> {
    fn actor(&self) -> Option<&Actor> {
        match self {
            CartOf::Buyer(actor) => Some(actor),
            CartOf::Guest(_) => None,
        }
    }
}

/// A new secret for a guest's cart cookie.
pub fn new_guest_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn guest_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The store's key of a cart owner.
enum OwnerKey {
    Account(String),
    Guest(String),
}

impl OwnerKey {
    fn of(of: CartOf<'_>) -> OwnerKey {
        match of {
            CartOf::Buyer(actor) => OwnerKey::Account(actor.account_id.clone()),
            CartOf::Guest(secret) => OwnerKey::Guest(guest_hash(secret)),
        }
    }

    fn owner(&self) -> Owner<'_> {
        match self {
            OwnerKey::Account(id) => Owner::Account(id),
            OwnerKey::Guest(hash) => Owner::Guest(hash),
        }
    }
}

/// Why a line cannot be ordered as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineIssue {
    /// The product was archived or its shop no longer sells.
    Unavailable,
    /// Fewer units are in stock than the line asks for.
    OutOfStock { available: i64 },
    /// The line asks for fewer units than the product's minimum order.
    BelowMinimum { minimum: i64 },
}

/// A cart line, priced now.
#[derive(Debug, Clone)]
pub struct CartLine {
    pub id: String,
    pub variant_id: String,
    pub product_id: String,
    pub title: String,
    /// The variant's options ("Black / 1 kg"), or its SKU when it has none.
    pub variant_label: String,
    pub sku: String,
    pub shop_id: String,
    pub shop_name: String,
    pub quantity: i64,
    /// Today's unit price for this quantity and this buyer.
    pub unit_price: Money,
    /// The variant's own price (in minor units) that `unit_price` was worked out from.
    pub base_price: i64,
    pub line_total: Money,
    /// The unit price when the buyer added the line or last changed it, when it differs from today's.
    pub previous_unit_price: Option<Money>,
    pub stock: i64,
    pub min_order_qty: i64,
    /// The blob key of the product's first thumbnail.
    pub thumb_key: Option<String>,
    /// The weight of one unit, for shipping by weight.
    pub weight_grams: i64,
    pub issue: Option<LineIssue>,
}

/// A cart, priced now.
#[derive(Debug, Clone, Default)]
pub struct Cart {
    pub lines: Vec<CartLine>,
    /// The goods' total per currency (a cart may hold shops that sell in different currencies).
    pub subtotals: Vec<Money>,
    /// Units in the cart.
    pub item_count: i64,
}

impl Cart {
    /// Whether every line can be ordered as it is.
    pub fn is_orderable(&self) -> bool {
        !self.lines.is_empty() && self.lines.iter().all(|l| l.issue.is_none())
    }
}

pub(crate) fn variant_label(sku: &str, attributes: &str) -> String {
    let values: Vec<String> = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(attributes)
        .map(|m| {
            m.values()
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    if values.is_empty() {
        sku.to_owned()
    } else {
        values.join(" / ")
    }
}

/// Whether a product in this status, of a shop in this status, is for sale.
fn for_sale(product_status: &str, shop_status: &str) -> bool {
    product_status
        .parse::<ProductStatus>()
        .is_ok_and(ProductStatus::is_public)
        && shop_status.parse::<ShopStatus>().is_ok_and(ShopStatus::is_public)
}

/// Amounts are bounded where they are entered, so a cart's sums never overflow; if one did, it is
/// a failure of ours.
fn out_of_range(err: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("cart amount out of range: {err}"))
}

/// The pricing rules of each line's variant for this buyer, from one query for the whole cart:
/// base price, volume tiers, minimum order quantity and the buyer's company price.
async fn rules_of(conn: &mut Conn, actor: Option<&Actor>, rows: &[LineRow]) -> AppResult<Vec<PriceRules>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.variant_id.as_str()).collect();
    let company = actor.and_then(|a| a.company.as_ref()).map(|(id, _)| id.as_str());
    let facts = catalog_store::price_facts(conn, &ids, company).await?;
    rows.iter()
        .map(|row| {
            let base = Money::new(row.price_amount, currency(&row.currency)?);
            Ok(PriceRules {
                base,
                tiers: facts
                    .tiers
                    .iter()
                    .filter(|(v, _, _)| *v == row.variant_id)
                    .map(|(_, q, a)| PriceTier {
                        min_qty: *q as u32,
                        unit_price: Money::new(*a, base.currency),
                    })
                    .collect(),
                min_order_qty: row.min_order_qty.max(1) as u32,
                company_price: facts
                    .company_prices
                    .iter()
                    .find(|(v, _)| *v == row.variant_id)
                    .map(|(_, a)| Money::new(*a, base.currency)),
            })
        })
        .collect()
}

fn price_line(row: LineRow, rules: &PriceRules) -> AppResult<CartLine> {
    let qty = u32::try_from(row.quantity).unwrap_or(u32::MAX);
    // Below the minimum, the line is shown at the minimum's price tier but flagged.
    let unit_price = rules.unit_price(qty.max(rules.min_order_qty)).map_err(out_of_range)?;
    let line_total = unit_price.times(qty).map_err(out_of_range)?;
    let sellable = for_sale(&row.product_status, &row.shop_status);
    let issue = if !sellable {
        Some(LineIssue::Unavailable)
    } else if row.quantity > row.stock {
        Some(LineIssue::OutOfStock { available: row.stock })
    } else if row.quantity < row.min_order_qty {
        Some(LineIssue::BelowMinimum {
            minimum: row.min_order_qty,
        })
    } else {
        None
    };
    let previous = Money::new(row.seen_unit_price, unit_price.currency);
    Ok(CartLine {
        variant_label: variant_label(&row.sku, &row.attributes),
        id: row.id,
        variant_id: row.variant_id,
        product_id: row.product_id,
        title: row.product_title,
        sku: row.sku,
        shop_id: row.shop_id,
        shop_name: row.shop_name,
        quantity: row.quantity,
        unit_price,
        base_price: row.price_amount,
        line_total,
        previous_unit_price: (previous != unit_price).then_some(previous),
        stock: row.stock,
        min_order_qty: row.min_order_qty,
        thumb_key: row.thumb_key,
        weight_grams: row.weight_grams,
        issue,
    })
}

/// The cart with every line priced now, inside the caller's connection or transaction: two
/// queries whatever the number of lines (the lines with their variants, then their price rules).
pub async fn priced(conn: &mut Conn, actor: Option<&Actor>, cart_id: Option<&str>) -> AppResult<Cart> {
    let Some(cart_id) = cart_id else {
        return Ok(Cart::default());
    };
    let rows = store::lines(conn, cart_id).await?;
    priced_rows(conn, actor, rows).await
}

/// Prices cart lines already read (one query for their price rules).
pub(crate) async fn priced_rows(conn: &mut Conn, actor: Option<&Actor>, rows: Vec<LineRow>) -> AppResult<Cart> {
    let rules = rules_of(conn, actor, &rows).await?;
    let lines = rows
        .into_iter()
        .zip(&rules)
        .map(|(row, rules)| price_line(row, rules))
        .collect::<AppResult<Vec<_>>>()?;
    let mut totals: BTreeMap<&'static str, Money> = BTreeMap::new();
    for l in &lines {
        let entry = totals
            .entry(l.line_total.currency.code())
            .or_insert_with(|| Money::zero(l.line_total.currency));
        *entry = entry.checked_add(l.line_total).map_err(out_of_range)?;
    }
    Ok(Cart {
        item_count: lines.iter().map(|l| l.quantity).sum(),
        subtotals: totals.into_values().collect(),
        lines,
    })
}

/// The cart of `of`, priced now (empty when there is none yet).
pub async fn view(app: &App, of: CartOf<'_>) -> AppResult<Cart> {
    let mut conn = app.db.conn().await?;
    let cart_id = store::find(&mut conn, OwnerKey::of(of).owner()).await?;
    priced(&mut conn, of.actor(), cart_id.as_deref()).await
}

fn check_quantity(field: &str, quantity: i64) -> AppResult<()> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(AppError::invalid(
            field,
            format!("must be a whole number from 1 to {MAX_QUANTITY}"),
        ));
    }
    Ok(())
}

/// The variant, when it is for sale.
async fn sellable(conn: &mut Conn, variant_id: &str) -> AppResult<store::VariantFacts> {
    let facts = store::variant(conn, variant_id)
        .await?
        .ok_or_else(|| AppError::invalid("variant_id", "no such product variant"))?;
    if !for_sale(&facts.product_status, &facts.shop_status) {
        return Err(AppError::invalid("variant_id", "this product is not for sale"));
    }
    Ok(facts)
}

/// Checks that `quantity` units of the variant may be ordered and returns the unit price the
/// buyer sees for them.
async fn checked_price(
    conn: &mut Conn,
    actor: Option<&Actor>,
    variant_id: &str,
    facts: &store::VariantFacts,
    quantity: i64,
) -> AppResult<Money> {
    check_quantity("quantity", quantity)?;
    let base = Money::new(facts.price_amount, currency(&facts.currency)?);
    let rules = price_rules(conn, actor, &facts.product_id, variant_id, base).await?;
    let qty = u32::try_from(quantity).map_err(|_| AppError::invalid("quantity", "is too large"))?;
    let unit = match rules.unit_price(qty) {
        Ok(unit) => unit,
        Err(PriceError::BelowMinimum(min)) => {
            return Err(AppError::invalid(
                "quantity",
                format!("the minimum order is {min} units"),
            ))
        }
        Err(other) => return Err(AppError::invalid("quantity", other.to_string())),
    };
    if quantity > facts.stock {
        return Err(AppError::conflict(
            ConflictKind::OutOfStock,
            format!("only {} of {} are in stock", facts.stock, facts.sku),
        ));
    }
    Ok(unit)
}

/// Adds `quantity` units of a variant; a variant already in the cart gets the units added to
/// its line. Refused, with nothing changed, when the total is below the product's minimum order,
/// above the stock, or the product is not for sale.
pub async fn add(app: &App, of: CartOf<'_>, variant_id: &str, quantity: i64) -> AppResult<Cart> {
    check_quantity("quantity", quantity)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    let facts = sellable(&mut tx, variant_id).await?;
    let cart_id = store::find_or_create(&mut tx, OwnerKey::of(of).owner(), now).await?;
    let units = store::NewLine {
        cart_id: &cart_id,
        variant_id,
        quantity,
        seen_unit_price: facts.price_amount,
        currency: &facts.currency,
        now,
    };
    // Added first, checked after: the total counts an add that ran at the same moment, and a
    // refusal rolls the whole change back.
    let (line_id, total) = store::add_units(&mut tx, &units).await?;
    let unit = checked_price(&mut tx, of.actor(), variant_id, &facts, total).await?;
    if store::count(&mut tx, &cart_id).await? > MAX_LINES {
        return Err(AppError::conflict(
            ConflictKind::LimitReached,
            format!("a cart holds at most {MAX_LINES} different items"),
        ));
    }
    store::set_quantity(&mut tx, &cart_id, &line_id, total, unit.minor, now).await?;
    let cart = priced(&mut tx, of.actor(), Some(&cart_id)).await?;
    tx.commit().await?;
    Ok(cart)
}

async fn cart_and_variant(tx: &mut Conn, of: CartOf<'_>, line_id: &str) -> AppResult<(String, String)> {
    let cart_id = store::find(tx, OwnerKey::of(of).owner())
        .await?
        .ok_or(AppError::NotFound("cart line"))?;
    let variant_id = store::variant_of_line(tx, &cart_id, line_id)
        .await?
        .ok_or(AppError::NotFound("cart line"))?;
    Ok((cart_id, variant_id))
}

/// Changes a line's quantity (checked like [`add`]). Another cart's line is not found.
pub async fn set_quantity(app: &App, of: CartOf<'_>, line_id: &str, quantity: i64) -> AppResult<Cart> {
    check_quantity("quantity", quantity)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    let (cart_id, variant_id) = cart_and_variant(&mut tx, of, line_id).await?;
    let facts = sellable(&mut tx, &variant_id).await?;
    let unit = checked_price(&mut tx, of.actor(), &variant_id, &facts, quantity).await?;
    store::set_quantity(&mut tx, &cart_id, line_id, quantity, unit.minor, now).await?;
    let cart = priced(&mut tx, of.actor(), Some(&cart_id)).await?;
    tx.commit().await?;
    Ok(cart)
}

/// Removes a line. Another cart's line is not found.
pub async fn remove(app: &App, of: CartOf<'_>, line_id: &str) -> AppResult<Cart> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    let (cart_id, _) = cart_and_variant(&mut tx, of, line_id).await?;
    store::delete_line(&mut tx, &cart_id, line_id, now).await?;
    let cart = priced(&mut tx, of.actor(), Some(&cart_id)).await?;
    tx.commit().await?;
    Ok(cart)
}

/// Moves a guest's cart into the account's at login: a variant in both gets the units added, as
/// far as the stock allows. The guest cart is gone afterwards.
pub async fn merge_guest(app: &App, guest_secret: &str, actor: &Actor) -> AppResult<()> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    tx.leaves_storefront_alone();
    let hash = guest_hash(guest_secret);
    let Some(guest_cart) = store::find(&mut tx, Owner::Guest(&hash)).await? else {
        return Ok(());
    };
    let account_cart = store::find_or_create(&mut tx, Owner::Account(&actor.account_id), now).await?;
    for row in store::lines(&mut tx, &guest_cart).await? {
        let units = store::NewLine {
            cart_id: &account_cart,
            variant_id: &row.variant_id,
            quantity: row.quantity,
            seen_unit_price: row.seen_unit_price,
            currency: &row.currency,
            now,
        };
        let (line_id, total) = store::add_units(&mut tx, &units).await?;
        // Never more than the stock or the limit; a line that then asks too much says so in the cart.
        let capped = total.min(row.stock.max(row.quantity)).min(MAX_QUANTITY);
        if capped != total {
            store::set_quantity(&mut tx, &account_cart, &line_id, capped, row.seen_unit_price, now).await?;
        }
    }
    store::delete(&mut tx, &guest_cart).await?;
    tx.commit().await?;
    Ok(())
}
