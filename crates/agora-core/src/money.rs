//! Money: integer minor units of an ISO 4217 currency, checked arithmetic, explicit rounding.

use std::fmt;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// An ISO 4217 currency the platform trades in, with its number of minor-unit digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    minor_digits: u32,
}

/// The currencies Agora accepts. Adding one is adding a line.
const CURRENCIES: &[(&str, u32)] = &[
    ("EUR", 2),
    ("USD", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("PLN", 2),
    ("CZK", 2),
    ("HUF", 2),
    ("CNY", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("BHD", 3),
];

impl Currency {
    pub const EUR: Currency = Currency {
        code: "EUR",
        minor_digits: 2,
    };

    pub fn parse(code: &str) -> Result<Self, String> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|&(code, minor_digits)| Currency { code, minor_digits })
            .ok_or_else(|| format!("{code:?} is not a supported ISO 4217 currency"))
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    pub fn minor_digits(self) -> u32 {
        self.minor_digits
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// How to round an amount that falls between two minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Half away from zero: 0.125 → 0.13. Used for prices shown to people.
    HalfUp,
    /// Half to even (banker's): 0.125 → 0.12. Used where many roundings are summed.
    HalfEven,
}

/// Money arithmetic that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(&'static str, &'static str),
    #[error("amount out of range")]
    Overflow,
}

/// An amount of money in integer minor units (cents for EUR). Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units; called `amount` on the wire.
    #[serde(rename = "amount")]
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency.code, other.currency.code))
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// Unit price times a quantity.
    pub fn times(self, quantity: u32) -> Result<Money, MoneyError> {
        let minor = self
            .minor
            .checked_mul(i64::from(quantity))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// The amount as a decimal in major units (12.50 for 1250 cents).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.minor, self.currency.minor_digits)
    }

    /// A decimal major-unit amount rounded to the currency's minor units by `rounding`.
    pub fn from_decimal(value: Decimal, currency: Currency, rounding: Rounding) -> Result<Money, MoneyError> {
        let strategy = match rounding {
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
        };
        let scaled = value
            .checked_mul(Decimal::from(10i64.pow(currency.minor_digits)))
            .ok_or(MoneyError::Overflow)?
            .round_dp_with_strategy(0, strategy);
        let minor = scaled.to_i64().ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, currency))
    }

    /// Parses an amount written in major units, such as `12.50` or `12,50` (a form field, a cell
    /// of an imported file), exactly: more decimals than the currency has are refused, never
    /// rounded (trailing zeros, as in `12.500`, change nothing and are accepted). Thousands
    /// separators, exponents and currency signs are refused.
    pub fn parse_major(text: &str, currency: Currency) -> Result<Money, String> {
        let text = text.trim();
        let normalized = match (text.matches(',').count(), text.contains('.')) {
            (0, _) => text.to_owned(),
            (1, false) => text.replace(',', "."),
            _ => return Err("must be a plain decimal such as 12.50, without thousands separators".into()),
        };
        let digits = normalized.strip_prefix('-').unwrap_or(&normalized);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
        let plain = !whole.is_empty()
            && !fraction.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.bytes().all(|b| b.is_ascii_digit());
        if !plain {
            return Err("must be a decimal amount such as 12.50".into());
        }
        let value = Decimal::from_str_exact(&normalized).map_err(|_| "is too large".to_owned())?;
        if value.normalize().scale() > currency.minor_digits {
            return Err(format!(
                "has more decimals than {} has ({}); nothing is rounded",
                currency.code, currency.minor_digits
            ));
        }
        // Exact by the check above: no rounding rule applies.
        let minor = value
            .checked_mul(Decimal::from(10i64.pow(currency.minor_digits)))
            .and_then(|m| m.normalize().to_i64())
            .ok_or_else(|| "is too large".to_owned())?;
        Ok(Money::new(minor, currency))
    }

    /// This amount times a rate (a tax or fee rate such as 0.19), rounded by `rounding`.
    pub fn apply_rate(self, rate: Decimal, rounding: Rounding) -> Result<Money, MoneyError> {
        let product = self.to_decimal().checked_mul(rate).ok_or(MoneyError::Overflow)?;
        Money::from_decimal(product, self.currency, rounding)
    }
}

