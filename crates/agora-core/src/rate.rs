//! Rates in basis points (tax rates, percentage coupons) and the one rounding rule for applying
//! them to money: exact integer arithmetic, rounded half up (away from zero) to the minor unit.
//!
//! The arithmetic runs in `i128`, where `i64 × 10 000` cannot overflow, so the only failure is a
//! result that does not fit back into `i64` minor units. No decimals and no floats are involved:
//! `amount × rate / 10 000` is a rational number and is rounded exactly once.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};

/// A rate in hundredths of a percent: 1900 is 19 %, 10 000 is 100 %. Never above 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct BasisPoints(u32);

impl BasisPoints {
    /// 100 %.
    pub const MAX: u32 = 10_000;
    pub const ZERO: BasisPoints = BasisPoints(0);

    /// A rate from 0 to 10 000 basis points (0 % to 100 %).
    pub fn new(bp: u32) -> Result<Self, String> {
        if bp > Self::MAX {
            return Err(format!("must be at most {} basis points (100 %)", Self::MAX));
        }
        Ok(Self(bp))
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// `amount × rate`, rounded half up: the tax on a net amount, the value of a percentage off.
    pub fn of(self, amount: Money) -> Result<Money, MoneyError> {
        let minor = div_half_up(i128::from(amount.minor) * i128::from(self.0), i128::from(Self::MAX))?;
        Ok(Money::new(minor, amount.currency))
    }

    /// The part of `gross` that is this rate's tax when `gross` already contains it:
    /// `gross × rate / (10 000 + rate)`, rounded half up.
    pub fn contained_in(self, gross: Money) -> Result<Money, MoneyError> {
        let minor = div_half_up(
            i128::from(gross.minor) * i128::from(self.0),
            i128::from(Self::MAX + self.0),
        )?;
        Ok(Money::new(minor, gross.currency))
    }
}

impl TryFrom<u32> for BasisPoints {
    type Error = String;

    fn try_from(bp: u32) -> Result<Self, String> {
        Self::new(bp)
    }
}

impl From<BasisPoints> for u32 {
    fn from(bp: BasisPoints) -> u32 {
        bp.0
    }
}

impl fmt::Display for BasisPoints {
    /// `19 %`, `7.5 %`, `5.25 %`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, part) = (self.0 / 100, self.0 % 100);
        match part {
            0 => write!(f, "{whole} %"),
            p if p % 10 == 0 => write!(f, "{whole}.{} %", p / 10),
            p => write!(f, "{whole}.{p:02} %"),
        }
    }
}

/// `numerator / denominator` rounded half away from zero; `denominator` must be positive.
/// Errs when the quotient does not fit into `i64`.
pub fn div_half_up(numerator: i128, denominator: i128) -> Result<i64, MoneyError> {
    debug_assert!(denominator > 0);
    let (q, r) = (numerator / denominator, numerator % denominator);
    // `r` has the sign of the numerator; a remainder of at least half the divisor rounds outward.
    let q = if 2 * r.abs() >= denominator {
        q + numerator.signum()
    } else {
        q
    };
    i64::try_from(q).map_err(|_| MoneyError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    fn bp(v: u32) -> BasisPoints {
        BasisPoints::new(v).unwrap()
    }

    #[test]
    fn rates_above_one_hundred_percent_are_refused() {
        assert!(BasisPoints::new(10_000).is_ok());
        assert!(BasisPoints::new(10_001).is_err());
        assert!(serde_json::from_str::<BasisPoints>("10001").is_err());
        assert_eq!(serde_json::from_str::<BasisPoints>("1900").unwrap(), bp(1900));
        assert_eq!(serde_json::to_string(&bp(750)).unwrap(), "750");
    }

    #[test]
    fn halves_round_away_from_zero() {
        assert_eq!(div_half_up(5, 10), Ok(1));
        assert_eq!(div_half_up(4, 10), Ok(0));
        assert_eq!(div_half_up(15, 10), Ok(2));
        assert_eq!(div_half_up(-5, 10), Ok(-1));
        assert_eq!(div_half_up(-4, 10), Ok(0));
        assert_eq!(div_half_up(-15, 10), Ok(-2));
        assert_eq!(div_half_up(1, 3), Ok(0));
        assert_eq!(div_half_up(2, 3), Ok(1));
        assert_eq!(div_half_up(i128::from(i64::MAX) * 2, 1), Err(MoneyError::Overflow));
    }

    #[test]
    fn a_rate_of_an_amount_rounds_once_half_up() {
        // 19 % of 9.99 is 1.8981 → 1.90.
        assert_eq!(bp(1900).of(eur(999)), Ok(eur(190)));
        // 7 % of 0.50 is exactly 0.035 → 0.04 (half up, not to even).
        assert_eq!(bp(700).of(eur(50)), Ok(eur(4)));
        assert_eq!(bp(0).of(eur(12_345)), Ok(eur(0)));
        assert_eq!(bp(10_000).of(eur(12_345)), Ok(eur(12_345)));
        // The product never overflows in i128, and the result fits because the rate is at most 1.
        assert_eq!(bp(10_000).of(eur(i64::MAX)), Ok(eur(i64::MAX)));
    }

    #[test]
    fn tax_contained_in_a_gross_price_uses_rate_over_one_plus_rate() {
        // 11.90 at 19 % contains 1.90.
        assert_eq!(bp(1900).contained_in(eur(1190)), Ok(eur(190)));
        // 1.00 at 19 % contains 0.159663… → 0.16.
        assert_eq!(bp(1900).contained_in(eur(100)), Ok(eur(16)));
        // 0.21 at 5 % contains exactly 0.01.
        assert_eq!(bp(500).contained_in(eur(21)), Ok(eur(1)));
        assert_eq!(bp(0).contained_in(eur(999)), Ok(eur(0)));
        // 100 %: half of the gross is tax.
        assert_eq!(bp(10_000).contained_in(eur(3)), Ok(eur(2)));
    }

    #[test]
    fn rates_read_as_percentages() {
        assert_eq!(bp(1900).to_string(), "19 %");
        assert_eq!(bp(750).to_string(), "7.5 %");
        assert_eq!(bp(525).to_string(), "5.25 %");
        assert_eq!(bp(5).to_string(), "0.05 %");
    }
}
