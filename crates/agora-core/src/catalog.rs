//! Catalog rules: GTINs, SKUs, stock counts and their movements, the limits of a listing, and
//! attribute values against what the category declares.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::account::string_enum;
use crate::category::{AttributeDef, AttributeType};
use crate::text;

/// The most variants one product has.
pub const MAX_VARIANTS: usize = 100;
/// The largest stock count (or low-stock threshold) a seller may set.
pub const MAX_STOCK: i64 = 1_000_000_000;
/// The largest minimum order quantity a product may ask for.
pub const MAX_MIN_ORDER_QTY: i64 = 1_000_000;
/// Stock at or below this is "low" for the seller, unless a variant sets its own threshold.
pub const DEFAULT_LOW_STOCK: i64 = 5;

/// A stock count a seller sets: from 0 to [`MAX_STOCK`] units.
pub fn check_stock(count: i64) -> Result<i64, String> {
    if (0..=MAX_STOCK).contains(&count) {
        Ok(count)
    } else {
        Err(format!("must be between 0 and {MAX_STOCK}"))
    }
}

/// A product's minimum order quantity: from 1 to [`MAX_MIN_ORDER_QTY`] units.
pub fn check_min_order_qty(qty: i64) -> Result<i64, String> {
    if (1..=MAX_MIN_ORDER_QTY).contains(&qty) {
        Ok(qty)
    } else {
        Err(format!("must be between 1 and {MAX_MIN_ORDER_QTY}"))
    }
}

/// A GTIN (EAN-8, UPC-A, EAN-13 or GTIN-14) with a correct check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Gtin(String);

impl Gtin {
    pub fn parse(raw: &str) -> Result<Gtin, String> {
        let digits = raw.trim();
        if !matches!(digits.len(), 8 | 12 | 13 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be 8, 12, 13 or 14 digits".into());
        }
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let (body, check) = values.split_at(values.len() - 1);
        // Weights 3 and 1 alternate from the digit next to the check digit.
        let sum: u32 = body
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
            .sum();
        if (10 - sum % 10) % 10 != check[0] {
            return Err("has a wrong check digit".into());
        }
        Ok(Gtin(digits.to_owned()))
    }

    /// A GTIN typed into an optional field: blank means none.
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Gtin>, String> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => Gtin::parse(raw).map(Some),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A stock-keeping unit: 1 to 64 visible characters, no spaces, unique within a shop.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Sku, String> {
        let sku = text::bounded(raw, 1, 64, false)?;
        if sku.chars().any(char::is_whitespace) {
            return Err("must not contain spaces".into());
        }
        if raw.trim().chars().any(text::is_invisible) {
            return Err("must not contain invisible characters".into());
        }
        Ok(Sku(sku))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

macro_rules! text_newtype_display {
    ($($ty:ty),+) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    )+};
}

text_newtype_display!(Gtin, Sku);

/// Why a variant's stock moved. Stock changes only through recorded movements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockMovementKind {
    /// Goods came in (also a count that found more than expected).
    Received,
    /// Taken out of stock by a sale.
    Sold,
    /// A buyer sent goods back.
    Returned,
    /// A count that found fewer than expected: breakage, loss, a correction.
    Adjusted,
}

string_enum!(StockMovementKind {
    Received = "received",
    Sold = "sold",
    Returned = "returned",
    Adjusted = "adjusted",
});

impl StockMovementKind {
    /// The movement that brings a counted stock in line with the books: more is received, fewer
    /// is an adjustment. `None` when nothing moves.
    pub fn for_count(delta: i64) -> Option<StockMovementKind> {
        match delta {
            0 => None,
            d if d > 0 => Some(StockMovementKind::Received),
            _ => Some(StockMovementKind::Adjusted),
        }
    }
}

