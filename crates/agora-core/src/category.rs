//! The category tree's rules: which licence a restricted category demands of the shops listing in it.

use serde::{Deserialize, Serialize};

use crate::text;

/// A category as the listing rules see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryRule {
    pub slug: String,
    pub restricted: bool,
    /// The qualification kind a restricted category demands; defaults to the category's slug.
    pub licence_kind: Option<String>,
}

/// Parses a category slug.
pub fn parse_slug(raw: &str) -> Result<String, String> {
    text::slug(raw, 64)
}

/// The qualification kind needed to list in the category whose path from the root is `path`
/// (root first): the nearest restricted category on the path decides. `None` means unrestricted.
pub fn required_licence(path: &[CategoryRule]) -> Option<String> {
    path.iter()
        .rev()
        .find(|c| c.restricted)
        .map(|c| c.licence_kind.clone().unwrap_or_else(|| c.slug.clone()))
}

/// The kind of value an attribute holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeType {
    Text,
    Number,
    Boolean,
    /// One of a fixed list of `values`.
    Enum,
}

/// An attribute a category declares for its products, e.g. `colour` (enum) or `voltage` (number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeDef {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: AttributeType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

impl AttributeDef {
    /// Checks a declared attribute list: keys are slugs, unique; enums list 1 to 100 values.
    pub fn check_all(defs: &[AttributeDef]) -> Result<(), String> {
        if defs.len() > 50 {
            return Err("at most 50 attributes".into());
        }
        let mut seen = Vec::new();
        for d in defs {
            text::slug(&d.key, 64).map_err(|m| format!("key {:?} {m}", d.key))?;
            if seen.contains(&&d.key) {
                return Err(format!("key {:?} is declared twice", d.key));
            }
            seen.push(&d.key);
            match (d.kind, &d.values) {
                (AttributeType::Enum, Some(v)) if (1..=100).contains(&v.len()) => {
                    for value in v {
                        text::bounded(value, 1, 100, false).map_err(|m| format!("{:?}: a value {m}", d.key))?;
                    }
                }
                (AttributeType::Enum, _) => return Err(format!("{:?}: an enum needs 1 to 100 values", d.key)),
                (_, Some(_)) => return Err(format!("{:?}: only enum attributes list values", d.key)),
                (_, None) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(slug: &str, restricted: bool, kind: Option<&str>) -> CategoryRule {
        CategoryRule {
            slug: slug.into(),
            restricted,
            licence_kind: kind.map(Into::into),
        }
    }

    #[test]
    fn attribute_lists_are_checked() {
        let colour = AttributeDef {
            key: "colour".into(),
            kind: AttributeType::Enum,
            values: Some(vec!["red".into()]),
        };
        assert_eq!(AttributeDef::check_all(std::slice::from_ref(&colour)), Ok(()));
        assert!(AttributeDef::check_all(&[colour.clone(), colour.clone()]).is_err());
        let no_values = AttributeDef {
            values: None,
            ..colour.clone()
        };
        assert!(AttributeDef::check_all(&[no_values]).is_err());
        let text_with_values = AttributeDef {
            kind: AttributeType::Text,
            ..colour
        };
        assert!(AttributeDef::check_all(&[text_with_values]).is_err());
    }

    #[test]
    fn unrestricted_paths_need_nothing() {
        assert_eq!(
            required_licence(&[cat("home", false, None), cat("kitchen", false, None)]),
            None
        );
    }

    #[test]
    fn a_restricted_ancestor_restricts_its_subtree() {
        let path = [cat("food", true, Some("food_licence")), cat("cheese", false, None)];
        assert_eq!(required_licence(&path).as_deref(), Some("food_licence"));
    }

    #[test]
    fn the_nearest_restriction_wins_and_defaults_to_the_slug() {
        let path = [cat("health", true, Some("health")), cat("medicine", true, None)];
        assert_eq!(required_licence(&path).as_deref(), Some("medicine"));
    }
}
