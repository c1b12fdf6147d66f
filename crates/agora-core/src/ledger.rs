//! The double-entry ledger's rules: the accounts value sits in, the one shape of a movement of
//! value (a [`LedgerTransaction`] of postings), and the functions that build the postings of each
//! business movement ([`rules`]). No IO: `agora-store::ledger` writes what these build.
//!
//! ## Sign convention
//! An account's balance is the sum of its postings. A **positive** posting puts value **into** the
//! account, a **negative** one takes value **out**. Every transaction's postings sum to zero in
//! each currency, so value only ever moves, it is never made or lost.
//!
//! Accounts that hold value for somebody (a buyer's wallet, a shop's balances, an order's escrow)
//! are *user-owned*: their balance never goes below zero. The platform's accounts face the outside
//! world and may go negative: `gateway_clearing` at −50.00 means the card gateway collected 50.00
//! for us that it has not paid out to the platform's bank yet; `bank_clearing` at −50.00 means
//! 50.00 arrived on the platform's bank account.
//!
//! ## Tax
//! Sellers are the merchants of record and remit their own VAT: the tax of an order is part of
//! what is released to the seller, and the platform posts nothing to `tax_payable` by default.
//! The account exists for the regimes in which a marketplace must collect tax itself; a rule that
//! uses it posts the tax share of a release there instead of to the seller.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::account::string_enum;
use crate::money::{Currency, Money, MoneyError};

pub mod rules;
pub mod seller;
#[cfg(test)]
mod tests;

/// The largest amount one posting may carry: 10^15 minor units (ten trillion euros). Far above
/// any real payment, and far enough below `i64::MAX` that no sum of a transaction's postings and
/// no stored balance can overflow in practice (the store still checks).
pub const MAX_POSTING: i64 = 1_000_000_000_000_000;

/// Who an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnerKind {
    /// A person's or company's account (`acc_…`).
    Account,
    /// A shop (`shp_…`).
    Shop,
    /// An order (`ord_…`): its escrow.
    Order,
    /// A payment (`pay_…`), or a bank statement line that matched none (`stl_…`): money received
    /// that could not be applied yet.
    Payment,
    /// The platform itself; the owner id is [`PLATFORM`].
    Platform,
}

string_enum!(OwnerKind {
    Account = "account",
    Shop = "shop",
    Order = "order",
    Payment = "payment",
    Platform = "platform",
});

/// The owner id of the platform's own accounts.
pub const PLATFORM: &str = "platform";

/// The kinds of ledger account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// A buyer's wallet: money they may spend at once.
    WalletAvailable,
    /// A buyer's wallet: money set aside for something not settled yet.
    WalletHeld,
    /// A shop's money not yet released to it (besides what sits in its orders' escrow).
    SellerPending,
    /// A shop's money it may have paid out.
    SellerAvailable,
    /// What the buyer paid for one order, held by the platform until release or refund.
    OrderEscrow,
    /// The platform's commission earned.
    PlatformFees,
    /// Tax the platform collected and owes to tax authorities (unused by default: see the module).
    TaxPayable,
    /// The card gateway's side: money it collected for the platform (negative) or must give back.
    GatewayClearing,
    /// The platform's bank account: money received by bank transfer (negative) or sent out.
    BankClearing,
    /// A bank transfer received for a payment whose amount did not match, or one on an imported
    /// statement whose reference matched no payment (owned by the statement line): held for review.
    BankSuspense,
    /// Cash collected by a shop on delivery that it owes the platform's commission on.
    CodReceivable,
    /// Payouts sent to a shop's bank account and not yet confirmed arrived.
    PayoutsInTransit,
}

string_enum!(AccountKind {
    WalletAvailable = "wallet_available",
    WalletHeld = "wallet_held",
    SellerPending = "seller_pending",
    SellerAvailable = "seller_available",
    OrderEscrow = "order_escrow",
    PlatformFees = "platform_fees",
    TaxPayable = "tax_payable",
    GatewayClearing = "gateway_clearing",
    BankClearing = "bank_clearing",
    BankSuspense = "bank_suspense",
    CodReceivable = "cod_receivable",
    PayoutsInTransit = "payouts_in_transit",
});

