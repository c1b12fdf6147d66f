//! The writing half of checkout: a planned checkout (read, priced and checked beforehand, see
//! [`super::checkout`]) is first made into every row it will write ([`prepare`], still outside
//! any transaction), then written in one transaction that only writes ([`write`]), and checks
//! again with each write what could have changed since the plan was made.
//!
//! The transaction is kept to three round trips besides its `BEGIN` and `COMMIT` (for a checkout
//! without a coupon or a wallet payment): the key claimed, the cart emptied, the stock taken and
//! the audit entry's place reserved, at once (see `agora_store::checkout`); then every row sent
//! together (see the store's batch). On SQLite the one writer holds the database only that long.

use agora_core::audit::AuditAction;
use agora_core::order::{initial_status, OrderState, OrderStatus, Party, PaymentMethod};
use agora_store::batch::{Batch, Write};
use agora_store::catalog as catalog_store;
use agora_store::checkout::{self as start_store, Start};
use agora_store::orders::{self as store, EventRow, LineRow, OrderRow};
use agora_store::payments::{self as payment_store, PaymentRow};
use agora_store::{new_id, Conn};

use super::checkout::{Placed, Plan};
use super::{assemble, follow_ups};
use crate::cart::CartLine;
use crate::coupons::Entered;
use crate::escrow::{self, PaymentSummary};
use crate::idempotency::{self, Claimed, Keyed, Pending, Stored};
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

/// One order of a prepared checkout, as far as the transaction still needs it.
struct PreparedOrder {
    id: String,
    /// Its lines, to name one that is short.
    lines: Vec<CartLine>,
}

/// A checkout made into its rows, ready to write: everything but what only the transaction can
/// tell (each variant's stock after, and the audit entry's place).
pub(super) struct Prepared {
    cart_id: String,
    cart_lines: Vec<agora_store::carts::TakenLine>,
    orders: Vec<PreparedOrder>,
    /// `(variant id, units)` and `(variant id, base price)` of every line.
    takes: Vec<(String, i64)>,
    prices: Vec<(String, i64)>,
    /// The group, its orders, their lines and first events.
    rows: Batch,
    /// The jobs, the payment and the response kept with the key, written after the movements.
    tail: Vec<Write>,
    placed: Placed,
    payment: Option<PaymentRow>,
    totals: Vec<(String, agora_core::money::Money)>,
    pay_now: bool,
    coupon: Option<(Entered, agora_core::money::Money)>,
    audit_data: String,
    now: i64,
    /// The audit entry's chain, counted as written to until the transaction ends.
    _chain: audit::ChainInUse,
}

/// Makes the plan's orders, payment, jobs, audit entry and response into rows, on the reading
/// connection the plan was made on (a bank transfer draws its reference there); nothing is
/// written.
pub(super) async fn prepare(
    conn: &mut Conn,
    app: &App,
    actor: &Actor,
    plan: Plan,
    terms: Terms<'_>,
    key: Option<Keyed<'_, Placed>>,
    now: i64,
) -> AppResult<Prepared> {
    let payment = terms.payment;
    let (group_id, chain) = audit::new_subject_id("grp");
    let mut rows = Batch::new();
    rows.push(store::group_write(&group_id, &actor.account_id, payment.as_str(), now));
    let status = initial_status(payment, plan.needs_approval);
    // A wallet pays at once: its orders are paid as they are placed (and nothing is placed when
    // the wallet is short). Orders awaiting approval are paid after it.
    let pay_now = payment == PaymentMethod::Wallet && status == OrderStatus::PendingPayment;
    let status = if pay_now { OrderStatus::Paid } else { status };
    let address_json = serde_json::to_string(&plan.address).map_err(|e| AppError::Internal(e.into()))?;
    let company_id = actor.company.as_ref().map(|(id, _)| id.clone());
    // What is written, to show the orders without reading them back.
    let mut written = Vec::new();
    let mut placed_data = Vec::new();
    let mut totals = Vec::new();
    let mut jobs = Vec::new();
    let mut orders = Vec::new();
    let (mut takes, mut prices) = (Vec::new(), Vec::new());
    for o in plan.orders {
        let order_id = new_id("ord");
        takes.extend(o.lines.iter().map(|l| (l.variant_id.clone(), l.quantity)));
        prices.extend(o.lines.iter().map(|l| (l.variant_id.clone(), l.base_price)));
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
        rows.push(store::order_write(&order_row));
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
        rows.extend(store::lines_writes(&line_rows));
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
        rows.push(store::events_write(&order_id, &events));
        // The reservation's expiry and the confirmation email, committed with the order.
        let state = OrderState { status, payment };
        jobs.extend(follow_ups::of_move(&app.settings, &order_id, state, "placed", now));
        placed_data.push(serde_json::json!({"order_id": order_id, "shop_id": o.shop_id, "total": t.total, "status": status.as_str()}));
        let shop_name = o.lines[0].shop_name.clone();
        totals.push((order_id.clone(), t.total));
        written.push((order_row, shop_name, line_rows, events));
        orders.push(PreparedOrder {
            id: order_id,
            lines: o.lines,
        });
    }
    let mut tail: Vec<Write> = follow_ups::write(&jobs).into_iter().collect();
    let paid_by = escrow::checkout_payment(conn, &actor.account_id, &group_id, payment, &totals, pay_now, now).await?;
    if let Some(p) = &paid_by {
        tail.push(payment_store::insert_write(p));
    }
    let payment_summary = paid_by.as_ref().map(PaymentSummary::of).transpose()?;
    let audit_data = serde_json::json!({"orders": placed_data, "payment_method": payment.as_str(),
        "payment_id": paid_by.as_ref().map(|p| p.id.as_str())})
    .to_string();
    let assembled = written
        .into_iter()
        .map(|(row, shop_name, lines, events)| assemble(row, shop_name, lines, events, Party::Buyer))
        .collect::<AppResult<Vec<_>>>()?;
    let placed = Placed {
        group_id,
        orders: assembled,
        payment: payment_summary,
    };
    // The response is kept with the key in the same transaction that claims it.
    tail.extend(Pending::claimed_with(key).save_write(&placed)?);
    Ok(Prepared {
        cart_id: plan.cart_id,
        cart_lines: plan.cart_lines,
        orders,
        takes,
        prices,
        rows,
        tail,
        placed,
        payment: paid_by,
        totals,
        pay_now,
        coupon: plan.coupon,
        audit_data,
        now,
        _chain: chain,
    })
}

