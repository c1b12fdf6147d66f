//! Tax: the operator's rates per destination country and tax category, the shop's price mode
//! (prices entered with or without tax), and the split of one line amount into net, tax and gross.
//!
//! Rounding rule, the only one: tax is computed per line (never per unit, never on the total) and
//! rounded half up to the currency's minor unit, exactly once:
//! - tax-exclusive prices: `tax = round(net × rate / 10 000)`, `gross = net + tax`;
//! - tax-inclusive prices: `tax = round(gross × rate / (10 000 + rate))`, `net = gross − tax`.
//!
//! So `net + tax = gross` holds exactly on every line, and totals are sums of lines.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::account::string_enum;
use crate::country::Country;
use crate::money::{Money, MoneyError};
use crate::rate::BasisPoints;

/// A class of goods that may be taxed at its own rate ("standard", "reduced", "books", …).
/// Shipping is taxed as the category [`TaxCategory::shipping`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaxCategory(String);

impl TaxCategory {
    /// 1 to 40 characters of `a-z`, `0-9`, `_` and `-`; trimmed and lowercased.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim().to_ascii_lowercase();
        let ok_chars = value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if value.is_empty() || value.len() > 40 || !ok_chars {
            return Err("must be 1 to 40 letters, digits, '_' or '-', like \"standard\"".to_owned());
        }
        Ok(Self(value))
    }

    /// The category of goods with no category of their own.
    pub fn standard() -> Self {
        Self("standard".to_owned())
    }

    /// The category shipping charges are taxed under.
    pub fn shipping() -> Self {
        Self("shipping".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TaxCategory {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<TaxCategory> for String {
    fn from(c: TaxCategory) -> String {
        c.0
    }
}

impl fmt::Display for TaxCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a shop's prices (and shipping rates) already contain tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceMode {
    /// Prices are gross: what the buyer pays, tax included (usual for consumers in the EU).
    TaxInclusive,
    /// Prices are net: tax is added on top (usual between businesses).
    TaxExclusive,
}

string_enum!(PriceMode {
    TaxInclusive = "tax_inclusive",
    TaxExclusive = "tax_exclusive",
});

/// Tax found for nothing: a destination and category the operator set no rate for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no tax rate is set for {category} goods sent to {country}")]
pub struct NoTaxRate {
    pub country: Country,
    pub category: TaxCategory,
}

/// The operator's tax rates, by destination country and category. A missing rate is an error,
/// never zero: a forgotten setting must stop a checkout, not undercharge tax. Countries without
/// tax are configured with explicit 0 % rates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaxTable {
    rates: BTreeMap<(Country, TaxCategory), BasisPoints>,
}

impl TaxTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the rate for one country and category, replacing any earlier one.
    pub fn set(&mut self, country: Country, category: TaxCategory, rate: BasisPoints) {
        self.rates.insert((country, category), rate);
    }

    /// The same table with one more rate, for building tables in one expression.
    pub fn with(mut self, country: Country, category: TaxCategory, rate: BasisPoints) -> Self {
        self.set(country, category, rate);
        self
    }

    pub fn rate(&self, country: Country, category: &TaxCategory) -> Result<BasisPoints, NoTaxRate> {
        self.rates
            .get(&(country, category.clone()))
            .copied()
            .ok_or_else(|| NoTaxRate {
                country,
                category: category.clone(),
            })
    }
}

/// One amount split into its parts: `net + tax = gross`, exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxSplit {
    pub net: Money,
    pub tax: Money,
    pub gross: Money,
}

impl TaxSplit {
    /// Splits `amount`, a price in the shop's `mode` (gross when tax-inclusive, net when
    /// tax-exclusive), at `rate`, rounding the tax half up once (see the module comment).
    pub fn of(amount: Money, mode: PriceMode, rate: BasisPoints) -> Result<TaxSplit, MoneyError> {
        match mode {
            PriceMode::TaxExclusive => {
                let tax = rate.of(amount)?;
                Ok(TaxSplit {
                    net: amount,
                    tax,
                    gross: amount.checked_add(tax)?,
                })
            }
            PriceMode::TaxInclusive => {
                let tax = rate.contained_in(amount)?;
                Ok(TaxSplit {
                    net: amount.checked_sub(tax)?,
                    tax,
                    gross: amount,
                })
            }
        }
    }

    /// The part the shop's prices are written in: gross for tax-inclusive, net for tax-exclusive.
    pub fn in_mode(&self, mode: PriceMode) -> Money {
        match mode {
            PriceMode::TaxInclusive => self.gross,
            PriceMode::TaxExclusive => self.net,
        }
    }
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

    fn de() -> Country {
        Country::parse("DE").unwrap()
    }

