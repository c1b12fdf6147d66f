//! Payouts: a shop's money leaves the platform for the shop's bank account.
//!
//! - The shop's owner registers the account payouts go to ([`set_account`]; the IBAN's checksum
//!   is checked).
//! - Those who handle the shop's money ([`Actor::may_handle_shop_money`]) request a payout
//!   ([`request`]): at least [`crate::Settings::min_payout_minor`], at most what the shop may
//!   have paid out — its available balance less the commission it owes on cash-on-delivery
//!   orders. The request moves the amount from the shop's available balance to payouts in
//!   transit, and what the shop owes from the available balance to its receivable (settling it),
//!   in one ledger transaction. Payouts of one shop wait for each other on the payout account's
//!   row, and the ledger's conditional update refuses to take the available balance below zero,
//!   so concurrent requests cannot overdraw.
//! - An operator marks a payout sent (payouts in transit → the platform's bank) or failed (back
//!   to the available balance) ([`decide`]).

use agora_core::audit::AuditAction;
use agora_core::ledger::seller;
use agora_core::ledger::{AccountKind, AccountRef, MAX_POSTING};
use agora_core::money::Money;
use agora_core::payout::{parse_bic, payable, Iban, PayoutStatus};
use agora_core::text;
use agora_store::ledger as ledger_store;
use agora_store::payouts::{self as store, PayoutAccountRow, PayoutRow};
use agora_store::shops::{self as shop_store, ShopRow};
use agora_store::{new_id, now_ms, Conn};

use crate::idempotency::{self, Answer, Claimed, Keyed};
use crate::stored::{currency, word};
use crate::{audit, ledger, rfc3339, Actor, App, AppError, AppResult, ConflictKind};

/// The bank account a shop's payouts go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutAccount {
    pub holder: String,
    /// Normalised (no spaces, upper case).
    pub iban: String,
    pub bic: Option<String>,
    pub updated_at: String,
}

impl From<PayoutAccountRow> for PayoutAccount {
    fn from(a: PayoutAccountRow) -> Self {
        PayoutAccount {
            holder: a.holder,
            iban: a.iban,
            bic: a.bic,
            updated_at: rfc3339(a.updated_at),
        }
    }
}

/// A payout as the shop and operators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutView {
    pub id: String,
    pub shop_id: String,
    pub status: PayoutStatus,
    pub amount: Money,
    /// Commission owed on cash-on-delivery orders that the payout settled from the balance.
    pub owed_settled: Money,
    pub holder: String,
    pub iban: String,
    pub bic: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: String,
    pub created_at_ms: i64,
    pub updated_at: String,
}

pub(crate) fn view(p: &PayoutRow) -> AppResult<PayoutView> {
    let cur = currency(&p.currency)?;
    Ok(PayoutView {
        id: p.id.clone(),
        shop_id: p.shop_id.clone(),
        status: word("payout status", &p.status)?,
        amount: Money::new(p.amount, cur),
        owed_settled: Money::new(p.owed_settled, cur),
        holder: p.holder.clone(),
        iban: p.iban.clone(),
        bic: p.bic.clone(),
        failure_reason: p.failure_reason.clone(),
        created_at: rfc3339(p.created_at),
        created_at_ms: p.created_at,
        updated_at: rfc3339(p.updated_at),
    })
}

/// The shop, if the actor may see its money (its staff, and those who handle its money); 404
/// for anyone else.
pub(crate) async fn shop_for_finances(conn: &mut Conn, actor: &Actor, shop_id: &str) -> AppResult<ShopRow> {
    let shop = shop_store::by_id(conn, shop_id)
        .await?
        .ok_or(AppError::NotFound("shop"))?;
    let owner = shop.owner_account_id.as_str();
    let company = shop.company_id.as_deref();
    if actor.may_run_shop(owner, company) || actor.may_handle_shop_money(owner, company) {
        Ok(shop)
    } else {
        Err(AppError::NotFound("shop"))
    }
}

/// The shop's balance of one kind.
pub(crate) async fn balance(
    conn: &mut Conn,
    kind: AccountKind,
    shop_id: &str,
    cur: agora_core::money::Currency,
) -> AppResult<Money> {
    let account = AccountRef::new(kind, shop_id, cur);
    Ok(Money::new(ledger_store::balance(conn, &account).await?, cur))
}

/// What the shop owes the platform of commission on cash it collected (zero or more).
pub(crate) async fn owed(conn: &mut Conn, shop_id: &str, cur: agora_core::money::Currency) -> AppResult<Money> {
    let receivable = balance(conn, AccountKind::CodReceivable, shop_id, cur).await?;
    Ok(Money::new(receivable.minor.saturating_neg().max(0), cur))
}

