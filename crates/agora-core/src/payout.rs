//! Money going back out: shops' payouts to their bank accounts, refunds to buyers, and the
//! platform's commission. No IO.
//!
//! - [`Iban`]: a bank account number checked by its ISO 13616 checksum (mod 97).
//! - [`PayoutStatus`]: `requested` → `sent` | `failed`, nothing else.
//! - [`effective_rate`] and [`commission`]: the fee of an order whose lines may carry different
//!   commission rates, rounded once, half up.
//! - [`fee_back`]: the share of its commission the platform gives back with a refund.
//! - [`payable`]: what a shop may have paid out: its available balance less the commission it
//!   owes on cash-on-delivery orders.

use std::fmt;

use crate::account::{string_enum, CompanyRole};
use crate::money::{Money, MoneyError};
use crate::rate::{div_half_up, BasisPoints};
use std::str::FromStr;

/// An IBAN, normalised (upper case, no spaces) and checked: country code, check digits, length
/// between 15 and 34, letters and digits only, and the mod-97 checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iban(String);

impl Iban {
    pub fn parse(text: &str) -> Result<Iban, String> {
        let s: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("may hold only letters and digits".into());
        }
        if !(15..=34).contains(&s.len()) {
            return Err("must be 15 to 34 characters long".into());
        }
        let b = s.as_bytes();
        if !b[0].is_ascii_alphabetic()
            || !b[1].is_ascii_alphabetic()
            || !b[2].is_ascii_digit()
            || !b[3].is_ascii_digit()
        {
            return Err("must start with a country code and two check digits, like DE89".into());
        }
        // Move the first four characters to the end, letters become 10..35, the number mod 97 is 1.
        let mut rem: u32 = 0;
        for c in s[4..].chars().chain(s[..4].chars()) {
            let v = c.to_digit(36).ok_or("may hold only letters and digits")?;
            rem = if v >= 10 {
                (rem * 100 + v) % 97
            } else {
                (rem * 10 + v) % 97
            };
        }
        if rem != 1 {
            return Err("is not a valid IBAN (its check digits do not match)".into());
        }
        Ok(Iban(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The IBAN with its last four characters shown and the rest hidden, for lists.
    pub fn masked(iban: &str) -> String {
        let n = iban.chars().count();
        let tail: String = iban.chars().skip(n.saturating_sub(4)).collect();
        format!("{}…{tail}", iban.chars().take(2).collect::<String>())
    }
}

impl fmt::Display for Iban {
    /// In groups of four, as printed on statements.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups: Vec<String> = self
            .0
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        f.write_str(&groups.join(" "))
    }
}

/// A BIC: 8 or 11 letters and digits (bank, country, location, optional branch).
pub fn parse_bic(text: &str) -> Result<String, String> {
    let s = text.trim().to_ascii_uppercase();
    let b = s.as_bytes();
    if !(s.len() == 8 || s.len() == 11)
        || !b.iter().all(|c| c.is_ascii_alphanumeric())
        || !b[..6].iter().all(|c| c.is_ascii_alphabetic())
    {
        return Err("must be 8 or 11 letters and digits, like COBADEFFXXX".into());
    }
    Ok(s)
}

/// Where a payout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayoutStatus {
    /// The shop asked for it; the money left its available balance and waits to be sent.
    Requested,
    /// An operator sent it to the shop's bank account.
    Sent,
    /// The bank refused it; the money went back to the shop's available balance.
    Failed,
}

string_enum!(PayoutStatus {
    Requested = "requested",
    Sent = "sent",
    Failed = "failed",
});

impl PayoutStatus {
    /// The one rule: only a requested payout moves, to sent or failed.
    pub fn transition(self, to: PayoutStatus) -> Result<PayoutStatus, String> {
        match (self, to) {
            (PayoutStatus::Requested, PayoutStatus::Sent | PayoutStatus::Failed) => Ok(to),
            (from, to) => Err(format!("a payout that is {from} cannot become {to}")),
        }
    }
}

/// The commission rate that applies to one order line: the shop's own rate if the operator set
/// one, else the rate of the line's category (or its nearest ancestor with one), else the
/// platform's default.
pub fn rate_for(shop: Option<BasisPoints>, category: Option<BasisPoints>, default: BasisPoints) -> BasisPoints {
    shop.or(category).unwrap_or(default)
}

