//! Payments: a checkout's one payment or a wallet top-up, settled by the card gateway's callback
//! ([`settle`]) or an operator's confirmation of a bank transfer ([`transfers`]), with the wallet
//! ([`wallet`]) and shops' balances ([`balances`]). Every settlement posts to the ledger and moves
//! the orders in one database transaction, and happens once however often it is asked for.
//!
//! Seams for the other payment work:
//! - the card gateway's webhook calls [`settle`] with an [`Outcome`];
//! - a cancelled card-paid order leaves a `gateway_refund` job (`escrow::GatewayRefundJob`);
//! - the platform's fee is [`fee_for`] (in `fees`), the one place commission rates apply.

pub mod balances;
pub mod statement_file;
pub mod statements;
pub mod transfers;
pub mod wallet;

use agora_core::audit::AuditAction;
use agora_core::ledger::rules::{self, Destination, External};
use agora_core::ledger::{AccountKind, AccountRef};
use agora_core::money::Money;
use agora_core::order::{OrderAction, OrderStatus, PaymentMethod};
use agora_core::payment::{PaymentPurpose, PaymentStatus};
use agora_store::ledger as ledger_store;
use agora_store::orders as order_store;
use agora_store::payments::{self as store, CardDetails, PaymentRow};
use agora_store::{now_ms, Conn};

pub use crate::escrow::PaymentSummary;
pub use crate::fees::fee_for;
use crate::orders::actions::{self, Mover};
use crate::stored::{currency, word};
use crate::{audit, ledger, rfc3339, Actor, App, AppError, AppResult, Settings};

/// A payment as its payer or an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    pub summary: PaymentSummary,
    pub purpose: PaymentPurpose,
    pub payer_account_id: String,
    pub group_id: Option<String>,
    /// What the payment's suspense account holds: bank transfers received that did not match.
    pub in_suspense: Money,
    pub card_brand: Option<String>,
    pub last4: Option<String>,
    /// The gateway's token for the card (never the card number).
    pub card_token: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

pub(crate) async fn view_of(conn: &mut Conn, p: &PaymentRow) -> AppResult<PaymentView> {
    let cur = currency(&p.currency)?;
    let suspense = AccountRef::new(AccountKind::BankSuspense, &p.id, cur);
    Ok(PaymentView {
        summary: PaymentSummary::of(p)?,
        purpose: word("payment purpose", &p.purpose)?,
        payer_account_id: p.payer_account_id.clone(),
        group_id: p.group_id.clone(),
        in_suspense: Money::new(ledger_store::balance(conn, &suspense).await?, cur),
        card_brand: p.card_brand.clone(),
        last4: p.last4.clone(),
        card_token: p.card_token.clone(),
        failure_reason: p.failure_reason.clone(),
        created_at: rfc3339(p.created_at),
        updated_at: rfc3339(p.updated_at),
    })
}

/// One payment, for its payer or an operator; anyone else gets 404.
pub async fn get(app: &App, actor: &Actor, id: &str) -> AppResult<PaymentView> {
    let mut conn = app.db.conn().await?;
    let p = store::by_id(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound("payment"))?;
    if p.payer_account_id != actor.account_id && !actor.is_operator {
        return Err(AppError::NotFound("payment"));
    }
    view_of(&mut conn, &p).await
}

/// The payment of an order's checkout (the latest, should there be several), for whoever may see
/// the order: the buyer, the buying company's admin, the shop or an operator. `None` for cash on
/// delivery.
pub async fn for_group(app: &App, group_id: &str) -> AppResult<Option<PaymentView>> {
    let mut conn = app.db.conn().await?;
    match store::of_group(&mut conn, group_id).await?.first() {
        Some(p) => Ok(Some(view_of(&mut conn, p).await?)),
        None => Ok(None),
    }
}

/// What the card gateway says became of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded {
        /// The gateway's own reference of the payment.
        provider_ref: String,
        card_brand: Option<String>,
        last4: Option<String>,
        /// The gateway's token for the card, to be stored with the payment (never the number).
        card_token: Option<String>,
    },
    Failed {
        reason: String,
    },
}

/// What [`settle`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The payment moved now.
    Now(PaymentView),
    /// It had moved before (a repeated or late callback): nothing changed.
    Already(PaymentView),
}

