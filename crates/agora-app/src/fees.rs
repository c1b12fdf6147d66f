//! The platform's fee on an order: ONE function, [`fee_for`], that every escrow release and every
//! cash-on-delivery collection asks. The rate of each line is the shop's own commission rate if
//! the operator set one, else the rate of the line's category (or of its nearest ancestor that has
//! one), else the default of [`crate::Settings::platform_fee_bp`] (`agora_core::payout::rate_for`);
//! the rates, weighted by the lines' amounts, apply to the order's total, rounded once, half up
//! (`agora_core::payout::commission`). The operator sets the rates through `commission`.

use std::collections::HashMap;

use agora_core::money::Money;
use agora_core::payout::{commission, rate_for};
use agora_core::rate::BasisPoints;
use agora_store::orders::OrderRow;
use agora_store::payouts as store;
use agora_store::Conn;

use crate::stored::currency;
use crate::{AppError, AppResult, Settings};

fn stored_rate(bp: i64) -> AppResult<BasisPoints> {
    u32::try_from(bp)
        .map_err(|e| AppError::Internal(e.into()))
        .and_then(|bp| BasisPoints::new(bp).map_err(|e| AppError::Internal(anyhow::anyhow!("stored rate {e}"))))
}

/// The platform's fee on `order`: the commission rates of its lines applied to the order's total
/// (goods, shipping and tax, less the discount), rounded half up to the minor unit, never more
/// than the total.
pub async fn fee_for(conn: &mut Conn, settings: &Settings, order: &OrderRow) -> AppResult<Money> {
    let total = Money::new(order.total, currency(&order.currency)?);
    let default = BasisPoints::new(settings.platform_fee_bp)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the platform fee rate {e}")))?;
    let shop = match store::rate(conn, "shop", &order.shop_id).await? {
        Some(bp) => Some(stored_rate(bp)?),
        None => None,
    };
    let mut lines = Vec::new();
    if shop.is_none() {
        let mut by_category: HashMap<String, BasisPoints> = HashMap::new();
        for r in store::rates(conn).await? {
            if r.scope == "category" {
                by_category.insert(r.target_id, stored_rate(r.rate_bp)?);
            }
        }
        let parents: HashMap<String, Option<String>> = if by_category.is_empty() {
            HashMap::new()
        } else {
            store::category_parents(conn).await?.into_iter().collect()
        };
        for (category, amount) in store::line_categories(conn, &order.id).await? {
            let mut at = Some(category);
            let mut found = None;
            // Up the tree to the nearest category with a rate (bounded: a tree has no cycles, but
            // a stored one must not hang us).
            for _ in 0..32 {
                let Some(slug) = at else { break };
                if let Some(rate) = by_category.get(&slug) {
                    found = Some(*rate);
                    break;
                }
                at = parents.get(&slug).cloned().flatten();
            }
            lines.push((rate_for(None, found, default), amount));
        }
    }
    let fallback = rate_for(shop, None, default);
    commission(total, &lines, fallback).map_err(|e| AppError::Internal(e.into()))
}