/// The fee on an order of `total` whose lines weigh `lines` (`(rate, line amount)`): the rates
/// weighted by the lines' amounts, applied to the whole total (goods, shipping and tax, less the
/// discount) and rounded once, half up. Lines of one rate give exactly `rate × total`. Without
/// lines (or lines worth nothing) `fallback` applies. Never more than the total.
pub fn commission(total: Money, lines: &[(BasisPoints, i64)], fallback: BasisPoints) -> Result<Money, MoneyError> {
    if total.minor <= 0 {
        return Ok(Money::zero(total.currency));
    }
    let weight: i128 = lines.iter().map(|(_, a)| i128::from((*a).max(0))).sum();
    let fee = if weight == 0 {
        fallback.of(total)?.minor
    } else {
        let weighted: i128 = lines
            .iter()
            .map(|(r, a)| i128::from(r.get()) * i128::from((*a).max(0)))
            .sum();
        let numerator = weighted
            .checked_mul(i128::from(total.minor))
            .ok_or(MoneyError::Overflow)?;
        let denominator = weight
            .checked_mul(i128::from(BasisPoints::MAX))
            .ok_or(MoneyError::Overflow)?;
        div_half_up(numerator, denominator)?
    };
    Ok(Money::new(fee.clamp(0, total.minor), total.currency))
}

/// The part of an order's commission the platform gives back with a refund of `amount`, when the
/// order was paid `paid`, its commission was `fee` and earlier refunds took back `fee_returned`:
/// the commission's share of the refund (`fee × amount / paid`, half up), and for a refund of all
/// that is left, all the commission that is left. Never more than what is left of it.
pub fn fee_back(paid: Money, fee: Money, fee_returned: Money, amount: Money, full: bool) -> Result<Money, MoneyError> {
    let left = fee.checked_sub(fee_returned)?;
    if left.minor <= 0 || paid.minor <= 0 {
        return Ok(Money::zero(fee.currency));
    }
    if full {
        return Ok(left);
    }
    let share = div_half_up(i128::from(fee.minor) * i128::from(amount.minor), i128::from(paid.minor))?;
    Ok(Money::new(share.clamp(0, left.minor), fee.currency))
}

/// What a shop may have paid out: its available balance less the commission it owes on
/// cash-on-delivery orders (`owed`, zero or more); never below zero.
pub fn payable(available: Money, owed: Money) -> Result<Money, MoneyError> {
    let p = available.checked_sub(owed)?;
    Ok(Money::new(p.minor.max(0), p.currency))
}

/// Who handles a shop's money (its payout account and payout requests): for a shop of one
/// person, that person; for a company's shop, the company's admins and finance staff, by their
/// current role. (Sales staff run the shop and refund orders, but do not move its money out.)
pub fn may_handle_money(
    account_id: &str,
    membership: Option<(&str, CompanyRole)>,
    owner_account_id: &str,
    company_id: Option<&str>,
) -> bool {
    match company_id {
        Some(company) => membership
            .is_some_and(|(id, role)| id == company && matches!(role, CompanyRole::Admin | CompanyRole::Finance)),
        None => owner_account_id == account_id,
    }
}

/// Who registers the bank account a shop's payouts go to: the shop's owner (for a company's
/// shop, the company's admins).
pub fn may_set_payout_account(
    account_id: &str,
    membership: Option<(&str, CompanyRole)>,
    owner_account_id: &str,
    company_id: Option<&str>,
) -> bool {
    match company_id {
        Some(company) => membership.is_some_and(|(id, role)| id == company && role == CompanyRole::Admin),
        None => owner_account_id == account_id,
    }
}

impl FromStr for Iban {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Iban::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn eur(m: i64) -> Money {
        Money::new(m, Currency::EUR)
    }

    fn bp(n: u32) -> BasisPoints {
        BasisPoints::new(n).unwrap()
    }

    #[test]
    fn ibans_are_checked_by_their_checksum() {
        assert_eq!(
            Iban::parse("DE89 3704 0044 0532 0130 00").unwrap().as_str(),
            "DE89370400440532013000"
        );
        assert_eq!(
            Iban::parse("gb82west12345698765432").unwrap().as_str(),
            "GB82WEST12345698765432"
        );
        assert!(
            Iban::parse("DE88 3704 0044 0532 0130 00").is_err(),
            "one check digit off"
        );
        assert!(Iban::parse("DE89 3704 0044 0532 0130 01").is_err(), "one digit off");
        assert!(Iban::parse("").is_err());
        assert!(Iban::parse("DE89").is_err());
        assert!(Iban::parse("8989370400440532013000").is_err());
        assert!(Iban::parse("DE89 3704 0044 0532 0130 0!").is_err());
        assert_eq!(
            Iban::parse("DE89370400440532013000").unwrap().to_string(),
            "DE89 3704 0044 0532 0130 00"
        );
        assert_eq!(Iban::masked("DE89370400440532013000"), "DE…3000");
    }

