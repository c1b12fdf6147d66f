//! Shops and merchant qualification review: the application, its review state machine, and the
//! rule that decides whether a shop may list in a category.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::account::{string_enum, CompanyRole};
use crate::text;
use crate::ValidationErrors;

/// Where a shop stands in the operator's review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShopStatus {
    /// Waiting in the operator's queue.
    Pending,
    /// The operator asked the applicant for more information.
    InfoRequested,
    /// May trade.
    Approved,
    /// Refused, with a reason.
    Rejected,
}

string_enum!(ShopStatus {
    Pending = "pending",
    InfoRequested = "info_requested",
    Approved = "approved",
    Rejected = "rejected",
});

/// Something that happens to a shop application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShopEvent {
    Approve,
    Reject,
    RequestInfo,
    /// The applicant answered a request for information (e.g. uploaded a document).
    Resubmit,
}

/// A transition the review process does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a shop that is {from} cannot be {event}")]
pub struct IllegalTransition {
    pub from: ShopStatus,
    pub event: &'static str,
}

impl ShopStatus {
    /// The one place that decides how a shop's review moves.
    pub fn transition(self, event: &ShopEvent) -> Result<ShopStatus, IllegalTransition> {
        use ShopEvent::*;
        use ShopStatus::*;
        match (self, event) {
            (Pending | InfoRequested, Approve) => Ok(Approved),
            (Pending | InfoRequested, Reject) => Ok(Rejected),
            (Pending, RequestInfo) => Ok(InfoRequested),
            (InfoRequested, Resubmit) => Ok(Pending),
            (from, event) => Err(IllegalTransition {
                from,
                event: match event {
                    Approve => "approved",
                    Reject => "rejected",
                    RequestInfo => "asked for more information",
                    Resubmit => "resubmitted",
                },
            }),
        }
    }
}

impl ShopStatus {
    /// Whether the operator still has to decide (approve, reject or ask for more).
    pub fn awaits_decision(self) -> bool {
        matches!(self, ShopStatus::Pending | ShopStatus::InfoRequested)
    }

    /// Whether the shop's staff may still send documents: every shop but a rejected one, whose
    /// application is closed (a new application is a new shop).
    pub fn takes_documents(self) -> bool {
        self != ShopStatus::Rejected
    }

    /// Whether the public sees the shop and it may trade.
    pub fn is_public(self) -> bool {
        self == ShopStatus::Approved
    }
}

/// A validated shop application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopApplication {
    pub name: String,
    pub legal_name: String,
    pub registration_number: Option<String>,
    pub categories: Vec<String>,
}

impl ShopApplication {
    pub const MAX_CATEGORIES: usize = 20;

    pub fn parse(
        name: &str,
        legal_name: &str,
        registration_number: Option<&str>,
        categories: &[String],
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = errors.check("name", text::bounded(name, 2, 100, false));
        let legal_name = errors.check("legal_name", text::bounded(legal_name, 2, 200, false));
        let registration_number = errors.check("registration_number", text::optional(registration_number, 64));
        let mut slugs = Vec::new();
        if categories.len() > Self::MAX_CATEGORIES {
            errors.add("categories", format!("at most {} categories", Self::MAX_CATEGORIES));
        }
        for raw in categories.iter().take(Self::MAX_CATEGORIES) {
            match crate::category::parse_slug(raw) {
                Ok(slug) if !slugs.contains(&slug) => slugs.push(slug),
                Ok(_) => {}
                Err(message) => errors.add("categories", format!("{raw:?} {message}")),
            }
        }
        match (name, legal_name, registration_number) {
            (Some(name), Some(legal_name), Some(registration_number)) if errors.is_empty() => Ok(Self {
                name,
                legal_name,
                registration_number,
                categories: slugs,
            }),
            _ => Err(errors),
        }
    }
}

/// A URL-safe shop handle derived from its name: `"Café Nord GmbH"` → `"cafe-nord-gmbh"`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "shop".to_owned()
    } else {
        slug.chars()
            .take(60)
            .collect::<String>()
            .trim_end_matches('-')
            .to_owned()
    }
}

