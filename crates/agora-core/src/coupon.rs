//! Coupons a shop or the operator creates: a percentage or a fixed amount off the goods, with a
//! minimum spend, a validity window and usage limits; and the one rule for what a coupon takes off.
//!
//! A discount never exceeds the amount it applies to, so no total can become negative. The usage
//! counts are passed in: consuming a use exactly once under concurrency is the store's conditional
//! update, not this module's business.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::pricing::check_price;
use crate::rate::BasisPoints;
use crate::ValidationErrors;

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum CouponValue {
    /// A share of the eligible goods amount, rounded half up to the minor unit.
    Percentage(BasisPoints),
    /// A fixed amount, capped at the eligible goods amount. Like the percentage, it comes off the
    /// goods as the shop writes its prices: off the net amount in a tax-exclusive shop (the tax
    /// then falls with it), off the gross amount in a tax-inclusive one.
    Fixed(Money),
}

/// Whose goods a coupon applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "shop_id")]
pub enum CouponScope {
    /// Created by the operator: applies to every shop's goods in the checkout.
    Operator,
    /// Created by a shop: applies to that shop's goods only.
    Shop(String),
}

/// A coupon, checked by [`Coupon::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    /// What the buyer types, normalised by [`parse_code`].
    pub code: String,
    pub value: CouponValue,
    /// The eligible goods amount must reach this.
    pub min_spend: Option<Money>,
    /// Usable from this instant on (ms since the epoch, inclusive).
    pub valid_from_ms: Option<i64>,
    /// Usable until just before this instant (ms since the epoch, exclusive).
    pub valid_until_ms: Option<i64>,
    /// How many checkouts may use it in all.
    pub max_uses: Option<u32>,
    /// How many checkouts of one buyer may use it.
    pub max_uses_per_buyer: Option<u32>,
    pub scope: CouponScope,
}

/// The facts of one attempt to use a coupon that live outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CouponUsage {
    pub now_ms: i64,
    /// Checkouts that used the coupon so far, by anyone.
    pub uses_total: u32,
    /// Checkouts of this buyer that used it so far.
    pub uses_by_buyer: u32,
}

/// Why a coupon takes nothing off.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouponError {
    #[error("this coupon has expired")]
    Expired,
    #[error("this coupon is not valid yet")]
    NotYetValid,
    #[error("this coupon has been used up")]
    UsedUp,
    #[error("you have already used this coupon")]
    AlreadyUsed,
    #[error("this coupon needs a spend of at least {0}")]
    BelowMinimumSpend(Money),
    #[error("this coupon is for another shop")]
    OtherShop,
    #[error("this coupon is for amounts in {0}")]
    CurrencyMismatch(&'static str),
}

/// A coupon code as typed: trimmed and upper-cased; 3 to 32 of `A-Z`, `0-9`, `-` and `_`.
pub fn parse_code(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    let ok_chars = code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !(3..=32).contains(&code.len()) || !ok_chars {
        return Err("must be 3 to 32 letters, digits, '-' or '_'".to_owned());
    }
    Ok(code)
}

