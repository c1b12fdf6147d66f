//! Payments as the API shows them.

use agora_app::payments::{PaymentSummary, PaymentView};
use agora_core::money::Money;
use serde::Serialize;
use utoipa::ToSchema;

use super::money::MoneySchema;

/// A payment as checkout and top-ups answer it: where the payer goes next.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentBrief {
    pub id: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// `card`, `wallet` or `bank_transfer`.
    pub method: String,
    #[schema(value_type = MoneySchema)]
    pub amount: Money,
    /// Card payments while pending: the page where the payer pays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// Bank transfers: the reference the transfer must carry (see `GET /payments/{id}` for the
    /// platform's bank details).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl From<PaymentSummary> for PaymentBrief {
    fn from(p: PaymentSummary) -> Self {
        PaymentBrief {
            id: p.id,
            status: p.status.as_str().into(),
            method: p.method.as_str().into(),
            amount: p.amount,
            redirect_url: p.redirect_url,
            reference: p.reference,
        }
    }
}

/// Where to send a bank transfer.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankDetailsBody {
    pub holder: String,
    pub iban: String,
    pub bic: String,
    pub bank_name: String,
}

/// A payment in full (its payer or an operator).
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentBody {
    pub id: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// `card`, `wallet` or `bank_transfer`.
    pub method: String,
    /// `order_group` (a checkout's orders) or `top_up` (the payer's wallet).
    pub purpose: String,
    #[schema(value_type = MoneySchema)]
    pub amount: Money,
    pub payer_account_id: String,
    /// The checkout (order group) paid for.
    pub group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Bank transfers: where to send the money.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_details: Option<BankDetailsBody>,
    /// Bank transfers received that did not match the amount, held for review.
    #[schema(value_type = MoneySchema)]
    pub in_suspense: Money,
    pub card_brand: Option<String>,
    pub last4: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl PaymentBody {
    pub fn new(v: PaymentView, bank: &agora_app::BankDetails) -> Self {
        let is_transfer = v.summary.reference.is_some();
        PaymentBody {
            id: v.summary.id,
            status: v.summary.status.as_str().into(),
            method: v.summary.method.as_str().into(),
            purpose: v.purpose.as_str().into(),
            amount: v.summary.amount,
            payer_account_id: v.payer_account_id,
            group_id: v.group_id,
            redirect_url: v.summary.redirect_url,
            reference: v.summary.reference,
            bank_details: is_transfer.then(|| BankDetailsBody {
                holder: bank.holder.clone(),
                iban: bank.iban.clone(),
                bic: bank.bic.clone(),
                bank_name: bank.bank_name.clone(),
            }),
            in_suspense: v.in_suspense,
            card_brand: v.card_brand,
            last4: v.last4,
            failure_reason: v.failure_reason,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}
