//! Buyers rate the shop of a completed order.

use agora_app::shop_ratings::{self, RatingView};
use agora_app::AppError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RatingInput {
    /// 1 to 5 stars.
    score: i64,
    /// Up to 2000 characters.
    comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingBody {
    order_id: String,
    shop_id: String,
    /// 1 to 5 stars.
    score: i64,
    comment: Option<String>,
    created_at: String,
}

impl From<RatingView> for RatingBody {
    fn from(r: RatingView) -> Self {
        RatingBody {
            order_id: r.order_id,
            shop_id: r.shop_id,
            score: r.score,
            comment: r.comment,
            created_at: r.created_at,
        }
    }
}

/// Rate the shop of your completed order, once (its buyer; for a company's order while you still
/// buy for the company).
#[utoipa::path(post, path = "/orders/{id}/rating", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RatingInput,
    responses((status = 201, body = RatingBody), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "order-not-completed, already-rated"), (status = 422, body = Problem)))]
pub async fn rate(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RatingInput>,
) -> ApiResult<(StatusCode, Json<RatingBody>)> {
    let r = shop_ratings::rate(&state.app, &actor, &id, body.score, body.comment.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// The rating of an order (its parties); 404 while it is not rated.
#[utoipa::path(get, path = "/orders/{id}/rating", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RatingBody), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<RatingBody>> {
    let r = shop_ratings::of_order(&state.app, &actor, &id)
        .await?
        .ok_or(AppError::NotFound("rating"))?;
    Ok(Json(r.into()))
}
