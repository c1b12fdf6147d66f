//! The order state machine: where an order stands, who may move it where, and the rules around it
//! (the status a new order starts in, company approval, refund amounts, timeouts).
//!
//! ```text
//!  (awaiting_approval) ──approve──▶ pending_payment ──pay──▶ paid ──ship──▶ shipped ──confirm_receipt──▶ completed
//!         │                  └─(cod)─▶ confirmed ─────────────ship──▶ shipped ──collect_cash──────▶ completed
//!         └─decline─▶ cancelled ◀──cancel── (any status before shipped; a shipped cod order that came back)
//!  shipped (prepaid) ──refund (full)──▶ refunded;  completed ──refund──▶ refunded | partially_refunded
//! ```
//!
//! The table in [`transition`] is the only place these rules live; its doc comment lists them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::account::{string_enum, CompanyRole};
use crate::money::{Money, MoneyError};

#[cfg(test)]
mod tests;

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// A company purchaser's checkout above the approval limit: waits for a company admin. Stock is
    /// reserved meanwhile.
    AwaitingApproval,
    /// Prepaid (card, wallet, bank transfer) and not paid yet. Stock is reserved.
    PendingPayment,
    /// Paid into escrow; the seller may ship.
    Paid,
    /// Cash on delivery: accepted unpaid, the seller may ship.
    Confirmed,
    /// On its way to the buyer.
    Shipped,
    /// Received (prepaid) or cash collected (cash on delivery); escrow released to the seller.
    Completed,
    /// Ended before delivery; any payment went back in full and the stock returned.
    Cancelled,
    /// All the money paid went back to the buyer.
    Refunded,
    /// Part of the money paid went back to the buyer.
    PartiallyRefunded,
}

string_enum!(OrderStatus {
    AwaitingApproval = "awaiting_approval",
    PendingPayment = "pending_payment",
    Paid = "paid",
    Confirmed = "confirmed",
    Shipped = "shipped",
    Completed = "completed",
    Cancelled = "cancelled",
    Refunded = "refunded",
    PartiallyRefunded = "partially_refunded",
});

impl OrderStatus {
    /// Nothing moves the order any more. (A completed order is not final: it may be refunded.)
    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Cancelled | OrderStatus::Refunded)
    }

    /// Whether the goods have left the seller (shipped or later, cancelled aside).
    pub fn has_shipped(self) -> bool {
        matches!(
            self,
            OrderStatus::Shipped | OrderStatus::Completed | OrderStatus::Refunded | OrderStatus::PartiallyRefunded
        )
    }
}

/// How the buyer pays. Fixed at checkout; it decides the path an order takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    Wallet,
    BankTransfer,
    /// Cash on delivery: ships unpaid, completes when the cash is recorded.
    Cod,
}

string_enum!(PaymentMethod {
    Card = "card",
    Wallet = "wallet",
    BankTransfer = "bank_transfer",
    Cod = "cod",
});

impl PaymentMethod {
    /// Paid before shipping, into escrow.
    pub fn is_prepaid(self) -> bool {
        self != PaymentMethod::Cod
    }

    /// The status an order right after an approval (or right at checkout, without one) takes.
    fn ready_status(self) -> OrderStatus {
        if self.is_prepaid() {
            OrderStatus::PendingPayment
        } else {
            OrderStatus::Confirmed
        }
    }
}

/// The status a new order starts in: `awaiting_approval` when the company must approve it first,
/// otherwise `confirmed` for cash on delivery and `pending_payment` for the rest.
pub fn initial_status(method: PaymentMethod, needs_approval: bool) -> OrderStatus {
    if needs_approval {
        OrderStatus::AwaitingApproval
    } else {
        method.ready_status()
    }
}

/// Whether a checkout needs a company admin's approval: the buyer is a company member other than
/// an admin, the company set a limit, and the checkout's totals (one per order, which may differ
/// in currency) exceed it. A total in another currency than the limit cannot be compared, so it
/// needs approval too: an unknown amount is never waved through.
pub fn needs_approval(role: Option<CompanyRole>, limit: Option<Money>, totals: &[Money]) -> bool {
    let (Some(role), Some(limit)) = (role, limit) else {
        return false;
    };
    if role == CompanyRole::Admin {
        return false;
    }
    let mut sum: i64 = 0;
    for total in totals {
        if total.currency != limit.currency {
            return true;
        }
        match sum.checked_add(total.minor) {
            Some(s) => sum = s,
            None => return true,
        }
    }
    sum > limit.minor
}

/// Who acts on an order, relative to that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The account that placed the order (for a company, the purchaser).
    Buyer,
    /// An admin of the buying company: may do what the buyer may, and approve or decline.
    CompanyAdmin,
    /// Staff of the shop the order is with.
    Seller,
    /// The platform's staff.
    Operator,
    /// The platform itself: jobs (timeouts, auto-completion) and payment gateway callbacks.
    System,
}

