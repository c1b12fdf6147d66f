//! Accounts, companies and their members: the types a registration or a membership change is parsed into.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::text;

/// A normalised email address (trimmed, lowercased), at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if value.len() > 254 {
            return Err("must be at most 254 characters".to_owned());
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err("must be an email address like name@example.com".to_owned());
        };
        let domain_ok =
            domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@');
        let no_space = !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if local.is_empty() || local.len() > 64 || !domain_ok || !no_space {
            return Err("must be an email address like name@example.com".to_owned());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the policy of NIST SP 800-63B: 8 to 256 characters, and not one of the
/// most common passwords. Its Debug output never shows it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let len = raw.chars().count();
        if len < Self::MIN_CHARS {
            return Err(format!("must be at least {} characters", Self::MIN_CHARS));
        }
        if len > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        if crate::common_passwords::is_common(raw) {
            return Err("is one of the most common passwords, which are guessed first: choose another".to_owned());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A person's or company's display name.
pub fn parse_name(raw: &str) -> Result<String, String> {
    text::bounded(raw, 1, 100, false)
}

/// Whether an account stands for a person or for a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Individual,
    Enterprise,
}

/// What a member may do for their company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompanyRole {
    /// Manages members and everything else.
    Admin,
    /// Buys on the company's behalf.
    Purchaser,
    /// Runs the company's shop.
    Sales,
    /// Sees invoices, payments and payouts.
    Finance,
}

macro_rules! string_enum {
    ($ty:ty { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $text),+ }
            }
        }

        impl FromStr for $ty {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s { $($text => Ok(<$ty>::$variant),)+
                    _ => Err(format!("must be one of: {}", [$($text),+].join(", "))) }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(AccountKind { Individual = "individual", Enterprise = "enterprise" });
string_enum!(CompanyRole { Admin = "admin", Purchaser = "purchaser", Sales = "sales", Finance = "finance" });

impl CompanyRole {
    /// Whether this role may run the company's shop (edit its application, later its catalog).
    pub fn may_run_shop(self) -> bool {
        matches!(self, CompanyRole::Admin | CompanyRole::Sales)
    }
}

/// A validated registration.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub name: String,
    pub kind: AccountKind,
    /// Present exactly when `kind` is enterprise.
    pub company_name: Option<String>,
}

/// Raw registration input, as typed into a form or sent to the API.
#[derive(Debug, Default, Clone)]
pub struct RegistrationInput<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub company_name: Option<&'a str>,
}

impl Registration {
    pub fn parse(input: RegistrationInput<'_>) -> Result<Self, crate::ValidationErrors> {
        let mut errors = crate::ValidationErrors::new();
        let email = errors.check("email", Email::parse(input.email));
        let password = errors.check("password", Password::parse(input.password));
        let name = errors.check("name", parse_name(input.name));
        let kind = errors.check("kind", input.kind.parse::<AccountKind>());
        let company_name = match (kind, input.company_name.map(str::trim)) {
            (Some(AccountKind::Enterprise), None | Some("")) => {
                errors.add("company_name", "is required for an enterprise account");
                None
            }
            (Some(AccountKind::Enterprise), Some(raw)) => {
                errors.check("company_name", text::bounded(raw, 2, 200, false))
            }
            _ => None,
        };
        match (email, password, name, kind) {
            (Some(email), Some(password), Some(name), Some(kind)) if errors.is_empty() => Ok(Self {
                email,
                password,
                name,
                kind,
                company_name,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("x7#kq2!m").is_ok());
        assert!(Password::parse(&"x".repeat(257)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret-password").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn common_passwords_are_refused_with_the_reason() {
        for common in ["12345678", "password", "Password1", "iloveyou"] {
            let err = Password::parse(common).unwrap_err();
            assert!(err.contains("most common passwords"), "{common}: {err}");
        }
        assert!(Password::parse("agora-demo-2026").is_ok());
        assert!(Password::parse("correct horse battery").is_ok());
    }

    #[test]
    fn enterprise_registration_needs_a_company_name() {
        let input = RegistrationInput {
            email: "buyer@example.com",
            password: "correct horse",
            name: "Bea",
            kind: "enterprise",
            company_name: None,
        };
        let errors = Registration::parse(input.clone()).unwrap_err();
        assert_eq!(
            errors.message_for("company_name"),
            Some("is required for an enterprise account")
        );
        let ok = Registration::parse(RegistrationInput {
            company_name: Some("Acme GmbH"),
            ..input
        })
        .unwrap();
        assert_eq!(ok.company_name.as_deref(), Some("Acme GmbH"));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors = Registration::parse(RegistrationInput {
            email: "nope",
            password: "short",
            name: "",
            kind: "robot",
            company_name: None,
        })
        .unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "password", "name", "kind"]);
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in CompanyRole::ALL {
            assert_eq!(role.as_str().parse::<CompanyRole>().unwrap(), *role);
        }
        assert!("owner".parse::<CompanyRole>().is_err());
        assert!(CompanyRole::Sales.may_run_shop());
        assert!(!CompanyRole::Finance.may_run_shop());
    }
}
