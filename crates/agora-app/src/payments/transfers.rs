//! Bank transfers: an operator records the money that arrived for a payment's reference
//! ([`confirm`]). The exact amount (with anything an earlier transfer left in suspense) settles
//! the payment; any other amount waits in the payment's suspense account, never lost, until the
//! rest arrives or an operator resolves it ([`resolve`]).

use agora_core::audit::AuditAction;
use agora_core::ledger::rules::{self, External};
use agora_core::ledger::{AccountKind, AccountRef, MAX_POSTING};
use agora_core::money::Money;
use agora_core::order::PaymentMethod;
use agora_core::payment::{normalize_reference, PaymentStatus};
use agora_store::ledger as ledger_store;
use agora_store::payments::{self as store, CardDetails, PaymentRow};
use agora_store::{now_ms, Conn};

use super::{succeed_in, view_of, PaymentView};
use crate::idempotency::{self, Answer, Claimed, Keyed};
use crate::stored::{currency, word};
use crate::{audit, ledger, Actor, App, AppError, AppResult, ConflictKind};

/// What became of a recorded transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferOutcome {
    /// The money completed the payment: it succeeded.
    Settled,
    /// The money did not match (less, more, or for a payment no longer waiting): it waits in
    /// the payment's suspense account.
    HeldInSuspense,
}

impl TransferOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferOutcome::Settled => "settled",
            TransferOutcome::HeldInSuspense => "held_in_suspense",
        }
    }
}

/// A recorded transfer and the payment after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub outcome: TransferOutcome,
    pub payment: PaymentView,
}

/// Checks an amount a person typed or sent for `p`: more than zero, in the payment's currency,
/// within the ledger's range.
pub(crate) fn check_amount(p: &PaymentRow, amount: Money) -> AppResult<Money> {
    if amount.currency.code() != p.currency {
        return Err(AppError::invalid(
            "amount.currency",
            format!("must be {}, the payment's currency", p.currency),
        ));
    }
    if amount.minor <= 0 {
        return Err(AppError::invalid("amount", "must be more than zero"));
    }
    if amount.minor > MAX_POSTING {
        return Err(AppError::invalid("amount", "is too large"));
    }
    Ok(amount)
}

/// Locks the bank-transfer payment `payment_id` (404 absent, 409 another method).
pub(crate) async fn locked_transfer(conn: &mut Conn, payment_id: &str) -> AppResult<PaymentRow> {
    let p = store::lock(conn, payment_id)
        .await?
        .ok_or(AppError::NotFound("payment"))?;
    if word::<PaymentMethod>("payment method", &p.method)? != PaymentMethod::BankTransfer {
        return Err(AppError::conflict(
            ConflictKind::InvalidTransition,
            "only bank-transfer payments are confirmed by hand",
        ));
    }
    Ok(p)
}

async fn suspense_of(conn: &mut Conn, p: &PaymentRow) -> AppResult<Money> {
    let cur = currency(&p.currency)?;
    let account = AccountRef::new(AccountKind::BankSuspense, &p.id, cur);
    Ok(Money::new(ledger_store::balance(conn, &account).await?, cur))
}

/// Finds a payment by the bank reference a transfer carried (operators).
pub async fn find_by_reference(app: &App, actor: &Actor, reference: &str) -> AppResult<PaymentView> {
    actor.require_operator()?;
    let reference =
        normalize_reference(reference).ok_or_else(|| AppError::invalid("reference", "is not an Agora reference"))?;
    let mut conn = app.db.conn().await?;
    let p = store::by_bank_reference(&mut conn, &reference)
        .await?
        .ok_or(AppError::NotFound("payment"))?;
    view_of(&mut conn, &p).await
}

/// An operator records that `amount` arrived by bank transfer for the payment. When it and what
/// the payment's suspense already holds make exactly the payment's amount, the payment succeeds:
/// bank clearing (and suspense) → each order's escrow, the orders `paid`; or → the wallet for a
/// top-up. Otherwise the money goes to the payment's suspense account and the payment stays as it
/// is. The `Idempotency-Key` is claimed in the same transaction: a retried request records the
/// money once.
pub async fn confirm(
    app: &App,
    actor: &Actor,
    payment_id: &str,
    amount: Money,
    key: Option<Keyed<'_, Recorded>>,
) -> AppResult<Answer<Recorded>> {
    actor.require_operator()?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
    };
    let p = locked_transfer(&mut tx, payment_id).await?;
    let amount = check_amount(&p, amount)?;
    let outcome = record_in(&mut tx, &app.settings, &p, amount, Some(actor), now).await?;
    let p = store::by_id(&mut tx, payment_id)
        .await?
        .ok_or(AppError::NotFound("payment"))?;
    let recorded = Recorded {
        outcome,
        payment: view_of(&mut tx, &p).await?,
    };
    pending.save_in(&mut tx, &recorded).await?;
    tx.commit().await?;
    Ok(Answer::Done(recorded))
}

