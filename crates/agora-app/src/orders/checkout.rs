//! Checkout: the buyer's cart becomes one order per shop, in one transaction. Every line is
//! priced again from the catalog, taxed by the destination's rates and shipped by the shop's
//! rate; the stock of every line is taken with a conditional decrement, so either all lines are
//! reserved or none is and nothing is ever oversold.

use agora_core::address::{Address, AddressInput};
use agora_core::audit::AuditAction;
use agora_core::checkout::{
    checkout_totals, order_totals, split_by_shop, CheckoutError, CheckoutLine, CouponAtCheckout, OrderInput,
    OrderTotals,
};
use agora_core::country::Country;
use agora_core::money::Money;
use agora_core::order::{initial_status, needs_approval, OrderStatus, Party, PaymentMethod};
use agora_core::rate::BasisPoints;
use agora_core::shipping::{Destinations, ShippingMethod, ShippingRate};
use agora_core::tax::{PriceMode, TaxCategory, TaxTable};
use agora_core::text;
use agora_store::carts::{self as cart_store, Owner};
use agora_store::catalog as catalog_store;
use agora_store::orders::{self as store, EventRow, LineRow, OrderRow};
use agora_store::{new_id, now_ms, Conn};

use super::{assemble, follow_ups, OrderView};
use crate::cart::{self, CartLine, LineIssue};
use crate::companies;
use crate::coupons::{self, Entered};
use crate::escrow::{self, PaymentSummary};
use crate::idempotency::{self, Answer, Claimed, Keyed};
use crate::stored::word;
use crate::{addresses, audit, shipping_methods, Actor, App, AppError, AppResult, ConflictKind};

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

async fn tax_table(conn: &mut Conn, country: Country) -> AppResult<TaxTable> {
    let mut table = TaxTable::new();
    for (category, bp) in store::tax_rates(conn, country.code()).await? {
        let category = TaxCategory::parse(&category).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let rate = u32::try_from(bp)
            .ok()
            .and_then(|bp| BasisPoints::new(bp).ok())
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stored tax rate {bp} out of range")))?;
        table.set(country, category, rate);
    }
    Ok(table)
}

/// One shop's part of the cart, priced: its lines and the order's figures.
struct ShopOrder {
    shop_id: String,
    price_mode: PriceMode,
    lines: Vec<CartLine>,
    totals: OrderTotals,
    /// What the totals were computed from, to compute them again with a coupon.
    checkout_lines: Vec<CheckoutLine>,
    shipping: Option<ShippingMethod>,
    /// The chosen method's name, kept on the order (`None` for the shop's plain rate).
    shipping_name: Option<String>,
}