/// The shop's payout account (shop staff and those who handle its money); `None` before one is
/// registered.
pub async fn account(app: &App, actor: &Actor, shop_id: &str) -> AppResult<Option<PayoutAccount>> {
    let mut conn = app.db.conn().await?;
    shop_for_finances(&mut conn, actor, shop_id).await?;
    Ok(store::account(&mut conn, shop_id, false)
        .await?
        .map(PayoutAccount::from))
}

/// The shop's owner (a company's admins) registers the bank account payouts go to, replacing any
/// earlier one. Requested payouts keep the account they were requested to.
pub async fn set_account(
    app: &App,
    actor: &Actor,
    shop_id: &str,
    holder: &str,
    iban: &str,
    bic: Option<&str>,
) -> AppResult<PayoutAccount> {
    let mut errors = agora_core::ValidationErrors::default();
    let holder = errors.check("holder", text::bounded(holder, 2, 140, false));
    let iban = errors.check("iban", Iban::parse(iban));
    let bic = match bic.map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => errors.check("bic", parse_bic(b)).map(Some),
        None => Some(None),
    };
    let (Some(holder), Some(iban), Some(bic)) = (holder, iban, bic) else {
        return Err(AppError::Invalid(errors));
    };
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let shop = shop_for_finances(&mut tx, actor, shop_id).await?;
    if !actor.may_set_payout_account(&shop.owner_account_id, shop.company_id.as_deref()) {
        return Err(AppError::Forbidden(
            "only the shop's owner (for a company's shop, a company admin) registers its payout account".into(),
        ));
    }
    let row = PayoutAccountRow {
        shop_id: shop.id.clone(),
        holder,
        iban: iban.as_str().to_owned(),
        bic,
        updated_at: now,
    };
    store::set_account(&mut tx, &row, &actor.account_id).await?;
    let data = serde_json::json!({"holder": row.holder, "iban": Iban::masked(&row.iban)});
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::PayoutAccountSet,
        &shop.id,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Checks an amount a person asked to be paid out: more than zero, within the ledger's range, at
/// least the minimum.
fn check_amount(min_minor: i64, amount: Money) -> AppResult<()> {
    if amount.minor <= 0 {
        return Err(AppError::invalid("amount", "must be more than zero"));
    }
    if amount.minor > MAX_POSTING {
        return Err(AppError::invalid("amount", "is too large"));
    }
    if amount.minor < min_minor {
        return Err(AppError::invalid(
            "amount",
            format!("must be at least {}", Money::new(min_minor, amount.currency)),
        ));
    }
    Ok(())
}

/// Requests a payout of `amount` to the shop's payout account (see the module): 201
/// `requested`; 409 `no-payout-account` without an account, 409 `insufficient-funds` above what
/// may be paid out. The `Idempotency-Key` is claimed in the same transaction.
pub async fn request(
    app: &App,
    actor: &Actor,
    shop_id: &str,
    amount: Money,
    key: Option<Keyed<'_, PayoutView>>,
) -> AppResult<Answer<PayoutView>> {
    check_amount(app.settings.min_payout_minor, amount)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
    };
    let shop = shop_for_finances(&mut tx, actor, shop_id).await?;
    if !actor.may_handle_shop_money(&shop.owner_account_id, shop.company_id.as_deref()) {
        return Err(AppError::Forbidden(
            "only the shop's owner (for a company's shop, its admins and finance staff) requests payouts".into(),
        ));
    }
    // The lock on the payout account makes the shop's payouts wait for each other.
    let Some(account) = store::account(&mut tx, &shop.id, true).await? else {
        return Err(AppError::conflict(
            ConflictKind::NoPayoutAccount,
            "register the bank account payouts go to first",
        ));
    };
    let cur = amount.currency;
    let available = balance(&mut tx, AccountKind::SellerAvailable, &shop.id, cur).await?;
    let owed = owed(&mut tx, &shop.id, cur).await?;
    let may = payable(available, owed).map_err(|e| AppError::Internal(e.into()))?;
    if amount.minor > may.minor {
        let detail = if owed.minor > 0 {
            format!("at most {may} may be paid out now (the available {available} less {owed} of commission owed on cash-on-delivery orders)")
        } else {
            format!("at most {may} may be paid out now")
        };
        return Err(AppError::conflict(ConflictKind::InsufficientFunds, detail));
    }
    let row = PayoutRow {
        id: new_id("po"),
        shop_id: shop.id.clone(),
        status: PayoutStatus::Requested.as_str().into(),
        amount: amount.minor,
        currency: cur.code().into(),
        owed_settled: owed.minor,
        holder: account.holder,
        iban: account.iban,
        bic: account.bic,
        requested_by: actor.account_id.clone(),
        decided_by: None,
        failure_reason: None,
        created_at: now,
        updated_at: now,
    };
    store::insert_payout(&mut tx, &row).await?;
    let posting =
        seller::payout_requested(&row.id, &shop.id, amount, owed).map_err(|e| ledger::refused("amount", e))?;
    ledger::post(&mut tx, &posting).await?;
    let data = serde_json::json!({"amount": amount, "owed_settled": owed, "shop": shop.id});
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::PayoutRequested,
        &row.id,
        data,
    )
    .await?;
    let result = view(&row)?;
    pending.save_in(&mut tx, &result).await?;
    tx.commit().await?;
    Ok(Answer::Done(result))
}

