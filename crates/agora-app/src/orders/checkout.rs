//! Checkout: the buyer's cart becomes one order per shop, in one transaction. Every line is
//! priced again from the catalog, taxed by the destination's rates and shipped by the shop's
//! rate; the stock of every line is taken with a conditional decrement, so either all lines are
//! reserved or none is and nothing is ever oversold.

use agora_core::address::{Address, AddressInput};
use agora_core::checkout::{
    checkout_totals, order_totals, split_by_shop, CheckoutError, CheckoutLine, CouponAtCheckout, OrderInput,
    OrderTotals,
};
use agora_core::country::Country;
use agora_core::money::Money;
use agora_core::order::{needs_approval, PaymentMethod};
use agora_core::shipping::{Destinations, ShippingMethod, ShippingRate};
use agora_core::tax::{PriceMode, TaxTable};
use agora_core::text;
use agora_store::carts::{self as cart_store, TakenLine};
use agora_store::orders as store;
use agora_store::{now_ms, Conn};

use super::place::{self, Written};
use super::OrderView;
use crate::cart::{self, CartLine, LineIssue};
use crate::companies;
use crate::coupons::{self, Entered};
use crate::escrow::PaymentSummary;
use crate::idempotency::{self, Answer, Claimed, Keyed};
use crate::stored::word;
use crate::{addresses, shipping_methods, Actor, App, AppError, AppResult, ConflictKind};

/// What the buyer sends to check out. Prices are never part of it.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckoutInput<'a> {
    /// Left blank (every field empty) to ship to `address_id`, else to the buyer's default address.
    pub shipping_address: AddressInput<'a>,
    /// One of the buyer's saved addresses (404 for anyone else's).
    pub address_id: Option<&'a str>,
    /// The shipping method the buyer chose per shop: `(shop id, method id)`; a shop left out
    /// ships by its cheapest method that can.
    pub shipping_methods: &'a [(String, String)],
    pub payment_method: &'a str,
    pub purchase_order: Option<&'a str>,
    /// A coupon code (case-insensitive); blank or `None` for none.
    pub coupon: Option<&'a str>,
}

/// The orders one checkout placed (one per shop).
#[derive(Debug, Clone)]
pub struct Placed {
    pub group_id: String,
    pub orders: Vec<OrderView>,
    /// The checkout's one payment (none for cash on delivery).
    pub payment: Option<PaymentSummary>,
}

fn checkout_error(err: CheckoutError) -> AppError {
    match err.field() {
        Some(field) => AppError::invalid(&field, err.to_string()),
        None => AppError::invalid("cart", err.to_string()),
    }
}

/// Refuses a cart with a line that cannot be ordered as it is, naming the line.
fn check_lines(lines: &[CartLine]) -> AppResult<()> {
    if lines.is_empty() {
        return Err(AppError::invalid("cart", "is empty: add something first"));
    }
    for (i, l) in lines.iter().enumerate() {
        match &l.issue {
            None => {}
            Some(LineIssue::Unavailable) => {
                return Err(AppError::invalid(
                    &format!("lines[{i}].variant_id"),
                    format!("{} is no longer for sale", l.title),
                ))
            }
            Some(LineIssue::BelowMinimum { minimum }) => {
                return Err(AppError::invalid(
                    &format!("lines[{i}].quantity"),
                    format!("the minimum order of {} is {minimum} units", l.title),
                ))
            }
            Some(LineIssue::OutOfStock { available }) => {
                return Err(AppError::conflict(
                    ConflictKind::OutOfStock,
                    format!("only {available} of {} ({}) are in stock", l.title, l.sku),
                ))
            }
        }
    }
    Ok(())
}

/// One shop's part of the cart, priced: its lines and the order's figures.
pub(super) struct ShopOrder {
    pub shop_id: String,
    pub price_mode: PriceMode,
    pub lines: Vec<CartLine>,
    pub totals: OrderTotals,
    /// What the totals were computed from, to compute them again with a coupon.
    checkout_lines: Vec<CheckoutLine>,
    shipping: Option<ShippingMethod>,
    /// The chosen method's name, kept on the order (`None` for the shop's plain rate).
    pub shipping_name: Option<String>,
}

