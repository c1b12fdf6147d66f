//! The writing half of checkout: a planned checkout (read, priced and checked beforehand, see
//! [`super::checkout`]) becomes its orders in one transaction that only writes, and checks again
//! with each write what could have changed since the plan was made.

use agora_core::audit::AuditAction;
use agora_core::order::{initial_status, OrderState, OrderStatus, Party, PaymentMethod};
use agora_store::batch::Batch;
use agora_store::carts as cart_store;
use agora_store::catalog as catalog_store;
use agora_store::orders::{self as store, EventRow, LineRow, OrderRow};
use agora_store::payments as payment_store;
use agora_store::{new_id, Conn};

use super::checkout::{Placed, Plan};
use super::{assemble, follow_ups};
use crate::cart::CartLine;
use crate::escrow::{self, PaymentSummary};
use crate::idempotency::{self, Claimed, Keyed, Stored};
use crate::{audit, coupons, Actor, App, AppError, AppResult, ConflictKind};

/// What the buyer chose that the plan does not hold.
#[derive(Debug, Clone, Copy)]
pub(super) struct Terms<'a> {
    pub payment: PaymentMethod,
    pub purchase_order: Option<&'a str>,
}

/// What writing a plan came to.
pub(super) enum Written {
    Done(Placed),
    /// The key's request already ran: its response.
    Replayed(Stored),
    /// The cart, or a price or variant it draws on, changed since the plan was made: nothing was
    /// written; plan again.
    Changed,
}

