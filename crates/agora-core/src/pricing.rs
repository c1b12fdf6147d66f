//! B2B pricing: volume tiers, minimum order quantities and per-company prices. The price a buyer
//! sees and pays is computed here and nowhere else.

use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};

/// From `min_qty` units on, each unit costs `unit_price`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceTier {
    pub min_qty: u32,
    pub unit_price: Money,
}

/// Everything that decides a variant's unit price for one buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRules {
    /// The price of one unit with no tier applying.
    pub base: Money,
    /// Volume tiers, sorted by `min_qty`, each cheaper than the one before (see [`check_tiers`]).
    pub tiers: Vec<PriceTier>,
    /// The fewest units one order line may hold.
    pub min_order_qty: u32,
    /// The buyer's company's own price, if the shop gave it one.
    pub company_price: Option<Money>,
}

/// Why a quantity cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("the minimum order quantity is {0}")]
    BelowMinimum(u32),
    #[error("the quantity must be at least 1")]
    ZeroQuantity,
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// The highest unit price a seller may ask, in minor units (a billion euros): far above any real
/// listing, and low enough that a price times any order quantity, plus shipping, stays in range.
pub const MAX_PRICE_MINOR: i64 = 100_000_000_000;

/// Checks a price a seller sets (a variant's price, a volume tier, a company's own price, a
/// shipping rate): from zero to [`MAX_PRICE_MINOR`] minor units.
pub fn check_price(price: Money) -> Result<Money, String> {
    match price.minor {
        m if m < 0 => Err("must not be negative".into()),
        m if m > MAX_PRICE_MINOR => Err(format!("must be at most {MAX_PRICE_MINOR} minor units")),
        _ => Ok(price),
    }
}

/// Checks and sorts a tier list: quantities above 1 and distinct, the base currency, and unit
/// prices that fall (never rise) as quantities grow and stay below the base price.
pub fn check_tiers(base: Money, mut tiers: Vec<PriceTier>) -> Result<Vec<PriceTier>, String> {
    if tiers.len() > 20 {
        return Err("at most 20 price tiers".into());
    }
    tiers.sort_by_key(|t| t.min_qty);
    let mut previous = base;
    let mut previous_qty = 1;
    for t in &tiers {
        if t.unit_price.currency != base.currency {
            return Err(format!("tier prices must be in {}", base.currency.code()));
        }
        if t.min_qty <= previous_qty {
            return Err(if t.min_qty <= 1 {
                "a tier starts at 2 units or more (1 unit is the base price)".into()
            } else {
                format!("two tiers start at {} units", t.min_qty)
            });
        }
        check_price(t.unit_price).map_err(|m| format!("the tier from {} units {m}", t.min_qty))?;
        if t.unit_price.minor > previous.minor {
            return Err(format!(
                "the tier from {} units costs more than the one before it",
                t.min_qty
            ));
        }
        previous = t.unit_price;
        previous_qty = t.min_qty;
    }
    Ok(tiers)
}

impl PriceRules {
    /// The unit price for `qty` units: the tier reached by the quantity, or the company's own
    /// price when that is lower.
    pub fn unit_price(&self, qty: u32) -> Result<Money, PriceError> {
        if qty == 0 {
            return Err(PriceError::ZeroQuantity);
        }
        if qty < self.min_order_qty {
            return Err(PriceError::BelowMinimum(self.min_order_qty));
        }
        let tier = self
            .tiers
            .iter()
            .rev()
            .find(|t| qty >= t.min_qty)
            .map_or(self.base, |t| t.unit_price);
        Ok(match self.company_price {
            Some(own) if own.currency == tier.currency && own.minor < tier.minor => own,
            _ => tier,
        })
    }

