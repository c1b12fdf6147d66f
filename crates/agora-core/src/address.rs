//! Postal addresses a buyer ships to: parsed once at the edge, every missing or bad field named,
//! then kept on the order as it was at checkout.

use serde::{Deserialize, Serialize};

use crate::country::Country;
use crate::text;
use crate::ValidationErrors;

/// A checked shipping address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Who receives the parcel (a person, or a company and a person).
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// State, province or county, where the country uses one.
    pub region: Option<String>,
    pub country: Country,
    /// For the carrier, if the buyer gives one.
    pub phone: Option<String>,
}

/// An address as typed into a form or sent to the API.
#[derive(Debug, Clone, Copy, Default)]
pub struct AddressInput<'a> {
    pub name: &'a str,
    pub line1: &'a str,
    pub line2: Option<&'a str>,
    pub city: &'a str,
    pub postal_code: &'a str,
    pub region: Option<&'a str>,
    pub country: &'a str,
    pub phone: Option<&'a str>,
}

impl AddressInput<'_> {
    /// Whether nothing was typed into any field the address needs.
    pub fn is_blank(&self) -> bool {
        [self.name, self.line1, self.city, self.postal_code, self.country]
            .iter()
            .all(|f| f.trim().is_empty())
    }
}

/// A postal code: 1 to 12 letters, digits, spaces and hyphens, upper-cased (`10115`, `SW1A 1AA`).
/// Its shape is not checked per country: the carrier's systems know better, and a wrong refusal
/// loses a sale.
pub fn parse_postal_code(raw: &str) -> Result<String, String> {
    let code = raw.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase();
    let ok_chars = code.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    if code.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if code.chars().count() > 12 || !ok_chars {
        return Err("must be a postal code of up to 12 letters, digits, spaces or hyphens".to_owned());
    }
    Ok(code)
}

/// A phone number for the carrier: 6 to 20 digits, optionally after a `+`, with spaces, hyphens,
/// dots and brackets allowed and dropped.
pub fn parse_phone(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", trimmed),
    };
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let only_separators = rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'));
    if !only_separators || !(6..=20).contains(&digits.len()) {
        return Err("must be a phone number like +49 30 1234567".to_owned());
    }
    Ok(format!("{plus}{digits}"))
}

impl Address {
    /// Checks every field, naming each bad one as `{prefix}.{field}` (e.g.
    /// `shipping_address.country`).
    pub fn parse(prefix: &str, input: AddressInput<'_>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let field = |name: &str| format!("{prefix}.{name}");
        let name = errors.check(&field("name"), text::bounded(input.name, 1, 100, false));
        let line1 = errors.check(&field("line1"), text::bounded(input.line1, 1, 200, false));
        let line2 = errors.check(&field("line2"), text::optional(input.line2, 200));
        let city = errors.check(&field("city"), text::bounded(input.city, 1, 100, false));
        let postal_code = errors.check(&field("postal_code"), parse_postal_code(input.postal_code));
        let region = errors.check(&field("region"), text::optional(input.region, 100));
        let country = errors.check(
            &field("country"),
            if input.country.trim().is_empty() {
                Err("must not be empty".to_owned())
            } else {
                Country::parse(input.country)
            },
        );
        let phone = errors.check(
            &field("phone"),
            match input.phone.map(str::trim) {
                None | Some("") => Ok(None),
                Some(raw) => parse_phone(raw).map(Some),
            },
        );
        match (name, line1, line2, city, postal_code, region, country, phone) {
            (
                Some(name),
                Some(line1),
                Some(line2),
                Some(city),
                Some(postal_code),
                Some(region),
                Some(country),
                Some(phone),
            ) => Ok(Address {
                name,
                line1,
                line2,
                city,
                postal_code,
                region,
                country,
                phone,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> AddressInput<'static> {
        AddressInput {
            name: " Erika Mustermann ",
            line1: "Heidestraße 17",
            line2: Some(""),
            city: "Berlin",
            postal_code: " 10557 ",
            region: None,
            country: "de",
            phone: Some("+49 (30) 123-4567"),
        }
    }

    #[test]
    fn a_complete_address_is_normalised() {
        let a = Address::parse("shipping_address", berlin()).unwrap();
        assert_eq!(a.name, "Erika Mustermann");
        assert_eq!(a.line2, None);
        assert_eq!(a.postal_code, "10557");
        assert_eq!(a.country.code(), "DE");
        assert_eq!(a.phone.as_deref(), Some("+49301234567"));
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["country"], "DE");
        assert_eq!(serde_json::from_value::<Address>(json).unwrap(), a);
    }

    #[test]
    fn an_address_missing_its_country_names_the_field() {
        let errors = Address::parse(
            "shipping_address",
            AddressInput {
                country: " ",
                ..berlin()
            },
        )
        .unwrap_err();
        assert_eq!(
            errors.message_for("shipping_address.country"),
            Some("must not be empty")
        );
        assert_eq!(errors.0.len(), 1);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let errors = Address::parse(
            "shipping_address",
            AddressInput {
                name: "",
                line1: "",
                line2: None,
                city: "\u{200B}",
                postal_code: "12345678901234",
                region: Some("Bavaria"),
                country: "Germany",
                phone: Some("call me"),
            },
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "shipping_address.name",
                "shipping_address.line1",
                "shipping_address.city",
                "shipping_address.postal_code",
                "shipping_address.country",
                "shipping_address.phone",
            ]
        );
    }

    #[test]
    fn postal_codes_and_phones_keep_their_useful_characters() {
        assert_eq!(parse_postal_code("sw1a   1aa"), Ok("SW1A 1AA".into()));
        assert_eq!(parse_postal_code("1010"), Ok("1010".into()));
        assert!(parse_postal_code("10557;DROP").is_err());
        assert!(parse_postal_code("").is_err());
        assert_eq!(parse_phone("030 1234567"), Ok("0301234567".into()));
        assert!(parse_phone("12345").is_err());
        assert!(parse_phone("+49 30 12 34 56 78 90 12 34 56 78").is_err());
        assert!(parse_phone("++4930123456").is_err());
    }
}
