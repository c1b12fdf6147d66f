//! What a shop's money did: its balances with the postings behind them (the finance page), and the
//! settlement report of a period, which reconciles:
//!
//! ```text
//! sales − refunds − fees + other = payouts + balance change
//! ```
//!
//! - *sales*: escrow released to the shop (gross, before the commission) and cash collected on
//!   delivery;
//! - *refunds*: refunds taken from the shop's balance (refunds out of an unreleased escrow never
//!   reached the shop and are not in it);
//! - *fees*: commission charged on releases and collected cash, less commission given back with
//!   refunds;
//! - *payouts*: payouts requested (less those that failed), and the cash the shop collected on
//!   delivery itself (it kept that money);
//! - *balance*: the available balance less the commission owed (`seller_available +
//!   cod_receivable`), at the end of the period minus at its start;
//! - *other*: anything else that moved those balances (none today; shown so the sum still holds).

use agora_core::ledger::{AccountKind, TxKind};
use agora_core::money::{Currency, Money};
use agora_store::ledger as ledger_store;
use agora_store::payouts as store;
use agora_store::Conn;

use crate::payouts::{balance, owed, shop_for_finances};
use crate::stored::currency;
use crate::{rfc3339, Actor, App, AppError, AppResult};

/// One currency of a shop's money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balances {
    pub currency: Currency,
    /// In escrow for the shop's orders, not released yet.
    pub pending: Money,
    /// Released to the shop.
    pub available: Money,
    /// Commission the shop owes on cash it collected (settled by the next payout).
    pub owed: Money,
    /// What may be paid out now: available less owed.
    pub payable: Money,
    /// Payouts requested and not sent yet.
    pub in_transit: Money,
}

/// One posting to the shop's accounts, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub at: String,
    pub what: &'static str,
    pub account: &'static str,
    pub amount: Money,
    /// The order, refund or payout it belongs to.
    pub reference: String,
}

/// What the finance page shows.
#[derive(Debug, Clone)]
pub struct Finances {
    pub shop_id: String,
    pub shop_name: String,
    pub balances: Vec<Balances>,
    pub movements: Vec<Movement>,
    /// Whether the viewer requests payouts and registers the payout account.
    pub may_request_payouts: bool,
    pub may_set_account: bool,
    pub min_payout_minor: i64,
}

fn sum(a: Money, b: Money) -> AppResult<Money> {
    a.checked_add(b).map_err(|e| AppError::Internal(e.into()))
}

/// The shop's balances per currency (any currency it ever had money in).
pub(crate) async fn balances_of(conn: &mut Conn, shop_id: &str) -> AppResult<Vec<Balances>> {
    let mut codes: Vec<String> = ledger_store::accounts_of(conn, shop_id)
        .await?
        .into_iter()
        .map(|a| a.currency)
        .collect();
    let escrow = ledger_store::escrow_of_shop(conn, shop_id).await?;
    codes.extend(escrow.iter().map(|(c, _)| c.clone()));
    codes.sort();
    codes.dedup();
    let mut out = Vec::new();
    for code in codes {
        let cur = currency(&code)?;
        let pending_escrow = escrow.iter().find(|(c, _)| *c == code).map_or(0, |(_, m)| *m);
        let pending = sum(
            Money::new(pending_escrow, cur),
            balance(conn, AccountKind::SellerPending, shop_id, cur).await?,
        )?;
        let available = balance(conn, AccountKind::SellerAvailable, shop_id, cur).await?;
        let owed = owed(conn, shop_id, cur).await?;
        out.push(Balances {
            currency: cur,
            pending,
            available,
            owed,
            payable: agora_core::payout::payable(available, owed).map_err(|e| AppError::Internal(e.into()))?,
            in_transit: balance(conn, AccountKind::PayoutsInTransit, shop_id, cur).await?,
        });
    }
    Ok(out)
}

/// A posting in people's words: what happened, to which balance.
fn words(account_kind: &str, tx_kind: &str, amount: i64) -> (&'static str, &'static str) {
    let account = match account_kind {
        "seller_available" => "Available",
        "seller_pending" => "Pending",
        "cod_receivable" => "Commission owed",
        "payouts_in_transit" => "Payouts on their way",
        _ => "Other",
    };
    let what = match (tx_kind.parse::<TxKind>(), account_kind) {
        (Ok(TxKind::EscrowReleased), _) => "Order completed: payment released, less commission",
        (Ok(TxKind::Refund), _) => "Refund to a buyer",
        (Ok(TxKind::CashCollected), _) => "Commission on cash collected on delivery",
        (Ok(TxKind::Payout), "cod_receivable") => "Commission owed, settled with a payout",
        (Ok(TxKind::Payout), "payouts_in_transit") if amount < 0 => "Payout sent to the bank",
        (Ok(TxKind::Payout), _) => "Payout requested",
        (Ok(TxKind::Reversal), _) => "Payout failed: money back",
        _ => "Other movement",
    };
    (what, account)
}

