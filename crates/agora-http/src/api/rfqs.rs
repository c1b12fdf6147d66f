//! Requests for quotation, quotes, and the signed contracts deals produce.

use agora_app::deals::contracts;
use agora_app::deals::quotes::{self, QuoteAccepted, QuoteInput};
use agora_app::deals::rfqs::{self, ListRole, RfqInput};
use agora_app::idempotency::Render;
use agora_app::AppError;
use agora_core::money::Money;
use agora_core::rfq::QuoteSort;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::bodies::deals::{ContractBody, QuoteBody, RfqBody};
use super::bodies::money::MoneySchema;
use super::orders::{AddressBody, OrderBody};
use crate::extract::{ApiJson, Auth, Query};
use crate::idempotency::{self, TxKey};
use crate::problem::{ApiResult, Problem};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RfqInputBody {
    title: String,
    /// The specification: what exactly is needed.
    #[serde(default)]
    description: String,
    /// A category slug; public RFQs reach the shops selling in it.
    category: String,
    quantity: i64,
    #[schema(value_type = Option<MoneySchema>)]
    target_price: Option<Money>,
    /// Keep the target price from the sellers.
    #[serde(default)]
    hide_target_price: bool,
    /// RFC 3339, in the future: quotes are taken until then.
    deadline: String,
    /// Shop ids; when given the RFQ is invite-only, otherwise public to the category's shops.
    #[serde(default)]
    invited_shops: Vec<String>,
    /// ISO 3166 code of the delivery country.
    delivery_country: Option<String>,
    /// `card`, `wallet`, `bank_transfer` (default) or `cod`.
    payment_method: Option<String>,
    shipping_address: Option<AddressBody>,
}

