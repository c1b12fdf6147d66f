//! Coupons: a shop's staff create them for their shop, operators for every shop; buyers enter
//! one at checkout (`coupon` in `POST /checkout`).

use agora_app::coupons::{self, CouponInput, CouponView};
use agora_core::money::Money;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bodies::each;
use super::bodies::money::MoneySchema;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// A new coupon.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCouponBody {
    /// What buyers type: 3 to 32 letters, digits, `-` or `_`; case does not matter (stored
    /// upper-cased). Unique among the shop's coupons (or the operator's).
    code: String,
    /// `percentage` (give `percentage_bp`) or `fixed` (give `amount`).
    kind: String,
    /// Basis points off the goods: 1000 is 10 %, at most 10000.
    percentage_bp: Option<i64>,
    /// A fixed amount off the goods, never more than the goods.
    #[schema(value_type = Option<MoneySchema>)]
    amount: Option<Money>,
    /// The goods the coupon covers must reach this.
    #[schema(value_type = Option<MoneySchema>)]
    min_spend: Option<Money>,
    /// RFC 3339: usable from this time on.
    valid_from: Option<String>,
    /// RFC 3339: usable until just before this time.
    valid_until: Option<String>,
    /// How many checkouts may use it in all.
    max_uses: Option<i64>,
    /// How many checkouts of one buyer may use it.
    max_uses_per_buyer: Option<i64>,
}

impl NewCouponBody {
    fn input(&self) -> CouponInput<'_> {
        CouponInput {
            code: &self.code,
            kind: &self.kind,
            percentage_bp: self.percentage_bp,
            amount: self.amount,
            min_spend: self.min_spend,
            valid_from: self.valid_from.as_deref(),
            valid_until: self.valid_until.as_deref(),
            max_uses: self.max_uses,
            max_uses_per_buyer: self.max_uses_per_buyer,
        }
    }
}

/// A coupon as its creators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CouponBody {
    id: String,
    /// The shop whose goods it discounts; `null` for the operator's coupons (every shop's goods).
    shop_id: Option<String>,
    code: String,
    /// `percentage` or `fixed`.
    kind: String,
    percentage_bp: Option<i64>,
    #[schema(value_type = Option<MoneySchema>)]
    amount: Option<Money>,
    #[schema(value_type = Option<MoneySchema>)]
    min_spend: Option<Money>,
    valid_from: Option<String>,
    valid_until: Option<String>,
    max_uses: Option<i64>,
    max_uses_per_buyer: Option<i64>,
    /// Checkouts that used it so far.
    used_count: i64,
    /// False once deactivated: it can no longer be used.
    active: bool,
    created_at: String,
}

impl From<CouponView> for CouponBody {
    fn from(c: CouponView) -> Self {
        CouponBody {
            id: c.id,
            shop_id: c.shop_id,
            code: c.code,
            kind: c.kind,
            percentage_bp: c.percentage_bp,
            amount: c.amount,
            min_spend: c.min_spend,
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            max_uses: c.max_uses,
            max_uses_per_buyer: c.max_uses_per_buyer,
            used_count: c.used_count,
            active: c.active,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CouponList {
    items: Vec<CouponBody>,
    next_cursor: Option<String>,
}

fn list_of(items: Vec<CouponView>) -> Json<CouponList> {
    Json(CouponList {
        items: each(items),
        next_cursor: None,
    })
}

/// Create a coupon for the shop's goods (the shop's staff).
#[utoipa::path(post, path = "/shops/{id}/coupons", tag = "shops", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = NewCouponBody,
    responses((status = 201, body = CouponBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_shop_coupon(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewCouponBody>,
) -> ApiResult<(StatusCode, Json<CouponBody>)> {
    let coupon = coupons::create_for_shop(&state.app, &actor, &id, body.input()).await?;
    Ok((StatusCode::CREATED, Json(coupon.into())))
}

/// The shop's coupons, newest first (the shop's staff).
#[utoipa::path(get, path = "/shops/{id}/coupons", tag = "shops", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = CouponList), (status = 404, body = Problem)))]
pub async fn shop_coupons(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CouponList>> {
    Ok(list_of(coupons::list_for_shop(&state.app, &actor, &id).await?))
}

/// Create a coupon for every shop's goods (operators).
#[utoipa::path(post, path = "/admin/coupons", tag = "admin", security(("bearer" = [])), request_body = NewCouponBody,
    responses((status = 201, body = CouponBody), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_platform_coupon(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<NewCouponBody>,
) -> ApiResult<(StatusCode, Json<CouponBody>)> {
    let coupon = coupons::create_for_platform(&state.app, &actor, body.input()).await?;
    Ok((StatusCode::CREATED, Json(coupon.into())))
}

/// The operator's coupons, newest first (operators).
#[utoipa::path(get, path = "/admin/coupons", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = CouponList), (status = 403, body = Problem)))]
pub async fn platform_coupons(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<CouponList>> {
    Ok(list_of(coupons::list_for_platform(&state.app, &actor).await?))
}

/// Deactivate a coupon: it can no longer be used (a shop's by its staff, the operator's by
/// operators). Orders that used it keep their discount.
#[utoipa::path(post, path = "/coupons/{id}/deactivate", tag = "shops", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = CouponBody), (status = 404, body = Problem)))]
pub async fn deactivate(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CouponBody>> {
    Ok(Json(coupons::deactivate(&state.app, &actor, &id).await?.into()))
}

/// Change a coupon's terms (a shop's by its owner and managers, the operator's by operators):
/// the body is the whole coupon, as at creation. Its shop, uses and state stay; a `max_uses`
/// below the uses it already has is a 422. Orders that used it keep their discount.
#[utoipa::path(put, path = "/coupons/{id}", tag = "shops", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = NewCouponBody,
    responses((status = 200, body = CouponBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewCouponBody>,
) -> ApiResult<Json<CouponBody>> {
    Ok(Json(
        coupons::update(&state.app, &actor, &id, body.input()).await?.into(),
    ))
}
