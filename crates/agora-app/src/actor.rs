//! Who is asking: the authenticated account behind a request, and what it may do.

use agora_core::account::CompanyRole;
use agora_core::country::Country;

use crate::{AppError, AppResult};

/// An authenticated account, as resolved from a bearer token or a session cookie.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: String,
    pub email: String,
    pub name: String,
    pub is_operator: bool,
    /// The token or session this request came with (what logout revokes).
    pub token_id: String,
    /// The actor's company and role in it, as they stood when the request came in.
    pub company: Option<(String, CompanyRole)>,
    /// The country of the actor's default address, for prices and shipping shown before checkout.
    pub default_country: Option<Country>,
}

impl Actor {
    /// Operators only; everyone else gets 403 (operator endpoints are no secret).
    pub fn require_operator(&self) -> AppResult<()> {
        if self.is_operator {
            Ok(())
        } else {
            Err(AppError::Forbidden("only platform operators may do this".into()))
        }
    }

    /// Whether the actor may run the shop with this owner and company, by the company's current
    /// roles (see [`agora_core::shop::may_run`]). Every right over a shop is decided here.
    pub fn may_run_shop(&self, owner_account_id: &str, company_id: Option<&str>) -> bool {
        let membership = self.company.as_ref().map(|(id, role)| (id.as_str(), *role));
        agora_core::shop::may_run(&self.account_id, membership, owner_account_id, company_id)
    }

    /// Whether the actor handles the money of the shop with this owner and company: requests its
    /// payouts (see [`agora_core::payout::may_handle_money`]).
    pub fn may_handle_shop_money(&self, owner_account_id: &str, company_id: Option<&str>) -> bool {
        let membership = self.company.as_ref().map(|(id, role)| (id.as_str(), *role));
        agora_core::payout::may_handle_money(&self.account_id, membership, owner_account_id, company_id)
    }

    /// Whether the actor registers the shop's payout account (its owner; a company's admins).
    pub fn may_set_payout_account(&self, owner_account_id: &str, company_id: Option<&str>) -> bool {
        let membership = self.company.as_ref().map(|(id, role)| (id.as_str(), *role));
        agora_core::payout::may_set_payout_account(&self.account_id, membership, owner_account_id, company_id)
    }

    /// The actor's role in `company_id`, if a member.
    pub fn role_in(&self, company_id: &str) -> Option<CompanyRole> {
        match &self.company {
            Some((id, role)) if id == company_id => Some(*role),
            _ => None,
        }
    }
}