fn fold_accent(c: char) -> Vec<char> {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Å' => vec!['a'],
        'ä' | 'Ä' | 'æ' | 'Æ' => vec!['a', 'e'],
        'ç' | 'Ç' => vec!['c'],
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => vec!['e'],
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => vec!['i'],
        'ñ' | 'Ñ' => vec!['n'],
        'ò' | 'ó' | 'ô' | 'õ' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ø' => vec!['o'],
        'ö' | 'Ö' | 'œ' | 'Œ' => vec!['o', 'e'],
        'ù' | 'ú' | 'û' | 'Ù' | 'Ú' | 'Û' => vec!['u'],
        'ü' | 'Ü' => vec!['u', 'e'],
        'ß' => vec!['s', 's'],
        other => vec![other],
    }
}

/// The review state of one uploaded qualification document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualificationStatus {
    Pending,
    Approved,
    Rejected,
}

string_enum!(QualificationStatus { Pending = "pending", Approved = "approved", Rejected = "rejected" });

/// Parses a qualification kind such as `food_licence`.
pub fn parse_qualification_kind(raw: &str) -> Result<String, String> {
    text::slug(raw, 64)
}

/// A qualification as the listing rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualification {
    pub kind: String,
    pub status: QualificationStatus,
    pub expires_on: Option<Date>,
}

impl Qualification {
    /// Approved and not expired on `today` (a document is valid through its expiry date).
    pub fn is_valid_on(&self, today: Date) -> bool {
        self.status == QualificationStatus::Approved && self.expires_on.is_none_or(|d| today <= d)
    }
}

/// Why a shop may not list in a category.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingDenied {
    #[error("the shop is not approved")]
    ShopNotApproved,
    #[error("this category needs an approved, unexpired qualification of kind {0:?}")]
    MissingQualification(String),
}

/// Whether a shop with `status` and `qualifications` may list in a category that needs
/// `required_licence` (see [`crate::category::required_licence`]) on `today`.
pub fn may_list(
    status: ShopStatus,
    required_licence: Option<&str>,
    qualifications: &[Qualification],
    today: Date,
) -> Result<(), ListingDenied> {
    if status != ShopStatus::Approved {
        return Err(ListingDenied::ShopNotApproved);
    }
    match required_licence {
        None => Ok(()),
        Some(kind) if qualifications.iter().any(|q| q.kind == kind && q.is_valid_on(today)) => Ok(()),
        Some(kind) => Err(ListingDenied::MissingQualification(kind.to_owned())),
    }
}