/// Settles a pending card payment with the gateway's `outcome`, once: a succeeded payment posts
/// gateway clearing → each order's escrow (or → the wallet for a top-up) and moves the orders to
/// `paid` as the system; a failed one leaves them `pending_payment` (the buyer may try again until
/// the reservation runs out). A second call, with whatever outcome, changes nothing.
pub async fn settle(app: &App, payment_id: &str, outcome: Outcome) -> AppResult<Settled> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let p = store::lock(&mut tx, payment_id)
        .await?
        .ok_or(AppError::NotFound("payment"))?;
    if method_of(&p)? != PaymentMethod::Card {
        return Err(AppError::conflict(
            crate::ConflictKind::InvalidTransition,
            "only card payments are settled by the gateway",
        ));
    }
    if p.status != PaymentStatus::Pending.as_str() {
        let view = view_of(&mut tx, &p).await?;
        return Ok(Settled::Already(view));
    }
    match &outcome {
        Outcome::Succeeded {
            provider_ref,
            card_brand,
            last4,
            card_token,
        } => {
            let card = CardDetails {
                provider_reference: Some(provider_ref),
                card_brand: card_brand.as_deref(),
                last4: last4.as_deref(),
                card_token: card_token.as_deref(),
            };
            let amount = Money::new(p.amount, currency(&p.currency)?);
            succeed_in(&mut tx, &app.settings, &p, None, External::Gateway, amount, &card, now).await?;
        }
        Outcome::Failed { reason } => {
            store::mark_failed(&mut tx, &p.id, reason, now).await?;
            let data = serde_json::json!({"reason": reason});
            audit::record(&mut tx, None, AuditAction::PaymentFailed, &p.id, data).await?;
        }
    }
    let p = store::by_id(&mut tx, payment_id)
        .await?
        .ok_or(AppError::NotFound("payment"))?;
    let view = view_of(&mut tx, &p).await?;
    tx.commit().await?;
    Ok(Settled::Now(view))
}

/// Marks the locked pending payment `p` succeeded and posts its money, `received` now from `from`
/// plus whatever its suspense held: into the payer's wallet for a top-up; into the escrow of each
/// of its orders still waiting for payment, which move to `paid` (by `operator`, or the system);
/// the share of an order that stopped waiting (its reservation ran out) goes to the payer's
/// wallet, never lost.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn succeed_in(
    tx: &mut Conn,
    settings: &Settings,
    p: &PaymentRow,
    operator: Option<&Actor>,
    from: External,
    received: Money,
    card: &CardDetails<'_>,
    now: i64,
) -> AppResult<()> {
    let cur = currency(&p.currency)?;
    let suspense = AccountRef::new(AccountKind::BankSuspense, &p.id, cur);
    let held = Money::new(ledger_store::balance(tx, &suspense).await?, cur);
    let total = received
        .checked_add(held)
        .map_err(|_| AppError::invalid("amount", "is too large"))?;
    if !store::mark_succeeded(tx, &p.id, card, now).await? {
        return Err(AppError::conflict(
            crate::ConflictKind::ChangedMeanwhile,
            "the payment was settled meanwhile",
        ));
    }
    let purpose: PaymentPurpose = word("payment purpose", &p.purpose)?;
    let mut paid_orders = Vec::new();
    let posting = match (purpose, p.group_id.as_deref()) {
        (PaymentPurpose::TopUp, _) | (_, None) => {
            rules::payment_received(&p.id, from, received, held, Destination::Wallet(&p.payer_account_id))
        }
        (PaymentPurpose::OrderGroup, Some(group)) => {
            let mut rest = total;
            for o in order_store::of_group(tx, group).await? {
                if o.status == OrderStatus::PendingPayment.as_str() && o.total > 0 && o.currency == p.currency {
                    let share = Money::new(o.total, cur);
                    rest = rest.checked_sub(share).map_err(|e| AppError::Internal(e.into()))?;
                    paid_orders.push((o.id, share));
                }
            }
            if rest.minor < 0 {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "payment {} is less than its orders' total",
                    p.id
                )));
            }
            let dest = if rest.minor == 0 {
                Destination::Orders(&paid_orders)
            } else {
                Destination::Split {
                    orders: &paid_orders,
                    wallet: &p.payer_account_id,
                    rest,
                }
            };
            rules::payment_received(&p.id, from, received, held, dest)
        }
    };
    let posting = posting.map_err(|e| ledger::refused("amount", e))?;
    ledger::post(tx, &posting).await?;
    let mover = operator.map_or(Mover::System, Mover::Person);
    let note = match from {
        External::Gateway => "paid by card",
        External::Bank => "bank transfer received",
    };
    for (order_id, _) in &paid_orders {
        actions::move_in(
            tx,
            settings,
            mover,
            order_id,
            Some(OrderStatus::PendingPayment),
            OrderAction::Pay,
            None,
            Some(note.to_owned()),
        )
        .await?;
    }
    let data = serde_json::json!({
        "method": p.method, "amount": total, "received": received, "from_suspense": held,
        "orders": paid_orders.iter().map(|(id, _)| id).collect::<Vec<_>>(),
    });
    audit::record(
        tx,
        operator.map(|a| a.account_id.as_str()),
        AuditAction::PaymentSucceeded,
        &p.id,
        data,
    )
    .await?;
    Ok(())
}

/// The payment method a payment row was made with.
pub(crate) fn method_of(p: &PaymentRow) -> AppResult<PaymentMethod> {
    word("payment method", &p.method)
}