    #[test]
    fn categories_are_short_lowercase_words() {
        assert_eq!(TaxCategory::parse(" Reduced ").unwrap().as_str(), "reduced");
        assert_eq!(TaxCategory::parse("food-7").unwrap().to_string(), "food-7");
        for bad in ["", "two words", "é", "x".repeat(41).as_str()] {
            assert!(TaxCategory::parse(bad).is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<TaxCategory>(r#""no way""#).is_err());
    }

    #[test]
    fn rates_are_looked_up_by_country_and_category_and_a_missing_one_is_an_error() {
        let reduced = TaxCategory::parse("reduced").unwrap();
        let table = TaxTable::new()
            .with(de(), TaxCategory::standard(), bp(1900))
            .with(de(), reduced.clone(), bp(700));
        assert_eq!(table.rate(de(), &TaxCategory::standard()), Ok(bp(1900)));
        assert_eq!(table.rate(de(), &reduced), Ok(bp(700)));
        let fr = Country::parse("FR").unwrap();
        let err = table.rate(fr, &reduced).unwrap_err();
        assert_eq!(err.to_string(), "no tax rate is set for reduced goods sent to FR");
        assert!(table.rate(de(), &TaxCategory::shipping()).is_err());
    }

    #[test]
    fn exclusive_prices_get_tax_added_per_line_half_up() {
        // 3 × 3.33 = 9.99 net at 19 % → 1.8981 → 1.90 tax.
        let s = TaxSplit::of(eur(999), PriceMode::TaxExclusive, bp(1900)).unwrap();
        assert_eq!((s.net, s.tax, s.gross), (eur(999), eur(190), eur(1189)));
        // 7 % of 0.50 = 0.035 → 0.04.
        let s = TaxSplit::of(eur(50), PriceMode::TaxExclusive, bp(700)).unwrap();
        assert_eq!(s.tax, eur(4));
        assert_eq!(s.in_mode(PriceMode::TaxExclusive), eur(50));
    }

    #[test]
    fn inclusive_prices_contain_their_tax() {
        let s = TaxSplit::of(eur(1190), PriceMode::TaxInclusive, bp(1900)).unwrap();
        assert_eq!((s.net, s.tax, s.gross), (eur(1000), eur(190), eur(1190)));
        // 9.99 gross at 19 % contains 1.595042… → 1.60.
        let s = TaxSplit::of(eur(999), PriceMode::TaxInclusive, bp(1900)).unwrap();
        assert_eq!((s.net, s.tax), (eur(839), eur(160)));
        assert_eq!(s.in_mode(PriceMode::TaxInclusive), eur(999));
    }

    #[test]
    fn a_zero_rate_or_zero_amount_has_no_tax() {
        for mode in [PriceMode::TaxInclusive, PriceMode::TaxExclusive] {
            let s = TaxSplit::of(eur(1234), mode, bp(0)).unwrap();
            assert_eq!((s.net, s.tax, s.gross), (eur(1234), eur(0), eur(1234)));
            let s = TaxSplit::of(eur(0), mode, bp(1900)).unwrap();
            assert_eq!(s.gross, eur(0));
        }
    }

    #[test]
    fn net_plus_tax_is_gross_for_every_small_amount_and_common_rate() {
        let jpy = Currency::parse("JPY").unwrap();
        for rate in [0, 250, 500, 700, 1000, 1900, 2000, 2100, 2500, 2700] {
            for minor in 0..2_000 {
                for amount in [eur(minor), Money::new(minor, jpy)] {
                    for mode in [PriceMode::TaxInclusive, PriceMode::TaxExclusive] {
                        let s = TaxSplit::of(amount, mode, bp(rate)).unwrap();
                        assert_eq!(s.net.checked_add(s.tax), Ok(s.gross));
                        assert!(s.net.minor >= 0 && s.tax.minor >= 0);
                        assert_eq!(s.in_mode(mode), amount);
                    }
                }
            }
        }
    }

    #[test]
    fn a_gross_price_that_overflows_is_an_error() {
        assert_eq!(
            TaxSplit::of(eur(i64::MAX), PriceMode::TaxExclusive, bp(1900)),
            Err(MoneyError::Overflow)
        );
        assert!(TaxSplit::of(eur(i64::MAX), PriceMode::TaxInclusive, bp(1900)).is_ok());
    }

    #[test]
    fn price_modes_travel_as_words() {
        assert_eq!("tax_inclusive".parse::<PriceMode>(), Ok(PriceMode::TaxInclusive));
        assert_eq!(
            serde_json::to_string(&PriceMode::TaxExclusive).unwrap(),
            r#""tax_exclusive""#
        );
    }
}