/// Writes a prepared checkout: its orders, stock reservations, payment, jobs and audit entry,
/// emptying the cart, with the key's response, in one transaction. `last` says this is the last
/// attempt: a variant found short is then refused as out of stock whatever the reason.
pub(super) async fn write(
    app: &App,
    actor: &Actor,
    p: Prepared,
    key: Option<Keyed<'_, Placed>>,
    last: bool,
) -> AppResult<Written> {
    let takes: Vec<(&str, i64)> = p.takes.iter().map(|(v, q)| (v.as_str(), *q)).collect();
    let prices: Vec<(&str, i64)> = p.prices.iter().map(|(v, q)| (v.as_str(), *q)).collect();
    let claim_at = key.as_ref().map(|k| k.claim_at(p.now));
    let step = |key| Start {
        key,
        cart_id: &p.cart_id,
        takes: &takes,
        prices: &prices,
        audit_chain: audit::chain_for(&p.placed.group_id),
    };
    // The coupon's use and the wallet's payment are checked as they are written, after the
    // batch; a checkout without them ends with the batch, and on SQLite its `BEGIN` and `COMMIT`
    // go with its first and last strings (see `agora_store::Tx`).
    let checked_last = p.coupon.is_some() || p.pay_now;
    let mut tx = if checked_last {
        app.db.begin().await?
    } else {
        app.db.begin_with_first().await?
    };
    let mut started = start_store::start(&mut tx, step(claim_at)).await?;
    if !started.claimed {
        // The key was used before: undo what the step did (on SQLite it ran regardless) and find
        // out how, as any use case does (a replay, a refusal, or a lease that ran out taken over).
        tx.rollback().await?;
        tx = app.db.begin().await?;
        if let Claimed::Replay(response) = idempotency::claim_in(&mut tx, key).await? {
            return Ok(Written::Replayed(response));
        }
        started = start_store::start(&mut tx, step(None)).await?;
    }
    // What the cart held must be what was priced.
    if started.taken != p.cart_lines {
        tx.rollback().await?;
        return Ok(Written::Changed);
    }
    // Every line's stock, each only at the price it was priced at, or nothing.
    let short = started.short();
    if let Some(o) = p
        .orders
        .iter()
        .find(|o| o.lines.iter().any(|l| short.contains(&l.variant_id)))
    {
        let refused = short_of(&mut tx, &o.lines, &short, last).await?;
        tx.rollback().await?;
        return refused.map_or(Ok(Written::Changed), Err);
    }
    let slot = started.slot.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "no audit chain {}",
            audit::chain_for(&p.placed.group_id)
        ))
    })?;
    let mut batch = p.rows;
    for o in &p.orders {
        let after: Vec<(String, i64)> = started
            .after
            .iter()
            .filter(|(v, _)| o.lines.iter().any(|l| l.variant_id == *v))
            .cloned()
            .collect();
        if !after.is_empty() {
            let reason = format!("order {}", o.id);
            batch.push(catalog_store::movements_write(
                &started.wanted,
                &after,
                Some(&actor.account_id),
                &reason,
                p.now,
            ));
        }
    }
    batch.extend(p.tail);
    // One audit entry for the whole checkout, at the place reserved (on PostgreSQL its chain's
    // head stays locked from there to the commit).
    batch.extend(audit::entry_writes(
        slot,
        Some(&actor.account_id),
        AuditAction::OrdersPlaced,
        &p.placed.group_id,
        &p.audit_data,
    ));
    if !checked_last {
        tx.commit_with(batch).await?;
        return Ok(Written::Done(p.placed));
    }
    // Everything above in one go; then what is checked as it is written, and rolls the whole
    // checkout back when refused: the coupon's use and the wallet's payment.
    batch.run(&mut tx).await?;
    if let Some((entered, discount)) = &p.coupon {
        coupons::redeem(
            &mut tx,
            entered,
            &actor.account_id,
            &p.placed.group_id,
            *discount,
            p.now,
        )
        .await?;
    }
    if let Some(payment) = &p.payment {
        escrow::settle_checkout_payment(&mut tx, payment, &p.totals, p.pay_now).await?;
    }
    tx.commit().await?;
    Ok(Written::Done(p.placed))
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
