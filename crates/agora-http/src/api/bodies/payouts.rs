//! Payouts, payout accounts, refunds and commission rates as the API shows them.

use agora_app::commission::{Rate, Rates};
use agora_app::payouts::{PayoutAccount, PayoutView};
use agora_app::refunds::RefundView;
use agora_core::money::Money;
use serde::Serialize;
use utoipa::ToSchema;

use super::each;
use super::money::MoneySchema;

/// The bank account a shop's payouts go to.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutAccountBody {
    pub holder: String,
    /// Upper case, without spaces.
    pub iban: String,
    pub bic: Option<String>,
    pub updated_at: String,
}

impl From<PayoutAccount> for PayoutAccountBody {
    fn from(a: PayoutAccount) -> Self {
        PayoutAccountBody {
            holder: a.holder,
            iban: a.iban,
            bic: a.bic,
            updated_at: a.updated_at,
        }
    }
}

/// A payout.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutBody {
    pub id: String,
    pub shop_id: String,
    /// `requested`, `sent` or `failed`.
    pub status: String,
    #[schema(value_type = MoneySchema)]
    pub amount: Money,
    /// Commission owed on cash-on-delivery orders that this payout settled out of the balance.
    #[schema(value_type = MoneySchema)]
    pub owed_settled: Money,
    pub holder: String,
    pub iban: String,
    pub bic: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<PayoutView> for PayoutBody {
    fn from(p: PayoutView) -> Self {
        PayoutBody {
            id: p.id,
            shop_id: p.shop_id,
            status: p.status.as_str().into(),
            amount: p.amount,
            owed_settled: p.owed_settled,
            holder: p.holder,
            iban: p.iban,
            bic: p.bic,
            failure_reason: p.failure_reason,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A list of payouts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutList {
    pub items: Vec<PayoutBody>,
    /// Always null: the newest 100 are listed.
    pub next_cursor: Option<String>,
}

impl PayoutList {
    pub fn of(items: Vec<PayoutView>) -> Self {
        PayoutList {
            items: each(items),
            next_cursor: None,
        }
    }
}

/// A refund.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundBody {
    pub id: String,
    pub order_id: String,
    #[schema(value_type = MoneySchema)]
    pub amount: Money,
    /// The platform's commission given back with the refund.
    #[schema(value_type = MoneySchema)]
    pub fee_returned: Money,
    /// `escrow` (the money had not been released to the shop) or `shop` (from the shop's
    /// available balance).
    pub source: String,
    /// `wallet` (the buyer's wallet) or `gateway` (back to the card).
    pub route: String,
    pub reason: String,
    pub restocked: bool,
    /// The order's status after the refund: `refunded` or `partially_refunded`.
    pub order_status: String,
    pub created_at: String,
}

impl From<RefundView> for RefundBody {
    fn from(r: RefundView) -> Self {
        RefundBody {
            id: r.id,
            order_id: r.order_id,
            amount: r.amount,
            fee_returned: r.fee_returned,
            source: r.source,
            route: r.route,
            reason: r.reason,
            restocked: r.restocked,
            order_status: r.order_status,
            created_at: r.created_at,
        }
    }
}

/// An order's refunds.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundList {
    pub items: Vec<RefundBody>,
    pub next_cursor: Option<String>,
}

/// One commission rate.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateBody {
    /// `category` or `shop`.
    pub scope: String,
    /// The category's slug or the shop's id.
    pub target: String,
    /// Basis points: 500 = 5 %.
    pub rate_bp: u32,
    pub updated_at: String,
}

impl From<Rate> for RateBody {
    fn from(r: Rate) -> Self {
        RateBody {
            scope: r.scope.as_str().into(),
            target: r.target,
            rate_bp: r.rate_bp,
            updated_at: r.updated_at,
        }
    }
}

/// Every commission rate: a shop's overrides its products' categories', a category's overrides
/// the default.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatesBody {
    pub default_bp: u32,
    pub categories: Vec<RateBody>,
    pub shops: Vec<RateBody>,
}

impl From<Rates> for RatesBody {
    fn from(r: Rates) -> Self {
        RatesBody {
            default_bp: r.default_bp,
            categories: each(r.categories),
            shops: each(r.shops),
        }
    }
}
