//! A company's members and roles, and the invitations that make new members.

use agora_app::{companies, invitations};
use agora_core::money::Money;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bodies::companies::{CompanyView, InvitationView, Joined, ReceivedInvitation};
use super::bodies::each;
use super::bodies::money::MoneySchema;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// The company, its members and pending invitations (members only).
#[utoipa::path(get, path = "/companies/{id}", tag = "companies", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CompanyView), (status = 404, body = Problem)))]
pub async fn get_company(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CompanyView>> {
    Ok(Json(companies::get(&state.app, &actor, &id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberBody {
    email: String,
    /// `admin`, `purchaser`, `sales` or `finance`.
    role: String,
}

/// The invitation a company admin sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationSent {
    invitation: InvitationView,
}

/// Invite a member (company admins only). The answer is the same whether or not the email has an
/// account; the person joins only when they accept.
#[utoipa::path(post, path = "/companies/{id}/members", tag = "companies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MemberBody,
    responses((status = 202, body = InvitationSent), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn invite_member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MemberBody>,
) -> ApiResult<(StatusCode, Json<InvitationSent>)> {
    let invitation = invitations::invite(&state.app, &actor, &id, &body.email, &body.role).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(InvitationSent {
            invitation: invitation.into(),
        }),
    ))
}

/// Withdraw a pending invitation (company admins only).
#[utoipa::path(delete, path = "/companies/{id}/invitations/{invitation_id}", tag = "companies", security(("bearer" = [])),
    params(("id" = String, Path), ("invitation_id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn withdraw_invitation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, invitation_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    invitations::withdraw(&state.app, &actor, &id, &invitation_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The invitations addressed to the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedList {
    items: Vec<ReceivedInvitation>,
    /// Always null: an account has few invitations.
    next_cursor: Option<String>,
}

/// The pending invitations addressed to the caller's email.
#[utoipa::path(get, path = "/me/invitations", tag = "companies", security(("bearer" = [])),
    responses((status = 200, body = ReceivedList), (status = 401, body = Problem)))]
pub async fn my_invitations(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<ReceivedList>> {
    let items = invitations::received(&state.app, &actor).await?;
    Ok(Json(ReceivedList {
        items: each(items),
        next_cursor: None,
    }))
}

/// Accept an invitation addressed to the caller: the caller joins the company with the invited role.
#[utoipa::path(post, path = "/invitations/{id}/accept", tag = "companies", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Joined), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Joined>> {
    Ok(Json(invitations::accept(&state.app, &actor, &id).await?.into()))
}

/// Decline an invitation addressed to the caller.
#[utoipa::path(post, path = "/invitations/{id}/decline", tag = "companies", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn decline_invitation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    invitations::decline(&state.app, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleBody {
    role: String,
}

/// Change a member's role (company admins only; the last admin stays admin).
#[utoipa::path(patch, path = "/companies/{id}/members/{account_id}", tag = "companies", security(("bearer" = [])),
    params(("id" = String, Path), ("account_id" = String, Path)), request_body = RoleBody,
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn set_role(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, account_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> ApiResult<StatusCode> {
    companies::set_role(&state.app, &actor, &id, &account_id, &body.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member (company admins only; not the last admin).
#[utoipa::path(delete, path = "/companies/{id}/members/{account_id}", tag = "companies", security(("bearer" = [])),
    params(("id" = String, Path), ("account_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, account_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    companies::remove_member(&state.app, &actor, &id, &account_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An amount as a client sends it: checked by the server, so that a bad one is named.
#[derive(Debug, Deserialize)]
pub struct AmountInput {
    amount: i64,
    currency: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ApprovalLimitBody {
    /// The limit in minor units, like `{"amount": 50000, "currency": "EUR"}`; null removes it.
    #[schema(value_type = Option<MoneySchema>)]
    amount: Option<AmountInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalLimitReply {
    /// A purchaser's checkout whose total exceeds it waits for a company admin's approval; null: no limit.
    #[schema(value_type = Option<MoneySchema>)]
    approval_limit: Option<Money>,
}

/// Set the company's approval limit (company admins only). A checkout by a member who is not an
/// admin whose orders together exceed it (or are in another currency) creates its orders in
/// `awaiting_approval`, with their stock reserved, until an admin approves or declines them.
#[utoipa::path(put, path = "/companies/{id}/approval-limit", tag = "companies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ApprovalLimitBody,
    responses((status = 200, body = ApprovalLimitReply), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_approval_limit(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ApprovalLimitBody>,
) -> ApiResult<Json<ApprovalLimitReply>> {
    let limit = body.amount.as_ref().map(|a| (a.amount, a.currency.as_str()));
    let approval_limit = companies::set_approval_limit(&state.app, &actor, &id, limit).await?;
    Ok(Json(ApprovalLimitReply { approval_limit }))
}
