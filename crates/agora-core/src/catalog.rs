//! Catalog rules: GTINs, SKUs, attribute values against what the category declares.

use serde_json::{Map, Value};

use crate::category::{AttributeDef, AttributeType};
use crate::text;

/// A GTIN (EAN-8, UPC-A, EAN-13 or GTIN-14) with a correct check digit.
pub fn parse_gtin(raw: &str) -> Result<String, String> {
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
    Ok(digits.to_owned())
}

/// A stock-keeping unit: 1 to 64 visible characters, no spaces at the ends.
pub fn parse_sku(raw: &str) -> Result<String, String> {
    let sku = text::bounded(raw, 1, 64, false)?;
    if sku.chars().any(char::is_whitespace) {
        return Err("must not contain spaces".into());
    }
    if raw.trim().chars().any(text::is_invisible) {
        return Err("must not contain invisible characters".into());
    }
    Ok(sku)
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
        assert_eq!(parse_gtin("4006381333931").unwrap(), "4006381333931");
        assert_eq!(parse_gtin("96385074").unwrap(), "96385074");
        assert_eq!(parse_gtin("036000291452").unwrap(), "036000291452");
        assert!(parse_gtin("4006381333932").is_err());
        assert!(parse_gtin("40063813339").is_err());
        assert!(parse_gtin("400638133393a").is_err());
    }

    #[test]
    fn skus_are_single_words() {
        assert!(parse_sku("HP-100-BLK").is_ok());
        assert!(parse_sku("HP 100").is_err());
        assert!(parse_sku("HP\u{200B}100").is_err());
        assert!(parse_sku("HP\u{202E}100").is_err());
        assert!(parse_sku("").is_err());
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
