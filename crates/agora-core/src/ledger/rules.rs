//! The postings of each business movement. Every function checks its amounts (more than zero,
//! one currency, no overflow) and returns a balanced [`LedgerTransaction`]; the caller posts it
//! in the same database transaction as the business change that caused it.
//!
//! | movement | from | to |
//! |---|---|---|
//! | [`top_up`] | gateway or bank clearing | buyer's wallet |
//! | [`pay_from_wallet`] | buyer's wallet | each order's escrow |
//! | [`payment_received`] | gateway or bank clearing (and any suspense already held) | each order's escrow, or the wallet for a top-up |
//! | [`to_suspense`] | bank clearing | the payment's suspense |
//! | [`suspense_to_wallet`] | the payment's suspense | the payer's wallet |
//! | [`line_to_payment`] | an unmatched statement line's suspense | the payment's suspense |
//! | [`release_escrow`] | the order's escrow | the shop's available balance, the fee to platform fees |
//! | [`refund_escrow`] | the order's escrow | back where the money came from |

use super::{AccountKind, LedgerError, LedgerTransaction, TxKind, PLATFORM};
use crate::money::Money;

/// Where money from outside the ledger comes in (or goes back out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum External {
    /// The card gateway.
    Gateway,
    /// The platform's bank account (bank transfers).
    Bank,
}

impl External {
    fn account(self) -> AccountKind {
        match self {
            External::Gateway => AccountKind::GatewayClearing,
            External::Bank => AccountKind::BankClearing,
        }
    }
}

