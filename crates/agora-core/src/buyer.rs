//! Who still acts as the buyer of a request or an order placed earlier, by current roles.

use crate::account::CompanyRole;

/// Whether `account_id` (with its company membership today) still acts as the buyer who placed
/// something as `buyer_account_id` for `buyer_company_id`: the same account, and for a company's
/// purchase only while it still buys for that company (an admin or a purchaser). A member who was
/// removed or moved to another role no longer does.
pub fn still_the_buyer(
    account_id: &str,
    membership: Option<(&str, CompanyRole)>,
    buyer_account_id: &str,
    buyer_company_id: Option<&str>,
) -> bool {
    account_id == buyer_account_id
        && match buyer_company_id {
            None => true,
            Some(company) => membership
                .is_some_and(|(id, role)| id == company && matches!(role, CompanyRole::Admin | CompanyRole::Purchaser)),
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buyer_stays_the_buyer_while_buying_for_the_company() {
        assert!(still_the_buyer("a", None, "a", None));
        assert!(!still_the_buyer("b", None, "a", None));
        let purchaser = Some(("co", CompanyRole::Purchaser));
        assert!(still_the_buyer("a", purchaser, "a", Some("co")));
        assert!(
            !still_the_buyer("a", Some(("co", CompanyRole::Finance)), "a", Some("co")),
            "demoted"
        );
        assert!(!still_the_buyer("a", None, "a", Some("co")), "removed");
        assert!(!still_the_buyer(
            "a",
            Some(("other", CompanyRole::Admin)),
            "a",
            Some("co")
        ));
        assert!(
            !still_the_buyer("b", purchaser, "a", Some("co")),
            "a colleague is not the buyer"
        );
    }
}
