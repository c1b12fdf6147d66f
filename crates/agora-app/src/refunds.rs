//! Refunds: the seller (or an operator) gives money of an order back to its buyer, back along the
//! way it came (wallet and bank-transfer payments and cash on delivery: into the buyer's wallet;
//! card payments: to the card, through gateway clearing and a `gateway_refund` job).
//!
//! Where the money comes from depends on where it is:
//! - **shipped, not released yet** (prepaid): the order's escrow still holds it; the state machine
//!   allows only a full refund then (the order becomes `refunded`, its escrow empty);
//! - **released** (completed, or partially refunded already; a cash-on-delivery order whose cash
//!   was collected): from the shop's available balance, and the platform gives back its
//!   commission's share of the refund (`agora_core::payout::fee_back`) from platform fees. The
//!   shop's available balance may not go below zero: 409 `insufficient-funds` when it holds too
//!   little (money already paid out is not clawed back; an operator settles that outside).
//!
//! The sum of an order's refunds never exceeds what was paid (409 `refund-exceeds-paid`): every
//! refund locks the order's row and reads the earlier ones after the lock, so concurrent refunds
//! wait for each other. With `restock`, the order's goods came back: every line's quantity goes
//! on sale again, once per order. The `Idempotency-Key` is claimed in the same transaction as the
//! postings.

use agora_core::catalog::StockMovementKind;
use agora_core::jobs::JobKind;
use agora_core::ledger::rules::RefundRoute;
use agora_core::ledger::seller::{self, RefundSource};
use agora_core::ledger::MAX_POSTING;
use agora_core::money::Money;
use agora_core::order::{refund_kind, OrderAction, PaymentMethod, RefundError, RefundKind};
use agora_core::payout::fee_back;
use agora_core::text;
use agora_store::catalog as catalog_store;
use agora_store::orders as order_store;
use agora_store::payouts::{self as store, RefundRow};
use agora_store::{new_id, now_ms};

use crate::escrow::{escrow_balance, paying_payment, GatewayRefundJob};
use crate::idempotency::{self, Answer, Claimed, Keyed};
use crate::orders::actions::{move_in, Mover};
use crate::orders::{party_of, state_of};
use crate::stored::{currency, word};
use crate::{jobs, ledger, rfc3339, Actor, App, AppError, AppResult, ConflictKind};

/// What the seller asks for.
#[derive(Debug, Clone, Copy)]
pub struct RefundRequest<'a> {
    pub amount: Money,
    pub reason: &'a str,
    /// The goods came back: put every line's quantity back on sale.
    pub restock: bool,
}

/// A refund as its order's parties see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundView {
    pub id: String,
    pub order_id: String,
    pub amount: Money,
    /// The platform's commission given back with it.
    pub fee_returned: Money,
    /// `escrow` (not released yet) or `shop` (from the shop's available balance).
    pub source: String,
    /// `wallet` (the buyer's wallet) or `gateway` (back to the card).
    pub route: String,
    pub reason: String,
    pub restocked: bool,
    /// The order's status after the refund: `refunded` or `partially_refunded`.
    pub order_status: String,
    pub created_at: String,
}

fn view(r: &RefundRow, order_status: &str) -> AppResult<RefundView> {
    let cur = currency(&r.currency)?;
    Ok(RefundView {
        id: r.id.clone(),
        order_id: r.order_id.clone(),
        amount: Money::new(r.amount, cur),
        fee_returned: Money::new(r.fee_returned, cur),
        source: r.source.clone(),
        route: r.route.clone(),
        reason: r.reason.clone(),
        restocked: r.restocked,
        order_status: order_status.to_owned(),
        created_at: rfc3339(r.created_at),
    })
}

/// The refunds of an order, for whoever may see the order.
pub async fn of_order(app: &App, actor: &Actor, order_id: &str) -> AppResult<Vec<RefundView>> {
    let mut conn = app.db.conn().await?;
    let order = order_store::by_id(&mut conn, order_id)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    party_of(&mut conn, actor, &order)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    store::refunds_of_order(&mut conn, order_id)
        .await?
        .iter()
        .map(|r| view(r, &order.status))
        .collect()
}