/// What a payment pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination<'a> {
    /// The orders of a checkout: `(order id, amount)` into each order's escrow.
    Orders(&'a [(String, Money)]),
    /// A top-up of this account's wallet.
    Wallet(&'a str),
    /// Orders' escrow, and what is left (`rest`, more than zero) to this account's wallet: a
    /// payment that arrived after some of its orders were cancelled.
    Split {
        orders: &'a [(String, Money)],
        wallet: &'a str,
        rest: Money,
    },
}

/// Where escrowed money goes back to when an order is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundRoute<'a> {
    /// Into this account's wallet (wallet payments, and bank transfers: the platform does not send
    /// money back to a bank account on its own; the buyer may spend it or have it paid out).
    Wallet(&'a str),
    /// Back to the card through the gateway: the gateway clearing account, whose refund call the
    /// `gateway_refund` job makes.
    Gateway,
}

fn positive(what: &'static str, amount: Money) -> Result<(), LedgerError> {
    if amount.minor <= 0 {
        return Err(LedgerError::NotPositive(what));
    }
    Ok(())
}

fn sum(amounts: impl IntoIterator<Item = Money>, first: Money) -> Result<Money, LedgerError> {
    let mut total = Money::zero(first.currency);
    for a in amounts {
        total = total.checked_add(a)?;
    }
    Ok(total)
}

fn same_currency(a: Money, b: Money) -> Result<(), LedgerError> {
    if a.currency != b.currency {
        return Err(LedgerError::CurrencyMismatch(a.currency.code(), b.currency.code()));
    }
    Ok(())
}

fn negated(amount: Money) -> Result<Money, LedgerError> {
    Ok(Money::new(
        amount.minor.checked_neg().ok_or(LedgerError::Overflow)?,
        amount.currency,
    ))
}

fn credit_destination(
    mut b: super::TransactionBuilder,
    dest: Destination<'_>,
    amount: Money,
) -> Result<super::TransactionBuilder, LedgerError> {
    match dest {
        Destination::Wallet(account) => Ok(b.post(AccountKind::WalletAvailable, account, amount)),
        Destination::Split { orders, wallet, rest } => {
            positive("the rest", rest)?;
            same_currency(amount, rest)?;
            b = b.post(AccountKind::WalletAvailable, wallet, rest);
            for (order, share) in orders {
                positive("an order's amount", *share)?;
                same_currency(amount, *share)?;
                b = b.post(AccountKind::OrderEscrow, order, *share);
            }
            Ok(b)
        }
        Destination::Orders(orders) => {
            if orders.is_empty() {
                return Err(LedgerError::TooFewPostings);
            }
            for (order, share) in orders {
                positive("an order's amount", *share)?;
                same_currency(amount, *share)?;
                b = b.post(AccountKind::OrderEscrow, order, *share);
            }
            Ok(b)
        }
    }
}

/// The total a destination takes: the orders' amounts (checked for overflow), or `None` for a
/// wallet, which takes whatever comes.
pub fn destination_total(dest: Destination<'_>) -> Result<Option<Money>, LedgerError> {
    match dest {
        Destination::Wallet(_) | Destination::Split { .. } => Ok(None),
        Destination::Orders(orders) => {
            let first = orders.first().ok_or(LedgerError::TooFewPostings)?.1;
            Ok(Some(sum(orders.iter().map(|(_, m)| *m), first)?))
        }
    }
}

/// Money came into `account`'s wallet from outside (a card top-up, a bank transfer).
pub fn top_up(
    payment_id: &str,
    account: &str,
    amount: Money,
    from: External,
) -> Result<LedgerTransaction, LedgerError> {
    positive("a top-up", amount)?;
    LedgerTransaction::builder(TxKind::TopUp, payment_id)
        .transfer(
            (from.account(), PLATFORM),
            (AccountKind::WalletAvailable, account),
            amount,
        )
        .build()
}

/// `payer`'s wallet pays the orders of a checkout at once: wallet → each order's escrow. The
/// store refuses it (insufficient funds) when the wallet holds less than the sum.
pub fn pay_from_wallet(
    payment_id: &str,
    payer: &str,
    orders: &[(String, Money)],
) -> Result<LedgerTransaction, LedgerError> {
    let total = destination_total(Destination::Orders(orders))?.ok_or(LedgerError::TooFewPostings)?;
    positive("a payment", total)?;
    let b = LedgerTransaction::builder(TxKind::WalletPayment, payment_id).post(
        AccountKind::WalletAvailable,
        payer,
        negated(total)?,
    );
    credit_destination(b, Destination::Orders(orders), total)?.build()
}

/// Money for a payment arrived from `from`: `received` now, plus `held` that an earlier transfer
/// for the same payment left in suspense (zero for none). All of it goes to `dest`. For orders,
/// `received + held` must equal the orders' total (the caller decides what matches; a mismatch
/// is refused here as unbalanced).
pub fn payment_received(
    payment_id: &str,
    from: External,
    received: Money,
    held: Money,
    dest: Destination<'_>,
) -> Result<LedgerTransaction, LedgerError> {
    same_currency(received, held)?;
    if received.minor < 0 || held.minor < 0 {
        return Err(LedgerError::NotPositive("a received amount"));
    }
    let total = received.checked_add(held)?;
    positive("a payment", total)?;
    let kind = match dest {
        Destination::Wallet(_) => TxKind::TopUp,
        Destination::Orders(_) | Destination::Split { .. } => TxKind::PaymentReceived,
    };
    let mut b = LedgerTransaction::builder(kind, payment_id);
    if received.minor > 0 {
        b = b.post(from.account(), PLATFORM, negated(received)?);
    }
    if held.minor > 0 {
        b = b.post(AccountKind::BankSuspense, payment_id, negated(held)?);
    }
    credit_destination(b, dest, total)?.build()
}

/// A bank transfer for a payment whose amount does not match: it waits in the payment's suspense
/// account for the rest to arrive or an operator to resolve it.
pub fn to_suspense(payment_id: &str, received: Money) -> Result<LedgerTransaction, LedgerError> {
    positive("a received amount", received)?;
    LedgerTransaction::builder(TxKind::SuspenseReceived, payment_id)
        .transfer(
            (AccountKind::BankClearing, PLATFORM),
            (AccountKind::BankSuspense, payment_id),
            received,
        )
        .build()
}

/// An operator gives what a payment's suspense holds to the payer's wallet.
pub fn suspense_to_wallet(payment_id: &str, payer: &str, amount: Money) -> Result<LedgerTransaction, LedgerError> {
    positive("the amount", amount)?;
    LedgerTransaction::builder(TxKind::SuspenseResolved, payment_id)
        .transfer(
            (AccountKind::BankSuspense, payment_id),
            (AccountKind::WalletAvailable, payer),
            amount,
        )
        .build()
}

/// An operator matches a bank statement line that matched no payment to its payment: what the
/// line's suspense holds moves to the payment's suspense (from where it settles the payment).
pub fn line_to_payment(line_id: &str, payment_id: &str, amount: Money) -> Result<LedgerTransaction, LedgerError> {
    positive("the amount", amount)?;
    LedgerTransaction::builder(TxKind::SuspenseResolved, line_id)
        .transfer(
            (AccountKind::BankSuspense, line_id),
            (AccountKind::BankSuspense, payment_id),
            amount,
        )
        .build()
}

/// An order completed: its escrow `amount` goes to the shop's available balance, less `fee`,
/// which goes to the platform's fees. A zero fee posts nothing to the fees; a fee equal to the
/// amount posts nothing to the shop.
pub fn release_escrow(
    order_id: &str,
    shop_id: &str,
    amount: Money,
    fee: Money,
) -> Result<LedgerTransaction, LedgerError> {
    positive("the released amount", amount)?;
    same_currency(amount, fee)?;
    if fee.minor < 0 {
        return Err(LedgerError::NotPositive("the fee"));
    }
    if fee.minor > amount.minor {
        return Err(LedgerError::FeeAboveAmount { fee, amount });
    }
    let net = amount.checked_sub(fee)?;
    let mut b = LedgerTransaction::builder(TxKind::EscrowReleased, order_id).post(
        AccountKind::OrderEscrow,
        order_id,
        negated(amount)?,
    );
    if net.minor > 0 {
        b = b.post(AccountKind::SellerAvailable, shop_id, net);
    }
    if fee.minor > 0 {
        b = b.post(AccountKind::PlatformFees, PLATFORM, fee);
    }
    b.build()
}

/// An order is cancelled after it was paid: its escrow goes back by `route`.
pub fn refund_escrow(order_id: &str, amount: Money, route: RefundRoute<'_>) -> Result<LedgerTransaction, LedgerError> {
    positive("the refunded amount", amount)?;
    let to = match route {
        RefundRoute::Wallet(account) => (AccountKind::WalletAvailable, account),
        RefundRoute::Gateway => (AccountKind::GatewayClearing, PLATFORM),
    };
    LedgerTransaction::builder(TxKind::EscrowRefunded, order_id)
        .transfer((AccountKind::OrderEscrow, order_id), to, amount)
        .build()
}
