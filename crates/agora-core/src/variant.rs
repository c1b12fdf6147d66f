//! A variant after it is listed: the seller's edits of it (price, SKU, GTIN, options, archiving),
//! checked once before anything is written, and the name people see for it ("Black / 1 kg").

use serde_json::{Map, Value};

use crate::catalog::{Gtin, Sku};
use crate::category::{AttributeDef, AttributeType};
use crate::money::{Currency, Money};
use crate::pricing::check_price;
use crate::ValidationErrors;

/// A seller's edit of one variant, before any check; only the fields given change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariantPatch {
    pub sku: Option<String>,
    /// A blank GTIN removes it.
    pub gtin: Option<String>,
    pub price: Option<Money>,
    /// The variant's options, replacing the ones it had.
    pub attributes: Option<Map<String, Value>>,
    /// `true` takes the variant off sale, `false` puts it back.
    pub archived: Option<bool>,
}

/// A checked edit of a variant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariantEdit {
    pub sku: Option<Sku>,
    /// `Some(None)` removes the GTIN.
    pub gtin: Option<Option<Gtin>>,
    pub price: Option<Money>,
    pub attributes: Option<Map<String, Value>>,
    pub archived: Option<bool>,
}

impl VariantEdit {
    /// Parses an edit of a variant priced in `currency`, reporting every problem at once. The
    /// price stays in the variant's currency: its volume and company prices are kept in it.
    pub fn parse(patch: VariantPatch, currency: Currency) -> Result<VariantEdit, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let sku = patch.sku.as_deref().and_then(|s| errors.check("sku", Sku::parse(s)));
        let gtin = match patch.gtin.as_deref() {
            None => None,
            Some(raw) => errors.check("gtin", Gtin::parse_optional(Some(raw))),
        };
        let price = patch.price.and_then(|p| {
            if p.currency != currency {
                errors.add(
                    "price",
                    format!("must be in {}, the variant's currency", currency.code()),
                );
                return None;
            }
            errors.check("price", check_price(p))
        });
        errors.into_result().map(|()| VariantEdit {
            sku,
            gtin,
            price,
            attributes: patch.attributes,
            archived: patch.archived,
        })
    }

    /// Whether the edit changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == VariantEdit::default()
    }
}

/// One option value as people read it: text as written with a capital first letter, a number with
/// its attribute's name, a yes/no as the attribute's name or "no …".
fn option_value(def: Option<&AttributeDef>, key: &str, value: &Value) -> Option<String> {
    let name = key.replace('_', " ");
    let text = match (def.map(|d| d.kind), value) {
        (_, Value::String(s)) if s.trim().is_empty() => return None,
        (_, Value::String(s)) => capitalised(s.trim()),
        (Some(AttributeType::Boolean) | None, Value::Bool(true)) => capitalised(&name),
        (Some(AttributeType::Boolean) | None, Value::Bool(false)) => format!("No {name}"),
        (_, Value::Number(n)) => format!("{} {n}", capitalised(&name)),
        (_, Value::Null) => return None,
        (_, other) => other.to_string(),
    };
    Some(text)
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The name of a variant by its options, in the order its category declares them ("Black /
/// 1 kg"); options the category does not declare follow in their own order. `None` when it has
/// no options: then people see its SKU.
pub fn option_label(declared: &[AttributeDef], attributes: &Value) -> Option<String> {
    let map = attributes.as_object()?;
    let mut parts = Vec::new();
    for def in declared {
        if let Some(v) = map.get(&def.key) {
            parts.extend(option_value(Some(def), &def.key, v));
        }
    }
    for (key, v) in map {
        if !declared.iter().any(|d| &d.key == key) {
            parts.extend(option_value(None, key, v));
        }
    }
    (!parts.is_empty()).then(|| parts.join(" / "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn def(key: &str, kind: AttributeType) -> AttributeDef {
        AttributeDef {
            key: key.into(),
            kind,
            values: (kind == AttributeType::Enum).then(|| vec!["black".into()]),
        }
    }

    #[test]
    fn options_read_in_the_categorys_order() {
        let declared = [def("colour", AttributeType::Enum), def("weight", AttributeType::Text)];
        assert_eq!(
            option_label(&declared, &json!({"weight": "1 kg", "colour": "black"})).as_deref(),
            Some("Black / 1 kg")
        );
        assert_eq!(option_label(&declared, &json!({})), None);
        let more = [
            def("wireless", AttributeType::Boolean),
            def("voltage", AttributeType::Number),
        ];
        assert_eq!(
            option_label(&more, &json!({"wireless": false, "voltage": 230})).as_deref(),
            Some("No wireless / Voltage 230")
        );
        assert_eq!(
            option_label(&[], &json!({"size": "XL"})).as_deref(),
            Some("XL"),
            "an option the category no longer declares still names the variant"
        );
    }

    #[test]
    fn an_edit_keeps_the_variants_currency_and_reports_everything() {
        let patch = VariantPatch {
            sku: Some("bad sku with spaces and far too long to be one ....................................".into()),
            gtin: Some("4006381333932".into()),
            price: Some(Money::new(100, Currency::parse("USD").unwrap())),
            ..Default::default()
        };
        let errors = VariantEdit::parse(patch, Currency::EUR).unwrap_err();
        for field in ["sku", "gtin", "price"] {
            assert!(errors.message_for(field).is_some(), "{field}: {errors:?}");
        }
        let edit = VariantEdit::parse(
            VariantPatch {
                gtin: Some(" ".into()),
                price: Some(Money::new(1250, Currency::EUR)),
                archived: Some(true),
                ..Default::default()
            },
            Currency::EUR,
        )
        .unwrap();
        assert_eq!(edit.gtin, Some(None), "a blank GTIN removes it");
        assert_eq!(edit.price, Some(Money::new(1250, Currency::EUR)));
        assert!(!edit.is_empty());
        assert!(VariantEdit::parse(VariantPatch::default(), Currency::EUR)
            .unwrap()
            .is_empty());
    }
}