impl fmt::Display for Money {
    /// `12.50 EUR`: the plain form for logs, documents and pages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal(), self.currency.code)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    #[test]
    fn currencies_know_their_minor_units() {
        assert_eq!(Currency::parse("JPY").unwrap().minor_digits(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().minor_digits(), 3);
        assert!(Currency::parse("eur").is_err());
        assert!(Currency::parse("XXX").is_err());
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(eur(150).checked_add(eur(250)), Ok(eur(400)));
        assert_eq!(eur(i64::MAX).checked_add(eur(1)), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MIN).checked_sub(eur(1)), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MAX / 2 + 1).times(2), Err(MoneyError::Overflow));
        let usd = Money::new(1, Currency::parse("USD").unwrap());
        assert_eq!(eur(1).checked_add(usd), Err(MoneyError::CurrencyMismatch("EUR", "USD")));
    }

    #[test]
    fn rounding_is_explicit_at_the_half() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(
            Money::from_decimal(d("0.125"), Currency::EUR, Rounding::HalfUp),
            Ok(eur(13))
        );
        assert_eq!(
            Money::from_decimal(d("0.125"), Currency::EUR, Rounding::HalfEven),
            Ok(eur(12))
        );
        assert_eq!(
            Money::from_decimal(d("0.135"), Currency::EUR, Rounding::HalfEven),
            Ok(eur(14))
        );
        assert_eq!(
            Money::from_decimal(d("-0.125"), Currency::EUR, Rounding::HalfUp),
            Ok(eur(-13))
        );
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(
            Money::from_decimal(d("99.5"), jpy, Rounding::HalfUp),
            Ok(Money::new(100, jpy))
        );
    }

    #[test]
    fn typed_amounts_parse_exactly() {
        assert_eq!(Money::parse_major("12.50", Currency::EUR), Ok(eur(1250)));
        assert_eq!(Money::parse_major(" 12,5 ", Currency::EUR), Ok(eur(1250)));
        assert_eq!(Money::parse_major("7", Currency::EUR), Ok(eur(700)));
        assert!(Money::parse_major("12.505", Currency::EUR).is_err());
        assert!(Money::parse_major("twelve", Currency::EUR).is_err());
        assert!(Money::parse_major("1e3", Currency::EUR).is_err());
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::parse_major("500", jpy), Ok(Money::new(500, jpy)));
        assert!(Money::parse_major("500.5", jpy).is_err());
        assert_eq!(
            Money::parse_major("12.500", Currency::EUR),
            Ok(eur(1250)),
            "trailing zeros round nothing"
        );
        assert!(Money::parse_major("12.345", Currency::EUR)
            .unwrap_err()
            .contains("more decimals"));
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(Money::parse_major("1.234", kwd), Ok(Money::new(1234, kwd)));
        assert_eq!(
            Money::parse_major("-1.00", Currency::EUR),
            Ok(eur(-100)),
            "check_price refuses it"
        );
        for bad in [
            "",
            "1,234.50",
            "1.234,50",
            "1 234",
            "€12",
            "12.",
            ".5",
            "12.5.0",
            "NaN",
            "+1",
            "--1",
            "99999999999999999999999999999999",
        ] {
            assert!(Money::parse_major(bad, Currency::EUR).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rates_round_back_to_minor_units() {
        // 19% VAT of 9.99 is 1.8981 → 1.90.
        assert_eq!(eur(999).apply_rate(Decimal::new(19, 2), Rounding::HalfUp), Ok(eur(190)));
        // 2.5% fee of 0.50 is 0.0125 → 0.01 either way.
        assert_eq!(eur(50).apply_rate(Decimal::new(25, 3), Rounding::HalfEven), Ok(eur(1)));
    }

    #[test]
    fn money_travels_as_amount_and_currency() {
        let json = serde_json::to_string(&eur(1250)).unwrap();
        assert_eq!(json, r#"{"amount":1250,"currency":"EUR"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), eur(1250));
        assert!(serde_json::from_str::<Money>(r#"{"amount":1,"currency":"XXX"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":1.5,"currency":"EUR"}"#).is_err());
        assert_eq!(eur(1250).to_string(), "12.50 EUR");
    }
}
