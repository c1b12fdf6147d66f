//! The payer's side of a card payment: `/pay/{payment_id}` sends them to the gateway's hosted
//! page, the return page shows where the payment stands, and a failed payment can be tried again
//! (a new payment for what is still unpaid).

use agora_core::money::Money;
use agora_core::order::{OrderStatus, PaymentMethod};
use agora_core::payment::{PaymentPurpose, PaymentStatus};
use agora_store::now_ms;
use agora_store::orders as order_store;
use agora_store::payments::{self as store, PaymentRow};

use super::SessionRequest;
use crate::payments::{self, PaymentView};
use crate::stored::{currency, word};
use crate::{escrow, Actor, App, AppError, AppResult, ConflictKind};

/// The merchant name the gateway's page shows.
pub const MERCHANT: &str = "Agora Marketplace";

/// Where `/pay/{id}` sends the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// To the gateway's hosted page.
    Gateway(String),
    /// The payment is not waiting for a card (paid, failed, or not a card payment): to the
    /// return page, which says so.
    Settled,
}

/// The payer's payment, or 404 (also for anybody else's).
async fn own_payment(app: &App, actor: &Actor, id: &str) -> AppResult<PaymentRow> {
    let mut conn = app.db.conn().await?;
    store::by_id(&mut conn, id)
        .await?
        .filter(|p| p.payer_account_id == actor.account_id)
        .ok_or(AppError::NotFound("payment"))
}

/// The provider idempotency key of a payment's hosted page: one page per payment.
pub fn session_key(payment_id: &str) -> String {
    format!("agora-pay-{payment_id}")
}

/// Opens (or finds again) the gateway's hosted page for the payer's pending card payment.
pub async fn start(app: &App, actor: &Actor, id: &str) -> AppResult<Start> {
    let p = own_payment(app, actor, id).await?;
    let method: PaymentMethod = word("payment method", &p.method)?;
    if method != PaymentMethod::Card || p.status != PaymentStatus::Pending.as_str() {
        return Ok(Start::Settled);
    }
    let purpose: PaymentPurpose = word("payment purpose", &p.purpose)?;
    let description = match purpose {
        PaymentPurpose::OrderGroup => "Your Agora order",
        PaymentPurpose::TopUp => "Agora wallet top-up",
    };
    let gateway = super::current(app);
    let key = session_key(&p.id);
    let return_url = format!("/pay/{}/return", p.id);
    let session = gateway
        .create_session(
            app,
            SessionRequest {
                payment_id: &p.id,
                amount: Money::new(p.amount, currency(&p.currency)?),
                merchant: MERCHANT,
                description,
                return_url: &return_url,
                idempotency_key: &key,
            },
        )
        .await?;
    let mut conn = app.db.conn().await?;
    store::set_provider(&mut conn, &p.id, gateway.name(), &key, now_ms()).await?;
    Ok(Start::Gateway(session.redirect_url))
}

/// One order a payment pays, as the return page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidOrder {
    pub id: String,
    pub status: OrderStatus,
    pub total: Money,
}

/// Where a payment stands, for its payer's return page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayStatus {
    pub payment: PaymentView,
    pub orders: Vec<PaidOrder>,
    /// A failed payment whose orders still wait (or a failed top-up) may be tried again.
    pub can_retry: bool,
}

pub async fn status(app: &App, actor: &Actor, id: &str) -> AppResult<PayStatus> {
    let p = own_payment(app, actor, id).await?;
    let payment = payments::get(app, actor, id).await?;
    let mut orders = Vec::new();
    if let Some(group) = &p.group_id {
        let mut conn = app.db.conn().await?;
        for o in order_store::of_group(&mut conn, group).await? {
            orders.push(PaidOrder {
                status: word("order status", &o.status)?,
                total: Money::new(o.total, currency(&o.currency)?),
                id: o.id,
            });
        }
    }
    let failed = payment.summary.status == PaymentStatus::Failed;
    let can_retry = failed && (p.group_id.is_none() || orders.iter().any(|o| o.status == OrderStatus::PendingPayment));
    Ok(PayStatus {
        payment,
        orders,
        can_retry,
    })
}

/// Tries a failed card payment again: a new pending card payment for the orders still waiting
/// for payment (or the same top-up). Asking twice gives the same new payment while it waits.
pub async fn retry(app: &App, actor: &Actor, id: &str) -> AppResult<PaymentRow> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let p = store::lock(&mut tx, id)
        .await?
        .filter(|p| p.payer_account_id == actor.account_id)
        .ok_or(AppError::NotFound("payment"))?;
    if p.method != PaymentMethod::Card.as_str() || p.status != PaymentStatus::Failed.as_str() {
        return Err(AppError::conflict(
            ConflictKind::InvalidTransition,
            "only a failed card payment can be tried again",
        ));
    }
    let cur = currency(&p.currency)?;
    let purpose: PaymentPurpose = word("payment purpose", &p.purpose)?;
    let amount = match &p.group_id {
        Some(group) => {
            if let Some(waiting) = store::of_group(&mut tx, group)
                .await?
                .into_iter()
                .find(|q| q.status == PaymentStatus::Pending.as_str() && q.method == p.method)
            {
                return Ok(waiting);
            }
            let mut total = Money::zero(cur);
            for o in order_store::of_group(&mut tx, group).await? {
                if o.status == OrderStatus::PendingPayment.as_str() && o.total > 0 {
                    total = total
                        .checked_add(Money::new(o.total, cur))
                        .map_err(|_| AppError::invalid("amount", "is too large"))?;
                }
            }
            total
        }
        None => Money::new(p.amount, cur),
    };
    if amount.minor <= 0 {
        return Err(AppError::conflict(
            ConflictKind::InvalidTransition,
            "nothing waits for payment any more",
        ));
    }
    let fresh = escrow::new_payment(
        purpose,
        PaymentMethod::Card,
        amount,
        &p.payer_account_id,
        p.group_id.as_deref(),
        now,
    );
    store::insert(&mut tx, &fresh).await?;
    tx.commit().await?;
    Ok(fresh)
}