/// Refunds `req.amount` of the order (see the module).
pub async fn refund(
    app: &App,
    actor: &Actor,
    order_id: &str,
    req: RefundRequest<'_>,
    key: Option<Keyed<'_, RefundView>>,
) -> AppResult<Answer<RefundView>> {
    let reason = text::bounded(req.reason, 1, 500, false).map_err(|m| AppError::invalid("reason", m))?;
    let amount = req.amount;
    if amount.minor <= 0 {
        return Err(AppError::invalid("amount", "must be more than zero"));
    }
    if amount.minor > MAX_POSTING {
        return Err(AppError::invalid("amount", "is too large"));
    }
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
    };
    // Refunds of one order wait for each other here; everything below reads after the lock.
    if !store::lock_order(&mut tx, order_id).await? {
        return Err(AppError::NotFound("order"));
    }
    let order = order_store::by_id(&mut tx, order_id)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    party_of(&mut tx, actor, &order)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    let cur = currency(&order.currency)?;
    if amount.currency != cur {
        return Err(AppError::invalid(
            "amount.currency",
            format!("must be {}, the order's currency", cur.code()),
        ));
    }
    let state = state_of(&order)?;
    let paid = Money::new(order.total, cur);
    let earlier = store::refunds_of_order(&mut tx, order_id).await?;
    let mut refunded = Money::zero(cur);
    let mut fee_returned = Money::zero(cur);
    for r in &earlier {
        refunded = refunded
            .checked_add(Money::new(r.amount, cur))
            .map_err(|e| AppError::Internal(e.into()))?;
        fee_returned = fee_returned
            .checked_add(Money::new(r.fee_returned, cur))
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    let kind = refund_kind(paid, refunded, amount).map_err(|e| match e {
        RefundError::ExceedsPaid(left) => AppError::conflict(
            ConflictKind::RefundExceedsPaid,
            format!("at most {left} is left to refund of the {paid} paid"),
        ),
        RefundError::NotPositive => AppError::invalid("amount", "must be more than zero"),
        RefundError::Money(_) => AppError::invalid("amount", "is too large"),
    })?;
    if req.restock && earlier.iter().any(|r| r.restocked) {
        return Err(AppError::conflict(
            ConflictKind::InvalidTransition,
            "the order's goods went back on sale with an earlier refund",
        ));
    }
    let method: PaymentMethod = word("payment method", &order.payment_method)?;
    let held = escrow_balance(&mut tx, &order).await?;
    let payment = paying_payment(&mut tx, &order).await?;
    let payer = payment
        .as_ref()
        .map_or(order.buyer_account_id.clone(), |p| p.payer_account_id.clone());
    let route = match method {
        PaymentMethod::Card => RefundRoute::Gateway,
        _ => RefundRoute::Wallet(&payer),
    };
    let refund_id = new_id("rfd");
    // The move first: it checks the status and the party (409, 403) before any money moves.
    let note = format!("{amount} refunded: {reason}");
    move_in(
        &mut tx,
        &app.settings,
        Mover::Person(actor),
        order_id,
        Some(state.status),
        OrderAction::Refund(kind),
        None,
        Some(note),
    )
    .await?;
    let (source, fee) = if held.minor > 0 {
        if kind != RefundKind::Full || held != amount {
            return Err(AppError::Internal(anyhow::anyhow!(
                "order {order_id} holds {held} in escrow, refund of {amount}"
            )));
        }
        (RefundSource::Escrow { order_id }, Money::zero(cur))
    } else {
        let fee = Money::new(store::fee_of_order(&mut tx, order_id).await?, cur);
        let back = fee_back(paid, fee, fee_returned, amount, kind == RefundKind::Full)
            .map_err(|e| AppError::Internal(e.into()))?;
        (
            RefundSource::Shop {
                shop_id: &order.shop_id,
                fee_back: back,
            },
            back,
        )
    };
    let row = RefundRow {
        id: refund_id.clone(),
        order_id: order_id.to_owned(),
        shop_id: order.shop_id.clone(),
        amount: amount.minor,
        currency: cur.code().into(),
        fee_returned: fee.minor,
        source: match source {
            RefundSource::Escrow { .. } => "escrow".into(),
            RefundSource::Shop { .. } => "shop".into(),
        },
        route: match route {
            RefundRoute::Gateway => "gateway".into(),
            RefundRoute::Wallet(_) => "wallet".into(),
        },
        reason,
        restocked: req.restock,
        created_by: actor.account_id.clone(),
        created_at: now,
    };
    store::insert_refund(&mut tx, &row).await?;
    let posting = seller::refund(&refund_id, source, amount, route).map_err(|e| ledger::refused("amount", e))?;
    ledger::post(&mut tx, &posting).await.map_err(|e| match e {
        AppError::Conflict {
            kind: ConflictKind::InsufficientFunds,
            ..
        } => AppError::conflict(
            ConflictKind::InsufficientFunds,
            "the shop's available balance is too low for this refund (it was paid out already)",
        ),
        other => other,
    })?;
    if route == RefundRoute::Gateway {
        let payment =
            payment.ok_or_else(|| AppError::Internal(anyhow::anyhow!("card-paid order {order_id} has no payment")))?;
        let job = GatewayRefundJob {
            payment_id: payment.id,
            order_id: order_id.to_owned(),
            amount,
            refund_id: refund_id.clone(),
        };
        let payload = serde_json::to_value(&job).map_err(|e| AppError::Internal(e.into()))?;
        let key = format!("gateway_refund:{order_id}:{refund_id}");
        jobs::enqueue(&mut tx, JobKind::GatewayRefund, &payload, now, Some(&key)).await?;
    }
    if req.restock {
        for l in order_store::lines(&mut tx, order_id).await? {
            catalog_store::move_stock(
                &mut tx,
                &l.variant_id,
                l.quantity,
                StockMovementKind::Returned,
                Some(&actor.account_id),
                &format!("order {order_id} refunded, goods returned"),
                now,
            )
            .await?;
        }
    }
    let after = order_store::by_id(&mut tx, order_id)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    let result = view(&row, &after.status)?;
    pending.save_in(&mut tx, &result).await?;
    tx.commit().await?;
    Ok(Answer::Done(result))
}
