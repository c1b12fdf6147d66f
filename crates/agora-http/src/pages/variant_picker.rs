//! The product page's variant picker: one row of choices per option (colour, size, …), each a
//! plain link to the page with that variant chosen, so it works without any script.

use agora_app::products::VariantView;
use agora_core::category::AttributeDef;
use serde_json::Value;

/// One value of an option, and the variant choosing it leads to.
pub struct Choice {
    pub label: String,
    pub variant_id: String,
    pub selected: bool,
    pub in_stock: bool,
}

/// An option (e.g. "Colour") with its values.
pub struct OptionGroup {
    pub name: String,
    pub choices: Vec<Choice>,
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "Yes".into(),
        Value::Bool(false) => "No".into(),
        other => other.to_string(),
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The option groups of `variants` (those on sale), with `selected` marked. An option whose
/// value is the same for every variant offers no choice and is left out. A value leads to the
/// variant that differs from the selected one in that option only, or else to the first variant
/// with that value.
pub fn groups(variants: &[VariantView], declared: &[AttributeDef], selected: &VariantView) -> Vec<OptionGroup> {
    let mut keys: Vec<String> = declared.iter().map(|d| d.key.clone()).collect();
    for v in variants {
        for k in v.attributes.as_object().into_iter().flat_map(|m| m.keys()) {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    let mut groups = Vec::new();
    for key in keys {
        let mut values: Vec<&Value> = Vec::new();
        for v in variants {
            if let Some(val) = v.attributes.get(&key) {
                if !values.contains(&val) {
                    values.push(val);
                }
            }
        }
        if values.len() < 2 {
            continue;
        }
        let choices = values
            .into_iter()
            .filter_map(|val| {
                let same_otherwise = |v: &&VariantView| {
                    v.attributes.get(&key) == Some(val)
                        && v.attributes.as_object().is_some_and(|m| {
                            m.iter()
                                .all(|(k, x)| k == &key || selected.attributes.get(k) == Some(x))
                        })
                };
                let target = variants
                    .iter()
                    .find(same_otherwise)
                    .or_else(|| variants.iter().find(|v| v.attributes.get(&key) == Some(val)))?;
                Some(Choice {
                    label: capitalised(&value_text(val)),
                    selected: selected.attributes.get(&key) == Some(val),
                    in_stock: target.stock > 0,
                    variant_id: target.id.clone(),
                })
            })
            .collect();
        groups.push(OptionGroup {
            name: capitalised(&key.replace('_', " ")),
            choices,
        });
    }
    if groups.is_empty() && variants.len() > 1 {
        // Variants told apart by nothing but their SKUs: one choice each, by name.
        groups.push(OptionGroup {
            name: "Variant".into(),
            choices: variants
                .iter()
                .map(|v| Choice {
                    label: v.label().to_owned(),
                    variant_id: v.id.clone(),
                    selected: v.id == selected.id,
                    in_stock: v.stock > 0,
                })
                .collect(),
        });
    }
    groups
}