/// Records `amount` (checked: the payment's currency, more than zero) received by bank transfer
/// for the locked bank-transfer payment `p`, in the caller's transaction: what [`confirm`] and a
/// statement import (`statements`) both do. `by` is the operator, `None` for the command line.
pub(crate) async fn record_in(
    tx: &mut Conn,
    settings: &crate::Settings,
    p: &PaymentRow,
    amount: Money,
    by: Option<&Actor>,
    now: i64,
) -> AppResult<TransferOutcome> {
    let held = suspense_of(tx, p).await?;
    let after = held
        .checked_add(amount)
        .map_err(|_| AppError::invalid("amount", "is too large"))?;
    let waiting = p.status == PaymentStatus::Pending.as_str();
    if waiting && after.minor == p.amount {
        succeed_in(
            tx,
            settings,
            p,
            by,
            External::Bank,
            amount,
            &CardDetails::default(),
            now,
        )
        .await?;
        return Ok(TransferOutcome::Settled);
    }
    let posting = rules::to_suspense(&p.id, amount).map_err(|e| ledger::refused("amount", e))?;
    ledger::post(tx, &posting).await?;
    let why = match (waiting, after.minor < p.amount) {
        (false, _) => "the payment is not waiting for money",
        (true, true) => "less than the payment's amount",
        (true, false) => "more than the payment's amount",
    };
    let data = serde_json::json!({"amount": amount, "in_suspense": after, "why": why});
    audit::record(
        tx,
        by.map(|a| a.account_id.as_str()),
        AuditAction::PaymentTransferHeld,
        &p.id,
        data,
    )
    .await?;
    Ok(TransferOutcome::HeldInSuspense)
}

/// How an operator resolves what a payment's suspense holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Settle the pending payment from its suspense (which holds at least its amount); anything
    /// beyond goes to the payer's wallet.
    Apply,
    /// Give all of it to the payer's wallet (a transfer that cannot complete the payment, or
    /// one for a payment that no longer waits).
    ToWallet,
}

impl std::str::FromStr for Resolution {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "apply" => Ok(Resolution::Apply),
            "to_wallet" => Ok(Resolution::ToWallet),
            _ => Err("must be one of: apply, to_wallet".into()),
        }
    }
}

/// An operator resolves a payment's suspense (see [`Resolution`]); 409 when it holds nothing, or
/// when applying it cannot pay the payment.
pub async fn resolve(
    app: &App,
    actor: &Actor,
    payment_id: &str,
    resolution: Resolution,
    key: Option<Keyed<'_, PaymentView>>,
) -> AppResult<Answer<PaymentView>> {
    actor.require_operator()?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
    };
    let p = locked_transfer(&mut tx, payment_id).await?;
    let held = suspense_of(&mut tx, &p).await?;
    if held.minor <= 0 {
        return Err(AppError::conflict(
            ConflictKind::InvalidTransition,
            "nothing of this payment is held in suspense",
        ));
    }
    let waiting = p.status == PaymentStatus::Pending.as_str();
    let to_wallet = match resolution {
        Resolution::ToWallet => held,
        Resolution::Apply => {
            if !waiting || held.minor < p.amount {
                return Err(AppError::conflict(
                    ConflictKind::InvalidTransition,
                    "the suspense cannot pay this payment: it is not waiting, or less is held than it needs",
                ));
            }
            // The rest first, so that the settlement takes exactly the payment's amount.
            Money::new(held.minor - p.amount, held.currency)
        }
    };
    if to_wallet.minor > 0 {
        let posting = rules::suspense_to_wallet(&p.id, &p.payer_account_id, to_wallet)
            .map_err(|e| ledger::refused("amount", e))?;
        ledger::post(&mut tx, &posting).await?;
    }
    if resolution == Resolution::Apply {
        let nothing = Money::zero(held.currency);
        succeed_in(
            &mut tx,
            &app.settings,
            &p,
            Some(actor),
            External::Bank,
            nothing,
            &CardDetails::default(),
            now,
        )
        .await?;
    }
    let data = serde_json::json!({"resolution": format!("{resolution:?}"), "held": held, "to_wallet": to_wallet});
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::PaymentSuspenseResolved,
        &p.id,
        data,
    )
    .await?;
    let p = store::by_id(&mut tx, payment_id)
        .await?
        .ok_or(AppError::NotFound("payment"))?;
    let view = view_of(&mut tx, &p).await?;
    pending.save_in(&mut tx, &view).await?;
    tx.commit().await?;
    Ok(Answer::Done(view))
}

/// What the operator's finance page lists.
#[derive(Debug, Clone)]
pub struct FinanceOverview {
    /// Bank transfers still waiting for their money, oldest first.
    pub waiting: Vec<PaymentView>,
    /// Payments whose suspense holds money, oldest first.
    pub in_suspense: Vec<PaymentView>,
}

/// Bank transfers to match and suspense to resolve (operators).
pub async fn overview(app: &App, actor: &Actor) -> AppResult<FinanceOverview> {
    actor.require_operator()?;
    let mut conn = app.db.conn().await?;
    let mut waiting = Vec::new();
    for p in store::pending_by_method(&mut conn, PaymentMethod::BankTransfer.as_str(), 100).await? {
        waiting.push(view_of(&mut conn, &p).await?);
    }
    let mut in_suspense = Vec::new();
    for (p, _) in store::with_suspense(&mut conn, 100).await? {
        in_suspense.push(view_of(&mut conn, &p).await?);
    }
    Ok(FinanceOverview { waiting, in_suspense })
}
