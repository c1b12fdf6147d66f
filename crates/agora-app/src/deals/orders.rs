//! The order an accepted deal becomes: one line at the agreed unit price (the catalog's price
//! does not apply), its stock reserved with the same conditional decrement checkout uses, in the
//! transaction that signs the contract. It then waits for payment like any order (or for a
//! company admin's approval when the buyer's company requires one above its limit).
//!
//! Payment seam: the order is left in `pending_payment` (prepaid) or `confirmed` (cash on
//! delivery) with its reservation-expiry job, exactly as checkout leaves one; creating the
//! payment for it belongs to the payments engine (`POST /orders/{id}/pay` or the like), which
//! needs nothing from here but the order id.

use agora_core::account::CompanyRole;
use agora_core::checkout::{order_totals, CheckoutLine, OrderInput};
use agora_core::country::Country;
use agora_core::money::Money;
use agora_core::order::{initial_status, needs_approval, OrderState, OrderStatus, Party, PaymentMethod};
use agora_core::shipping::{Destinations, ShippingMethod, ShippingRate};
use agora_core::tax::{PriceMode, TaxCategory, TaxTable};
use agora_store::catalog as catalog_store;
use agora_store::companies as company_store;
use agora_store::orders::{self as store, EventRow, LineRow, OrderRow};
use agora_store::products as product_store;
use agora_store::{new_id, Conn};

use crate::orders::{assemble, follow_ups, OrderView};
use crate::stored::word;
use crate::{companies, AppError, AppResult, ConflictKind, Settings};

/// What was agreed, as the order needs it.
#[derive(Debug, Clone)]
pub(crate) struct Terms {
    pub order_id: String,
    pub contract_id: String,
    pub buyer_account_id: String,
    pub shop_id: String,
    pub shop_name: String,
    pub variant_id: String,
    pub quantity: i64,
    pub unit_price: Money,
    /// Delivery charged on top (a quote's shipping; zero for a negotiated price).
    pub shipping: Money,
    pub payment: PaymentMethod,
    /// The delivery address as JSON, when the buyer gave one.
    pub shipping_address: Option<serde_json::Value>,
    pub destination: Option<Country>,
    /// The account that caused the stock to move (who accepted).
    pub accepted_by: String,
}

/// The product facts an order line snapshots.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub product_id: String,
    pub title: String,
    pub sku: String,
    pub variant_label: String,
}

