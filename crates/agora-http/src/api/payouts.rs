//! Money going back out: refunds (`/orders/{id}/refunds`), cash on delivery
//! (`/orders/{id}/collect-cash`), payout accounts and payouts (`/shops/{id}/payout-account`,
//! `/shops/{id}/payouts`), the settlement report (`/shops/{id}/settlement`), the operator's
//! payout queue (`/admin/payouts`) and commission rates (`/admin/commission-rates`).

use agora_app::commission::{self, Scope};
use agora_app::idempotency::Render;
use agora_app::orders::OrderView;
use agora_app::payouts::{self, PayoutView};
use agora_app::refunds::{self, RefundRequest, RefundView};
use agora_app::{cod, settlement, AppError};
use agora_core::money::{Currency, Money};
use agora_core::payout::PayoutStatus;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::bodies::money::MoneySchema;
use super::bodies::payouts::{PayoutAccountBody, PayoutBody, PayoutList, RateBody, RatesBody, RefundBody, RefundList};
use super::orders::OrderBody;
use crate::extract::{ApiJson, Auth, Query};
use crate::idempotency::{self, TxKey};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundInput {
    /// What goes back to the buyer, in the order's currency.
    #[schema(value_type = MoneySchema)]
    amount: Money,
    reason: String,
    /// The goods came back: every line's quantity goes on sale again (once per order).
    #[serde(default)]
    restock: bool,
}

/// Refund (part of) an order (its shop's staff, or an operator), back the way the money came:
/// the buyer's wallet for wallet and bank-transfer payments and cash on delivery, the card for
/// card payments. A shipped order whose money is still in escrow may only be refunded in full;
/// a completed order's refund comes from the shop's available balance (409
/// `insufficient-funds` when it holds too little), with the platform's commission share given
/// back. Never more than was paid (409 `refund-exceeds-paid`). Honours `Idempotency-Key` in the
/// same transaction as the postings.
#[utoipa::path(post, path = "/orders/{id}/refunds", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RefundInput,
    responses((status = 201, body = RefundBody), (status = 403, body = Problem, description = "the buyer"),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "the status forbids it, more than is left, or the shop's balance is too low"),
        (status = 422, body = Problem, description = "zero, negative, too large, another currency, or no reason")))]
pub async fn refund(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    key: TxKey,
    ApiJson(body): ApiJson<RefundInput>,
) -> ApiResult<Response> {
    let render: Render<'_, RefundView> = &|r: &RefundView| idempotency::json_created(&RefundBody::from(r.clone()));
    let req = RefundRequest {
        amount: body.amount,
        reason: &body.reason,
        restock: body.restock,
    };
    let answer = refunds::refund(&state.app, &actor, &id, req, key.rendered_by(render)).await?;
    idempotency::respond(answer, render)
}

