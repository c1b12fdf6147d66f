//! Escrow: the money of prepaid orders, held by the platform in each order's escrow account.
//! This module is what the order use cases call inside their own transactions: [`open_for_checkout`]
//! creates a checkout's one payment (and pays it at once from the wallet), and [`after_move`]
//! releases an order's escrow to the seller when it completes, or sends it back when a paid order
//! is cancelled. `payments` (settling card and bank-transfer payments, top-ups, the wallet) builds
//! on it; it never calls the order use cases itself.

use agora_core::jobs::JobKind;
use agora_core::ledger::rules::{self, RefundRoute};
use agora_core::ledger::{AccountKind, AccountRef, TxKind};
use agora_core::money::Money;
use agora_core::order::{OrderStatus, PaymentMethod};
use agora_core::payment::{bank_reference, PaymentPurpose, PaymentStatus};
use agora_store::ledger as ledger_store;
use agora_store::orders::OrderRow;
use agora_store::payments::{self as store, PaymentRow};
use agora_store::{new_id, Conn};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::stored::{currency, word};
use crate::{fees, jobs, ledger, AppError, AppResult, Settings};

/// A new payment row, pending.
pub(crate) fn new_payment(
    purpose: PaymentPurpose,
    method: PaymentMethod,
    amount: Money,
    payer: &str,
    group_id: Option<&str>,
    now: i64,
) -> PaymentRow {
    PaymentRow {
        id: new_id("pay"),
        purpose: purpose.as_str().into(),
        method: method.as_str().into(),
        status: PaymentStatus::Pending.as_str().into(),
        amount: amount.minor,
        currency: amount.currency.code().into(),
        payer_account_id: payer.to_owned(),
        group_id: group_id.map(str::to_owned),
        bank_reference: None,
        provider: None,
        provider_reference: None,
        card_brand: None,
        last4: None,
        provider_idempotency_key: None,
        failure_reason: None,
        created_at: now,
        updated_at: now,
        card_token: None,
    }
}

/// Draws a bank-transfer reference no payment has yet. (The unique index would refuse a duplicate
/// anyway; with 8.5 × 10^11 references a second draw is all but never needed.)
pub(crate) async fn fresh_reference(conn: &mut Conn) -> AppResult<String> {
    for _ in 0..8 {
        let mut bytes = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut bytes);
        let reference = bank_reference(bytes);
        if store::by_bank_reference(conn, &reference).await?.is_none() {
            return Ok(reference);
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free bank reference after 8 draws"
    )))
}

/// Creates the one payment of a checkout whose orders are `orders` (`(order id, total)`), in the
/// checkout's transaction. Cash on delivery: none. Wallet: the wallet pays every order's escrow at
/// once and the payment has succeeded (409 `insufficient-funds` when the wallet is short, and the
/// whole checkout rolls back). Card and bank transfer: pending, with a bank reference for the
/// latter. A prepaid checkout's orders must share one currency (one payment).
pub(crate) async fn open_for_checkout(
    conn: &mut Conn,
    payer: &str,
    group_id: &str,
    method: PaymentMethod,
    orders: &[(String, Money)],
    pay_now: bool,
    now: i64,
) -> AppResult<Option<PaymentRow>> {
    let Some(payment) = checkout_payment(conn, payer, group_id, method, orders, pay_now, now).await? else {
        return Ok(None);
    };
    store::insert(conn, &payment).await?;
    settle_checkout_payment(conn, &payment, orders, pay_now).await?;
    Ok(Some(payment))
}