impl AccountKind {
    /// Whose accounts of this kind are.
    pub fn owner_kind(self) -> OwnerKind {
        use AccountKind::*;
        match self {
            WalletAvailable | WalletHeld => OwnerKind::Account,
            SellerPending | SellerAvailable | CodReceivable | PayoutsInTransit => OwnerKind::Shop,
            OrderEscrow => OwnerKind::Order,
            BankSuspense => OwnerKind::Payment,
            PlatformFees | TaxPayable | GatewayClearing | BankClearing => OwnerKind::Platform,
        }
    }

    /// Whether the account holds value for somebody, so that its balance never goes below zero.
    pub fn is_user_owned(self) -> bool {
        use AccountKind::*;
        matches!(
            self,
            WalletAvailable | WalletHeld | SellerPending | SellerAvailable | OrderEscrow | BankSuspense
        )
    }
}

/// One account: its kind, its owner and its currency (each currency is a separate account).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountRef {
    pub kind: AccountKind,
    /// The owner's id, [`PLATFORM`] for the platform's accounts.
    pub owner_id: String,
    pub currency: Currency,
}

impl AccountRef {
    pub fn new(kind: AccountKind, owner_id: &str, currency: Currency) -> Self {
        Self {
            kind,
            owner_id: owner_id.to_owned(),
            currency,
        }
    }

    /// One of the platform's accounts.
    pub fn platform(kind: AccountKind, currency: Currency) -> Self {
        Self::new(kind, PLATFORM, currency)
    }

    /// The stable id of the account: `kind:owner:currency`, e.g. `order_escrow:ord_1f…:EUR`.
    pub fn id(&self) -> String {
        format!("{}:{}:{}", self.kind.as_str(), self.owner_id, self.currency.code())
    }

    /// Reads an id written by [`AccountRef::id`].
    pub fn parse_id(id: &str) -> Result<Self, String> {
        let mut parts = id.splitn(3, ':');
        let (Some(kind), Some(owner), Some(cur)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("{id:?} is not a ledger account id"));
        };
        Ok(Self::new(kind.parse()?, owner, Currency::parse(cur)?))
    }
}

impl fmt::Display for AccountRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// Why a movement was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxKind {
    /// Money came into a wallet from outside (card or bank transfer).
    TopUp,
    /// A wallet paid orders: wallet → escrow.
    WalletPayment,
    /// Money for orders arrived from the card gateway or a bank transfer: clearing → escrow.
    PaymentReceived,
    /// A bank transfer that did not match its payment: bank clearing → suspense.
    SuspenseReceived,
    /// Suspense applied to its payment (escrow or wallet) or given to the payer's wallet.
    SuspenseResolved,
    /// An order completed: escrow → seller (less the fee → platform fees).
    EscrowReleased,
    /// An order was cancelled after payment: escrow → back the way the money came.
    EscrowRefunded,
    /// A refund after completion (refunds engineer).
    Refund,
    /// A payout to a shop's bank account (payouts engineer).
    Payout,
    /// Cash collected on delivery (cash-on-delivery engineer).
    CashCollected,
    /// A correction: the reverse of an earlier transaction.
    Reversal,
}

string_enum!(TxKind {
    TopUp = "top_up",
    WalletPayment = "wallet_payment",
    PaymentReceived = "payment_received",
    SuspenseReceived = "suspense_received",
    SuspenseResolved = "suspense_resolved",
    EscrowReleased = "escrow_released",
    EscrowRefunded = "escrow_refunded",
    Refund = "refund",
    Payout = "payout",
    CashCollected = "cash_collected",
    Reversal = "reversal",
});

/// One line of a transaction: an amount into (positive) or out of (negative) an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: AccountRef,
    /// In the account's currency.
    pub amount: i64,
}

impl Posting {
    pub fn money(&self) -> Money {
        Money::new(self.amount, self.account.currency)
    }
}

