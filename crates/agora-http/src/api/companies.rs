//! A company's members and roles.

use agora_app::companies::{self, AddedMember, CompanyView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// The company, its members and open invitations (members only).
#[utoipa::path(get, path = "/companies/{id}", tag = "companies", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CompanyView), (status = 404, body = Problem)))]
pub async fn get_company(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CompanyView>> {
    Ok(Json(companies::get(&state.app, &actor, &id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberBody {
    email: String,
    /// `admin`, `purchaser`, `sales` or `finance`.
    role: String,
}

/// Add a member (company admins only). An email without an account is invited and joins on registration.
#[utoipa::path(post, path = "/companies/{id}/members", tag = "companies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MemberBody,
    responses((status = 201, body = AddedMember), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn add_member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MemberBody>,
) -> ApiResult<(StatusCode, Json<AddedMember>)> {
    let added = companies::add_member(&state.app, &actor, &id, &body.email, &body.role).await?;
    Ok((StatusCode::CREATED, Json(added)))
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