/// Writes the plan's orders, stock reservations, payment, jobs and audit entry, emptying the
/// cart, with the key's response, in one transaction. `last` says this is the last attempt: a
/// variant found short is then refused as out of stock whatever the reason.
pub(super) async fn write(
    app: &App,
    actor: &Actor,
    plan: Plan,
    terms: Terms<'_>,
    key: Option<Keyed<'_, Placed>>,
    now: i64,
    last: bool,
) -> AppResult<Written> {
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Written::Replayed(response)),
    };
    // The cart is emptied first: what it held must be what was priced.
    if cart_store::take_lines(&mut tx, &plan.cart_id).await? != plan.cart_lines {
        tx.rollback().await?;
        return Ok(Written::Changed);
    }
    // Every order's stock, each in one statement, each line only at the price it was priced at:
    // all taken before anything else is written.
    let mut batch = Batch::new();
    let order_ids: Vec<String> = plan.orders.iter().map(|_| new_id("ord")).collect();
    let mut movements = Vec::new();
    for (o, order_id) in plan.orders.iter().zip(&order_ids) {
        let takes: Vec<(&str, i64)> = o.lines.iter().map(|l| (l.variant_id.as_str(), l.quantity)).collect();
        let prices: Vec<(&str, i64)> = o.lines.iter().map(|l| (l.variant_id.as_str(), l.base_price)).collect();
        let reason = format!("order {order_id}");
        let taken =
            catalog_store::take_stock_at_prices(&mut tx, &takes, &prices, Some(&actor.account_id), &reason, now)
                .await?;
        match taken {
            Ok(write) => movements.push(write),
            Err(short) => {
                let refused = short_of(&mut tx, &o.lines, &short, last).await?;
                tx.rollback().await?;
                return refused.map_or(Ok(Written::Changed), Err);
            }
        }
    }
    let payment = terms.payment;
    let group_id = new_id("grp");
    batch.push(store::group_write(&group_id, &actor.account_id, payment.as_str(), now));
    let status = initial_status(payment, plan.needs_approval);
    // A wallet pays at once: its orders are paid as they are placed (and nothing is placed when
    // the wallet is short). Orders awaiting approval are paid after it.
    let pay_now = payment == PaymentMethod::Wallet && status == OrderStatus::PendingPayment;
    let status = if pay_now { OrderStatus::Paid } else { status };
    let address_json = serde_json::to_string(&plan.address).map_err(|e| AppError::Internal(e.into()))?;
    let company_id = actor.company.as_ref().map(|(id, _)| id.clone());
    // What was written, to show the orders without reading them back.
    let mut written = Vec::new();
    let mut placed_data = Vec::new();
    let mut totals = Vec::new();
    let mut jobs = Vec::new();
    for (o, order_id) in plan.orders.into_iter().zip(order_ids) {
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
            purchase_order: terms.purchase_order.map(str::to_owned),
            carrier: None,
            tracking_number: None,
            created_at: now,
            updated_at: now,
            shipping_method: o.shipping_name.clone(),
        };
        batch.push(store::order_write(&order_row));
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
        for write in store::lines_writes(&line_rows) {
            batch.push(write);
        }
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
        let mut events = vec![placed];
        if pay_now {
            events.push(EventRow {
                event: "paid".into(),
                status: status.as_str().into(),
                note: Some("paid from the wallet".into()),
                ..events[0].clone()
            });
        }
        batch.push(store::events_write(&order_id, &events));
        // The reservation's expiry and the confirmation email, committed with the order.
        let state = OrderState { status, payment };
        jobs.extend(follow_ups::of_move(&app.settings, &order_id, state, "placed", now));
        placed_data.push(serde_json::json!({"order_id": order_id, "shop_id": o.shop_id, "total": t.total, "status": status.as_str()}));
        let shop_name = o.lines[0].shop_name.clone();
        totals.push((order_id.clone(), t.total));
        written.push((order_row, shop_name, line_rows, events));
    }
    for write in movements.into_iter().chain(follow_ups::write(&jobs)) {
        batch.push(write);
    }
    let paid_by =
        escrow::checkout_payment(&mut tx, &actor.account_id, &group_id, payment, &totals, pay_now, now).await?;
    if let Some(p) = &paid_by {
        batch.push(payment_store::insert_write(p));
    }
    let payment_summary = paid_by.as_ref().map(PaymentSummary::of).transpose()?;
    let data = serde_json::json!({"orders": placed_data, "payment_method": payment.as_str(),
        "payment_id": paid_by.as_ref().map(|p| p.id.as_str())});
    let orders = written
        .into_iter()
        .map(|(row, shop_name, lines, events)| assemble(row, shop_name, lines, events, Party::Buyer))
        .collect::<AppResult<Vec<_>>>()?;
    let placed = Placed {
        group_id,
        orders,
        payment: payment_summary,
    };
    batch.extend(pending.save_write(&placed)?);
    // One audit entry for the whole checkout: its place is reserved here (on PostgreSQL its
    // chain's head stays locked from here to the commit) and it is written with the rest.
    let entry = audit::prepare(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::OrdersPlaced,
        &placed.group_id,
        data,
    )
    .await?;
    batch.extend(entry);
    // Everything above in one go; then what is checked as it is written, and rolls the whole
    // checkout back when refused: the coupon's use and the wallet's payment.
    batch.run(&mut tx).await?;
    if let Some((entered, discount)) = &plan.coupon {
        coupons::redeem(&mut tx, entered, &actor.account_id, &placed.group_id, *discount, now).await?;
    }
    if let Some(p) = &paid_by {
        escrow::settle_checkout_payment(&mut tx, p, &totals, pay_now).await?;
    }
    tx.commit().await?;
    Ok(Written::Done(placed))
}

/// Why some of an order's variants were not taken: `Some` refusal when one is out of stock (or,
/// on the last attempt, whatever the reason), `None` when they changed since the plan (their
/// price, or archived) and the checkout should plan again.
async fn short_of(tx: &mut Conn, lines: &[CartLine], short: &[String], last: bool) -> AppResult<Option<AppError>> {
    let ids: Vec<&str> = short.iter().map(String::as_str).collect();
    let stocks = catalog_store::stocks(tx, &ids).await?;
    let sold_out = lines.iter().find(|l| {
        short.contains(&l.variant_id)
            && stocks
                .iter()
                .find(|(v, _)| *v == l.variant_id)
                .is_none_or(|(_, stock)| *stock < l.quantity)
    });
    if sold_out.is_none() && !last {
        return Ok(None);
    }
    let l = sold_out
        .or_else(|| lines.iter().find(|l| short.contains(&l.variant_id)))
        .unwrap_or(&lines[0]);
    Ok(Some(AppError::conflict(
        ConflictKind::OutOfStock,
        format!("{} ({}) sold out meanwhile", l.title, l.sku),
    )))
}
