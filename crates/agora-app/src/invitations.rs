//! Invitations to join a company. An admin invites an email; the account with that email (now or
//! once it registers) accepts or declines; an admin may withdraw it while it is pending. Nobody
//! becomes a member without accepting, and the admin's answer is the same whether or not the email
//! has an account.

use agora_core::account::{CompanyRole, Email};
use agora_core::audit::AuditAction;
use agora_core::invitation::{InvitationEvent, InvitationStatus};
use agora_store::invitations::InvitationRow;
use agora_store::{companies, invitations, new_id, now_ms, Conn};

use crate::companies::{parse_role, require_admin, InvitationView};
use crate::{audit, rfc3339, Actor, App, AppError, AppResult, ConflictKind};

/// A company as an invitation names it.
#[derive(Debug, Clone)]
pub struct CompanyCard {
    pub id: String,
    pub name: String,
}

/// An invitation addressed to the actor.
#[derive(Debug, Clone)]
pub struct ReceivedInvitation {
    pub id: String,
    pub company: CompanyCard,
    pub role: CompanyRole,
    /// The name of the admin who sent it.
    pub invited_by: String,
    pub invited_at: String,
}

/// The company an accepted invitation joined, and the role there.
#[derive(Debug, Clone)]
pub struct Joined {
    pub company: CompanyCard,
    pub role: CompanyRole,
}

/// Invites `email` to the company with `role` (company admins only). The answer does not depend on
/// whether the email has an account or belongs to another company; inviting the same email again
/// while the first is pending changes its role.
pub async fn invite(app: &App, actor: &Actor, company_id: &str, email: &str, role: &str) -> AppResult<InvitationView> {
    require_admin(actor, company_id)?;
    let email = Email::parse(email).map_err(|m| AppError::invalid("email", m))?;
    let role = parse_role(role)?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    // The members are no secret to the admin, so saying so is no leak.
    if companies::members(&mut tx, company_id)
        .await?
        .iter()
        .any(|m| m.email == email.as_str())
    {
        return Err(AppError::conflict(
            ConflictKind::AlreadyMember,
            format!("{email} is already a member of this company"),
        ));
    }
    let id = invitations::open(
        &mut tx,
        &new_id("inv"),
        company_id,
        email.as_str(),
        role.as_str(),
        &actor.account_id,
        now,
    )
    .await?;
    let data = serde_json::json!({ "invitation_id": id, "email": email.as_str(), "role": role });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::CompanyMemberInvited,
        company_id,
        data,
    )
    .await?;
    let row = invitations::by_id(&mut tx, &id)
        .await?
        .ok_or(AppError::NotFound("invitation"))?;
    tx.commit().await?;
    InvitationView::of(row).ok_or_else(|| AppError::Internal(anyhow::anyhow!("invitation {id} is unreadable")))
}

/// The pending invitations addressed to the actor's current email.
pub async fn received(app: &App, actor: &Actor) -> AppResult<Vec<ReceivedInvitation>> {
    let mut conn = app.db.conn().await?;
    Ok(invitations::pending_for_email(&mut conn, &actor.email.to_lowercase())
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(ReceivedInvitation {
                role: r.role.parse().ok()?,
                id: r.id,
                company: CompanyCard {
                    id: r.company_id,
                    name: r.company_name,
                },
                invited_by: r.invited_by,
                invited_at: rfc3339(r.created_at),
            })
        })
        .collect())
}

/// Loads an invitation addressed to the actor: 404 for anyone else, so its existence stays private.
async fn addressed_to(conn: &mut Conn, actor: &Actor, id: &str) -> AppResult<InvitationRow> {
    invitations::by_id(conn, id)
        .await?
        .filter(|i| i.email == actor.email.to_lowercase())
        .ok_or(AppError::NotFound("invitation"))
}

/// Moves the invitation along `event`: 409 when it was already answered or withdrawn, including by
/// a request racing this one.
async fn close(conn: &mut Conn, invitation: &InvitationRow, event: InvitationEvent) -> AppResult<InvitationStatus> {
    let from: InvitationStatus = invitation
        .status
        .parse()
        .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?;
    let to = from
        .transition(event)
        .map_err(|e| AppError::conflict(ConflictKind::InvalidTransition, e.to_string()))?;
    if !invitations::set_status(conn, &invitation.id, from.as_str(), to.as_str(), now_ms()).await? {
        return Err(AppError::conflict(
            ConflictKind::InvalidTransition,
            "the invitation was answered meanwhile",
        ));
    }
    Ok(to)
}

/// Accepts an invitation addressed to the actor, who joins the company with the invited role.
/// Someone who already belongs to a company gets 409 and the invitation stays pending.
pub async fn accept(app: &App, actor: &Actor, id: &str) -> AppResult<Joined> {
    let mut tx = app.db.begin().await?;
    let invitation = addressed_to(&mut tx, actor, id).await?;
    let role = parse_role(&invitation.role)?;
    close(&mut tx, &invitation, InvitationEvent::Accept).await?;
    let busy = || {
        AppError::conflict(
            ConflictKind::InAnotherCompany,
            "you already belong to a company; leave it before joining another",
        )
    };
    if let Some((company, _, _)) = companies::membership(&mut tx, &actor.account_id).await? {
        if company == invitation.company_id {
            return Err(AppError::conflict(
                ConflictKind::AlreadyMember,
                "you are already a member of this company",
            ));
        }
        return Err(busy());
    }
    let now = now_ms();
    if let Err(err) =
        companies::add_member(&mut tx, &invitation.company_id, &actor.account_id, role.as_str(), now).await
    {
        // Another acceptance made the account a member between our check and our insert.
        if agora_store::is_unique_violation(&err) {
            return Err(busy());
        }
        return Err(err.into());
    }
    let data = serde_json::json!({ "invitation_id": invitation.id, "account_id": actor.account_id, "role": role });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::CompanyInvitationAccepted,
        &invitation.company_id,
        data,
    )
    .await?;
    let name = companies::name(&mut tx, &invitation.company_id)
        .await?
        .ok_or(AppError::NotFound("company"))?;
    tx.commit().await?;
    Ok(Joined {
        company: CompanyCard {
            id: invitation.company_id,
            name,
        },
        role,
    })
}

/// Declines an invitation addressed to the actor.
pub async fn decline(app: &App, actor: &Actor, id: &str) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    let invitation = addressed_to(&mut tx, actor, id).await?;
    close(&mut tx, &invitation, InvitationEvent::Decline).await?;
    let data = serde_json::json!({ "invitation_id": invitation.id, "account_id": actor.account_id });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::CompanyInvitationDeclined,
        &invitation.company_id,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Withdraws a pending invitation of the company (company admins only).
pub async fn withdraw(app: &App, actor: &Actor, company_id: &str, id: &str) -> AppResult<()> {
    require_admin(actor, company_id)?;
    let mut tx = app.db.begin().await?;
    let invitation = invitations::by_id(&mut tx, id)
        .await?
        .filter(|i| i.company_id == company_id)
        .ok_or(AppError::NotFound("invitation"))?;
    close(&mut tx, &invitation, InvitationEvent::Withdraw).await?;
    let data = serde_json::json!({ "invitation_id": invitation.id, "email": invitation.email });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::CompanyInvitationWithdrawn,
        company_id,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
