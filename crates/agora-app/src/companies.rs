//! A company's members and their roles, managed by the company's admins (who invite new members
//! through [`crate::invitations`]).

use agora_core::account::CompanyRole;
use agora_core::audit::AuditAction;
use agora_core::invitation::InvitationStatus;
use agora_core::money::{Currency, Money};
use agora_store::invitations::InvitationRow;
use agora_store::{companies, invitations, now_ms, Conn};

use crate::{audit, rfc3339, Actor, App, AppError, AppResult, ConflictKind};

/// A company as its members see it.
#[derive(Debug, Clone)]
pub struct CompanyView {
    pub id: String,
    pub name: String,
    pub members: Vec<MemberView>,
    /// Pending invitations: an email joins only when its account accepts.
    pub invitations: Vec<InvitationView>,
    /// A purchaser's checkout above it waits for an admin's approval; `None`: no limit.
    pub approval_limit: Option<Money>,
}

/// A member of a company and their role there.
#[derive(Debug, Clone)]
pub struct MemberView {
    pub account_id: String,
    pub email: String,
    pub name: String,
    pub role: CompanyRole,
    pub since: String,
}

/// An invitation as the company's members see it: the email it went to, never who (if anyone)
/// has an account with it.
#[derive(Debug, Clone)]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    pub role: CompanyRole,
    /// `pending`, `accepted`, `declined` or `withdrawn`.
    pub status: InvitationStatus,
    pub invited_at: String,
}

impl InvitationView {
    pub(crate) fn of(i: InvitationRow) -> Option<Self> {
        Some(InvitationView {
            role: i.role.parse().ok()?,
            status: i.status.parse().ok()?,
            id: i.id,
            email: i.email,
            invited_at: rfc3339(i.created_at),
        })
    }
}

/// Members see their company; everyone else gets 404.
pub(crate) fn require_member(actor: &Actor, company_id: &str) -> AppResult<CompanyRole> {
    actor.role_in(company_id).ok_or(AppError::NotFound("company"))
}

pub(crate) fn require_admin(actor: &Actor, company_id: &str) -> AppResult<()> {
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
    let invitations = invitations::pending_of_company(&mut conn, company_id)
        .await?
        .into_iter()
        .filter_map(InvitationView::of)
        .collect();
    let approval_limit = approval_limit(&mut conn, company_id).await?;
    Ok(CompanyView {
        id: company_id.to_owned(),
        name,
        members,
        invitations,
        approval_limit,
    })
}

pub fn parse_role(raw: &str) -> AppResult<CompanyRole> {
    raw.parse().map_err(|m| AppError::invalid("role", m))
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
        AuditAction::CompanyRoleChanged,
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
        AuditAction::CompanyMemberRemoved,
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
        return Err(AppError::conflict(
            ConflictKind::LastAdmin,
            "a company needs at least one admin",
        ));
    }
    Ok(())
}

/// The largest approval limit, in minor units: far above any real order, far below overflow.
pub const MAX_APPROVAL_LIMIT: i64 = 1_000_000_000_000;

/// The company's approval limit, if it set one.
pub(crate) async fn approval_limit(conn: &mut Conn, company_id: &str) -> AppResult<Option<Money>> {
    match companies::approval_limit(conn, company_id).await? {
        Some((amount, code)) => {
            let currency = Currency::parse(&code)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("stored currency {code}: {e}")))?;
            Ok(Some(Money::new(amount, currency)))
        }
        None => Ok(None),
    }
}

/// Sets the company's approval limit (`amount` in minor units of `currency`), or removes it with
/// `None`. Company admins only, by their current role: a member who is no longer admin gets 403,
/// anyone who is no longer a member 404.
pub async fn set_approval_limit(
    app: &App,
    actor: &Actor,
    company_id: &str,
    limit: Option<(i64, &str)>,
) -> AppResult<Option<Money>> {
    require_admin(actor, company_id)?;
    let limit = match limit {
        Some((amount, code)) => {
            let currency = Currency::parse(code).map_err(|m| AppError::invalid("amount.currency", m))?;
            if !(0..=MAX_APPROVAL_LIMIT).contains(&amount) {
                return Err(AppError::invalid(
                    "amount.amount",
                    format!("must be a whole number of minor units from 0 to {MAX_APPROVAL_LIMIT}"),
                ));
            }
            Some(Money::new(amount, currency))
        }
        None => None,
    };
    let mut tx = app.db.begin().await?;
    if !companies::lock(&mut tx, company_id).await? {
        return Err(AppError::NotFound("company"));
    }
    let stored = limit.map(|m| (m.minor, m.currency.code()));
    companies::set_approval_limit(&mut tx, company_id, stored, now_ms()).await?;
    let data = serde_json::json!({ "approval_limit": limit });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::CompanyApprovalLimitSet,
        company_id,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(limit)
}