/// Publish an RFQ (a buyer).
#[utoipa::path(post, path = "/rfqs", tag = "negotiation", security(("bearer" = [])), request_body = RfqInputBody,
    responses((status = 201, body = RfqBody), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<RfqInputBody>,
) -> ApiResult<(axum::http::StatusCode, Json<RfqBody>)> {
    let input = RfqInput {
        title: &body.title,
        description: &body.description,
        category: &body.category,
        quantity: body.quantity,
        target_price: body.target_price,
        hide_target_price: body.hide_target_price,
        deadline: &body.deadline,
        invited_shops: &body.invited_shops,
        delivery_country: body.delivery_country.as_deref(),
        payment_method: body.payment_method.as_deref(),
        shipping_address: body.shipping_address.as_ref().map(AddressBody::input),
    };
    let rfq = rfqs::create(&state.app, &actor, input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(rfq.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RfqListParams {
    /// `buyer`: your RFQs; `seller`: the RFQs open to the shops you run. Without it: both.
    role: Option<String>,
    limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RfqList {
    items: Vec<RfqBody>,
    next_cursor: Option<String>,
}

/// RFQs: your own, and those open to your shops (public in their categories, or invited).
#[utoipa::path(get, path = "/rfqs", tag = "negotiation", security(("bearer" = [])), params(RfqListParams),
    responses((status = 200, body = RfqList), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<RfqListParams>,
) -> ApiResult<Json<RfqList>> {
    let roles: &[ListRole] = match q.role.as_deref() {
        None => &[ListRole::Buyer, ListRole::Seller],
        Some("buyer") => &[ListRole::Buyer],
        Some("seller") => &[ListRole::Seller],
        Some(_) => return Err(AppError::invalid("role", "must be buyer or seller").into()),
    };
    let mut items = Vec::new();
    for role in roles {
        items.extend(rfqs::list(&state.app, &actor, *role, q.limit.unwrap_or(20)).await?);
    }
    Ok(Json(RfqList {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// One RFQ (its buyer; the staff of a shop it is open to, without a hidden target price).
#[utoipa::path(get, path = "/rfqs/{id}", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RfqBody), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, Auth(actor): Auth, Path(id): Path<String>) -> ApiResult<Json<RfqBody>> {
    Ok(Json(rfqs::get(&state.app, &actor, &id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct QuoteInputBody {
    #[schema(value_type = MoneySchema)]
    unit_price: Money,
    /// At most the RFQ's quantity.
    quantity: i64,
    lead_time_days: i64,
    /// RFC 3339, in the future: the buyer may accept until then.
    valid_until: String,
    note: Option<String>,
    /// Your listing that fulfils the RFQ: its stock is reserved when the quote is accepted.
    variant_id: Option<String>,
    /// Delivery charged on top (zero when absent); part of the landed total.
    #[schema(value_type = Option<MoneySchema>)]
    shipping: Option<Money>,
}

/// Quote on an RFQ, or revise your quote (a shop it is open to), until the deadline (409
/// `deadline-passed` after).
#[utoipa::path(post, path = "/rfqs/{id}/quotes", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = QuoteInputBody,
    responses((status = 201, body = QuoteBody), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn submit_quote(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<QuoteInputBody>,
) -> ApiResult<(axum::http::StatusCode, Json<QuoteBody>)> {
    let input = QuoteInput {
        variant_id: body.variant_id.as_deref(),
        unit_price: body.unit_price,
        quantity: body.quantity,
        shipping: body.shipping,
        lead_time_days: body.lead_time_days,
        valid_until: &body.valid_until,
        note: body.note.as_deref(),
    };
    let q = quotes::submit(&state.app, &actor, &id, input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(q.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct QuoteListParams {
    /// `landed_price` (default), `lead_time` or `rating` (sellers without a rating last).
    sort: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteList {
    items: Vec<QuoteBody>,
    next_cursor: Option<String>,
}

/// The quotes on an RFQ: all of them for its buyer, only your shop's for a seller.
#[utoipa::path(get, path = "/rfqs/{id}/quotes", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path), QuoteListParams),
    responses((status = 200, body = QuoteList), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_quotes(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    Query(q): Query<QuoteListParams>,
) -> ApiResult<Json<QuoteList>> {
    let sort = match q.sort.as_deref().filter(|s| !s.is_empty()) {
        None => QuoteSort::LandedPrice,
        Some(s) => s.parse().map_err(|m| AppError::invalid("sort", m))?,
    };
    let items = quotes::list(&state.app, &actor, &id, sort).await?;
    Ok(Json(QuoteList {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteAcceptedBody {
    quote: QuoteBody,
    contract: ContractBody,
    order: OrderBody,
}

/// Accept a quote (the RFQ's buyer): a signed contract and an order at the quoted price; every
/// other quote closes as rejected and its shop is told.
#[utoipa::path(post, path = "/quotes/{id}/accept", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = QuoteAcceptedBody), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "quote-closed, out-of-stock")))]
pub async fn accept_quote(
    State(state): State<AppState>,
    Auth(actor): Auth,
    key: TxKey,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let render: Render<QuoteAccepted> = &|a| {
        idempotency::json_ok(&QuoteAcceptedBody {
            quote: a.quote.clone().into(),
            contract: a.contract.clone().into(),
            order: a.order.clone().into(),
        })
    };
    let answer = quotes::accept(&state.app, &actor, &id, key.rendered_by(render)).await?;
    idempotency::respond(answer, render)
}

/// One contract (its parties).
#[utoipa::path(get, path = "/contracts/{id}", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ContractBody), (status = 404, body = Problem)))]
pub async fn get_contract(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ContractBody>> {
    Ok(Json(contracts::get(&state.app, &actor, &id).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyBody {
    valid: bool,
    /// Why not, when not valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Check the stored contract against its SHA-256 and the platform's signature.
#[utoipa::path(get, path = "/contracts/{id}/verify", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = VerifyBody), (status = 404, body = Problem)))]
pub async fn verify_contract(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<VerifyBody>> {
    let verdict = contracts::verify(&state.app, &actor, &id).await?;
    Ok(Json(VerifyBody {
        valid: verdict.is_ok(),
        reason: verdict.err().map(|e| e.to_string()),
    }))
}

/// The contract as a self-contained JSON file, for `agora contract verify FILE.json`.
#[utoipa::path(get, path = "/contracts/{id}/download", tag = "negotiation", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn download_contract(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let c = contracts::get(&state.app, &actor, &id).await?;
    Ok(file_response(&c))
}

/// The downloadable file of a contract.
pub(crate) fn file_response(c: &contracts::ContractView) -> Response {
    let body = serde_json::to_vec_pretty(&c.file()).unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"contract-{}.json\"", c.id),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformKeyBody {
    /// `ed25519`.
    algorithm: String,
    /// The 32-byte public key, lowercase hex.
    public_key: String,
}

/// The platform's public key, which verifies every contract's signature.
#[utoipa::path(get, path = "/platform-key", tag = "negotiation", responses((status = 200, body = PlatformKeyBody)))]
pub async fn platform_key(State(state): State<AppState>) -> ApiResult<Json<PlatformKeyBody>> {
    Ok(Json(PlatformKeyBody {
        algorithm: "ed25519".into(),
        public_key: contracts::public_key(&state.app).await?,
    }))
}