/// [`open_for_checkout`] in two halves, for a checkout that sends its inserts together: the
/// payment to insert (checked, with its bank reference; not written), …
pub(crate) async fn checkout_payment(
    conn: &mut Conn,
    payer: &str,
    group_id: &str,
    method: PaymentMethod,
    orders: &[(String, Money)],
    pay_now: bool,
    now: i64,
) -> AppResult<Option<PaymentRow>> {
    if !method.is_prepaid() {
        return Ok(None);
    }
    let first = orders
        .first()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a checkout without orders")))?
        .1;
    if orders.iter().any(|(_, m)| m.currency != first.currency) {
        return Err(AppError::invalid(
            "payment_method",
            "one payment covers the whole checkout, so its shops must all sell in one currency; \
             check out each currency on its own, or pay cash on delivery",
        ));
    }
    let mut total = Money::zero(first.currency);
    for (_, m) in orders.iter().filter(|(_, m)| m.minor > 0) {
        total = total
            .checked_add(*m)
            .map_err(|_| AppError::invalid("cart", "the total is too large"))?;
    }
    if total.minor <= 0 {
        return Err(AppError::invalid(
            "payment_method",
            "nothing is left to pay; choose cash on delivery for a free order",
        ));
    }
    let mut payment = new_payment(PaymentPurpose::OrderGroup, method, total, payer, Some(group_id), now);
    match method {
        PaymentMethod::BankTransfer => payment.bank_reference = Some(fresh_reference(conn).await?),
        PaymentMethod::Wallet if pay_now => payment.status = PaymentStatus::Succeeded.as_str().into(),
        _ => {}
    }
    Ok(Some(payment))
}

/// … and, once it is inserted, the wallet's payment of every order's escrow (nothing for other
/// methods).
pub(crate) async fn settle_checkout_payment(
    conn: &mut Conn,
    payment: &PaymentRow,
    orders: &[(String, Money)],
    pay_now: bool,
) -> AppResult<()> {
    if payment.method == PaymentMethod::Wallet.as_str() && pay_now {
        let payable: Vec<(String, Money)> = orders.iter().filter(|(_, m)| m.minor > 0).cloned().collect();
        let tx = rules::pay_from_wallet(&payment.id, &payment.payer_account_id, &payable)
            .map_err(|e| ledger::refused("cart", e))?;
        ledger::post(conn, &tx).await?;
    }
    Ok(())
}

/// Pays an order that was just approved (now `pending_payment`) from its purchaser's wallet, when
/// the checkout chose the wallet: its total into its escrow, and the checkout's payment marked
/// succeeded (at its first approved order). Returns whether it paid; the caller then moves the
/// order to `paid`. 409 `insufficient-funds` when the wallet is short.
pub(crate) async fn pay_approved_from_wallet(conn: &mut Conn, order: &OrderRow) -> AppResult<bool> {
    let method: PaymentMethod = word("payment method", &order.payment_method)?;
    if method != PaymentMethod::Wallet || order.status != OrderStatus::PendingPayment.as_str() || order.total <= 0 {
        return Ok(false);
    }
    let Some(payment) = store::of_group(conn, &order.group_id).await?.into_iter().next() else {
        return Ok(false);
    };
    let share = vec![(order.id.clone(), Money::new(order.total, currency(&order.currency)?))];
    let tx = rules::pay_from_wallet(&payment.id, &payment.payer_account_id, &share)
        .map_err(|e| ledger::refused("amount", e))?;
    ledger::post(conn, &tx).await?;
    store::mark_succeeded(conn, &payment.id, &store::CardDetails::default(), agora_store::now_ms()).await?;
    Ok(true)
}

/// The payload of a `gateway_refund` job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GatewayRefundJob {
    pub payment_id: String,
    pub order_id: String,
    pub amount: Money,
    /// Unique per refund: the provider's idempotency key for the refund call.
    pub refund_id: String,
}

/// What the order's escrow account holds now.
pub async fn escrow_balance(conn: &mut Conn, order: &OrderRow) -> AppResult<Money> {
    let cur = currency(&order.currency)?;
    let account = AccountRef::new(AccountKind::OrderEscrow, &order.id, cur);
    Ok(Money::new(ledger_store::balance(conn, &account).await?, cur))
}

/// The succeeded payment that paid the order's group, if any.
pub async fn paying_payment(conn: &mut Conn, order: &OrderRow) -> AppResult<Option<PaymentRow>> {
    Ok(store::of_group(conn, &order.group_id)
        .await?
        .into_iter()
        .find(|p| p.status == PaymentStatus::Succeeded.as_str()))
}