async fn price_shop_order(
    conn: &mut Conn,
    app: &App,
    shop_id: String,
    lines: Vec<CartLine>,
    taxes: &TaxTable,
    destination: Country,
    chosen_method: Option<&str>,
) -> AppResult<ShopOrder> {
    let terms = app.checkout_terms.shop(conn, &shop_id, destination.code()).await?;
    let price_mode: PriceMode = word("price mode", &terms.price_mode)?;
    let currency = lines[0].unit_price.currency;
    if lines.iter().any(|l| l.unit_price.currency != currency) {
        return Err(AppError::invalid(
            "cart",
            "one shop's goods must all be priced in one currency",
        ));
    }
    let checkout_lines = shipping_methods::checkout_lines(&lines);
    let field = format!("shipping_method.{shop_id}");
    // A shop with shipping methods ships by the chosen one, else by its cheapest that can.
    let (method, shipping_name) = if !terms.methods.is_empty() {
        let methods = shipping_methods::offered(&terms.methods)?;
        let parcel = shipping_methods::parcel_of(&checkout_lines, destination)?;
        let m = shipping_methods::choose(&methods, chosen_method, &field, parcel, &lines[0].shop_name)?;
        (Some(m.method.clone()), Some(m.method.name.clone()))
    } else if chosen_method.is_some() {
        return Err(AppError::invalid(
            &field,
            format!("{} has no shipping methods to choose from", lines[0].shop_name),
        ));
    } else {
        (
            legacy_rate(&terms, &shop_id, &lines[0].shop_name, currency, destination)?,
            None,
        )
    };
    let input = OrderInput {
        shop_id: &shop_id,
        currency,
        lines: &checkout_lines,
        price_mode,
        taxes,
        destination,
        shipping: method.as_ref(),
    };
    let totals = order_totals(&input, Money::zero(currency)).map_err(checkout_error)?;
    Ok(ShopOrder {
        shop_id,
        price_mode,
        lines,
        totals,
        checkout_lines,
        shipping: method,
        shipping_name,
    })
}

/// A shop without shipping methods: one that set no shipping rate ships for free; one that did
/// ships where it set a rate.
fn legacy_rate(
    terms: &store::ShopTerms,
    shop_id: &str,
    shop_name: &str,
    currency: agora_core::money::Currency,
    destination: Country,
) -> AppResult<Option<ShippingMethod>> {
    Ok(match (&terms.shipping, terms.has_rates) {
        (_, false) => None,
        (None, true) => {
            return Err(AppError::invalid(
                "shipping_address.country",
                format!("{} does not ship to {}", shop_name, destination.code()),
            ))
        }
        (Some((amount, code)), true) => {
            if code != currency.code() {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "shop {shop_id} ships in {code} but sells in {}",
                    currency.code()
                )));
            }
            Some(ShippingMethod {
                name: "Standard".into(),
                rate: ShippingRate::Flat {
                    price: Money::new(*amount, currency),
                },
                free_from: None,
                destinations: Destinations::Everywhere,
            })
        }
    })
}

/// Whether this checkout waits for a company admin's approval: by the actor's current company
/// role and the company's approval limit, against the totals of all its orders.
async fn approval_needed(conn: &mut Conn, actor: &Actor, orders: &[ShopOrder]) -> AppResult<bool> {
    let Some((company_id, role)) = &actor.company else {
        return Ok(false);
    };
    let limit = companies::approval_limit(conn, company_id).await?;
    let totals: Vec<Money> = orders.iter().map(|o| o.totals.total).collect();
    Ok(needs_approval(Some(*role), limit, &totals))
}

/// Everything a checkout decided before writing: read, priced and checked on a reading
/// connection, so that the writing transaction holds its locks (on SQLite the one writer) only
/// for the writes. The transaction checks again what could have changed meanwhile: the cart's
/// lines (emptied at its start, they must be the ones priced), each variant's stock and price
/// (taken with a conditional update), the coupon's uses (consumed with one) and the key.
pub(super) struct Plan {
    pub cart_id: String,
    /// The cart's lines as priced, sorted (see [`cart_store::take_lines`]).
    pub cart_lines: Vec<TakenLine>,
    pub address: Address,
    pub orders: Vec<ShopOrder>,
    /// The coupon and the discount it gives in all.
    pub coupon: Option<(Entered, Money)>,
    pub needs_approval: bool,
}

/// What the buyer sent, checked.
struct Checked<'a> {
    input: CheckoutInput<'a>,
    typed: Option<Address>,
    coupon_code: Option<String>,
}

