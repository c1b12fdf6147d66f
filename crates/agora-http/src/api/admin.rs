//! The operator's back office: the shop review queue, decisions, categories, the audit check.

use agora_app::audit::{self, Verdict};
use agora_app::categories::{self, NewCategory};
use agora_app::shops::{self, Decision};
use agora_core::category::AttributeDef;
use agora_core::shop::ShopStatus;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::bodies::categories::CategoryNode;
use super::bodies::shops::{QualificationView, ShopPage, ShopView};
use crate::extract::{ApiJson, Auth, Query};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueParams {
    /// `pending` (default), `info_requested`, `approved` or `rejected`.
    status: Option<String>,
    cursor: Option<String>,
    /// 1 to 100, default 20.
    limit: Option<i64>,
}

/// Shops by review status, oldest first.
#[utoipa::path(get, path = "/admin/shops", tag = "admin", security(("bearer" = [])), params(QueueParams),
    responses((status = 200, body = ShopPage), (status = 403, body = Problem)))]
pub async fn queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<QueueParams>,
) -> ApiResult<Json<ShopPage>> {
    let status = q.status.as_deref().unwrap_or(ShopStatus::Pending.as_str());
    Ok(Json(
        shops::queue(&state.app, &actor, status, q.cursor.as_deref(), q.limit)
            .await?
            .into(),
    ))
}

/// Approve a shop (and its pending documents).
#[utoipa::path(post, path = "/admin/shops/{id}/approve", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ShopView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn approve(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ShopView>> {
    Ok(Json(
        shops::decide(&state.app, &actor, &id, Decision::Approve).await?.into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectBody {
    reason: String,
}

/// Reject a shop with a reason the applicant sees.
#[utoipa::path(post, path = "/admin/shops/{id}/reject", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RejectBody, responses((status = 200, body = ShopView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reject(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RejectBody>,
) -> ApiResult<Json<ShopView>> {
    Ok(Json(
        shops::decide(&state.app, &actor, &id, Decision::Reject { reason: body.reason })
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RequestInfoBody {
    message: String,
}

/// Ask the applicant for more information; uploading a document puts the shop back in the queue.
#[utoipa::path(post, path = "/admin/shops/{id}/request-info", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RequestInfoBody, responses((status = 200, body = ShopView), (status = 409, body = Problem)))]
pub async fn request_info(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RequestInfoBody>,
) -> ApiResult<Json<ShopView>> {
    Ok(Json(
        shops::decide(&state.app, &actor, &id, Decision::RequestInfo { message: body.message })
            .await?
            .into(),
    ))
}

/// Approve one pending document (e.g. a licence uploaded after the shop was approved).
#[utoipa::path(post, path = "/admin/qualifications/{id}/approve", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = QualificationView), (status = 409, body = Problem)))]
pub async fn approve_document(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<QualificationView>> {
    Ok(Json(
        shops::decide_document(&state.app, &actor, &id, true, None)
            .await?
            .into(),
    ))
}

/// Reject one pending document with a reason.
#[utoipa::path(post, path = "/admin/qualifications/{id}/reject", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RejectBody, responses((status = 200, body = QualificationView), (status = 409, body = Problem)))]
pub async fn reject_document(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RejectBody>,
) -> ApiResult<Json<QualificationView>> {
    Ok(Json(
        shops::decide_document(&state.app, &actor, &id, false, Some(&body.reason))
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CategoryBody {
    slug: String,
    name: String,
    parent: Option<String>,
    #[serde(default)]
    restricted: bool,
    /// The qualification kind sellers need (restricted categories); defaults to the slug.
    licence_kind: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    attributes: Vec<AttributeDef>,
}

/// Create a category (operators).
#[utoipa::path(post, path = "/admin/categories", tag = "admin", security(("bearer" = [])), request_body = CategoryBody,
    responses((status = 201, body = CategoryNode), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_category(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<CategoryBody>,
) -> ApiResult<(StatusCode, Json<CategoryNode>)> {
    let input = NewCategory {
        slug: body.slug,
        name: body.name,
        parent: body.parent,
        restricted: body.restricted,
        licence_kind: body.licence_kind,
        attributes: body.attributes,
    };
    Ok((
        StatusCode::CREATED,
        Json(categories::create(&state.app, &actor, input).await?.into()),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerdict {
    intact: bool,
    entries: i64,
    /// The first bad entry's sequence number and what is wrong with it.
    first_bad_entry: Option<i64>,
    problem: Option<String>,
}

/// Check the audit chain (operators).
#[utoipa::path(get, path = "/admin/audit/verify", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = AuditVerdict), (status = 403, body = Problem)))]
pub async fn verify_audit(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<AuditVerdict>> {
    actor.require_operator()?;
    Ok(Json(match audit::verify(&state.app).await? {
        Verdict::Intact { entries } => AuditVerdict {
            intact: true,
            entries,
            first_bad_entry: None,
            problem: None,
        },
        Verdict::Broken(err) => AuditVerdict {
            intact: false,
            entries: 0,
            first_bad_entry: err.entry(),
            problem: Some(err.to_string()),
        },
    }))
}