    #[test]
    fn money_rights_follow_the_current_role() {
        use CompanyRole::*;
        let co = Some("com_a");
        assert!(may_handle_money("acc_1", None, "acc_1", None));
        assert!(!may_handle_money("acc_2", None, "acc_1", None));
        assert!(may_handle_money("acc_2", Some(("com_a", Finance)), "acc_1", co));
        assert!(may_handle_money("acc_2", Some(("com_a", Admin)), "acc_1", co));
        assert!(
            !may_handle_money("acc_1", Some(("com_a", Sales)), "acc_1", co),
            "sales staff"
        );
        assert!(!may_handle_money("acc_1", None, "acc_1", co), "removed opener");
        assert!(!may_handle_money("acc_1", Some(("com_b", Admin)), "acc_1", co));
        assert!(may_set_payout_account("acc_1", Some(("com_a", Admin)), "acc_0", co));
        assert!(!may_set_payout_account("acc_1", Some(("com_a", Finance)), "acc_0", co));
        assert!(may_set_payout_account("acc_0", None, "acc_0", None));
    }

    #[test]
    fn bics_have_8_or_11_characters() {
        assert_eq!(parse_bic(" cobadeffxxx ").unwrap(), "COBADEFFXXX");
        assert_eq!(parse_bic("COBADEFF").unwrap(), "COBADEFF");
        assert!(parse_bic("COBADE").is_err());
        assert!(parse_bic("12BADEFFXXX").is_err());
    }

    #[test]
    fn only_requested_payouts_move() {
        use PayoutStatus::*;
        assert_eq!(Requested.transition(Sent), Ok(Sent));
        assert_eq!(Requested.transition(Failed), Ok(Failed));
        for (a, b) in [
            (Sent, Failed),
            (Failed, Sent),
            (Sent, Sent),
            (Requested, Requested),
            (Failed, Requested),
        ] {
            assert!(a.transition(b).is_err(), "{a} → {b}");
        }
    }

    #[test]
    fn the_shop_rate_overrides_the_category_which_overrides_the_default() {
        assert_eq!(rate_for(Some(bp(100)), Some(bp(800)), bp(500)), bp(100));
        assert_eq!(rate_for(None, Some(bp(800)), bp(500)), bp(800));
        assert_eq!(rate_for(None, None, bp(500)), bp(500));
    }

    #[test]
    fn commission_rounds_once_half_up() {
        // 5 % of 10.10 = 0.505 → 0.51
        assert_eq!(commission(eur(1010), &[(bp(500), 1000)], bp(0)).unwrap(), eur(51));
        // 5 % of 10.09 = 0.5045 → 0.50
        assert_eq!(commission(eur(1009), &[(bp(500), 1009)], bp(0)).unwrap(), eur(50));
        // Half the goods at 10 %, half at 2 %: 6 % of 20.00 = 1.20.
        assert_eq!(
            commission(eur(2000), &[(bp(1000), 500), (bp(200), 500)], bp(0)).unwrap(),
            eur(120)
        );
        // No lines: the fallback.
        assert_eq!(commission(eur(2000), &[], bp(300)).unwrap(), eur(60));
        assert_eq!(commission(eur(0), &[(bp(500), 0)], bp(300)).unwrap(), eur(0));
        assert_eq!(
            commission(eur(999), &[(bp(10_000), 1)], bp(0)).unwrap(),
            eur(999),
            "never above the total"
        );
        assert_eq!(
            commission(eur(1 << 50), &[(bp(10_000), 1 << 50)], bp(0)).unwrap(),
            eur(1 << 50)
        );
    }

    #[test]
    fn fee_back_is_the_refunds_share_and_the_rest_on_a_full_refund() {
        // Paid 100.00, fee 5.00: refund 33.33 → 1.6665 → 1.67.
        assert_eq!(
            fee_back(eur(10_000), eur(500), eur(0), eur(3333), false).unwrap(),
            eur(167)
        );
        // Then the rest, in full: 5.00 − 1.67.
        assert_eq!(
            fee_back(eur(10_000), eur(500), eur(167), eur(6667), true).unwrap(),
            eur(333)
        );
        assert_eq!(fee_back(eur(10_000), eur(0), eur(0), eur(6667), true).unwrap(), eur(0));
        assert_eq!(
            fee_back(eur(10_000), eur(500), eur(500), eur(1), false).unwrap(),
            eur(0)
        );
    }

    #[test]
    fn payable_subtracts_what_is_owed_and_stays_at_zero_or_more() {
        assert_eq!(payable(eur(1000), eur(300)).unwrap(), eur(700));
        assert_eq!(payable(eur(100), eur(300)).unwrap(), eur(0));
    }
}