/// An order's refunds (whoever may see the order).
#[utoipa::path(get, path = "/orders/{id}/refunds", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = RefundList), (status = 404, body = Problem)))]
pub async fn list_refunds(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<RefundList>> {
    let items = refunds::of_order(&state.app, &actor, &id).await?;
    Ok(Json(RefundList {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Record the cash of a shipped cash-on-delivery order as collected (its shop's staff, or an
/// operator): the order completes and the platform's commission on it is owed by the shop,
/// netted from its next payout. Honours `Idempotency-Key` in the same transaction.
#[utoipa::path(post, path = "/orders/{id}/collect-cash", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = OrderBody), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not a shipped cash-on-delivery order")))]
pub async fn collect_cash(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    key: TxKey,
) -> ApiResult<Response> {
    let render: Render<'_, OrderView> = &|v: &OrderView| idempotency::json_ok(&OrderBody::from(v.clone()));
    let answer = cod::collect_cash(&state.app, &actor, &id, key.rendered_by(render)).await?;
    idempotency::respond(answer, render)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutAccountInput {
    /// The account holder's name.
    holder: String,
    /// Checked by its checksum; spaces allowed.
    iban: String,
    bic: Option<String>,
}

/// Register the bank account the shop's payouts go to (the shop's owner; for a company's shop, a
/// company admin), replacing any earlier one.
#[utoipa::path(put, path = "/shops/{id}/payout-account", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PayoutAccountInput,
    responses((status = 200, body = PayoutAccountBody), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "an IBAN whose check digits do not match, a bad BIC, no holder")))]
pub async fn set_payout_account(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PayoutAccountInput>,
) -> ApiResult<Json<PayoutAccountBody>> {
    let account = payouts::set_account(&state.app, &actor, &id, &body.holder, &body.iban, body.bic.as_deref()).await?;
    Ok(Json(account.into()))
}

/// The shop's payout account (its staff and those who handle its money); 404 before one is
/// registered.
#[utoipa::path(get, path = "/shops/{id}/payout-account", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = PayoutAccountBody), (status = 404, body = Problem)))]
pub async fn get_payout_account(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PayoutAccountBody>> {
    let account = payouts::account(&state.app, &actor, &id)
        .await?
        .ok_or(AppError::NotFound("payout account"))?;
    Ok(Json(account.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutInput {
    #[schema(value_type = MoneySchema)]
    amount: Money,
}

/// Request a payout to the shop's payout account (the shop's owner; for a company's shop, its
/// admins and finance staff): at least the minimum, at most the available balance less the
/// commission owed on cash-on-delivery orders (which the payout settles). Honours
/// `Idempotency-Key` in the same transaction as the postings.
#[utoipa::path(post, path = "/shops/{id}/payouts", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PayoutInput,
    responses((status = 201, body = PayoutBody), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`/problems/insufficient-funds` above what may be paid out, `/problems/no-payout-account` without an account"),
        (status = 422, body = Problem, description = "zero, negative, too large or below the minimum")))]
pub async fn request_payout(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    key: TxKey,
    ApiJson(body): ApiJson<PayoutInput>,
) -> ApiResult<Response> {
    let render: Render<'_, PayoutView> = &|p: &PayoutView| idempotency::json_created(&PayoutBody::from(p.clone()));
    let answer = payouts::request(&state.app, &actor, &id, body.amount, key.rendered_by(render)).await?;
    idempotency::respond(answer, render)
}

/// The shop's payouts, newest first (its staff and those who handle its money).
#[utoipa::path(get, path = "/shops/{id}/payouts", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = PayoutList), (status = 404, body = Problem)))]
pub async fn list_payouts(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PayoutList>> {
    Ok(Json(PayoutList::of(payouts::of_shop(&state.app, &actor, &id).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SettlementParams {
    /// The first day (`2026-11-01`) or instant (RFC 3339) of the period.
    from: String,
    /// The last day (inclusive) or the instant the period ends before (RFC 3339).
    to: String,
    /// The currency (default EUR).
    currency: Option<String>,
}

/// A day (`2026-11-30`, its start; with `end`, the next day's start) or an RFC 3339 instant, in ms.
pub(crate) fn instant(field: &str, text: &str, end: bool) -> Result<i64, AppError> {
    let bad = || AppError::invalid(field, "must be a date like 2026-11-30 or an RFC 3339 time");
    let t = if let Ok(d) = Date::parse(text, format_description!("[year]-[month]-[day]")) {
        let d = if end { d.next_day().ok_or_else(bad)? } else { d };
        d.midnight().assume_utc()
    } else {
        OffsetDateTime::parse(text, &Rfc3339).map_err(|_| bad())?
    };
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).map_err(|_| bad())
}

/// Parses the report's period and currency.
pub(crate) fn period(from: &str, to: &str, currency: Option<&str>) -> Result<(i64, i64, Currency), AppError> {
    let from = instant("from", from, false)?;
    let to = instant("to", to, true)?;
    let cur = Currency::parse(currency.unwrap_or("EUR")).map_err(|m| AppError::invalid("currency", m))?;
    Ok((from, to, cur))
}

/// The settlement report as a CSV download.
pub(crate) fn csv_response(shop_id: &str, report: &settlement::Settlement) -> Response {
    let mut res = (StatusCode::OK, report.csv()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"settlement-{shop_id}.csv\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// The shop's settlement for a period as CSV (its staff and those who handle its money): sales,
/// refunds, fees, payouts, opening and closing balance, and the check that `sales − refunds −
/// fees + other = payouts + balance change`.
#[utoipa::path(get, path = "/shops/{id}/settlement", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path), SettlementParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn settlement_report(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    Query(q): Query<SettlementParams>,
) -> ApiResult<Response> {
    let (from, to, cur) = period(&q.from, &q.to, q.currency.as_deref())?;
    let report = settlement::report(&state.app, &actor, &id, cur, from, to).await?;
    Ok(csv_response(&id, &report))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueParams {
    /// `requested` (default), `sent` or `failed`.
    status: Option<String>,
}

/// Payouts in one status, oldest first (operators).
#[utoipa::path(get, path = "/admin/payouts", tag = "admin", security(("bearer" = [])), params(QueueParams),
    responses((status = 200, body = PayoutList), (status = 403, body = Problem)))]
pub async fn payout_queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<QueueParams>,
) -> ApiResult<Json<PayoutList>> {
    let status: PayoutStatus = q
        .status
        .as_deref()
        .unwrap_or("requested")
        .parse()
        .map_err(|m: String| AppError::invalid("status", m))?;
    let items = payouts::queue(&state.app, &actor, status).await?;
    Ok(Json(PayoutList::of(items.into_iter().map(|(p, _)| p).collect())))
}

/// Mark a requested payout sent: the money left the platform's bank (operators).
#[utoipa::path(post, path = "/admin/payouts/{id}/mark-sent", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PayoutBody), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not requested any more")))]
pub async fn mark_sent(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    key: TxKey,
) -> ApiResult<Response> {
    let render: Render<'_, PayoutView> = &|p: &PayoutView| idempotency::json_ok(&PayoutBody::from(p.clone()));
    let answer = payouts::decide(
        &state.app,
        &actor,
        &id,
        PayoutStatus::Sent,
        None,
        key.rendered_by(render),
    )
    .await?;
    idempotency::respond(answer, render)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailInput {
    reason: String,
}

/// Mark a requested payout failed: its amount goes back to the shop's available balance
/// (operators).
#[utoipa::path(post, path = "/admin/payouts/{id}/mark-failed", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = FailInput,
    responses((status = 200, body = PayoutBody), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not requested any more")))]
pub async fn mark_failed(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    key: TxKey,
    ApiJson(body): ApiJson<FailInput>,
) -> ApiResult<Response> {
    let render: Render<'_, PayoutView> = &|p: &PayoutView| idempotency::json_ok(&PayoutBody::from(p.clone()));
    let answer = payouts::decide(
        &state.app,
        &actor,
        &id,
        PayoutStatus::Failed,
        Some(&body.reason),
        key.rendered_by(render),
    )
    .await?;
    idempotency::respond(answer, render)
}

/// Every commission rate and the platform's default (operators).
#[utoipa::path(get, path = "/admin/commission-rates", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = RatesBody), (status = 403, body = Problem)))]
pub async fn list_rates(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<RatesBody>> {
    Ok(Json(commission::list(&state.app, &actor).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateInput {
    /// Basis points, 0 to 10000: 500 = 5 %.
    rate_bp: i64,
}

/// Set a category's commission rate (operators); it applies to its subcategories without one.
#[utoipa::path(put, path = "/admin/commission-rates/categories/{slug}", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path)), request_body = RateInput,
    responses((status = 200, body = RateBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_category_rate(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<RateInput>,
) -> ApiResult<Json<RateBody>> {
    Ok(Json(
        commission::set(&state.app, &actor, Scope::Category, &slug, body.rate_bp)
            .await?
            .into(),
    ))
}

/// Remove a category's commission rate (operators).
#[utoipa::path(delete, path = "/admin/commission-rates/categories/{slug}", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path)), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn clear_category_rate(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(slug): Path<String>,
) -> ApiResult<StatusCode> {
    commission::clear(&state.app, &actor, Scope::Category, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a shop's own commission rate (operators); it overrides its products' categories'.
#[utoipa::path(put, path = "/admin/commission-rates/shops/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RateInput,
    responses((status = 200, body = RateBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_shop_rate(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RateInput>,
) -> ApiResult<Json<RateBody>> {
    Ok(Json(
        commission::set(&state.app, &actor, Scope::Shop, &id, body.rate_bp)
            .await?
            .into(),
    ))
}

/// Remove a shop's own commission rate (operators).
#[utoipa::path(delete, path = "/admin/commission-rates/shops/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn clear_shop_rate(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    commission::clear(&state.app, &actor, Scope::Shop, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