/// Who runs a shop: for a company's shop, whoever is now the company's admin or sales member (the
/// member who opened it has no rights of their own); for a personal shop, its owner.
/// `membership` is the account's company and its current role there.
pub fn may_run(
    account_id: &str,
    membership: Option<(&str, CompanyRole)>,
    owner_account_id: &str,
    company_id: Option<&str>,
) -> bool {
    match company_id {
        Some(company) => membership.is_some_and(|(id, role)| id == company && role.may_run_shop()),
        None => owner_account_id == account_id,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn review_moves_only_along_allowed_edges() {
        use ShopEvent::*;
        use ShopStatus::*;
        assert_eq!(Pending.transition(&Approve), Ok(Approved));
        assert_eq!(Pending.transition(&Reject), Ok(Rejected));
        assert_eq!(Pending.transition(&RequestInfo), Ok(InfoRequested));
        assert_eq!(InfoRequested.transition(&Resubmit), Ok(Pending));
        assert_eq!(InfoRequested.transition(&Approve), Ok(Approved));
        assert_eq!(InfoRequested.transition(&Reject), Ok(Rejected));
    }

    #[test]
    fn every_other_review_move_is_refused() {
        use ShopEvent::*;
        use ShopStatus::*;
        let legal = [
            (Pending, Approve),
            (Pending, Reject),
            (Pending, RequestInfo),
            (InfoRequested, Approve),
            (InfoRequested, Reject),
            (InfoRequested, Resubmit),
        ];
        let mut refused = 0;
        for from in ShopStatus::ALL {
            for event in [Approve, Reject, RequestInfo, Resubmit] {
                if legal.contains(&(*from, event.clone())) {
                    continue;
                }
                let err = from.transition(&event).unwrap_err();
                assert_eq!(err.from, *from);
                refused += 1;
            }
        }
        assert_eq!(
            refused, 10,
            "a decided shop stays decided; questions and answers alternate"
        );
        assert_eq!(
            Approved.transition(&Reject).unwrap_err().to_string(),
            "a shop that is approved cannot be rejected"
        );
    }

    #[test]
    fn only_undecided_shops_await_the_operator_and_only_approved_ones_are_public() {
        use ShopStatus::*;
        assert!(Pending.awaits_decision() && InfoRequested.awaits_decision());
        assert!(!Approved.awaits_decision() && !Rejected.awaits_decision());
        assert!(Approved.is_public());
        assert!(!Pending.is_public() && !InfoRequested.is_public() && !Rejected.is_public());
    }

    #[test]
    fn application_fields_are_checked_together() {
        let errors = ShopApplication::parse("", "X", None, &["Bad Slug".into()]).unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "legal_name", "categories"]);
        let ok = ShopApplication::parse("Nord", "Nord GmbH", Some(" "), &["food".into(), "food".into()]).unwrap();
        assert_eq!(ok.registration_number, None);
        assert_eq!(ok.categories, ["food"]);
    }

    #[test]
    fn slugs_fold_accents_and_punctuation() {
        assert_eq!(slugify("Café Nord GmbH"), "cafe-nord-gmbh");
        assert_eq!(slugify("Müller & Söhne"), "mueller-soehne");
        assert_eq!(slugify("!!!"), "shop");
    }

    fn licence(status: QualificationStatus, expires_on: Option<Date>) -> Qualification {
        Qualification {
            kind: "food".into(),
            status,
            expires_on,
        }
    }

    #[test]
    fn restricted_categories_need_a_valid_licence_of_the_matching_kind() {
        let today = date!(2026 - 06 - 01);
        let approved = ShopStatus::Approved;
        assert_eq!(may_list(approved, None, &[], today), Ok(()));
        assert!(may_list(approved, Some("food"), &[], today).is_err());
        let valid = licence(QualificationStatus::Approved, Some(today));
        assert_eq!(
            may_list(approved, Some("food"), std::slice::from_ref(&valid), today),
            Ok(())
        );
        let other_kind = Qualification {
            kind: "medicine".into(),
            ..valid.clone()
        };
        assert!(may_list(approved, Some("food"), &[other_kind], today).is_err());
        let pending = licence(QualificationStatus::Pending, None);
        assert!(may_list(approved, Some("food"), &[pending], today).is_err());
    }

    #[test]
    fn a_licence_stops_counting_the_day_after_it_expires() {
        let q = licence(QualificationStatus::Approved, Some(date!(2026 - 06 - 01)));
        assert!(q.is_valid_on(date!(2026 - 06 - 01)));
        assert!(!q.is_valid_on(date!(2026 - 06 - 02)));
        assert_eq!(
            may_list(ShopStatus::Approved, Some("food"), &[q], date!(2026 - 06 - 02)),
            Err(ListingDenied::MissingQualification("food".into()))
        );
    }

    #[test]
    fn only_approved_shops_list() {
        let today = date!(2026 - 06 - 01);
        for status in [ShopStatus::Pending, ShopStatus::InfoRequested, ShopStatus::Rejected] {
            assert_eq!(may_list(status, None, &[], today), Err(ListingDenied::ShopNotApproved));
        }
    }

    #[test]
    fn a_company_shop_follows_the_current_roles_and_a_personal_shop_its_owner() {
        use CompanyRole::*;
        let company = Some("com_a");
        assert!(may_run("acc_1", Some(("com_a", Sales)), "acc_1", company));
        assert!(may_run("acc_2", Some(("com_a", Admin)), "acc_1", company));
        assert!(
            !may_run("acc_1", Some(("com_a", Purchaser)), "acc_1", company),
            "demoted opener"
        );
        assert!(!may_run("acc_1", Some(("com_a", Finance)), "acc_1", company));
        assert!(!may_run("acc_1", None, "acc_1", company), "removed opener");
        assert!(
            !may_run("acc_1", Some(("com_b", Admin)), "acc_1", company),
            "another company"
        );
        assert!(may_run("acc_1", None, "acc_1", None));
        assert!(may_run("acc_1", Some(("com_a", Purchaser)), "acc_1", None));
        assert!(!may_run("acc_2", Some(("com_a", Admin)), "acc_1", None));
    }
}