    /// What `qty` units cost together.
    pub fn line_total(&self, qty: u32) -> Result<Money, PriceError> {
        Ok(self.unit_price(qty)?.times(qty)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    fn tier(min_qty: u32, minor: i64) -> PriceTier {
        PriceTier {
            min_qty,
            unit_price: eur(minor),
        }
    }

    /// 1–9 at 12.00, 10–99 at 10.50, 100+ at 9.00.
    fn rules() -> PriceRules {
        PriceRules {
            base: eur(1200),
            tiers: check_tiers(eur(1200), vec![tier(100, 900), tier(10, 1050)]).unwrap(),
            min_order_qty: 1,
            company_price: None,
        }
    }

    #[test]
    fn prices_are_capped_at_ten_to_the_eleven_minor_units() {
        assert_eq!(check_price(eur(MAX_PRICE_MINOR)), Ok(eur(100_000_000_000)));
        assert_eq!(check_price(eur(0)), Ok(eur(0)));
        assert!(check_price(eur(MAX_PRICE_MINOR + 1)).is_err());
        assert!(check_price(eur(i64::MAX)).is_err());
        assert!(check_price(eur(-1)).is_err());
        // The base price is capped by the caller; a tier above the cap is refused here.
        let huge = eur(i64::MAX);
        assert!(check_tiers(huge, vec![tier(10, i64::MAX)]).is_err());
        assert!(check_tiers(huge, vec![tier(10, MAX_PRICE_MINOR)]).is_ok());
    }

    #[test]
    fn every_tier_boundary_prices_correctly() {
        let r = rules();
        for (qty, expected) in [
            (1, 1200),
            (9, 1200),
            (10, 1050),
            (11, 1050),
            (99, 1050),
            (100, 900),
            (101, 900),
            (5000, 900),
        ] {
            assert_eq!(r.unit_price(qty), Ok(eur(expected)), "at {qty} units");
        }
        assert_eq!(r.line_total(10), Ok(eur(10_500)));
    }

    #[test]
    fn the_minimum_order_quantity_is_enforced() {
        let r = PriceRules {
            min_order_qty: 5,
            ..rules()
        };
        assert_eq!(r.unit_price(4), Err(PriceError::BelowMinimum(5)));
        assert_eq!(r.unit_price(5), Ok(eur(1200)));
        assert_eq!(r.unit_price(0), Err(PriceError::ZeroQuantity));
    }

    #[test]
    fn a_company_price_applies_only_when_it_is_lower() {
        let r = PriceRules {
            company_price: Some(eur(1000)),
            ..rules()
        };
        assert_eq!(r.unit_price(1), Ok(eur(1000)));
        assert_eq!(r.unit_price(10), Ok(eur(1000)));
        assert_eq!(
            r.unit_price(100),
            Ok(eur(900)),
            "the volume tier beats the company price"
        );
    }

    #[test]
    fn tiers_that_overlap_or_rise_are_refused() {
        assert!(
            check_tiers(eur(1200), vec![tier(10, 1050), tier(10, 1000)]).is_err(),
            "overlap"
        );
        assert!(
            check_tiers(eur(1200), vec![tier(10, 1050), tier(100, 1100)]).is_err(),
            "rises"
        );
        assert!(
            check_tiers(eur(1200), vec![tier(10, 1300)]).is_err(),
            "above the base price"
        );
        assert!(check_tiers(eur(1200), vec![tier(1, 1100)]).is_err(), "a tier at 1 unit");
        let usd = Money::new(1000, Currency::parse("USD").unwrap());
        assert!(check_tiers(
            eur(1200),
            vec![PriceTier {
                min_qty: 10,
                unit_price: usd
            }]
        )
        .is_err());
    }

    #[test]
    fn an_overflowing_line_total_is_an_error() {
        let r = PriceRules {
            base: eur(i64::MAX / 2),
            tiers: vec![],
            min_order_qty: 1,
            company_price: None,
        };
        assert!(matches!(r.line_total(3), Err(PriceError::Money(MoneyError::Overflow))));
    }
}