/// Checks attribute values against the category's declarations: every key declared, every value
/// of the declared type (and one of the listed values for enums).
pub fn check_attributes(declared: &[AttributeDef], values: &Map<String, Value>) -> Result<(), String> {
    for (key, value) in values {
        let Some(def) = declared.iter().find(|d| &d.key == key) else {
            return Err(format!("{key:?} is not an attribute of this category"));
        };
        let ok = match (def.kind, value) {
            (AttributeType::Text, Value::String(s)) => text::bounded(s, 1, 200, false).is_ok(),
            (AttributeType::Number, Value::Number(_)) => true,
            (AttributeType::Boolean, Value::Bool(_)) => true,
            (AttributeType::Enum, Value::String(s)) => def.values.as_ref().is_some_and(|v| v.contains(s)),
            _ => false,
        };
        if !ok {
            return Err(match def.kind {
                AttributeType::Enum => format!(
                    "{key:?} must be one of: {}",
                    def.values.clone().unwrap_or_default().join(", ")
                ),
                kind => format!("{key:?} must be a {}", format!("{kind:?}").to_lowercase()),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: serde_json::Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn gtins_need_the_right_check_digit() {
        assert_eq!(Gtin::parse("4006381333931").unwrap().as_str(), "4006381333931");
        assert_eq!(Gtin::parse(" 96385074 ").unwrap().as_str(), "96385074");
        assert_eq!(Gtin::parse("036000291452").unwrap().as_str(), "036000291452");
        assert!(Gtin::parse("4006381333932").is_err());
        assert!(Gtin::parse("40063813339").is_err());
        assert!(Gtin::parse("400638133393a").is_err());
        assert_eq!(Gtin::parse_optional(Some("  ")), Ok(None));
        assert_eq!(Gtin::parse_optional(None), Ok(None));
        assert!(Gtin::parse_optional(Some("123")).is_err());
    }

    #[test]
    fn skus_are_single_words() {
        assert_eq!(Sku::parse(" HP-100-BLK ").unwrap().as_str(), "HP-100-BLK");
        assert!(Sku::parse("HP 100").is_err());
        assert!(Sku::parse("HP\u{200B}100").is_err());
        assert!(Sku::parse("HP\u{202E}100").is_err());
        assert!(Sku::parse("").is_err());
        assert!(Sku::parse(&"X".repeat(65)).is_err());
    }

    #[test]
    fn stock_counts_and_order_quantities_are_bounded() {
        assert_eq!(check_stock(0), Ok(0));
        assert_eq!(check_stock(MAX_STOCK), Ok(MAX_STOCK));
        assert_eq!(check_stock(-1).unwrap_err(), "must be between 0 and 1000000000");
        assert!(check_stock(MAX_STOCK + 1).is_err());
        assert_eq!(check_min_order_qty(1), Ok(1));
        assert_eq!(check_min_order_qty(0).unwrap_err(), "must be between 1 and 1000000");
        assert!(check_min_order_qty(MAX_MIN_ORDER_QTY + 1).is_err());
    }

    #[test]
    fn a_count_moves_stock_as_received_or_adjusted() {
        assert_eq!(StockMovementKind::for_count(3), Some(StockMovementKind::Received));
        assert_eq!(StockMovementKind::for_count(-3), Some(StockMovementKind::Adjusted));
        assert_eq!(StockMovementKind::for_count(0), None);
        for kind in StockMovementKind::ALL {
            assert_eq!(kind.as_str().parse::<StockMovementKind>(), Ok(*kind));
        }
        assert!("stolen".parse::<StockMovementKind>().is_err());
    }

    #[test]
    fn attributes_must_be_declared_and_typed() {
        let declared = vec![
            AttributeDef {
                key: "colour".into(),
                kind: AttributeType::Enum,
                values: Some(vec!["black".into()]),
            },
            AttributeDef {
                key: "voltage".into(),
                kind: AttributeType::Number,
                values: None,
            },
        ];
        assert_eq!(
            check_attributes(&declared, &map(json!({"colour": "black", "voltage": 230}))),
            Ok(())
        );
        assert!(check_attributes(&declared, &map(json!({"colour": "pink"}))).is_err());
        assert!(check_attributes(&declared, &map(json!({"voltage": "230"}))).is_err());
        assert!(check_attributes(&declared, &map(json!({"flavour": "mint"}))).is_err());
    }
}