async fn price_shop_order(
    conn: &mut Conn,
    shop_id: String,
    lines: Vec<CartLine>,
    taxes: &TaxTable,
    destination: Country,
    chosen_method: Option<&str>,
) -> AppResult<ShopOrder> {
    let terms = store::shop_terms(conn, &shop_id, destination.code()).await?;
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
    // A typed address is checked before anything else; a saved one is read in the transaction.
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
    let coupon_code = coupons::entered_code(input.coupon)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
    };
    let cart_id = cart_store::find(&mut tx, Owner::Account(&actor.account_id))
        .await?
        .ok_or_else(|| AppError::invalid("cart", "is empty: add something first"))?;
    let address = match typed {
        Some(address) => address,
        None => addresses::for_checkout(&mut tx, actor, input.address_id, input.shipping_address).await?,
    };
    let priced = cart::priced(&mut tx, Some(actor), Some(&cart_id)).await?;
    check_lines(&priced.lines)?;
    let taxes = tax_table(&mut tx, address.country).await?;
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
    let mut shop_orders = Vec::new();
    for (shop_id, lines) in by_shop {
        let chosen = input
            .shipping_methods
            .iter()
            .find(|(s, _)| *s == shop_id)
            .map(|(_, m)| m.as_str());
        shop_orders.push(price_shop_order(&mut tx, shop_id, lines, &taxes, address.country, chosen).await?);
    }
    let coupon = match coupon_code {
        Some(code) => Some(apply_coupon(&mut tx, &code, &mut shop_orders, &taxes, address.country, actor, now).await?),
        None => None,
    };

    let group_id = new_id("grp");
    store::insert_group(&mut tx, &group_id, &actor.account_id, payment.as_str(), now).await?;
    let status = initial_status(payment, approval_needed(&mut tx, actor, &shop_orders).await?);
    // A wallet pays at once: its orders are paid as they are placed (and nothing is placed when
    // the wallet is short). Orders awaiting approval are paid after it.
    let pay_now = payment == PaymentMethod::Wallet && status == OrderStatus::PendingPayment;
    let status = if pay_now { OrderStatus::Paid } else { status };
    let address_json = serde_json::to_string(&address).map_err(|e| AppError::Internal(e.into()))?;
    let company_id = actor.company.as_ref().map(|(id, _)| id.clone());
    // What was written, to show the orders without reading them back.
    let mut written = Vec::new();
    let mut placed_data = Vec::new();
    let mut totals = Vec::new();
    for o in shop_orders {
        let order_id = new_id("ord");
        // Every line's stock in one statement (and the movements in one more).
        let takes: Vec<(&str, i64)> = o.lines.iter().map(|l| (l.variant_id.as_str(), l.quantity)).collect();
        let reason = format!("order {order_id}");
        let taken = catalog_store::take_stock(&mut tx, &takes, Some(&actor.account_id), &reason, now).await?;
        if let Err(short) = taken {
            let l = o
                .lines
                .iter()
                .find(|l| short.contains(&l.variant_id))
                .unwrap_or(&o.lines[0]);
            return Err(AppError::conflict(
                ConflictKind::OutOfStock,
                format!("{} ({}) sold out meanwhile", l.title, l.sku),
            ));
        }
        let t = &o.totals;
        let order_row = OrderRow {
            id: order_id.clone(),
            group_id: group_id.clone(),
            buyer_account_id: actor.account_id.clone(),
            company_id: company_id.clone(),
            shop_id: o.shop_id.clone(),
            status: status.as_str().into(),
            payment_method: payment.as_str().into(),
            currency: t.total.currency.code().into(),
            price_mode: o.price_mode.as_str().into(),
            subtotal: t.subtotal.minor,
            discount: t.discount.minor,
            shipping: t.shipping_in_mode().minor,
            tax: t.tax.minor,
            total: t.total.minor,
            shipping_address: address_json.clone(),
            purchase_order: purchase_order.clone(),
            carrier: None,
            tracking_number: None,
            created_at: now,
            updated_at: now,
            shipping_method: o.shipping_name.clone(),
        };
        store::insert_order(&mut tx, &order_row).await?;
        let line_rows: Vec<LineRow> = o
            .lines
            .iter()
            .zip(&t.lines)
            .enumerate()
            .map(|(position, (l, lt))| LineRow {
                order_id: order_id.clone(),
                position: position as i64,
                variant_id: l.variant_id.clone(),
                product_id: l.product_id.clone(),
                title: l.title.clone(),
                sku: l.sku.clone(),
                variant_label: l.variant_label.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price.minor,
                discount: lt.discount.minor,
                net: lt.net.minor,
                tax: lt.tax.minor,
                gross: lt.gross.minor,
                tax_rate_bp: i64::from(lt.tax_rate.get()),
            })
            .collect();
        store::insert_lines(&mut tx, &line_rows).await?;
        let placed = EventRow {
            event: "placed".into(),
            status: if pay_now { OrderStatus::PendingPayment } else { status }
                .as_str()
                .into(),
            actor: Some(actor.account_id.clone()),
            party: Party::Buyer.as_str().into(),
            note: None,
            at: now,
        };
        store::insert_event(&mut tx, &order_id, &placed).await?;
        let mut events = vec![placed];
        if pay_now {
            let paid = EventRow {
                event: "paid".into(),
                status: status.as_str().into(),
                note: Some("paid from the wallet".into()),
                ..events[0].clone()
            };
            store::insert_event(&mut tx, &order_id, &paid).await?;
            events.push(paid);
        }
        // The reservation's expiry and the confirmation email, committed with the order.
        let state = agora_core::order::OrderState { status, payment };
        follow_ups::after_move(&mut tx, &app.settings, &order_id, state, "placed", now).await?;
        placed_data.push(serde_json::json!({"order_id": order_id, "shop_id": o.shop_id, "total": t.total, "status": status.as_str()}));
        let shop_name = o.lines[0].shop_name.clone();
        totals.push((order_id.clone(), t.total));
        written.push((order_row, shop_name, line_rows, events));
    }
    if let Some((entered, discount)) = &coupon {
        coupons::redeem(&mut tx, entered, &actor.account_id, &group_id, *discount, now).await?;
    }
    let paid_by =
        escrow::open_for_checkout(&mut tx, &actor.account_id, &group_id, payment, &totals, pay_now, now).await?;
    let payment_summary = paid_by.as_ref().map(PaymentSummary::of).transpose()?;
    // One entry for the whole checkout: one audit chain locked per transaction.
    let data = serde_json::json!({"orders": placed_data, "payment_method": payment.as_str(),
        "payment_id": paid_by.as_ref().map(|p| p.id.as_str())});
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::OrdersPlaced,
        &group_id,
        data,
    )
    .await?;
    cart_store::clear(&mut tx, &cart_id).await?;
    let orders = written
        .into_iter()
        .map(|(row, shop_name, lines, events)| assemble(row, shop_name, lines, events, Party::Buyer))
        .collect::<AppResult<Vec<_>>>()?;
    let placed = Placed {
        group_id,
        orders,
        payment: payment_summary,
    };
    pending.save_in(&mut tx, &placed).await?;
    tx.commit().await?;
    Ok(Answer::Done(placed))
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
