//! The buyer's wallet: its balances, the history of what moved in and out in people's words, and
//! top-ups by card or bank transfer (a pending payment that the gateway's callback or the
//! operator's confirmation settles into the wallet).

use agora_core::audit::AuditAction;
use agora_core::ledger::{AccountKind, TxKind, MAX_POSTING};
use agora_core::money::{Currency, Money};
use agora_core::order::PaymentMethod;
use agora_core::payment::PaymentPurpose;
use agora_store::ledger as ledger_store;
use agora_store::now_ms;
use agora_store::payments as store;

use crate::escrow::{fresh_reference, new_payment, PaymentSummary};
use crate::idempotency::{self, Answer, Claimed, Keyed};
use crate::stored::currency;
use crate::{audit, rfc3339, Actor, App, AppError, AppResult};

/// The most one top-up may bring: 1,000,000.00 in a two-digit currency.
pub const MAX_TOP_UP_MINOR: i64 = 100_000_000;

/// One currency of a wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletBalance {
    pub currency: Currency,
    /// What the owner may spend now.
    pub available: Money,
    /// What is set aside for something not settled yet.
    pub held: Money,
}

/// The actor's wallet, one line per currency it ever held (none for a wallet never used).
pub async fn balances(app: &App, actor: &Actor) -> AppResult<Vec<WalletBalance>> {
    let mut conn = app.db.conn().await?;
    let mut out: Vec<WalletBalance> = Vec::new();
    for a in ledger_store::accounts_of(&mut conn, &actor.account_id).await? {
        let kind: AccountKind = a
            .kind
            .parse()
            .map_err(|e: String| AppError::Internal(anyhow::anyhow!("{e}")))?;
        if !matches!(kind, AccountKind::WalletAvailable | AccountKind::WalletHeld) {
            continue;
        }
        let cur = currency(&a.currency)?;
        let i = match out.iter().position(|b| b.currency == cur) {
            Some(i) => i,
            None => {
                out.push(WalletBalance {
                    currency: cur,
                    available: Money::zero(cur),
                    held: Money::zero(cur),
                });
                out.len() - 1
            }
        };
        match kind {
            AccountKind::WalletAvailable => out[i].available = Money::new(a.balance, cur),
            _ => out[i].held = Money::new(a.balance, cur),
        }
    }
    out.sort_by(|a, b| a.currency.code().cmp(b.currency.code()));
    Ok(out)
}

/// The available balance of the actor's wallet in one currency.
pub async fn available(app: &App, actor: &Actor, cur: Currency) -> AppResult<Money> {
    Ok(balances(app, actor)
        .await?
        .into_iter()
        .find(|b| b.currency == cur)
        .map_or(Money::zero(cur), |b| b.available))
}

/// One movement of the wallet, in people's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletEntry {
    /// "Top-up", "Payment for orders", "Refund of a cancelled order", …
    pub description: String,
    /// Positive: into the wallet; negative: out of it.
    pub amount: Money,
    /// The payment or order it was about.
    pub reference: String,
    pub at: String,
    pub at_ms: i64,
}

fn describe(kind: &str, amount: i64) -> &'static str {
    match (kind.parse::<TxKind>(), amount > 0) {
        (Ok(TxKind::TopUp), _) => "Top-up",
        (Ok(TxKind::WalletPayment), _) => "Payment for orders",
        (Ok(TxKind::PaymentReceived), _) => "Payment for orders that were cancelled meanwhile",
        (Ok(TxKind::SuspenseResolved), _) => "Bank transfer credited after review",
        (Ok(TxKind::EscrowRefunded), _) => "Refund of a cancelled order",
        (Ok(TxKind::Refund), _) => "Refund",
        (Ok(TxKind::Reversal), _) => "Correction",
        (_, true) => "Money in",
        (_, false) => "Money out",
    }
}

/// What moved in and out of the actor's wallet, newest first.
pub async fn history(app: &App, actor: &Actor, limit: i64) -> AppResult<Vec<WalletEntry>> {
    let mut conn = app.db.conn().await?;
    let ids: Vec<String> = ledger_store::accounts_of(&mut conn, &actor.account_id)
        .await?
        .into_iter()
        .filter(|a| a.kind == AccountKind::WalletAvailable.as_str())
        .map(|a| a.id)
        .collect();
    let rows = ledger_store::postings_of(&mut conn, &ids, None, limit.clamp(1, 200)).await?;
    rows.into_iter()
        .map(|p| {
            let cur = p.account_id.rsplit(':').next().unwrap_or_default();
            Ok(WalletEntry {
                description: describe(&p.kind, p.amount).into(),
                amount: Money::new(p.amount, currency(cur)?),
                reference: p.reference,
                at: rfc3339(p.at),
                at_ms: p.at,
            })
        })
        .collect()
}

/// Starts a top-up of the actor's wallet by `method` (card or bank transfer): a pending payment,
/// with the page to pay at (card) or the reference the transfer must carry. The money arrives in
/// the wallet when the gateway reports success or an operator confirms the transfer. The
/// `Idempotency-Key` is claimed in the same transaction: a retry starts one top-up.
pub async fn start_top_up(
    app: &App,
    actor: &Actor,
    amount: Money,
    method: &str,
    key: Option<Keyed<'_, PaymentSummary>>,
) -> AppResult<Answer<PaymentSummary>> {
    let method: PaymentMethod = method.parse().map_err(|m| AppError::invalid("method", m))?;
    if !matches!(method, PaymentMethod::Card | PaymentMethod::BankTransfer) {
        return Err(AppError::invalid("method", "must be card or bank_transfer"));
    }
    if amount.minor <= 0 {
        return Err(AppError::invalid("amount", "must be more than zero"));
    }
    if amount.minor > MAX_TOP_UP_MINOR.min(MAX_POSTING) {
        return Err(AppError::invalid(
            "amount",
            format!(
                "is more than one top-up may bring ({})",
                Money::new(MAX_TOP_UP_MINOR, amount.currency)
            ),
        ));
    }
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
    };
    let mut payment = new_payment(PaymentPurpose::TopUp, method, amount, &actor.account_id, None, now);
    if method == PaymentMethod::BankTransfer {
        payment.bank_reference = Some(fresh_reference(&mut tx).await?);
    }
    store::insert(&mut tx, &payment).await?;
    let data = serde_json::json!({"purpose": "top_up", "method": method.as_str(), "amount": amount});
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::PaymentStarted,
        &payment.id,
        data,
    )
    .await?;
    let summary = PaymentSummary::of(&payment)?;
    pending.save_in(&mut tx, &summary).await?;
    tx.commit().await?;
    Ok(Answer::Done(summary))
}

/// The actor's own top-ups that still wait for their money (for the wallet page).
pub async fn pending_top_ups(app: &App, actor: &Actor) -> AppResult<Vec<PaymentSummary>> {
    let mut conn = app.db.conn().await?;
    store::of_payer(&mut conn, &actor.account_id, 50)
        .await?
        .iter()
        .filter(|p| p.purpose == PaymentPurpose::TopUp.as_str() && p.status == "pending")
        .map(PaymentSummary::of)
        .collect()
}