/// Reads, prices and checks the actor's cart for checkout (nothing is written).
async fn plan(conn: &mut Conn, app: &App, actor: &Actor, checked: &Checked<'_>, now: i64) -> AppResult<Plan> {
    let input = &checked.input;
    let (cart_id, rows) = cart_store::lines_of_account(conn, &actor.account_id)
        .await?
        .ok_or_else(|| AppError::invalid("cart", "is empty: add something first"))?;
    let address = match &checked.typed {
        Some(address) => address.clone(),
        None => addresses::for_checkout(conn, actor, input.address_id, input.shipping_address).await?,
    };
    let mut cart_lines: Vec<TakenLine> = rows
        .iter()
        .map(|r| (r.id.clone(), r.variant_id.clone(), r.quantity))
        .collect();
    cart_lines.sort();
    let priced = cart::priced_rows(conn, Some(actor), rows).await?;
    check_lines(&priced.lines)?;
    let taxes = app.checkout_terms.tax_table(conn, address.country).await?;
    let by_shop = split_by_shop(priced.lines, |l: &CartLine| l.shop_id.as_str());
    if let Some((shop, _)) = input
        .shipping_methods
        .iter()
        .find(|(shop, _)| !by_shop.iter().any(|(id, _)| id == shop))
    {
        return Err(AppError::invalid(
            &format!("shipping_method.{shop}"),
            "is not a shop of the goods in your cart",
        ));
    }
    let mut orders = Vec::new();
    for (shop_id, lines) in by_shop {
        let chosen = input
            .shipping_methods
            .iter()
            .find(|(s, _)| *s == shop_id)
            .map(|(_, m)| m.as_str());
        orders.push(price_shop_order(conn, app, shop_id, lines, &taxes, address.country, chosen).await?);
    }
    let coupon = match &checked.coupon_code {
        Some(code) => Some(apply_coupon(conn, code, &mut orders, &taxes, address.country, actor, now).await?),
        None => None,
    };
    let needs_approval = approval_needed(conn, actor, &orders).await?;
    Ok(Plan {
        cart_id,
        cart_lines,
        address,
        orders,
        coupon,
        needs_approval,
    })
}

/// What one shop's order would come to if the buyer checked out now.
#[derive(Debug, Clone)]
pub struct QuotedOrder {
    pub shop_id: String,
    pub shop_name: String,
    /// The shipping method's name (`None` for the shop's plain rate).
    pub shipping_name: Option<String>,
    pub totals: OrderTotals,
}

/// What the actor's cart would come to, shop by shop, shipped to `country` by the chosen methods
/// (a shop left out ships by its cheapest): priced, shipped and taxed exactly as checkout does,
/// before any coupon. Nothing is written or reserved; an empty cart quotes nothing.
pub async fn quote(
    app: &App,
    actor: &Actor,
    country: Country,
    shipping_methods: &[(String, String)],
) -> AppResult<Vec<QuotedOrder>> {
    let mut conn = app.db.conn().await?;
    let Some((_, rows)) = cart_store::lines_of_account(&mut conn, &actor.account_id).await? else {
        return Ok(vec![]);
    };
    let priced = cart::priced_rows(&mut conn, Some(actor), rows).await?;
    check_lines(&priced.lines)?;
    let taxes = app.checkout_terms.tax_table(&mut conn, country).await?;
    let mut quoted = Vec::new();
    for (shop_id, lines) in split_by_shop(priced.lines, |l: &CartLine| l.shop_id.as_str()) {
        let chosen = shipping_methods
            .iter()
            .find(|(s, _)| *s == shop_id)
            .map(|(_, m)| m.as_str());
        let shop_name = lines[0].shop_name.clone();
        let order = price_shop_order(&mut conn, app, shop_id, lines, &taxes, country, chosen).await?;
        quoted.push(QuotedOrder {
            shop_id: order.shop_id,
            shop_name,
            shipping_name: order.shipping_name,
            totals: order.totals,
        });
    }
    Ok(quoted)
}

/// How often a checkout reads its cart again when the cart or a price changed between reading
/// and writing, before it gives up.
const ATTEMPTS: usize = 3;

