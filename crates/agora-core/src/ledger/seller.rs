//! The postings of money that leaves a shop or comes back to a buyer after an order: refunds,
//! cash on delivery's commission, and payouts.
//!
//! | movement | from | to |
//! |---|---|---|
//! | [`refund`] before release | the order's escrow | the buyer's wallet, or gateway clearing (card) |
//! | [`refund`] after release | the shop's available balance, and the commission's share from platform fees | the buyer's wallet, or gateway clearing |
//! | [`cash_collected`] | the shop's cash-on-delivery receivable (it owes the commission) | platform fees |
//! | [`payout_requested`] | the shop's available balance | payouts in transit, and what it owes to its receivable |
//! | [`payout_sent`] | payouts in transit | the platform's bank (money left it) |
//! | [`payout_failed`] | payouts in transit | the shop's available balance |
//!
//! The receivable: `cod_receivable` is a platform-side account owned by the shop (never
//! user-owned), so it may go below zero. Its balance at −1.50 means the shop owes the platform
//! 1.50 of commission on cash it collected. The shop's own balances never go below zero; the next
//! payout settles what is owed out of the available balance.

use super::rules::RefundRoute;
use super::{AccountKind, LedgerError, LedgerTransaction, TxKind, PLATFORM};
use crate::money::Money;