/// The money side of an order's move from `from` to `to`, in the move's transaction:
/// - completed (confirmed receipt, or auto-completed): the escrow goes to the shop's available
///   balance, less [`fees::fee_for`] to the platform's fees;
/// - a paid order cancelled: the escrow goes back the way it came. Wallet payments and bank
///   transfers go to the buyer's wallet (the platform does not send money to bank accounts on its
///   own; the buyer spends it or has it paid out); card payments go to gateway clearing, and a
///   `gateway_refund` job gives the money back to the card.
///
/// Refunds after completion and cash on delivery are not moved here.
pub(crate) async fn after_move(
    conn: &mut Conn,
    settings: &Settings,
    order: &OrderRow,
    from: OrderStatus,
    to: OrderStatus,
    now: i64,
) -> AppResult<()> {
    let method: PaymentMethod = word("payment method", &order.payment_method)?;
    if !method.is_prepaid() || from == to {
        return Ok(());
    }
    let held = escrow_balance(conn, order).await?;
    if held.minor <= 0 {
        return Ok(());
    }
    match to {
        OrderStatus::Completed => {
            let fee = fees::fee_for(conn, settings, order).await?;
            let fee = Money::new(fee.minor.min(held.minor), held.currency);
            let tx = rules::release_escrow(&order.id, &order.shop_id, held, fee)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("release of {}: {e}", order.id)))?;
            ledger::post(conn, &tx).await?;
        }
        OrderStatus::Cancelled => {
            let payment = paying_payment(conn, order).await?;
            let payer = payment
                .as_ref()
                .map_or(order.buyer_account_id.as_str(), |p| p.payer_account_id.as_str());
            let route = match method {
                PaymentMethod::Card => RefundRoute::Gateway,
                _ => RefundRoute::Wallet(payer),
            };
            let tx = rules::refund_escrow(&order.id, held, route)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("refund of {}: {e}", order.id)))?;
            ledger::post(conn, &tx).await?;
            if route == RefundRoute::Gateway {
                let payment = payment.ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("card-paid order {} has no payment", order.id))
                })?;
                let job = GatewayRefundJob {
                    payment_id: payment.id,
                    order_id: order.id.clone(),
                    amount: held,
                    refund_id: new_id("rfd"),
                };
                let payload = serde_json::to_value(&job).map_err(|e| AppError::Internal(e.into()))?;
                let key = format!("gateway_refund:{}:cancel", order.id);
                jobs::enqueue(conn, JobKind::GatewayRefund, &payload, now, Some(&key)).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether the escrow of an order was released already (a completed order posts its release once).
pub async fn released(conn: &mut Conn, order_id: &str) -> AppResult<bool> {
    Ok(ledger_store::posted(conn, TxKind::EscrowReleased.as_str(), order_id).await?)
}

/// A payment as a checkout or a top-up answers it: where the buyer goes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSummary {
    pub id: String,
    pub status: PaymentStatus,
    pub method: PaymentMethod,
    pub amount: Money,
    /// Card payments: the page where the buyer pays (the gateway's hosted page).
    pub redirect_url: Option<String>,
    /// Bank transfers: the reference the transfer must carry.
    pub reference: Option<String>,
}

impl PaymentSummary {
    pub fn of(p: &PaymentRow) -> AppResult<PaymentSummary> {
        let status: PaymentStatus = word("payment status", &p.status)?;
        let method: PaymentMethod = word("payment method", &p.method)?;
        Ok(PaymentSummary {
            redirect_url: (method == PaymentMethod::Card && status == PaymentStatus::Pending)
                .then(|| format!("/pay/{}", p.id)),
            reference: p.bank_reference.clone(),
            amount: Money::new(p.amount, currency(&p.currency)?),
            id: p.id.clone(),
            status,
            method,
        })
    }
}