/// Checks out the actor's cart: one order per shop, stock reserved for every line, the cart
/// emptied; all in one transaction, or nothing at all.
///
/// A retried checkout with the same `Idempotency-Key` gets the first one's response: the key is
/// claimed, and the response kept, in this same transaction.
pub async fn checkout(
    app: &App,
    actor: &Actor,
    input: CheckoutInput<'_>,
    key: Option<Keyed<'_, Placed>>,
) -> AppResult<Answer<Placed>> {
    // A typed address is checked before anything else; a saved one is read with the cart.
    let typed = match input.address_id {
        None if !input.shipping_address.is_blank() => Some(Address::parse("shipping_address", input.shipping_address)?),
        _ => None,
    };
    let payment: PaymentMethod = input
        .payment_method
        .parse()
        .map_err(|m| AppError::invalid("payment_method", m))?;
    let purchase_order =
        text::optional(input.purchase_order, 100).map_err(|m| AppError::invalid("purchase_order", m))?;
    let checked = Checked {
        input,
        typed,
        coupon_code: coupons::entered_code(input.coupon)?,
    };
    let terms = place::Terms {
        payment,
        purchase_order: purchase_order.as_deref(),
    };
    for attempt in 1..=ATTEMPTS {
        let now = now_ms();
        // Read, priced, checked and made into rows on a reading connection, given back before
        // the writing transaction starts.
        let prepared = {
            let mut conn = app.db.conn().await?;
            match plan(&mut conn, app, actor, &checked, now).await {
                Ok(plan) => place::prepare(&mut conn, app, actor, plan, terms, key, now).await?,
                Err(err) => {
                    drop(conn);
                    return refused(app, key, err).await;
                }
            }
        };
        match place::write(app, actor, prepared, key, attempt == ATTEMPTS).await? {
            Written::Done(placed) => return Ok(Answer::Done(placed)),
            Written::Replayed(stored) => return Ok(Answer::Replayed(stored)),
            Written::Changed => continue,
        }
    }
    Err(AppError::conflict(
        ConflictKind::ChangedMeanwhile,
        "your cart or its prices changed while you checked out: look at it again and check out again",
    ))
}

/// A checkout refused before writing: if its key's request already ran (the first click of a
/// double click emptied the cart), the response it got; else the refusal.
async fn refused(app: &App, key: Option<Keyed<'_, Placed>>, err: AppError) -> AppResult<Answer<Placed>> {
    if key.is_none() {
        return Err(err);
    }
    let mut tx = app.db.begin().await?;
    match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Replay(response) => Ok(Answer::Replayed(response)),
        Claimed::Proceed(_) => {
            tx.rollback().await?;
            Err(err)
        }
    }
}

/// Applies the buyer's coupon to the checkout: finds it, and computes every shop's order again
/// with the core's rules ([`checkout_totals`]: a shop's coupon discounts that shop's order, the
/// operator's the whole checkout; never below zero). Returns the coupon and the discount it gives
/// in all, for [`coupons::redeem`] to consume it once the orders exist.
async fn apply_coupon(
    conn: &mut Conn,
    code: &str,
    shop_orders: &mut [ShopOrder],
    taxes: &TaxTable,
    destination: Country,
    actor: &Actor,
    now: i64,
) -> AppResult<(Entered, Money)> {
    let shop_ids: Vec<&str> = shop_orders.iter().map(|o| o.shop_id.as_str()).collect();
    let entered = coupons::find_entered(conn, code, &shop_ids, &actor.account_id, now).await?;
    let inputs: Vec<OrderInput<'_>> = shop_orders
        .iter()
        .map(|o| OrderInput {
            shop_id: &o.shop_id,
            currency: o.totals.total.currency,
            lines: &o.checkout_lines,
            price_mode: o.price_mode,
            taxes,
            destination,
            shipping: o.shipping.as_ref(),
        })
        .collect();
    let at_checkout = CouponAtCheckout {
        coupon: &entered.coupon,
        usage: entered.usage,
    };
    let totals = checkout_totals(&inputs, Some(at_checkout)).map_err(checkout_error)?;
    let mut discount: Option<Money> = None;
    for (o, t) in shop_orders.iter_mut().zip(totals) {
        if entered.coupon.covers_shop(&o.shop_id) {
            discount = Some(match discount {
                Some(sum) => sum.checked_add(t.discount).map_err(|e| AppError::Internal(e.into()))?,
                None => t.discount,
            });
        }
        o.totals = t;
    }
    let discount = discount.ok_or_else(|| AppError::Internal(anyhow::anyhow!("the coupon covers no order")))?;
    Ok((entered, discount))
}