string_enum!(Party {
    Buyer = "buyer",
    CompanyAdmin = "company_admin",
    Seller = "seller",
    Operator = "operator",
    System = "system",
});

/// Whether a refund returns everything that is left or only part of it (see [`refund_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundKind {
    Full,
    Partial,
}

/// Something that happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderAction {
    Approve,
    Decline,
    Pay,
    Ship,
    ConfirmReceipt,
    /// The buyer did not confirm receipt within the configured days.
    AutoComplete,
    /// The cash of a cash-on-delivery order was received.
    CollectCash,
    Cancel,
    Refund(RefundKind),
}

impl OrderAction {
    pub const ALL: [OrderAction; 10] = [
        OrderAction::Approve,
        OrderAction::Decline,
        OrderAction::Pay,
        OrderAction::Ship,
        OrderAction::ConfirmReceipt,
        OrderAction::AutoComplete,
        OrderAction::CollectCash,
        OrderAction::Cancel,
        OrderAction::Refund(RefundKind::Full),
        OrderAction::Refund(RefundKind::Partial),
    ];

    /// The name of the event this action records on the order's timeline.
    pub fn event_name(self) -> &'static str {
        match self {
            OrderAction::Approve => "approved",
            OrderAction::Decline => "declined",
            OrderAction::Pay => "paid",
            OrderAction::Ship => "shipped",
            OrderAction::ConfirmReceipt => "receipt_confirmed",
            OrderAction::AutoComplete => "auto_completed",
            OrderAction::CollectCash => "cash_collected",
            OrderAction::Cancel => "cancelled",
            OrderAction::Refund(RefundKind::Full) => "refunded",
            OrderAction::Refund(RefundKind::Partial) => "partially_refunded",
        }
    }

    /// The action in words, for error messages: "a shipped order cannot be *cancelled*".
    fn verb(self) -> &'static str {
        match self {
            OrderAction::Approve => "approved",
            OrderAction::Decline => "declined",
            OrderAction::Pay => "paid",
            OrderAction::Ship => "shipped",
            OrderAction::ConfirmReceipt => "confirmed as received",
            OrderAction::AutoComplete => "completed automatically",
            OrderAction::CollectCash => "marked as paid in cash",
            OrderAction::Cancel => "cancelled",
            OrderAction::Refund(RefundKind::Full) => "refunded",
            OrderAction::Refund(RefundKind::Partial) => "partially refunded",
        }
    }
}

impl fmt::Display for OrderAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb())
    }
}

/// What the state machine needs to know of an order: its status and how it is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrderState {
    pub status: OrderStatus,
    pub payment: PaymentMethod,
}

/// A move the order's rules do not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IllegalTransition {
    /// Nobody may do this to an order in this status (HTTP 409).
    #[error("an order that is {status} cannot be {action}")]
    Status { status: OrderStatus, action: OrderAction },
    /// Somebody may, but not this party (HTTP 403, or 404 where the order is not theirs to see).
    #[error("the {party} may not have an order {action}")]
    Party { party: Party, action: OrderAction },
}

/// The one place that decides how an order moves. Legal moves, and who may make them:
///
/// | action | from | to | by |
/// |---|---|---|---|
/// | approve | awaiting_approval | pending_payment (prepaid), confirmed (cod) | company admin |
/// | decline | awaiting_approval | cancelled | company admin |
/// | pay | pending_payment | paid | buyer, company admin (wallet), operator (bank transfer received), system (gateway callback) |
/// | ship | paid, confirmed | shipped | seller |
/// | confirm_receipt | shipped (prepaid) | completed | buyer, company admin |
/// | auto_complete | shipped (prepaid) | completed | system |
/// | collect_cash | shipped (cod) | completed | seller, operator |
/// | cancel | awaiting_approval, pending_payment | cancelled | buyer, company admin, seller, operator, system (reservation expired) |
/// | cancel | paid, confirmed | cancelled | buyer, company admin, seller, operator |
/// | cancel | shipped (cod) | cancelled | seller, operator (delivery refused or lost: no money moved) |
/// | refund full | shipped (prepaid) | refunded | seller, operator (e.g. a lost parcel) |
/// | refund full | completed, partially_refunded | refunded | seller, operator |
/// | refund partial | completed, partially_refunded | partially_refunded | seller, operator |
///
/// Choices where shared/API.md is silent: a paid order is cancelled, not refunded, before it ships
/// (cancelling returns the escrowed money in full), so there is one way to undo an unshipped order;
/// a partial refund waits for completion, because a shipped order must still complete and release
/// the rest of its escrow; a cash-on-delivery order completes only when the cash is recorded (never
/// by the buyer's word or a timer), and is refundable only after that. Which statuses allow the
/// action at all is checked first: [`IllegalTransition::Status`] for those, then
/// [`IllegalTransition::Party`] for the wrong party.
pub fn transition(from: OrderState, action: OrderAction, who: Party) -> Result<OrderStatus, IllegalTransition> {
    use OrderAction::*;
    use OrderStatus::*;
    use Party::*;
    let prepaid = from.payment.is_prepaid();
    let (to, parties): (OrderStatus, &[Party]) = match (from.status, action) {
        (AwaitingApproval, Approve) => (from.payment.ready_status(), &[CompanyAdmin]),
        (AwaitingApproval, Decline) => (Cancelled, &[CompanyAdmin]),
        (PendingPayment, Pay) if prepaid => (Paid, &[Buyer, CompanyAdmin, Operator, System]),
        (Paid, Ship) | (Confirmed, Ship) => (Shipped, &[Seller]),
        (Shipped, ConfirmReceipt) if prepaid => (Completed, &[Buyer, CompanyAdmin]),
        (Shipped, AutoComplete) if prepaid => (Completed, &[System]),
        (Shipped, CollectCash) if !prepaid => (Completed, &[Seller, Operator]),
        (AwaitingApproval | PendingPayment, Cancel) => (Cancelled, &[Buyer, CompanyAdmin, Seller, Operator, System]),
        (Paid | Confirmed, Cancel) => (Cancelled, &[Buyer, CompanyAdmin, Seller, Operator]),
        (Shipped, Cancel) if !prepaid => (Cancelled, &[Seller, Operator]),
        (Shipped, Refund(RefundKind::Full)) if prepaid => (Refunded, &[Seller, Operator]),
        (Completed | PartiallyRefunded, Refund(RefundKind::Full)) => (Refunded, &[Seller, Operator]),
        (Completed | PartiallyRefunded, Refund(RefundKind::Partial)) => (PartiallyRefunded, &[Seller, Operator]),
        (status, action) => return Err(IllegalTransition::Status { status, action }),
    };
    if parties.contains(&who) {
        Ok(to)
    } else {
        Err(IllegalTransition::Party { party: who, action })
    }
}

