//! A shop's balances as its staff see them: `pending` (money held in escrow for the shop's open
//! orders, plus anything in the shop's pending account) and `available` (released to it, less the
//! platform's fee), per currency, and `owed`: the commission on cash-on-delivery orders the shop
//! collected, which its next payout settles.

use std::collections::BTreeMap;

use agora_core::ledger::AccountKind;
use agora_core::money::{Currency, Money};
use agora_store::ledger as ledger_store;
use agora_store::shops as shop_store;

use crate::stored::currency;
use crate::{Actor, App, AppError, AppResult};

/// One currency of a shop's balances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopBalance {
    pub currency: Currency,
    pub pending: Money,
    pub available: Money,
    /// Commission the shop owes on cash it collected (zero or more); netted from its next payout.
    pub owed: Money,
}

/// The balances of `shop_id`, for those who run the shop by their current role (its owner, or
/// its company's admins and sales staff); 404 for anyone else, operators included (they have the
/// ledger).
pub async fn shop_balance(app: &App, actor: &Actor, shop_id: &str) -> AppResult<Vec<ShopBalance>> {
    let mut conn = app.db.conn().await?;
    let shop = shop_store::by_id(&mut conn, shop_id)
        .await?
        .ok_or(AppError::NotFound("shop"))?;
    if !actor.may_run_shop(&shop.owner_account_id, shop.company_id.as_deref()) {
        return Err(AppError::NotFound("shop"));
    }
    // (pending, available, owed) per currency code.
    let mut sums: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    let overflow = || AppError::Internal(anyhow::anyhow!("shop balance out of range"));
    for (cur, escrow) in ledger_store::escrow_of_shop(&mut conn, &shop.id).await? {
        let e = sums.entry(cur).or_default();
        e.0 = e.0.checked_add(escrow).ok_or_else(overflow)?;
    }
    for a in ledger_store::accounts_of(&mut conn, &shop.id).await? {
        let e = sums.entry(a.currency.clone()).or_default();
        if a.kind == AccountKind::SellerPending.as_str() {
            e.0 = e.0.checked_add(a.balance).ok_or_else(overflow)?;
        } else if a.kind == AccountKind::SellerAvailable.as_str() {
            e.1 = e.1.checked_add(a.balance).ok_or_else(overflow)?;
        } else if a.kind == AccountKind::CodReceivable.as_str() {
            // The receivable goes below zero by what the shop owes.
            e.2 = e.2.checked_sub(a.balance).ok_or_else(overflow)?.max(0);
        }
    }
    sums.into_iter()
        .map(|(code, (pending, available, owed))| {
            let cur = currency(&code)?;
            Ok(ShopBalance {
                currency: cur,
                pending: Money::new(pending, cur),
                available: Money::new(available, cur),
                owed: Money::new(owed, cur),
            })
        })
        .collect()
}