/// A transaction the ledger refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a ledger transaction needs at least two postings")]
    TooFewPostings,
    #[error("a posting of zero to {0} moves nothing")]
    ZeroPosting(String),
    #[error("a posting of {0} is larger than the ledger accepts")]
    TooLarge(i64),
    #[error("the postings in {currency} sum to {sum}, not zero")]
    Unbalanced { currency: &'static str, sum: i64 },
    #[error("amounts out of range")]
    Overflow,
    #[error("{0} must be more than zero")]
    NotPositive(&'static str),
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(&'static str, &'static str),
    #[error("the fee {fee} is more than the amount {amount}")]
    FeeAboveAmount { fee: Money, amount: Money },
}

impl From<MoneyError> for LedgerError {
    fn from(err: MoneyError) -> Self {
        match err {
            MoneyError::Overflow => LedgerError::Overflow,
            MoneyError::CurrencyMismatch(a, b) => LedgerError::CurrencyMismatch(a, b),
        }
    }
}

/// A balanced set of postings, built by [`LedgerTransaction::builder`] (or a [`rules`] function):
/// at least two postings, none zero, none beyond [`MAX_POSTING`], summing to zero per currency.
/// Two postings to one account are allowed (the store nets them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerTransaction {
    kind: TxKind,
    /// What caused it: an order, payment, refund or payout id.
    reference: String,
    postings: Vec<Posting>,
}

impl LedgerTransaction {
    pub fn builder(kind: TxKind, reference: &str) -> TransactionBuilder {
        TransactionBuilder {
            kind,
            reference: reference.to_owned(),
            postings: Vec::new(),
        }
    }

    pub fn kind(&self) -> TxKind {
        self.kind
    }

    pub fn reference(&self) -> &str {
        &self.reference
    }

    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }

    /// The net change of each account the transaction touches, in the accounts' id order (the
    /// order in which the store locks them, so two transactions never wait for each other in a
    /// circle).
    pub fn net_by_account(&self) -> Vec<(AccountRef, i64)> {
        let mut net: BTreeMap<String, (AccountRef, i64)> = BTreeMap::new();
        for p in &self.postings {
            // Cannot overflow: every posting is within MAX_POSTING and there are few of them.
            let entry = net.entry(p.account.id()).or_insert_with(|| (p.account.clone(), 0));
            entry.1 = entry.1.saturating_add(p.amount);
        }
        net.into_values().collect()
    }

    /// The transaction that undoes this one: every posting with its sign turned.
    pub fn reversal(&self, reference: &str) -> LedgerTransaction {
        LedgerTransaction {
            kind: TxKind::Reversal,
            reference: reference.to_owned(),
            postings: self
                .postings
                .iter()
                .map(|p| Posting {
                    account: p.account.clone(),
                    amount: -p.amount,
                })
                .collect(),
        }
    }
}

/// Collects postings; [`TransactionBuilder::build`] checks them.
#[derive(Debug, Clone)]
pub struct TransactionBuilder {
    kind: TxKind,
    reference: String,
    postings: Vec<Posting>,
}

impl TransactionBuilder {
    /// Adds `amount` (positive: into the account; negative: out of it). The amount's currency is
    /// the account's.
    pub fn post(mut self, kind: AccountKind, owner_id: &str, amount: Money) -> Self {
        self.postings.push(Posting {
            account: AccountRef::new(kind, owner_id, amount.currency),
            amount: amount.minor,
        });
        self
    }

    /// Moves `amount` out of `from` into `to`.
    pub fn transfer(self, from: (AccountKind, &str), to: (AccountKind, &str), amount: Money) -> Self {
        let out = Money::new(amount.minor.checked_neg().unwrap_or(i64::MAX), amount.currency);
        self.post(from.0, from.1, out).post(to.0, to.1, amount)
    }

    pub fn build(self) -> Result<LedgerTransaction, LedgerError> {
        if self.postings.len() < 2 {
            return Err(LedgerError::TooFewPostings);
        }
        let mut sums: BTreeMap<&'static str, i64> = BTreeMap::new();
        for p in &self.postings {
            if p.amount == 0 {
                return Err(LedgerError::ZeroPosting(p.account.id()));
            }
            if p.amount.checked_abs().is_none_or(|a| a > MAX_POSTING) {
                return Err(LedgerError::TooLarge(p.amount));
            }
            let sum = sums.entry(p.account.currency.code()).or_insert(0);
            *sum = sum.checked_add(p.amount).ok_or(LedgerError::Overflow)?;
        }
        if let Some((currency, sum)) = sums.into_iter().find(|(_, s)| *s != 0) {
            return Err(LedgerError::Unbalanced { currency, sum });
        }
        Ok(LedgerTransaction {
            kind: self.kind,
            reference: self.reference,
            postings: self.postings,
        })
    }
}

impl FromStr for AccountRef {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        AccountRef::parse_id(s)
    }
}
