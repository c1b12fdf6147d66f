//! A company's members and their roles, managed by the company's admins.

use agora_core::account::{CompanyRole, Email};
use agora_store::{accounts, companies, now_ms};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{audit, rfc3339, Actor, App, AppError, AppResult};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompanyView {
    pub id: String,
    pub name: String,
    pub members: Vec<MemberView>,
    /// Emails invited before they had an account; they join when they register.
    pub invitations: Vec<InvitationView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub account_id: String,
    pub email: String,
    pub name: String,
    #[schema(value_type = String, example = "purchaser")]
    pub role: CompanyRole,
    pub since: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvitationView {
    pub email: String,
    #[schema(value_type = String, example = "purchaser")]
    pub role: CompanyRole,
    pub invited_at: String,
}

/// What adding a member did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddedMember {
    pub email: String,
    #[schema(value_type = String, example = "purchaser")]
    pub role: CompanyRole,
    /// `active` when the account existed and joined, `invited` when it will join on registration.
    pub status: String,
}

/// Members see their company; everyone else gets 404.
fn require_member(actor: &Actor, company_id: &str) -> AppResult<CompanyRole> {
    actor.role_in(company_id).ok_or(AppError::NotFound("company"))
}

fn require_admin(actor: &Actor, company_id: &str) -> AppResult<()> {
    match require_member(actor, company_id)? {
        CompanyRole::Admin => Ok(()),
        _ => Err(AppError::Forbidden("only company admins manage members".into())),
    }
}

pub async fn get(app: &App, actor: &Actor, company_id: &str) -> AppResult<CompanyView> {
    require_member(actor, company_id)?;
    let mut conn = app.db.conn().await?;
    let name = companies::name(&mut conn, company_id)
        .await?
        .ok_or(AppError::NotFound("company"))?;
    let members = companies::members(&mut conn, company_id)
        .await?
        .into_iter()
        .filter_map(|m| {
            Some(MemberView {
                role: m.role.parse().ok()?,
                account_id: m.account_id,
                email: m.email,
                name: m.name,
                since: rfc3339(m.created_at),
            })
        })
        .collect();
    let invitations = companies::invitations(&mut conn, company_id)
        .await?
        .into_iter()
        .filter_map(|i| {
            Some(InvitationView {
                role: i.role.parse().ok()?,
                email: i.email,
                invited_at: rfc3339(i.created_at),
            })
        })
        .collect();
    Ok(CompanyView {
        id: company_id.to_owned(),
        name,
        members,
        invitations,
    })
}

pub fn parse_role(raw: &str) -> AppResult<CompanyRole> {
    raw.parse().map_err(|m| AppError::invalid("role", m))
}

/// Adds the account with `email` to the company, or invites the email if it has no account yet.
pub async fn add_member(app: &App, actor: &Actor, company_id: &str, email: &str, role: &str) -> AppResult<AddedMember> {
    require_admin(actor, company_id)?;
    let email = Email::parse(email).map_err(|m| AppError::invalid("email", m))?;
    let role = parse_role(role)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let status = match accounts::by_email(&mut tx, email.as_str()).await? {
        Some(account) => {
            if let Some((other, _, _)) = companies::membership(&mut tx, &account.id).await? {
                let message = if other == company_id {
                    "is already a member of this company"
                } else {
                    "belongs to another company"
                };
                return Err(AppError::Conflict(format!("{email} {message}")));
            }
            if let Err(err) = companies::add_member(&mut tx, company_id, &account.id, role.as_str(), now).await {
                // Another company took the account between our check and our insert.
                if agora_store::is_unique_violation(&err) {
                    return Err(AppError::Conflict(format!("{email} belongs to another company")));
                }
                return Err(err.into());
            }
            "active"
        }
        None => {
            companies::invite(
                &mut tx,
                company_id,
                email.as_str(),
                role.as_str(),
                &actor.account_id,
                now,
            )
            .await?;
            "invited"
        }
    };
    let data = serde_json::json!({ "email": email.as_str(), "role": role, "status": status });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        "company.member_added",
        company_id,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(AddedMember {
        email: email.as_str().to_owned(),
        role,
        status: status.into(),
    })
}

/// Changes a member's role. The last admin cannot step down.
pub async fn set_role(app: &App, actor: &Actor, company_id: &str, account_id: &str, role: &str) -> AppResult<()> {
    require_admin(actor, company_id)?;
    let role = parse_role(role)?;
    let mut tx = app.db.begin().await?;
    if role != CompanyRole::Admin {
        ensure_not_last_admin(&mut tx, company_id, account_id).await?;
    }
    if !companies::set_role(&mut tx, company_id, account_id, role.as_str()).await? {
        return Err(AppError::NotFound("member"));
    }
    let data = serde_json::json!({ "account_id": account_id, "role": role });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        "company.role_changed",
        company_id,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member. The last admin cannot be removed.
pub async fn remove_member(app: &App, actor: &Actor, company_id: &str, account_id: &str) -> AppResult<()> {
    require_admin(actor, company_id)?;
    let mut tx = app.db.begin().await?;
    ensure_not_last_admin(&mut tx, company_id, account_id).await?;
    if !companies::remove_member(&mut tx, company_id, account_id).await? {
        return Err(AppError::NotFound("member"));
    }
    let data = serde_json::json!({ "account_id": account_id });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        "company.member_removed",
        company_id,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn ensure_not_last_admin(conn: &mut agora_store::Conn, company_id: &str, account_id: &str) -> AppResult<()> {
    companies::lock(conn, company_id).await?;
    let is_admin = companies::members(conn, company_id)
        .await?
        .iter()
        .any(|m| m.account_id == account_id && m.role == CompanyRole::Admin.as_str());
    if is_admin && companies::admin_count(conn, company_id).await? <= 1 {
        return Err(AppError::Conflict("a company needs at least one admin".into()));
    }
    Ok(())
}