/// Whether a move puts the order's reserved stock back: a cancellation (goods never left, or a
/// cash-on-delivery parcel came back). Refunds do not: returned goods are checked by the seller
/// before they are sold again.
pub fn returns_stock(from: OrderStatus, to: OrderStatus) -> bool {
    to == OrderStatus::Cancelled && from != OrderStatus::Cancelled
}

/// Why a refund amount is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("a refund must be more than zero")]
    NotPositive,
    #[error("at most {0} is left to refund")]
    ExceedsPaid(Money),
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Checks a refund of `amount` on an order that was paid `paid` and has had `refunded_before` back
/// already: more than zero, in the order's currency, never more than what is left. Returning all
/// that is left is a full refund, anything less a partial one.
pub fn refund_kind(paid: Money, refunded_before: Money, amount: Money) -> Result<RefundKind, RefundError> {
    let left = paid.checked_sub(refunded_before)?;
    let after = left.checked_sub(amount)?;
    if amount.minor <= 0 {
        return Err(RefundError::NotPositive);
    }
    match after.minor {
        m if m < 0 => Err(RefundError::ExceedsPaid(left)),
        0 => Ok(RefundKind::Full),
        _ => Ok(RefundKind::Partial),
    }
}

/// How many days after shipping an order the buyer has not confirmed completes by itself.
pub const DEFAULT_AUTO_COMPLETE_DAYS: u32 = 10;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// When a prepaid order shipped at `shipped_at_ms` completes automatically.
pub fn auto_complete_at(shipped_at_ms: i64, days: u32) -> i64 {
    shipped_at_ms.saturating_add(i64::from(days).saturating_mul(DAY_MS))
}

/// How long an order may hold its stock while it waits for something (all in milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationPolicy {
    /// Waiting for a card or wallet payment (the buyer is at the checkout).
    pub online_payment_ms: i64,
    /// Waiting for a bank transfer, which takes days.
    pub bank_transfer_ms: i64,
    /// Waiting for a company admin's approval.
    pub approval_ms: i64,
}

impl Default for ReservationPolicy {
    /// 30 minutes for card and wallet, 7 days for bank transfers and approvals.
    fn default() -> Self {
        Self {
            online_payment_ms: 30 * 60 * 1000,
            bank_transfer_ms: 7 * DAY_MS,
            approval_ms: 7 * DAY_MS,
        }
    }
}

impl ReservationPolicy {
    /// When an order that entered its current status at `since_ms` gives up its reservation (and
    /// the system cancels it), or `None` when it is not waiting on anyone (cash on delivery,
    /// paid, shipped, over).
    pub fn expires_at(&self, state: OrderState, since_ms: i64) -> Option<i64> {
        let wait = match (state.status, state.payment) {
            (OrderStatus::AwaitingApproval, _) => self.approval_ms,
            (OrderStatus::PendingPayment, PaymentMethod::BankTransfer) => self.bank_transfer_ms,
            (OrderStatus::PendingPayment, PaymentMethod::Card | PaymentMethod::Wallet) => self.online_payment_ms,
            _ => return None,
        };
        Some(since_ms.saturating_add(wait))
    }
}