/// Where a refund's money comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundSource<'a> {
    /// The order's escrow still holds it (shipped, not released yet).
    Escrow { order_id: &'a str },
    /// It was released (or collected in cash): from the shop's available balance, with
    /// `fee_back` of the platform's commission given back from platform fees.
    Shop { shop_id: &'a str, fee_back: Money },
}

fn positive(what: &'static str, amount: Money) -> Result<(), LedgerError> {
    if amount.minor <= 0 {
        return Err(LedgerError::NotPositive(what));
    }
    Ok(())
}

fn neg(m: Money) -> Result<Money, LedgerError> {
    Ok(Money::new(
        m.minor.checked_neg().ok_or(LedgerError::Overflow)?,
        m.currency,
    ))
}

/// A refund `refund_id` of `amount` from `source`, back along `route`.
pub fn refund(
    refund_id: &str,
    source: RefundSource<'_>,
    amount: Money,
    route: RefundRoute<'_>,
) -> Result<LedgerTransaction, LedgerError> {
    positive("the refund", amount)?;
    let mut b = LedgerTransaction::builder(TxKind::Refund, refund_id);
    b = match route {
        RefundRoute::Wallet(account) => b.post(AccountKind::WalletAvailable, account, amount),
        RefundRoute::Gateway => b.post(AccountKind::GatewayClearing, PLATFORM, amount),
    };
    match source {
        RefundSource::Escrow { order_id } => b = b.post(AccountKind::OrderEscrow, order_id, neg(amount)?),
        RefundSource::Shop { shop_id, fee_back } => {
            if fee_back.currency != amount.currency {
                return Err(LedgerError::CurrencyMismatch(
                    fee_back.currency.code(),
                    amount.currency.code(),
                ));
            }
            if fee_back.minor < 0 || fee_back.minor > amount.minor {
                return Err(LedgerError::FeeAboveAmount { fee: fee_back, amount });
            }
            let from_shop = amount.checked_sub(fee_back)?;
            if from_shop.minor > 0 {
                b = b.post(AccountKind::SellerAvailable, shop_id, neg(from_shop)?);
            }
            if fee_back.minor > 0 {
                b = b.post(AccountKind::PlatformFees, PLATFORM, neg(fee_back)?);
            }
        }
    }
    b.build()
}

/// A shop collected a cash-on-delivery order's money: it owes the platform `fee` of commission,
/// booked on its receivable. `None` when the fee is zero (nothing moves).
pub fn cash_collected(order_id: &str, shop_id: &str, fee: Money) -> Result<Option<LedgerTransaction>, LedgerError> {
    if fee.minor < 0 {
        return Err(LedgerError::NotPositive("the fee"));
    }
    if fee.minor == 0 {
        return Ok(None);
    }
    LedgerTransaction::builder(TxKind::CashCollected, order_id)
        .transfer(
            (AccountKind::CodReceivable, shop_id),
            (AccountKind::PlatformFees, PLATFORM),
            fee,
        )
        .build()
        .map(Some)
}

/// A shop asks for a payout of `amount`: it leaves the available balance for payouts in transit,
/// and the commission the shop owes (`owed`, zero or more) leaves with it to settle the
/// receivable. The store refuses it when the available balance is short of both.
pub fn payout_requested(
    payout_id: &str,
    shop_id: &str,
    amount: Money,
    owed: Money,
) -> Result<LedgerTransaction, LedgerError> {
    positive("the payout", amount)?;
    if owed.minor < 0 {
        return Err(LedgerError::NotPositive("what is owed"));
    }
    let total = amount.checked_add(owed)?;
    let mut b = LedgerTransaction::builder(TxKind::Payout, payout_id)
        .post(AccountKind::SellerAvailable, shop_id, neg(total)?)
        .post(AccountKind::PayoutsInTransit, shop_id, amount);
    if owed.minor > 0 {
        b = b.post(AccountKind::CodReceivable, shop_id, owed);
    }
    b.build()
}

/// An operator sent a payout: the money left the platform's bank account.
pub fn payout_sent(payout_id: &str, shop_id: &str, amount: Money) -> Result<LedgerTransaction, LedgerError> {
    positive("the payout", amount)?;
    LedgerTransaction::builder(TxKind::Payout, payout_id)
        .transfer(
            (AccountKind::PayoutsInTransit, shop_id),
            (AccountKind::BankClearing, PLATFORM),
            amount,
        )
        .build()
}

/// A payout failed: its amount goes back to the shop's available balance (what it settled of the
/// receivable stays settled).
pub fn payout_failed(payout_id: &str, shop_id: &str, amount: Money) -> Result<LedgerTransaction, LedgerError> {
    positive("the payout", amount)?;
    LedgerTransaction::builder(TxKind::Reversal, payout_id)
        .transfer(
            (AccountKind::PayoutsInTransit, shop_id),
            (AccountKind::SellerAvailable, shop_id),
            amount,
        )
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn eur(m: i64) -> Money {
        Money::new(m, Currency::EUR)
    }

    fn net(tx: &LedgerTransaction, id: &str) -> i64 {
        tx.net_by_account()
            .into_iter()
            .find(|(a, _)| a.id() == id)
            .map_or(0, |(_, n)| n)
    }

    #[test]
    fn a_refund_after_release_takes_the_fee_share_from_platform_fees() {
        let tx = refund(
            "rfd_1",
            RefundSource::Shop {
                shop_id: "shp_1",
                fee_back: eur(50),
            },
            eur(1000),
            RefundRoute::Wallet("acc_b"),
        )
        .unwrap();
        assert_eq!(net(&tx, "seller_available:shp_1:EUR"), -950);
        assert_eq!(net(&tx, "platform_fees:platform:EUR"), -50);
        assert_eq!(net(&tx, "wallet_available:acc_b:EUR"), 1000);
        let tx = refund(
            "rfd_2",
            RefundSource::Escrow { order_id: "ord_1" },
            eur(10),
            RefundRoute::Gateway,
        )
        .unwrap();
        assert_eq!(net(&tx, "order_escrow:ord_1:EUR"), -10);
        assert_eq!(net(&tx, "gateway_clearing:platform:EUR"), 10);
        assert!(refund(
            "r",
            RefundSource::Escrow { order_id: "o" },
            eur(0),
            RefundRoute::Gateway
        )
        .is_err());
        assert!(refund(
            "r",
            RefundSource::Escrow { order_id: "o" },
            eur(-5),
            RefundRoute::Gateway
        )
        .is_err());
        let usd = Money::new(5, Currency::parse("USD").unwrap());
        assert!(refund(
            "r",
            RefundSource::Shop {
                shop_id: "s",
                fee_back: usd
            },
            eur(10),
            RefundRoute::Gateway
        )
        .is_err());
    }

    #[test]
    fn a_payout_settles_what_the_shop_owes() {
        let tx = payout_requested("po_1", "shp_1", eur(1000), eur(30)).unwrap();
        assert_eq!(net(&tx, "seller_available:shp_1:EUR"), -1030);
        assert_eq!(net(&tx, "payouts_in_transit:shp_1:EUR"), 1000);
        assert_eq!(net(&tx, "cod_receivable:shp_1:EUR"), 30);
        let tx = payout_requested("po_1", "shp_1", eur(1000), eur(0)).unwrap();
        assert_eq!(tx.postings().len(), 2);
        assert_eq!(
            net(
                &payout_sent("po_1", "shp_1", eur(1000)).unwrap(),
                "bank_clearing:platform:EUR"
            ),
            1000
        );
        assert_eq!(
            net(
                &payout_failed("po_1", "shp_1", eur(1000)).unwrap(),
                "seller_available:shp_1:EUR"
            ),
            1000
        );
        assert!(cash_collected("ord_1", "shp_1", eur(0)).unwrap().is_none());
        let tx = cash_collected("ord_1", "shp_1", eur(25)).unwrap().unwrap();
        assert_eq!(net(&tx, "cod_receivable:shp_1:EUR"), -25);
    }
}
