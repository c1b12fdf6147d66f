//! Companies, their members and invitations as the API shows them.

use agora_app::{companies as app, invitations as app_invitations};
use agora_core::account::CompanyRole;
use agora_core::invitation::InvitationStatus;
use agora_core::money::Money;
use serde::Serialize;
use utoipa::ToSchema;

use super::each;
use super::money::MoneySchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyView {
    pub id: String,
    pub name: String,
    pub members: Vec<MemberView>,
    /// Pending invitations: an email joins only when its account accepts.
    pub invitations: Vec<InvitationView>,
    /// A purchaser's checkout whose total exceeds it waits for a company admin's approval; null: no limit.
    #[schema(value_type = Option<MoneySchema>)]
    pub approval_limit: Option<Money>,
}

impl From<app::CompanyView> for CompanyView {
    fn from(c: app::CompanyView) -> Self {
        Self {
            id: c.id,
            name: c.name,
            members: each(c.members),
            invitations: each(c.invitations),
            approval_limit: c.approval_limit,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub account_id: String,
    pub email: String,
    pub name: String,
    #[schema(value_type = String, example = "purchaser")]
    pub role: CompanyRole,
    pub since: String,
}

impl From<app::MemberView> for MemberView {
    fn from(m: app::MemberView) -> Self {
        Self {
            account_id: m.account_id,
            email: m.email,
            name: m.name,
            role: m.role,
            since: m.since,
        }
    }
}

/// An invitation as the company's members see it: the email it went to, never who (if anyone)
/// has an account with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    #[schema(value_type = String, example = "purchaser")]
    pub role: CompanyRole,
    /// `pending`, `accepted`, `declined` or `withdrawn`.
    #[schema(value_type = String, example = "pending")]
    pub status: InvitationStatus,
    pub invited_at: String,
}

impl From<app::InvitationView> for InvitationView {
    fn from(i: app::InvitationView) -> Self {
        Self {
            id: i.id,
            email: i.email,
            role: i.role,
            status: i.status,
            invited_at: i.invited_at,
        }
    }
}

/// A company as an invitation names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyCard {
    pub id: String,
    pub name: String,
}

impl From<app_invitations::CompanyCard> for CompanyCard {
    fn from(c: app_invitations::CompanyCard) -> Self {
        Self { id: c.id, name: c.name }
    }
}

/// An invitation addressed to the actor.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedInvitation {
    pub id: String,
    pub company: CompanyCard,
    #[schema(value_type = String, example = "purchaser")]
    pub role: CompanyRole,
    /// The name of the admin who sent it.
    pub invited_by: String,
    pub invited_at: String,
}

impl From<app_invitations::ReceivedInvitation> for ReceivedInvitation {
    fn from(r: app_invitations::ReceivedInvitation) -> Self {
        Self {
            id: r.id,
            company: r.company.into(),
            role: r.role,
            invited_by: r.invited_by,
            invited_at: r.invited_at,
        }
    }
}

/// The company an accepted invitation joined, and the role there.
#[derive(Debug, Serialize, ToSchema)]
pub struct Joined {
    pub company: CompanyCard,
    #[schema(value_type = String, example = "purchaser")]
    pub role: CompanyRole,
}

impl From<app_invitations::Joined> for Joined {
    fn from(j: app_invitations::Joined) -> Self {
        Self {
            company: j.company.into(),
            role: j.role,
        }
    }
}