pub(crate) async fn item(conn: &mut Conn, variant_id: &str) -> AppResult<Item> {
    let (product_id, _, _) = catalog_store::variant_owner(conn, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    let (product, variants) = product_store::by_id(conn, &product_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    let v = variants
        .iter()
        .find(|v| v.id == variant_id)
        .ok_or(AppError::NotFound("variant"))?;
    Ok(Item {
        product_id,
        title: product.title,
        sku: v.sku.clone(),
        variant_label: crate::cart::variant_label(&v.sku, &v.attributes),
    })
}

/// The tax rates as they are in the order's transaction.
async fn tax_table(conn: &mut Conn, country: Country) -> AppResult<TaxTable> {
    crate::checkout_terms::tax_table_of(country, &store::tax_rates(conn, country.code()).await?)
}

/// The buyer's company and current role, and whether this order waits for a company admin.
async fn approval(conn: &mut Conn, buyer: &str, total: Money) -> AppResult<(Option<String>, bool)> {
    let Some((company_id, _, role)) = company_store::membership(conn, buyer).await? else {
        return Ok((None, false));
    };
    let role: CompanyRole = word("company role", &role)?;
    let limit = companies::approval_limit(conn, &company_id).await?;
    Ok((Some(company_id), needs_approval(Some(role), limit, &[total])))
}

/// Places the order for `terms` in the caller's transaction: stock taken (409 out-of-stock when
/// it is gone), the order, its line and its first event written, the reservation's expiry and the
/// buyer's email queued. The caller links it to its contract once the contract is stored.
pub(crate) async fn place(conn: &mut Conn, settings: &Settings, terms: &Terms, now: i64) -> AppResult<OrderView> {
    let item = item(conn, &terms.variant_id).await?;
    let reason = format!("order {}", terms.order_id);
    let takes = [(terms.variant_id.as_str(), terms.quantity)];
    if catalog_store::take_stock(conn, &takes, Some(&terms.accepted_by), &reason, now)
        .await?
        .is_err()
    {
        return Err(AppError::conflict(
            ConflictKind::OutOfStock,
            format!(
                "{} ({}) does not have {} units in stock any more",
                item.title, item.sku, terms.quantity
            ),
        ));
    }
    let price_mode: PriceMode = word(
        "price mode",
        &store::shop_terms(conn, &terms.shop_id, "*").await?.price_mode,
    )?;
    let currency = terms.unit_price.currency;
    let quantity = u32::try_from(terms.quantity).map_err(|_| AppError::invalid("quantity", "is too large"))?;
    let goods = terms
        .unit_price
        .times(quantity)
        .map_err(|_| AppError::invalid("quantity", "the total is too large"))?;
    // With a destination, tax as checkout computes it; without one, the agreed price is the final
    // price with no tax split recorded (settled on the invoice once the address is known).
    let (subtotal, shipping, tax, total, line_net, line_tax, line_gross, rate_bp) = match terms.destination {
        Some(country) => {
            let taxes = tax_table(conn, country).await?;
            let lines = [CheckoutLine {
                unit_price: terms.unit_price,
                quantity,
                tax_category: TaxCategory::standard(),
                weight_grams: 0,
            }];
            let method = (terms.shipping.minor > 0).then(|| ShippingMethod {
                name: "Agreed delivery".into(),
                rate: ShippingRate::Flat { price: terms.shipping },
                free_from: None,
                destinations: Destinations::Everywhere,
            });
            let input = OrderInput {
                shop_id: &terms.shop_id,
                currency,
                lines: &lines,
                price_mode,
                taxes: &taxes,
                destination: country,
                shipping: method.as_ref(),
            };
            let t = order_totals(&input, Money::zero(currency))
                .map_err(|e| AppError::invalid("shipping_address.country", e.to_string()))?;
            let l = &t.lines[0];
            (
                t.subtotal,
                t.shipping_in_mode(),
                t.tax,
                t.total,
                l.net,
                l.tax,
                l.gross,
                i64::from(l.tax_rate.get()),
            )
        }
        None => {
            let total = goods
                .checked_add(terms.shipping)
                .map_err(|_| AppError::invalid("unit_price", "the total is too large"))?;
            (
                goods,
                terms.shipping,
                Money::zero(currency),
                total,
                goods,
                Money::zero(currency),
                goods,
                0,
            )
        }
    };
    let (company_id, waits) = approval(conn, &terms.buyer_account_id, total).await?;
    let status = initial_status(terms.payment, waits);
    // Paid like a checkout: a wallet pays at once (409 when it is short, and nothing is agreed),
    // card and bank transfer get a pending payment the buyer completes from the order page.
    let pay_now = terms.payment == PaymentMethod::Wallet && status == OrderStatus::PendingPayment;
    let status = if pay_now { OrderStatus::Paid } else { status };
    let group_id = new_id("grp");
    store::insert_group(conn, &group_id, &terms.buyer_account_id, terms.payment.as_str(), now).await?;
    let row = OrderRow {
        id: terms.order_id.clone(),
        group_id,
        buyer_account_id: terms.buyer_account_id.clone(),
        company_id,
        shop_id: terms.shop_id.clone(),
        status: status.as_str().into(),
        payment_method: terms.payment.as_str().into(),
        currency: currency.code().into(),
        price_mode: price_mode.as_str().into(),
        subtotal: subtotal.minor,
        discount: 0,
        shipping: shipping.minor,
        tax: tax.minor,
        total: total.minor,
        shipping_address: terms
            .shipping_address
            .clone()
            .unwrap_or(serde_json::Value::Null)
            .to_string(),
        purchase_order: Some(format!("Contract {}", terms.contract_id)),
        carrier: None,
        tracking_number: None,
        created_at: now,
        updated_at: now,
        shipping_method: None,
    };
    store::insert_order(conn, &row).await?;
    let line = LineRow {
        order_id: row.id.clone(),
        position: 0,
        variant_id: terms.variant_id.clone(),
        product_id: item.product_id,
        title: item.title,
        sku: item.sku,
        variant_label: item.variant_label,
        quantity: terms.quantity,
        unit_price: terms.unit_price.minor,
        discount: 0,
        net: line_net.minor,
        tax: line_tax.minor,
        gross: line_gross.minor,
        tax_rate_bp: rate_bp,
    };
    store::insert_lines(conn, std::slice::from_ref(&line)).await?;
    let placed = EventRow {
        event: "placed".into(),
        status: status.as_str().into(),
        actor: Some(terms.accepted_by.clone()),
        party: Party::Buyer.as_str().into(),
        note: Some(format!("agreed in contract {}", terms.contract_id)),
        at: now,
    };
    store::insert_event(conn, &row.id, &placed).await?;
    let mut events = vec![placed];
    if pay_now {
        let paid = EventRow {
            event: "paid".into(),
            note: Some("paid from the wallet".into()),
            ..events[0].clone()
        };
        store::insert_event(conn, &row.id, &paid).await?;
        events.push(paid);
    }
    crate::escrow::open_for_checkout(
        conn,
        &terms.buyer_account_id,
        &row.group_id,
        terms.payment,
        &[(row.id.clone(), total)],
        pay_now,
        now,
    )
    .await?;
    let state = OrderState {
        status,
        payment: terms.payment,
    };
    follow_ups::after_move(conn, settings, &row.id, state, "placed", now).await?;
    assemble(row, terms.shop_name.clone(), vec![line], events, Party::Buyer)
}