/// The shop's balances and latest movements (its staff and those who handle its money).
pub async fn finances(app: &App, actor: &Actor, shop_id: &str) -> AppResult<Finances> {
    let mut conn = app.db.conn().await?;
    let shop = shop_for_finances(&mut conn, actor, shop_id).await?;
    let balances = balances_of(&mut conn, &shop.id).await?;
    let accounts: Vec<String> = ledger_store::accounts_of(&mut conn, &shop.id)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let mut movements = Vec::new();
    for p in ledger_store::postings_of(&mut conn, &accounts, None, 50).await? {
        let account = agora_core::ledger::AccountRef::parse_id(&p.account_id)
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        let (what, label) = words(account.kind.as_str(), &p.kind, p.amount);
        movements.push(Movement {
            at: rfc3339(p.at),
            what,
            account: label,
            amount: Money::new(p.amount, account.currency),
            reference: p.reference,
        });
    }
    let owner = shop.owner_account_id.as_str();
    let company = shop.company_id.as_deref();
    Ok(Finances {
        may_request_payouts: actor.may_handle_shop_money(owner, company),
        may_set_account: actor.may_set_payout_account(owner, company),
        shop_id: shop.id,
        shop_name: shop.name,
        balances,
        movements,
        min_payout_minor: app.settings.min_payout_minor,
    })
}

/// A settlement of one shop, currency and period (see the module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub shop_id: String,
    pub currency: Currency,
    /// The period, `[from, to)` in ms.
    pub from_ms: i64,
    pub to_ms: i64,
    pub sales: Money,
    pub refunds: Money,
    pub fees: Money,
    pub other: Money,
    pub payouts: Money,
    pub opening_balance: Money,
    pub closing_balance: Money,
}

impl Settlement {
    /// `sales − refunds − fees + other` and `payouts + balance change`: always equal.
    pub fn sides(&self) -> (i64, i64) {
        let left = self.sales.minor - self.refunds.minor - self.fees.minor + self.other.minor;
        let right = self.payouts.minor + (self.closing_balance.minor - self.opening_balance.minor);
        (left, right)
    }

    /// The report as CSV: one line per figure, then the check.
    pub fn csv(&self) -> String {
        let m = |x: Money| x.to_decimal().to_string();
        let (left, right) = self.sides();
        let cur = self.currency.code();
        let mut out = String::from("item,amount,currency\n");
        for (name, v) in [
            ("period_from", rfc3339(self.from_ms)),
            ("period_to", rfc3339(self.to_ms)),
        ] {
            out.push_str(&format!("{name},{v},\n"));
        }
        for (name, v) in [
            ("sales", self.sales),
            ("refunds", self.refunds),
            ("fees", self.fees),
            ("other", self.other),
            ("payouts", self.payouts),
            ("opening_balance", self.opening_balance),
            ("closing_balance", self.closing_balance),
            (
                "sales_minus_refunds_minus_fees_plus_other",
                Money::new(left, self.currency),
            ),
            ("payouts_plus_balance_change", Money::new(right, self.currency)),
        ] {
            out.push_str(&format!("{name},{},{cur}\n", m(v)));
        }
        out.push_str(&format!("reconciles,{},\n", left == right));
        out
    }
}

/// The settlement of the shop in `currency` for `[from_ms, to_ms)` (its staff and those who
/// handle its money).
pub async fn report(
    app: &App,
    actor: &Actor,
    shop_id: &str,
    cur: Currency,
    from_ms: i64,
    to_ms: i64,
) -> AppResult<Settlement> {
    if to_ms <= from_ms {
        return Err(AppError::invalid("to", "must be after from"));
    }
    let mut conn = app.db.conn().await?;
    let shop = shop_for_finances(&mut conn, actor, shop_id).await?;
    let code = cur.code();
    let (mut released_net, mut refunds_from_shop, mut payouts, mut other, mut change) = (0i64, 0i64, 0i64, 0i64, 0i64);
    for (account, tx, amount) in store::shop_flows(&mut conn, &shop.id, code, from_ms, to_ms).await? {
        let in_balance = account == "seller_available" || account == "cod_receivable";
        if in_balance {
            change += amount;
        }
        match (account.as_str(), tx.parse::<TxKind>()) {
            ("seller_available", Ok(TxKind::EscrowReleased)) => released_net += amount,
            ("seller_available", Ok(TxKind::Refund)) => refunds_from_shop -= amount,
            ("seller_available" | "cod_receivable", Ok(TxKind::Payout)) => payouts -= amount,
            ("seller_available", Ok(TxKind::Reversal)) => payouts -= amount,
            ("cod_receivable", Ok(TxKind::CashCollected)) => {}
            (_, _) if in_balance => other += amount,
            _ => {}
        }
    }
    // The platform's side: commission charged on this shop's orders and given back with its refunds.
    let rows = store::platform_fees_of_shop(&mut conn, &shop.id, code, from_ms, to_ms).await?;
    let (mut fee_released, mut fee_cod, mut fee_back) = (0i64, 0i64, 0i64);
    for (kind, amount) in rows {
        match kind.parse::<TxKind>() {
            Ok(TxKind::EscrowReleased) => fee_released += amount,
            Ok(TxKind::CashCollected) => fee_cod += amount,
            Ok(TxKind::Refund) => fee_back -= amount,
            _ => {}
        }
    }
    // Cash collected on delivery in the period: the orders' totals (the shop holds the cash).
    let cash = store::cash_collected_total(&mut conn, &shop.id, code, from_ms, to_ms).await?;
    let opening = store::balance_at(&mut conn, &shop.id, "seller_available", code, from_ms).await?
        + store::balance_at(&mut conn, &shop.id, "cod_receivable", code, from_ms).await?;
    let money = |m: i64| Money::new(m, cur);
    Ok(Settlement {
        shop_id: shop.id,
        currency: cur,
        from_ms,
        to_ms,
        sales: money(released_net + fee_released + cash),
        refunds: money(refunds_from_shop + fee_back),
        fees: money(fee_released + fee_cod - fee_back),
        other: money(other),
        payouts: money(payouts + cash),
        opening_balance: money(opening),
        closing_balance: money(opening + change),
    })
}