impl Coupon {
    /// Checks a coupon a shop or the operator creates, naming each bad field: a valid code; a
    /// percentage above 0 %, or a fixed amount above zero within the price cap; a minimum spend
    /// within the cap and in the fixed amount's currency; a window that ends after it starts;
    /// limits of at least one use.
    pub fn check(mut self) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if let Some(code) = errors.check("code", parse_code(&self.code)) {
            self.code = code;
        }
        match self.value {
            CouponValue::Percentage(bp) if bp.get() == 0 => errors.add("value", "must be more than 0 %"),
            CouponValue::Percentage(_) => {}
            CouponValue::Fixed(amount) => {
                if amount.minor <= 0 {
                    errors.add("value", "must be more than zero");
                } else {
                    errors.check("value", check_price(amount));
                }
            }
        }
        if let Some(min) = self.min_spend {
            errors.check("min_spend", check_price(min));
            if let CouponValue::Fixed(amount) = self.value {
                if amount.currency != min.currency {
                    errors.add("min_spend", format!("must be in {}", amount.currency.code()));
                }
            }
        }
        if let (Some(from), Some(until)) = (self.valid_from_ms, self.valid_until_ms) {
            if until <= from {
                errors.add("valid_until", "must be after the start of validity");
            }
        }
        if self.max_uses == Some(0) {
            errors.add("max_uses", "must be at least 1");
        }
        if self.max_uses_per_buyer == Some(0) {
            errors.add("max_uses_per_buyer", "must be at least 1");
        }
        errors.into_result().map(|()| self)
    }

    /// Whether the coupon covers goods of `shop_id`.
    pub fn covers_shop(&self, shop_id: &str) -> bool {
        match &self.scope {
            CouponScope::Operator => true,
            CouponScope::Shop(id) => id == shop_id,
        }
    }

    /// Whether the coupon may be used now by this buyer, whatever it is applied to.
    pub fn check_usable(&self, usage: &CouponUsage) -> Result<(), CouponError> {
        if self.valid_from_ms.is_some_and(|from| usage.now_ms < from) {
            return Err(CouponError::NotYetValid);
        }
        if self.valid_until_ms.is_some_and(|until| usage.now_ms >= until) {
            return Err(CouponError::Expired);
        }
        if self.max_uses.is_some_and(|max| usage.uses_total >= max) {
            return Err(CouponError::UsedUp);
        }
        if self.max_uses_per_buyer.is_some_and(|max| usage.uses_by_buyer >= max) {
            return Err(CouponError::AlreadyUsed);
        }
        Ok(())
    }

    /// The discount on `eligible`, the amount of covered goods (in the shop's price mode, before
    /// any discount), ignoring the shop: at most `eligible`, never negative.
    pub fn discount_on(&self, usage: &CouponUsage, eligible: Money) -> Result<Money, CouponError> {
        self.check_usable(usage)?;
        let currency = eligible.currency;
        let fixed = match self.value {
            CouponValue::Fixed(amount) => Some(amount),
            CouponValue::Percentage(_) => None,
        };
        if let Some(foreign) = fixed.into_iter().chain(self.min_spend).find(|m| m.currency != currency) {
            return Err(CouponError::CurrencyMismatch(foreign.currency.code()));
        }
        if let Some(min) = self.min_spend.filter(|min| eligible.minor < min.minor) {
            return Err(CouponError::BelowMinimumSpend(min));
        }
        let base = eligible.minor.max(0);
        let off = match self.value {
            // A rate of at most 100 % of a non-negative amount cannot overflow.
            CouponValue::Percentage(bp) => bp.of(Money::new(base, currency)).map_or(base, |m| m.minor),
            CouponValue::Fixed(m) => m.minor,
        };
        Ok(Money::new(off.clamp(0, base), currency))
    }

    /// The discount the coupon gives on `eligible`, goods of `shop_id`: see
    /// [`Coupon::discount_on`]; [`CouponError::OtherShop`] when it is another shop's coupon.
    pub fn apply(&self, usage: &CouponUsage, shop_id: &str, eligible: Money) -> Result<Money, CouponError> {
        if !self.covers_shop(shop_id) {
            self.check_usable(usage)?;
            return Err(CouponError::OtherShop);
        }
        self.discount_on(usage, eligible)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    fn percent(bp: u32) -> CouponValue {
        CouponValue::Percentage(BasisPoints::new(bp).unwrap())
    }

    fn coupon(value: CouponValue) -> Coupon {
        Coupon {
            code: "summer-10".into(),
            value,
            min_spend: None,
            valid_from_ms: Some(1_000),
            valid_until_ms: Some(2_000),
            max_uses: Some(100),
            max_uses_per_buyer: Some(1),
            scope: CouponScope::Shop("shop-a".into()),
        }
        .check()
        .unwrap()
    }

    fn usage(now_ms: i64) -> CouponUsage {
        CouponUsage {
            now_ms,
            uses_total: 0,
            uses_by_buyer: 0,
        }
    }

    #[test]
    fn a_percentage_rounds_half_up_and_a_fixed_amount_is_capped_at_the_goods() {
        let ten = coupon(percent(1000));
        assert_eq!(ten.code, "SUMMER-10");
        assert_eq!(ten.apply(&usage(1_500), "shop-a", eur(1005)), Ok(eur(101)));
        assert_eq!(ten.apply(&usage(1_500), "shop-a", eur(1004)), Ok(eur(100)));
        let five_euros = coupon(CouponValue::Fixed(eur(500)));
        assert_eq!(five_euros.apply(&usage(1_500), "shop-a", eur(2000)), Ok(eur(500)));
        assert_eq!(
            five_euros.apply(&usage(1_500), "shop-a", eur(300)),
            Ok(eur(300)),
            "never below zero"
        );
        assert_eq!(five_euros.apply(&usage(1_500), "shop-a", eur(0)), Ok(eur(0)));
        let all = coupon(percent(10_000));
        assert_eq!(all.apply(&usage(1_500), "shop-a", eur(777)), Ok(eur(777)));
    }

    #[test]
    fn the_validity_window_includes_its_start_and_excludes_its_end() {
        let c = coupon(percent(1000));
        assert_eq!(c.apply(&usage(999), "shop-a", eur(100)), Err(CouponError::NotYetValid));
        assert!(c.apply(&usage(1_000), "shop-a", eur(100)).is_ok());
        assert!(c.apply(&usage(1_999), "shop-a", eur(100)).is_ok());
        assert_eq!(c.apply(&usage(2_000), "shop-a", eur(100)), Err(CouponError::Expired));
    }

    #[test]
    fn usage_limits_count_everyone_and_each_buyer() {
        let c = coupon(percent(1000));
        let used_up = CouponUsage {
            uses_total: 100,
            ..usage(1_500)
        };
        assert_eq!(c.apply(&used_up, "shop-a", eur(100)), Err(CouponError::UsedUp));
        let mine = CouponUsage {
            uses_by_buyer: 1,
            ..usage(1_500)
        };
        assert_eq!(c.apply(&mine, "shop-a", eur(100)), Err(CouponError::AlreadyUsed));
        let unlimited = Coupon {
            max_uses: None,
            max_uses_per_buyer: None,
            ..c
        };
        let busy = CouponUsage {
            uses_total: u32::MAX,
            uses_by_buyer: 99,
            ..usage(1_500)
        };
        assert!(unlimited.apply(&busy, "shop-a", eur(100)).is_ok());
    }

    #[test]
    fn a_minimum_spend_must_be_reached() {
        let c = Coupon {
            min_spend: Some(eur(5000)),
            ..coupon(CouponValue::Fixed(eur(500)))
        };
        assert_eq!(
            c.apply(&usage(1_500), "shop-a", eur(4999)),
            Err(CouponError::BelowMinimumSpend(eur(5000)))
        );
        assert_eq!(c.apply(&usage(1_500), "shop-a", eur(5000)), Ok(eur(500)));
        assert_eq!(
            CouponError::BelowMinimumSpend(eur(5000)).to_string(),
            "this coupon needs a spend of at least 50.00 EUR"
        );
    }

    #[test]
    fn a_shop_coupon_stays_in_its_shop_and_an_operator_coupon_goes_everywhere() {
        let c = coupon(percent(1000));
        assert_eq!(c.apply(&usage(1_500), "shop-b", eur(100)), Err(CouponError::OtherShop));
        assert_eq!(
            c.apply(&usage(5_000), "shop-b", eur(100)),
            Err(CouponError::Expired),
            "an expired coupon says so first"
        );
        let everywhere = Coupon {
            scope: CouponScope::Operator,
            ..c
        };
        assert!(everywhere.apply(&usage(1_500), "shop-b", eur(100)).is_ok());
    }

    #[test]
    fn amounts_in_another_currency_do_not_match() {
        let usd = Money::new(1000, Currency::parse("USD").unwrap());
        let fixed = coupon(CouponValue::Fixed(eur(500)));
        assert_eq!(
            fixed.apply(&usage(1_500), "shop-a", usd),
            Err(CouponError::CurrencyMismatch("EUR"))
        );
        let min = Coupon {
            min_spend: Some(eur(100)),
            ..coupon(percent(1000))
        };
        assert_eq!(
            min.apply(&usage(1_500), "shop-a", usd),
            Err(CouponError::CurrencyMismatch("EUR"))
        );
        assert_eq!(
            coupon(percent(1000)).apply(&usage(1_500), "shop-a", usd),
            Ok(Money::new(100, usd.currency)),
            "a bare percentage works in any currency"
        );
    }

    #[test]
    fn a_badly_made_coupon_names_every_bad_field() {
        let usd = Money::new(100, Currency::parse("USD").unwrap());
        let bad = Coupon {
            code: "x".into(),
            value: CouponValue::Fixed(eur(0)),
            min_spend: Some(usd),
            valid_from_ms: Some(5),
            valid_until_ms: Some(5),
            max_uses: Some(0),
            max_uses_per_buyer: Some(0),
            scope: CouponScope::Operator,
        };
        let fields: Vec<String> = bad.check().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "code",
                "value",
                "min_spend",
                "valid_until",
                "max_uses",
                "max_uses_per_buyer"
            ]
        );
        let zero = Coupon {
            value: percent(0),
            ..coupon(percent(1))
        };
        assert!(zero.check().is_err());
        assert_eq!(parse_code(" welcome_2027 "), Ok("WELCOME_2027".into()));
        assert!(parse_code("no spaces").is_err());
    }

    #[test]
    fn coupons_travel_as_tagged_json() {
        let c = coupon(percent(1500));
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["value"], serde_json::json!({"kind": "percentage", "value": 1500}));
        assert_eq!(json["scope"], serde_json::json!({"kind": "shop", "shop_id": "shop-a"}));
        assert_eq!(serde_json::from_value::<Coupon>(json).unwrap(), c);
    }
}