/// The shop's payouts, newest first (shop staff and those who handle its money).
pub async fn of_shop(app: &App, actor: &Actor, shop_id: &str) -> AppResult<Vec<PayoutView>> {
    let mut conn = app.db.conn().await?;
    shop_for_finances(&mut conn, actor, shop_id).await?;
    store::payouts_of_shop(&mut conn, shop_id, 100)
        .await?
        .iter()
        .map(view)
        .collect()
}

/// Payouts in one status, oldest first, with their shops' names (operators).
pub async fn queue(app: &App, actor: &Actor, status: PayoutStatus) -> AppResult<Vec<(PayoutView, String)>> {
    actor.require_operator()?;
    let mut conn = app.db.conn().await?;
    let mut out = Vec::new();
    for p in store::payouts_by_status(&mut conn, status.as_str(), 100).await? {
        let name = shop_store::by_id(&mut conn, &p.shop_id)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        out.push((view(&p)?, name));
    }
    Ok(out)
}

/// An operator marks a requested payout `sent` (the money left the platform's bank) or `failed`
/// (the bank refused it; the amount goes back to the shop's available balance; `reason` is
/// required). 409 when the payout is not `requested` any more. The `Idempotency-Key` is claimed
/// in the same transaction.
pub async fn decide(
    app: &App,
    actor: &Actor,
    payout_id: &str,
    to: PayoutStatus,
    reason: Option<&str>,
    key: Option<Keyed<'_, PayoutView>>,
) -> AppResult<Answer<PayoutView>> {
    actor.require_operator()?;
    let reason = match to {
        PayoutStatus::Failed => {
            Some(text::bounded(reason.unwrap_or(""), 1, 500, false).map_err(|m| AppError::invalid("reason", m))?)
        }
        _ => None,
    };
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let pending = match idempotency::claim_in(&mut tx, key).await? {
        Claimed::Proceed(pending) => pending,
        Claimed::Replay(response) => return Ok(Answer::Replayed(response)),
    };
    let p = store::payout(&mut tx, payout_id)
        .await?
        .ok_or(AppError::NotFound("payout"))?;
    let from: PayoutStatus = word("payout status", &p.status)?;
    from.transition(to)
        .map_err(|m| AppError::conflict(ConflictKind::InvalidTransition, m))?;
    if !store::set_payout_status(
        &mut tx,
        &p.id,
        from.as_str(),
        to.as_str(),
        &actor.account_id,
        reason.as_deref(),
        now,
    )
    .await?
    {
        return Err(AppError::conflict(
            ConflictKind::ChangedMeanwhile,
            "the payout was decided meanwhile",
        ));
    }
    let amount = Money::new(p.amount, currency(&p.currency)?);
    let (posting, action) = match to {
        PayoutStatus::Sent => (seller::payout_sent(&p.id, &p.shop_id, amount), AuditAction::PayoutSent),
        _ => (
            seller::payout_failed(&p.id, &p.shop_id, amount),
            AuditAction::PayoutFailed,
        ),
    };
    let posting = posting.map_err(|e| AppError::Internal(anyhow::anyhow!("payout {}: {e}", p.id)))?;
    ledger::post(&mut tx, &posting).await?;
    let data = serde_json::json!({"amount": amount, "reason": reason});
    audit::record(&mut tx, Some(&actor.account_id), action, &p.id, data).await?;
    let p = store::payout(&mut tx, payout_id)
        .await?
        .ok_or(AppError::NotFound("payout"))?;
    let result = view(&p)?;
    pending.save_in(&mut tx, &result).await?;
    tx.commit().await?;
    Ok(Answer::Done(result))
}
